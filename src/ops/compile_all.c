/* compile_all.c — enumerating kernel variants and compiling them all with
 * NVRTC (no GPU needed), for `foundry kernels --compile-all` and CI.
 *
 * Layer: ops (it walks the registry and the compound combinations). */
#include <string.h>
#include "kernel/codegen.h"
#include "kernel/compound.h"
#include "base/mem.h"

int fd_kernel_variant(const fd_kernel *k, size_t i, fd_dtype *dtypes)
{
    fd_arg_table t = k->table ? *k->table : k->args();
    size_t nt = 0;
    for (size_t a = 0; a < t.n; a++) {
        if (t.args[a].type != FD_PT_TENSOR) continue;
        unsigned m = t.args[a].dtypes;
        size_t count = (size_t)__builtin_popcount(m);
        size_t pick = i % count;
        i /= count;
        for (int d = 0; d < FD_DTYPE_COUNT; d++)
            if (m & (1u << d)) {
                if (pick-- == 0) {
                    dtypes[nt] = (fd_dtype)d;
                    break;
                }
            }
        nt++;
    }
    return i == 0;
}

/* Compiles one variant and reports it; the first failure goes into *first and err. */
static void compile_one(int arch, const fd_kernel *k, const fd_dtype *dt, fd_compile_report cb, void *user,
                        fd_status *first, fd_error *err)
{
    char name[256];
    fd_kernel_variant_name(k, dt, name, sizeof name);
    char *src;
    fd_error e = { 0 };
    fd_status st = fd_kernel_source(k, dt, &src, &e);
    int regs = -1, spills = -1;
    double secs = 0;
    if (st == FD_OK) {
        st = fd_nvrtc_compile_offline(arch, name, src, &regs, &spills, &secs, &e);
        fd_free(src);
    }
    if (cb) cb(user, name, st, regs, spills, secs, e.msg);
    if (st != FD_OK && *first == FD_OK) {
        *first = st;
        fd_error_set(err, st, "%s failed to compile", name);
    }
}

fd_status fd_kernel_compile_all(int arch, fd_compile_report cb, void *user, fd_error *err)
{
    char why[512];
    if (!fd_nvrtc_available(why, sizeof why))
        return fd_error_set(err, FD_ERR_UNAVAILABLE, "NVRTC is not available: %s", why);
    fd_status first = FD_OK;
    for (size_t i = 0; i < fd_kernel_count(); i++) {
        const fd_kernel *k = fd_kernel_at(i);
        fd_dtype dt[32];
        for (size_t v = 0; fd_kernel_variant(k, v, dt); v++) compile_one(arch, k, dt, cb, user, &first, err);
    }
    const fd_compound_family *fam;
    fd_compound_desc d;
    for (size_t i = 0; fd_compound_enumerate(i, &fam, &d); i++) {
        fd_compound *c;
        fd_dtype dt[32];
        fd_status st = fd_compound_build(fam, &d, &c, err);
        if (st != FD_OK) return st;
        compile_one(arch, &c->kernel, dt, cb, user, &first, err);
        fd_compound_destroy(c);
    }
    return first;
}
