/* compound.c — building a compound kernel from a family's stages: merging
 * the stages' argument declarations against the family's struct, checking
 * that the stages fit, and writing the device code that follows the struct.
 *
 * Layer: kernel. Knows no family: what a kind of stage means is the
 * family's (include/foundry/compound.h). The kernel it makes is a plain
 * fd_kernel whose `args` and `cpu` hooks find the compound around it (the
 * kernel is the compound's first member), so fd_run needs no special case.
 * Device code: the family's defines, then each stage's code in the family's
 * order, each under a `stage:` comment; codegen adds prelude and struct. */
#include <stdio.h>
#include <string.h>
#include "foundry/compound.h"
#include "base/mem.h"
#include "base/sbuf.h"

#define MAX_ARGS 32

struct fd_compound {
    fd_kernel kernel;                  /* first: fd_compound_of casts back */
    char name[128];
    const fd_family *family;
    const fd_stage *stage[FD_STAGE_KINDS_MAX];   /* by kind */
    int products;                      /* the largest `provides`, at least 1 */
    fd_arg_desc args[MAX_ARGS];        /* the merged subset of the family's table */
    fd_arg_table table;
    char *body;                        /* device code after the struct (kernel.cuda) */
};

static fd_arg_table compound_args(const fd_kernel *k) { return ((const fd_compound *)k)->table; }

static fd_status compound_cpu(const fd_kernel *k, const void *args, fd_error *err)
{
    const fd_compound *c = (const fd_compound *)k;
    return c->family->cpu(c, args, err);
}

const fd_compound *fd_compound_of(const fd_kernel *k)
{
    return k && k->cpu == compound_cpu ? (const fd_compound *)k : NULL;
}

const fd_kernel *fd_compound_kernel(const fd_compound *c) { return &c->kernel; }
const char *fd_compound_name(const fd_compound *c) { return c->name; }
const fd_family *fd_compound_family(const fd_compound *c) { return c->family; }
int fd_compound_products(const fd_compound *c) { return c->products; }

const fd_stage *fd_compound_stage(const fd_compound *c, int kind)
{
    return kind >= 0 && kind < c->family->nkinds ? c->stage[kind] : NULL;
}

void fd_compound_destroy(fd_compound *c)
{
    if (!c) return;
    fd_free(c->body);
    fd_free(c);
}

static const fd_arg_desc *family_arg(const fd_arg_table *t, const char *name)
{
    for (size_t i = 0; i < t->n; i++)
        if (!strcmp(t->args[i].name, name)) return &t->args[i];
    return NULL;
}

/* Adds one expanded stage argument to the merged table; owner[i] is the
 * stage that first declared merged argument i. */
static fd_status merge_arg(fd_compound *c, const fd_arg_table *fam, const fd_stage *st, const fd_stage_arg *a,
                           const char *name, const fd_stage **owner, fd_error *err)
{
    const fd_arg_desc *f = family_arg(fam, name);
    if (!f)
        return fd_error_set(err, FD_ERR_INVALID, "stage %s declares '%s', which the %s family does not have",
                            st->name, name, c->family->name);
    unsigned early = a->dtypes & FD_EARLY, dt = a->dtypes & ~FD_EARLY;
    if (a->type == FD_PT_TENSOR && !dt) {
        const fd_stage *giver = c->family->dtype_kind >= 0 ? c->stage[c->family->dtype_kind] : NULL;
        dt = 1u << (giver ? giver->dtype : FD_F32);
    }
    if (f->role != a->role || f->type != a->type || (dt & ~f->dtypes & ~FD_EARLY))
        return fd_error_set(err, FD_ERR_INVALID, "stage %s declares '%s' unlike the %s family's", st->name, name,
                            c->family->name);
    for (size_t i = 0; i < c->table.n; i++) {
        if (strcmp(c->args[i].name, f->name)) continue;
        if (c->args[i].role != a->role || c->args[i].type != a->type || c->args[i].dtypes != (dt | early))
            return fd_error_set(err, FD_ERR_INVALID, "stages %s and %s declare '%s' with different types",
                                owner[i]->name, st->name, name);
        return FD_OK;     /* the same declaration twice: one argument */
    }
    if (c->table.n == MAX_ARGS)
        return fd_error_set(err, FD_ERR_UNSUPPORTED, "compound %s: more than %d arguments", c->name, MAX_ARGS);
    owner[c->table.n] = st;
    c->args[c->table.n] = *f;
    c->args[c->table.n].dtypes = dt | early;
    c->table.n++;
    return FD_OK;
}

static fd_status merge_args(fd_compound *c, fd_error *err)
{
    const fd_stage *owner[MAX_ARGS];
    fd_arg_table fam = c->family->args(NULL);
    for (int k = 0; k < c->family->nkinds; k++) {
        const fd_stage *st = c->stage[k];
        for (size_t i = 0; st && i < st->nargs; i++) {
            const fd_stage_arg *a = &st->args[i];
            const char *hash = strchr(a->name, '#');
            for (int o = 0; o < (hash ? c->products : 1); o++) {
                char name[64];
                if (hash) snprintf(name, sizeof name, "%.*s%d%s", (int)(hash - a->name), a->name, o, hash + 1);
                else snprintf(name, sizeof name, "%s", a->name);
                FD_TRY(merge_arg(c, &fam, st, a, name, owner, err));
            }
        }
    }
    c->table = (fd_arg_table){ c->args, c->table.n, fam.size, fam.args, fam.n };
    return FD_OK;
}

/* Every stage is of the kind it stands for, required kinds are there, and
 * what a stage requires is what the others provide. */
static fd_status check_fit(fd_compound *c, fd_error *err)
{
    const fd_family *f = c->family;
    const fd_stage *maker = NULL;
    for (int k = 0; k < f->nkinds; k++) {
        const fd_stage *st = c->stage[k];
        if (!st && f->kinds[k].required)
            return fd_error_set(err, FD_ERR_INVALID, "a %s compound needs a %s stage", f->name, f->kinds[k].name);
        if (!st) continue;
        if (st->kind != k)
            return fd_error_set(err, FD_ERR_INVALID, "stage %s is not a %s stage", st->name, f->kinds[k].name);
        if (st->provides && (!maker || st->provides > c->products)) c->products = st->provides, maker = st;
    }
    for (int k = 0; k < f->nkinds; k++) {
        const fd_stage *st = c->stage[k];
        if (st && st->requires && st->requires != c->products)
            return fd_error_set(err, FD_ERR_INVALID, "%s %s needs %d products per row, %s %s gives %d",
                                f->kinds[k].name, st->name, st->requires, maker ? f->kinds[maker->kind].name : "the",
                                maker ? maker->name : "compound", c->products);
    }
    return FD_OK;
}

static void make_name(fd_compound *c, const char *given)
{
    if (given) {
        snprintf(c->name, sizeof c->name, "%s", given);
        return;
    }
    int n = snprintf(c->name, sizeof c->name, "%s", c->family->name);
    for (int k = 0; k < c->family->nkinds && n < (int)sizeof c->name; k++)
        if (c->stage[k]) n += snprintf(c->name + n, sizeof c->name - (size_t)n, "_%s", c->stage[k]->name);
}

static fd_status write_body(fd_compound *c, fd_error *err)
{
    fd_sbuf b = { 0 };
    const fd_family *f = c->family;
    fd_sbuf_printf(&b, "/* %s — compound kernel of the %s family:", c->name, f->name);
    for (int o = 0; o < f->nkinds; o++)
        if (c->stage[f->order[o]]) fd_sbuf_printf(&b, " %s", c->stage[f->order[o]]->name);
    fd_sbuf_cat(&b, " */\n");
    if (f->defines) {
        char defs[512];
        int n = f->defines(c, defs, sizeof defs);
        if (n < 0) {
            fd_free(fd_sbuf_take(&b));
            return fd_error_set(err, FD_ERR_UNSUPPORTED, "compound %s: the family's defines are too long", c->name);
        }
        fd_sbuf_cat(&b, defs);
    }
    for (int o = 0; o < f->nkinds; o++) {
        const fd_stage *st = c->stage[f->order[o]];
        if (!st || !st->cuda) continue;
        fd_sbuf_printf(&b, "/* stage: %s %s */\n", f->kinds[st->kind].name, st->name);
        fd_sbuf_cat(&b, st->cuda);
    }
    if (!(c->body = fd_sbuf_take(&b)))
        return fd_error_set(err, FD_ERR_NOMEM, "compound %s: out of memory", c->name);
    return FD_OK;
}

fd_status fd_compound_build(const fd_compound_desc *d, fd_compound **out, fd_error *err)
{
    *out = NULL;
    const fd_family *f = d ? d->family : NULL;
    if (!f || f->nkinds < 1 || f->nkinds > FD_STAGE_KINDS_MAX)
        return fd_error_set(err, FD_ERR_INVALID, "fd_compound_build: no family, or one with 1..%d kinds of stage",
                            FD_STAGE_KINDS_MAX);
    fd_compound *c = fd_calloc(1, sizeof *c);
    if (!c) return fd_error_set(err, FD_ERR_NOMEM, "compound: out of memory");
    c->family = f;
    c->products = 1;
    for (int k = 0; k < f->nkinds; k++) c->stage[k] = d->stage[k] ? d->stage[k] : f->kinds[k].fallback;
    make_name(c, d->name);
    fd_status st = check_fit(c, err);
    if (st == FD_OK) st = merge_args(c, err);
    if (st == FD_OK) st = write_body(c, err);
    if (st != FD_OK) {
        fd_compound_destroy(c);
        return st;
    }
    c->kernel = (fd_kernel){ .name = c->name, .args = compound_args, .max_block = f->max_block, .check = f->check,
                             .dispatch = f->dispatch, .cpu = compound_cpu, .bytes = f->bytes, .tail = f->tail,
                             .cuda = c->body };
    for (int k = 0; k < f->nkinds; k++)
        if (c->stage[k]) c->kernel.flags |= c->stage[k]->flags;
    *out = c;
    return FD_OK;
}
