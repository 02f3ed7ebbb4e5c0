/* run.c — fd_run: validate a kernel's arguments against its descriptor
 * table, upload host-dirty tensors, and launch on the active backend.
 *
 * Layer: kernel. The one place shapes and dtypes are checked (DESIGN.md's
 * "one source of truth"): the descriptor gives roles and dtype rules, the
 * kernel's check function gives shapes, and nothing launches unless both
 * pass. On the CPU the kernel's reference function runs; on a GPU the
 * compiled variant for the arguments' dtypes is launched with a copy of the
 * argument struct whose tensor fields are replaced by device addresses.
 * With profiling on (fd->prof set: one branch when off, none in a build
 * with -DFD_NO_PROFILE_HOOK, which bench_profile compares with) the launch
 * is a span named after the kernel's variant, carrying its declared bytes. */
#include <string.h>
#include "kernel/codegen.h"
#include "profile/profile.h"
#include "base/mem.h"

#define MAX_ARGS 32

/* execute() is inlined at both its call sites, so that with profiling off
 * fd_run is the build without the hook plus one branch; the profiled path
 * stays out of line. */
#if defined(__GNUC__)
#define HOT_INLINE __attribute__((always_inline)) inline
#define COLD __attribute__((noinline, cold))
#else
#define HOT_INLINE inline
#define COLD
#endif

static fd_tensor *tensor_at(const void *args, const fd_arg_desc *a)
{
    fd_tensor *t;
    memcpy(&t, (const char *)args + a->offset, sizeof t);
    return t;
}

static int overlaps(const fd_tensor *a, const fd_tensor *b)
{
    return a->root == b->root && a->offset < b->offset + b->bytes && b->offset < a->offset + a->bytes;
}

static fd_status validate(fd_foundry *fd, const fd_kernel *k, const fd_arg_table *t, const void *args,
                          fd_dtype *dtypes)
{
    size_t nt = 0;
    for (size_t i = 0; i < t->n; i++) {
        const fd_arg_desc *a = &t->args[i];
        if (a->type != FD_PT_TENSOR) continue;
        fd_tensor *x = tensor_at(args, a);
        if (!x) return fd_fail(fd, FD_ERR_INVALID, "%s: argument '%s' is NULL", k->name, a->name);
        if (x->fd != fd)
            return fd_fail(fd, FD_ERR_INVALID, "%s: argument '%s' belongs to another foundry", k->name, a->name);
        if (fd_tensor_check(x) != FD_OK) {
            fd_error_clear(&fd->err);
            return fd_fail(fd, FD_ERR_STATE, "%s: argument '%s' is a pooled tensor used after fd_pool_reset",
                           k->name, a->name);
        }
        if (!(a->dtypes & (1u << x->dtype)))
            return fd_fail(fd, FD_ERR_INVALID, "%s: argument '%s' has dtype %s, which this kernel does not take",
                           k->name, a->name, fd_dtype_name(x->dtype));
        if (a->role == FD_ARG_OUT && x->readonly)
            return fd_fail(fd, FD_ERR_STATE, "%s: output '%s' is read-only", k->name, a->name);
        dtypes[nt++] = x->dtype;
    }
    /* outputs must not alias inputs (or each other) unless the kernel says so */
    for (size_t i = 0; i < t->n; i++) {
        if (t->args[i].role != FD_ARG_OUT) continue;
        fd_tensor *o = tensor_at(args, &t->args[i]);
        for (size_t j = 0; j < t->n; j++) {
            if (j == i || t->args[j].type != FD_PT_TENSOR) continue;
            if ((k->flags & FD_KERNEL_INPLACE) && t->args[j].role == FD_ARG_IN) continue;
            if (overlaps(o, tensor_at(args, &t->args[j])))
                return fd_fail(fd, FD_ERR_INVALID, "%s: output '%s' overlaps argument '%s'",
                               k->name, t->args[i].name, t->args[j].name);
        }
    }
    for (size_t i = 0; i < t->nwhole; i++) {    /* a subset of its struct: the other tensors stay NULL */
        if (t->whole[i].type != FD_PT_TENSOR || !tensor_at(args, &t->whole[i])) continue;
        size_t j = 0;
        while (j < t->n && t->args[j].offset != t->whole[i].offset) j++;
        if (j == t->n)
            return fd_fail(fd, FD_ERR_INVALID, "%s: argument '%s' is not used by this kernel; leave it NULL",
                           k->name, t->whole[i].name);
    }
    if (k->check) {
        fd_error e = { 0 };
        fd_status st = k->check(args, &e);
        if (st != FD_OK) return fd_fail(fd, st, "%s: %s", k->name, e.msg);
    }
    return FD_OK;
}

static fd_status launch_device(fd_foundry *fd, const fd_kernel *k, const fd_arg_table *t, const void *args,
                               const fd_dtype *dtypes)
{
    const fd_devfn *fn;
    FD_TRY(fd_kcache_get(fd, k, dtypes, &fn));
    fd_dispatch d = { { 1, 1, 1 }, { 1, 1, 1 }, 0, fd->be->sms ? fd->be->sms : 1, (k->flags & (FD_KERNEL_PDL | FD_KERNEL_PDL_AUTO)) != 0,
                      fn->regs > 0 ? (unsigned)fn->regs : 0 };
    fd_error e = { 0 };
    fd_status st = k->dispatch(args, &d, &e);
    if (st != FD_OK) return fd_fail(fd, st, "%s: dispatch refused: %s", k->name, e.msg[0] ? e.msg : fd_status_name(st));
    unsigned threads = d.block[0] * d.block[1] * d.block[2];
    if (threads > (k->max_block ? k->max_block : 256))
        return fd_fail(fd, FD_ERR_INVALID, "%s: dispatch asks for %u threads, built for %u", k->name, threads,
                       k->max_block ? k->max_block : 256);
    if (!d.grid[0] || !d.grid[1] || !d.grid[2]) return FD_OK;   /* nothing to do */
    unsigned char params[1024];
    if (t->size > sizeof params) return fd_fail(fd, FD_ERR_UNSUPPORTED, "%s: argument struct too large", k->name);
    memcpy(params, args, t->size);
    for (size_t i = 0; i < t->nwhole; i++)      /* fields outside the subset: NULL on the device too */
        if (t->whole[i].type == FD_PT_TENSOR) memset(params + t->whole[i].offset, 0, sizeof(fd_devptr));
    for (size_t i = 0; i < t->n; i++)
        if (t->args[i].type == FD_PT_TENSOR) {
            fd_devptr p = fd_tensor_devptr(tensor_at(args, &t->args[i]));
            memcpy(params + t->args[i].offset, &p, sizeof p);
        }
    fd_launch l;
    memcpy(l.grid, d.grid, sizeof l.grid);
    memcpy(l.block, d.block, sizeof l.block);
    l.shared_bytes = d.shared_bytes;
    l.pdl = (k->flags & (FD_KERNEL_PDL | FD_KERNEL_PDL_AUTO)) && d.pdl;
    l.cooperative = (k->flags & FD_KERNEL_COOPERATIVE) != 0;
    /* what the kernel reads before its wait must be read-only: a kernel still running may write it otherwise */
    for (size_t i = 0; l.pdl && i < t->n; i++)
        if (t->args[i].type == FD_PT_TENSOR && (t->args[i].dtypes & FD_EARLY) && !tensor_at(args, &t->args[i])->readonly)
            l.pdl = 0;
    return fd->be->launch(fd->be, fn, &l, params, t->size, &fd->err);
}

/* Compiled code on a GPU, the CPU twin elsewhere. */
static HOT_INLINE fd_status execute(fd_foundry *fd, const fd_kernel *k, const fd_arg_table *t, const void *args,
                         const fd_dtype *dtypes)
{
    if (fd->be->compile && k->cuda) return launch_device(fd, k, t, args, dtypes);
    if (!k->cpu) return fd_fail(fd, FD_ERR_UNSUPPORTED, "%s: no implementation on the %s backend", k->name, fd->be->name);
    fd_error e = { 0 };
    fd_status st = k->cpu(k, args, &e);
    if (st != FD_OK) return fd_fail(fd, st, "%s on the CPU: %s", k->name, e.msg[0] ? e.msg : fd_status_name(st));
    return FD_OK;
}

#ifndef FD_NO_PROFILE_HOOK
/* The launch as a span named after the variant, with the kernel's declared bytes. */
static COLD fd_status execute_profiled(fd_foundry *fd, const fd_kernel *k, const fd_arg_table *t, const void *args,
                                  const fd_dtype *dtypes)
{
    char name[160];
    fd_kernel_variant_name(k, dtypes, name, sizeof name);
    FD_TRY(fd_prof_push(fd->prof, name, FD_SPAN_KERNEL, &fd->err));
    fd_status st = execute(fd, k, t, args, dtypes);
    if (st != FD_OK) {
        fd_prof_drop(fd->prof);
        return st;
    }
    return fd_prof_pop(fd->prof, k->bytes ? k->bytes(args) : 0, &fd->err);
}
#endif

fd_status fd_run(fd_foundry *fd, const fd_kernel *k, const void *args)
{
    if (!fd || !k || !args) return fd_fail(fd, FD_ERR_INVALID, "fd_run: NULL foundry, kernel or arguments");
    fd_arg_table t = k->args(k);
    fd_dtype dtypes[MAX_ARGS];
    if (t.n > MAX_ARGS) return fd_fail(fd, FD_ERR_UNSUPPORTED, "%s: more than %d arguments", k->name, MAX_ARGS);
    FD_TRY(validate(fd, k, &t, args, dtypes));
    for (size_t i = 0; i < t.n; i++)
        if (t.args[i].type == FD_PT_TENSOR) FD_TRY(fd_tensor_flush(tensor_at(args, &t.args[i])));
#ifndef FD_NO_PROFILE_HOOK
    if (fd->prof) FD_TRY(execute_profiled(fd, k, &t, args, dtypes));
    else
#endif
        FD_TRY(execute(fd, k, &t, args, dtypes));
    for (size_t i = 0; i < t.n; i++)
        if (t.args[i].role == FD_ARG_OUT) fd_tensor_mark_device_written(tensor_at(args, &t.args[i]));
    return FD_OK;
}
