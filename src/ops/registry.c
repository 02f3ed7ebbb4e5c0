/* registry.c — the one list of what the library ships: declared kernels
 * and families of compound kernels, for `foundry kernels`, compile-all, the
 * self-test and the parity matrix. A new kernel or family adds one line.
 *
 * Layer: ops. */
#include "ops/ops.h"

static const fd_kernel *const kernels[] = {
    &FD_ADD, &FD_ONES, &FD_ARANGE, &FD_GEMV, &FD_RMSNORM, &FD_SWIGLU, &FD_STEP_ADVANCE,
    &FD_ROPE_KV, &FD_ATTN_DECODE, &FD_ATTN_PREFILL, &FD_ATTN_PREFILL_MMA, &FD_EMBED, &FD_ARGMAX, &FD_QKV_ROWS,
    &FD_QKV_ROWS_NORM, &FD_SAMPLE, &FD_PHILOX, &FD_HANDOVER,
};

static const fd_family *const families[] = {
    &FD_GEMV_FAMILY, &FD_QKV_FAMILY, &FD_GEMM_FAMILY, &FD_GEMM_WG_FAMILY,
};

size_t fd_kernel_count(void) { return sizeof kernels / sizeof kernels[0]; }
const fd_kernel *fd_kernel_at(size_t i) { return i < fd_kernel_count() ? kernels[i] : NULL; }
size_t fd_family_count(void) { return sizeof families / sizeof families[0]; }
const fd_family *fd_family_at(size_t i) { return i < fd_family_count() ? families[i] : NULL; }

const fd_kernel *fd_kernel_find(const char *name)
{
    for (size_t i = 0; name && i < fd_kernel_count(); i++)
        if (!strcmp(kernels[i]->name, name)) return kernels[i];
    return NULL;
}

int fd_compound_enumerate(size_t i, fd_compound_desc *d)
{
    for (size_t f = 0; f < fd_family_count(); f++) {
        size_t n = 0;
        while (families[f]->enumerate(n, d)) n++;
        if (i < n) return families[f]->enumerate(i, d);
        i -= n;
    }
    return 0;
}

fd_status fd_compound_find(const char *name, fd_compound **out, fd_error *err)
{
    fd_compound_desc d;
    *out = NULL;
    for (size_t i = 0; fd_compound_enumerate(i, &d); i++) {
        fd_compound *c;
        FD_TRY(fd_compound_build(&d, &c, err));
        if (!strcmp(fd_compound_name(c), name)) {
            *out = c;
            return FD_OK;
        }
        fd_compound_destroy(c);
    }
    return fd_error_set(err, FD_ERR_INVALID, "no compound kernel named '%s'", name);
}
