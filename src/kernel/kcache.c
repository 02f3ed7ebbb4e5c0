/* kcache.c — the foundry's table of compiled kernel variants.
 *
 * Layer: kernel. Keyed by (kernel identity, tensor dtypes). A kernel's
 * identity is its descriptor's address, its device code's address and its
 * name: a kernel built at run time (a compound) may get a freed one's
 * address, but then its name and code say whether it is the same kernel (a
 * compound's name spells its stages, its code is its own copy). A miss generates
 * the source and asks the backend to compile it (the backend keeps its own
 * in-memory and on-disk caches of binaries, keyed by the source text). The
 * table is an open-addressing hash that only grows; entries live until the
 * foundry is destroyed. fd_kernel_resident asks the backend how many blocks
 * of a compiled variant stay resident (a cooperative launch's size). */
#include <string.h>
#include "kernel/codegen.h"
#include "base/mem.h"

#define MAX_TENSOR_ARGS 16

typedef struct entry {
    uint64_t sig;              /* 0 = empty */
    uint8_t dtypes[MAX_TENSOR_ARGS];
    fd_devfn fn;
} entry;

struct fd_kcache {
    entry *slots;
    size_t cap, n;
};

static void kcache_free(struct fd_kcache *c)
{
    fd_free(c->slots);
    fd_free(c);
}

static uint64_t sig_of(const fd_kernel *k)
{
    uintptr_t id[2] = { (uintptr_t)k, (uintptr_t)k->cuda };
    uint64_t h = fd_hash64(FD_HASH_SEED, id, sizeof id);
    return fd_hash64(h, k->name, strlen(k->name)) | 1;   /* never 0: 0 marks an empty slot */
}

static uint64_t key_of(uint64_t sig, const uint8_t *dt)
{
    uint64_t h = fd_hash64(FD_HASH_SEED, &sig, sizeof sig);
    return fd_hash64(h, dt, MAX_TENSOR_ARGS);
}

static entry *lookup(struct fd_kcache *c, uint64_t sig, const uint8_t *dt)
{
    if (!c->cap) return NULL;
    for (size_t i = key_of(sig, dt) & (c->cap - 1);; i = (i + 1) & (c->cap - 1)) {
        entry *e = &c->slots[i];
        if (!e->sig) return e;
        if (e->sig == sig && !memcmp(e->dtypes, dt, MAX_TENSOR_ARGS)) return e;
    }
}

static fd_status grow(fd_foundry *fd, struct fd_kcache *c)
{
    size_t cap = c->cap ? c->cap * 2 : 64;
    entry *old = c->slots;
    size_t oldcap = c->cap;
    entry *s = fd_calloc(cap, sizeof *s);
    if (!s) return fd_fail(fd, FD_ERR_NOMEM, "kernel cache: out of memory");
    c->slots = s;
    c->cap = cap;
    for (size_t i = 0; i < oldcap; i++)
        if (old[i].sig) *lookup(c, old[i].sig, old[i].dtypes) = old[i];
    fd_free(old);
    return FD_OK;
}

fd_status fd_kcache_get(fd_foundry *fd, const fd_kernel *k, const fd_dtype *dtypes, const fd_devfn **fn)
{
    *fn = NULL;
    if (!fd->kcache) {
        if (!(fd->kcache = fd_calloc(1, sizeof *fd->kcache)))
            return fd_fail(fd, FD_ERR_NOMEM, "kernel cache: out of memory");
        fd->kcache_free = kcache_free;
    }
    struct fd_kcache *c = fd->kcache;
    fd_arg_table t = k->args(k);
    uint8_t dt[MAX_TENSOR_ARGS] = { 0 };
    size_t nt = 0;
    for (size_t i = 0; i < t.n; i++)
        if (t.args[i].type == FD_PT_TENSOR) {
            if (nt == MAX_TENSOR_ARGS)
                return fd_fail(fd, FD_ERR_UNSUPPORTED, "kernel %s: more than %d tensor arguments",
                               k->name, MAX_TENSOR_ARGS);
            dt[nt] = (uint8_t)dtypes[nt];
            nt++;
        }
    uint64_t sig = sig_of(k);
    entry *e = lookup(c, sig, dt);
    if (e && e->sig) {
        *fn = &e->fn;
        return FD_OK;
    }
    if (fd->capturing) {   /* compiling mid-capture would stall the capture and is not recordable */
        char name[256];
        fd_kernel_variant_name(k, dtypes, name, sizeof name);
        return fd_fail(fd, FD_ERR_STATE, "kernel %s is not compiled yet while a graph is being captured: "
                       "run the step once before capturing it", name);
    }
    if ((c->n + 1) * 2 > c->cap) {
        FD_TRY(grow(fd, c));
    }
    if ((k->flags & FD_KERNEL_SM90A) && fd->be->arch != 90) {
        char name[256];
        fd_kernel_variant_name(k, dtypes, name, sizeof name);
        return fd_fail(fd, FD_ERR_UNSUPPORTED, "kernel %s needs sm_90a (wgmma, tensor maps); the device is sm_%d",
                       name, fd->be->arch);
    }
    char *src;
    fd_status st = fd_kernel_source(k, dtypes, &src, &fd->err);
    if (st != FD_OK) return st;
    char name[256];
    fd_kernel_variant_name(k, dtypes, name, sizeof name);
    fd_devfn f = { 0 };
    st = fd->be->compile(fd->be, name, src, fd_hash64(FD_HASH_SEED, src, strlen(src)),
                         (k->flags & FD_KERNEL_SM90A) ? FD_COMPILE_ARCH_SPECIFIC : 0, &f, &fd->err);
    fd_free(src);
    if (st != FD_OK) return st;
    e = lookup(c, sig, dt);
    e->sig = sig;
    memcpy(e->dtypes, dt, sizeof dt);
    e->fn = f;
    c->n++;
    *fn = &e->fn;
    return FD_OK;
}

fd_status fd_kernel_resident(fd_foundry *fd, const fd_kernel *k, const fd_dtype *dtypes, unsigned threads,
                             unsigned shared, unsigned *blocks)
{
    *blocks = 0;
    if (!fd->be->compile || !fd->be->resident)
        return fd_fail(fd, FD_ERR_UNSUPPORTED, "%s: the %s backend cannot say how many blocks stay resident", k->name,
                       fd->be->name);
    const fd_devfn *fn;
    FD_TRY(fd_kcache_get(fd, k, dtypes, &fn));
    int per = 0;
    FD_TRY(fd->be->resident(fd->be, fn, threads, shared, &per, &fd->err));
    *blocks = per > 0 ? (unsigned)per * (fd->be->sms ? fd->be->sms : 1) : 0;
    return FD_OK;
}
