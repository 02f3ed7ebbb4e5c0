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
    _Alignas(64) unsigned char params[1024];
    memset(params, 0, sizeof params);
    FD_TRY(fd_kernel_pack(fd, k, t, args, params, sizeof params));
    size_t size = t->size;
    if (k->tail) {   /* device-only parameters after the struct, 64-byte aligned as the device's is */
        size_t off = (t->size + 63) & ~(size_t)63, n = 0;
        if (off >= sizeof params) return fd_fail(fd, FD_ERR_UNSUPPORTED, "%s: argument struct too large", k->name);
        FD_TRY(k->tail(fd, args, &d, params + off, sizeof params - off, &n));
        size = off + n;
    }
    fd_launch l;
    memcpy(l.grid, d.grid, sizeof l.grid);
    memcpy(l.block, d.block, sizeof l.block);
    l.shared_bytes = d.shared_bytes;
    l.pdl = (k->flags & (FD_KERNEL_PDL | FD_KERNEL_PDL_AUTO)) && d.pdl;
    l.cooperative = (k->flags & FD_KERNEL_COOPERATIVE) != 0;
    /* what the kernel reads before its wait must be read-only: a kernel still running may write it otherwise */
    for (size_t i = 0; l.pdl && i < t->n; i++)
        if (t->args[i].type == FD_PT_TENSOR && (t->args[i].dtypes & FD_EARLY) && !fd_kernel_arg_tensor(args, &t->args[i])->readonly)
            l.pdl = 0;
    return fd->be->launch(fd->be, fn, &l, params, size, &fd->err);
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
    FD_TRY(fd_kernel_validate(fd, k, &t, args, dtypes));
    for (size_t i = 0; i < t.n; i++)
        if (t.args[i].type == FD_PT_TENSOR) FD_TRY(fd_tensor_flush(fd_kernel_arg_tensor(args, &t.args[i])));
#ifndef FD_NO_PROFILE_HOOK
    if (fd->prof) FD_TRY(execute_profiled(fd, k, &t, args, dtypes));
    else
#endif
        FD_TRY(execute(fd, k, &t, args, dtypes));
    for (size_t i = 0; i < t.n; i++)
        if (t.args[i].role == FD_ARG_OUT) fd_tensor_mark_device_written(fd_kernel_arg_tensor(args, &t.args[i]));
    return FD_OK;
}
