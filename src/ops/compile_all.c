/* compile_all.c — enumerating kernel variants and compiling them all with
 * NVRTC (no GPU needed), for `foundry kernels --compile-all` and CI.
 *
 * Layer: ops (it walks the registry and the families' combinations). */
#include <string.h>
#include "ops/ops.h"
#include "backend/backend.h"
#include "base/mem.h"

/* Compiles one variant and reports it; the first failure goes into *first and
 * err. A kernel that needs sm_90a is compiled for it whatever `arch` is: that
 * is the one target it has. */
static void compile_one(int arch, const char *match, const fd_kernel *k, const fd_dtype *dt, fd_compile_report cb,
                        void *user, fd_status *first, fd_error *err)
{
    char name[256];
    fd_kernel_variant_name(k, dt, name, sizeof name);
    if (match && !strstr(name, match)) return;
    char *src;
    fd_error e = { 0 };
    fd_status st = fd_kernel_source(k, dt, &src, &e);
    int regs = -1, spills = -1;
    double secs = 0;
    if (st == FD_OK) {
        st = fd_nvrtc_compile_offline((k->flags & FD_KERNEL_SM90A) ? 90 | FD_ARCH_SPECIFIC : arch, name, src, &regs,
                                      &spills, &secs, &e);
        fd_free(src);
    }
    if (cb) cb(user, name, st, regs, spills, secs, e.msg);
    if (st != FD_OK && *first == FD_OK) {
        *first = st;
        fd_error_set(err, st, "%s failed to compile", name);
    }
}

fd_status fd_kernel_compile_all(int arch, const char *match, fd_compile_report cb, void *user, fd_error *err)
{
    char why[512];
    if (!fd_nvrtc_available(why, sizeof why))
        return fd_error_set(err, FD_ERR_UNAVAILABLE, "NVRTC is not available: %s", why);
    fd_status first = FD_OK;
    for (size_t i = 0; i < fd_kernel_count(); i++) {
        const fd_kernel *k = fd_kernel_at(i);
        fd_dtype dt[32];
        for (size_t v = 0; fd_kernel_variant(k, v, dt); v++) compile_one(arch, match, k, dt, cb, user, &first, err);
    }
    fd_compound_desc d;
    for (size_t i = 0; fd_compound_enumerate(i, &d); i++) {
        fd_compound *c;
        fd_dtype dt[32];
        fd_status st = fd_compound_build(&d, &c, err);
        if (st != FD_OK) return st;
        fd_kernel_variant(fd_compound_kernel(c), 0, dt);   /* a compound has one variant */
        compile_one(arch, match, fd_compound_kernel(c), dt, cb, user, &first, err);
        fd_compound_destroy(c);
    }
    return first;
}
