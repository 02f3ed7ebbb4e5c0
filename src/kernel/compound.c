/* compound.c — building a compound kernel from stage descriptors: merging
 * the stages' argument declarations against the family's struct, checking
 * that the stages fit, and generating the device source.
 *
 * Layer: kernel. Source order: prelude, the family struct (whole, so the
 * host struct is the launch parameter byte for byte), FD_NOUT, includes
 * (each once, in first-use order), prologue, input, epilogue, main: the
 * prologue (weight policy) first, since it says where the input stage puts
 * x in shared memory. */
#include <stdio.h>
#include <string.h>
#include "kernel/compound.h"
#include "kernel/codegen.h"
#include "base/mem.h"

const fd_compound *fd_compound_of(const fd_kernel *k)
{
    return k && k->owner ? (const fd_compound *)k->owner : NULL;
}

void fd_compound_destroy(fd_compound *c)
{
    if (!c) return;
    fd_free(c->source);
    fd_free(c);
}

static const fd_arg_desc *family_arg(const fd_arg_table *t, const char *name)
{
    for (size_t i = 0; i < t->n; i++)
        if (!strcmp(t->args[i].name, name)) return &t->args[i];
    return NULL;
}

/* Adds one expanded stage argument to the merged table. */
static fd_status merge_arg(fd_compound *c, const fd_arg_table *fam, const fd_stage *st, const fd_stage_arg *a,
                           const char *name, const fd_stage **owner, fd_error *err)
{
    const fd_arg_desc *f = family_arg(fam, name);
    if (!f)
        return fd_error_set(err, FD_ERR_INVALID, "stage %s declares '%s', which the %s family does not have",
                            st->name, name, c->family->name);
    unsigned dt = a->dtypes;
    if (a->type == FD_PT_TENSOR && !dt) dt = 1u << c->stage[FD_STAGE_PROLOGUE]->dtype;  /* the policy's */
    if (f->role != a->role || f->type != a->type || (dt & ~f->dtypes))
        return fd_error_set(err, FD_ERR_INVALID, "stage %s declares '%s' unlike the %s family's", st->name, name,
                            c->family->name);
    for (size_t i = 0; i < c->table.n; i++) {
        if (strcmp(c->args[i].name, f->name)) continue;
        if (c->args[i].role != a->role || c->args[i].type != a->type || c->args[i].dtypes != dt)
            return fd_error_set(err, FD_ERR_INVALID, "stages %s and %s declare '%s' with different types",
                                owner[i]->name, st->name, name);
        return FD_OK;     /* the same declaration twice: one argument */
    }
    if (c->table.n == sizeof c->args / sizeof c->args[0])
        return fd_error_set(err, FD_ERR_UNSUPPORTED, "compound %s: too many arguments", c->name);
    owner[c->table.n] = st;
    c->args[c->table.n] = *f;
    c->args[c->table.n].dtypes = dt;
    c->table.n++;
    return FD_OK;
}

static fd_status merge_args(fd_compound *c, const fd_arg_table *fam, fd_error *err)
{
    const fd_stage *owner[32];
    int nout = c->stage[FD_STAGE_MAIN]->provides;
    for (int k = 0; k < 4; k++) {
        const fd_stage *st = c->stage[k];
        if (!st) continue;
        for (size_t i = 0; i < st->nargs; i++) {
            const fd_stage_arg *a = &st->args[i];
            const char *hash = strchr(a->name, '#');
            for (int o = 0; o < (hash ? nout : 1); o++) {
                char name[64];
                if (hash) snprintf(name, sizeof name, "%.*s%d%s", (int)(hash - a->name), a->name, o, hash + 1);
                else snprintf(name, sizeof name, "%s", a->name);
                FD_TRY(merge_arg(c, fam, st, a, name, owner, err));
            }
        }
    }
    c->table.args = c->args;
    c->table.size = fam->size;
    /* the full family's dtypes for the device struct: merged ones, else f32 */
    size_t ti = 0;
    for (size_t i = 0; i < fam->n; i++) {
        if (fam->args[i].type != FD_PT_TENSOR) continue;
        fd_dtype d = FD_F32;
        for (size_t m = 0; m < c->table.n; m++)
            if (!strcmp(c->args[m].name, fam->args[i].name) && c->args[m].dtypes)
                d = (fd_dtype)__builtin_ctz(c->args[m].dtypes);
        c->dtypes[ti++] = d;
    }
    return FD_OK;
}

static fd_status check_fit(const fd_compound *c, fd_error *err)
{
    static const char *const kind[] = { "input", "prologue", "main", "epilogue" };
    for (int k = 0; k < 4; k++)
        if (c->stage[k] && c->stage[k]->kind != (fd_stage_kind)k)
            return fd_error_set(err, FD_ERR_INVALID, "stage %s is not a%s %s stage", c->stage[k]->name,
                                k == FD_STAGE_INPUT ? "n" : "", kind[k]);
    if (!c->stage[FD_STAGE_PROLOGUE] || !c->stage[FD_STAGE_MAIN])
        return fd_error_set(err, FD_ERR_INVALID, "a compound needs a prologue and a main stage");
    const fd_stage *m = c->stage[FD_STAGE_MAIN], *e = c->stage[FD_STAGE_EPILOGUE];
    if (e && e->requires && e->requires != m->provides)
        return fd_error_set(err, FD_ERR_INVALID, "epilogue %s needs %d products per row, main %s gives %d",
                            e->name, e->requires, m->name, m->provides);
    return FD_OK;
}

static fd_status generate(fd_compound *c, const fd_arg_table *fam, fd_error *err)
{
    fd_sbuf b = { 0 };
    const fd_snippet *seen[32];
    size_t nseen = 0;
    fd_sbuf_printf(&b, "/* %s — compound kernel generated by Foundry from its stages:", c->name);
    for (int k = 0; k < 4; k++)
        if (c->stage[k]) fd_sbuf_printf(&b, " %s", c->stage[k]->name);
    fd_sbuf_cat(&b, " */\n");
    fd_sbuf_cat(&b, fd_cuda_prelude);
    fd_codegen_args_struct(&b, fam, c->dtypes);
    fd_sbuf_printf(&b, "#define FD_NOUT %d\n#define FD_MAX_BLOCK %u\n", c->stage[FD_STAGE_MAIN]->provides,
                   c->kernel.max_block);
    static const int order[] = { FD_STAGE_PROLOGUE, FD_STAGE_INPUT, FD_STAGE_EPILOGUE, FD_STAGE_MAIN };
    for (int o = 0; o < 4; o++) {
        const fd_stage *st = c->stage[order[o]];
        if (!st) continue;
        for (const fd_snippet *const *inc = st->includes; inc && *inc; inc++) {
            size_t i = 0;
            while (i < nseen && seen[i] != *inc) i++;
            if (i < nseen) continue;
            if (nseen < 32) seen[nseen++] = *inc;
            fd_sbuf_printf(&b, "/* include: %s */\n", (*inc)->name);
            fd_sbuf_cat(&b, (*inc)->code);
        }
    }
    for (int o = 0; o < 4; o++) {
        const fd_stage *st = c->stage[order[o]];
        if (!st) continue;
        if (order[o] == FD_STAGE_MAIN)   /* a stage may ask for blocks per multiprocessor (registers) */
            fd_sbuf_printf(&b, "#ifdef FD_MIN_BLOCKS\n"
                           "#define FD_KERNEL extern \"C\" __global__ void __launch_bounds__(FD_MAX_BLOCK, FD_MIN_BLOCKS) %s\n"
                           "#else\n"
                           "#define FD_KERNEL extern \"C\" __global__ void __launch_bounds__(FD_MAX_BLOCK) %s\n"
                           "#endif\n", c->name, c->name);
        fd_sbuf_printf(&b, "/* stage: %s */\n", st->name);
        fd_sbuf_cat(&b, st->code);
    }
    if (b.oom) {
        fd_free(b.s);
        return fd_error_set(err, FD_ERR_NOMEM, "compound %s: out of memory", c->name);
    }
    c->source = b.s;
    return FD_OK;
}

static fd_status compound_source(const fd_kernel *k, const fd_dtype *dtypes, char **src, fd_error *err)
{
    (void)dtypes;   /* a compound's dtypes are fixed by its stages */
    const fd_compound *c = fd_compound_of(k);
    *src = fd_strdup(c->source);
    return *src ? FD_OK : fd_error_set(err, FD_ERR_NOMEM, "compound %s: out of memory", c->name);
}

fd_status fd_compound_build(const fd_compound_family *fam, const fd_compound_desc *d, fd_compound **out,
                            fd_error *err)
{
    *out = NULL;
    fd_compound *c = fd_calloc(1, sizeof *c);
    if (!c) return fd_error_set(err, FD_ERR_NOMEM, "compound: out of memory");
    c->family = fam;
    c->stage[FD_STAGE_INPUT] = d->input ? d->input : fam->default_input;
    c->stage[FD_STAGE_PROLOGUE] = d->prologue;
    c->stage[FD_STAGE_MAIN] = d->main;
    c->stage[FD_STAGE_EPILOGUE] = d->epilogue ? d->epilogue : fam->default_epilogue;
    fd_status st = check_fit(c, err);
    if (st == FD_OK) {
        if (d->name) {
            snprintf(c->name, sizeof c->name, "%s", d->name);
        } else {
            int n = snprintf(c->name, sizeof c->name, "%s", fam->name);
            for (int k = 0; k < 4 && n < (int)sizeof c->name; k++)
                if (c->stage[k]) n += snprintf(c->name + n, sizeof c->name - (size_t)n, "_%s", c->stage[k]->name);
        }
        fd_arg_table ft = fam->args();
        st = merge_args(c, &ft, err);
        if (st == FD_OK) {
            c->kernel = (fd_kernel){ .name = c->name, .args = fam->args, .max_block = 256, .check = fam->check,
                                     .dispatch = fam->dispatch, .bytes = fam->bytes, .source = compound_source,
                                     .owner = c, .table = &c->table };
            for (int k = 0; k < 4; k++)
                if (c->stage[k]) c->kernel.flags |= c->stage[k]->flags;
            st = generate(c, &ft, err);
            if (st == FD_OK) c->kernel.sig = fd_hash64(FD_HASH_SEED, c->source, strlen(c->source)) | 1;
        }
    }
    if (st != FD_OK) {
        fd_compound_destroy(c);
        return st;
    }
    *out = c;
    return FD_OK;
}
