/* norm_act.c — RMSNorm and SwiGLU as standalone kernels: the unfused
 * baselines the compound GEMVs are measured against, and pipeline kernels.
 *
 * Layer: ops. Legend: R = rows, D = dim.  x, y: (R, D) f32; weight: (D) f32;
 * gate, up, y: (n) f32. Device code in rmsnorm.cuh and swiglu.cuh, their
 * math in math.cuh; the CPU math in ref.c, shared with the GEMV stages. */
#include <math.h>
#include "ops/ops.h"

static fd_status rmsnorm_check(const void *p, fd_error *err)
{
    const fd_rmsnorm_args *a = p;
    uint64_t n = (uint64_t)a->rows * a->dim;
    if (!a->rows || !a->dim || a->x->numel != (int64_t)n || a->y->numel != (int64_t)n || a->weight->numel != a->dim)
        return fd_error_set(err, FD_ERR_INVALID, "x and y must hold rows x dim = %u x %u values, weight dim", a->rows,
                            a->dim);
    return FD_OK;
}

static fd_status rmsnorm_dispatch(const void *p, fd_dispatch *d, fd_error *err)
{
    (void)err;
    d->block[0] = 256;
    d->grid[0] = ((const fd_rmsnorm_args *)p)->rows;
    return FD_OK;
}

static fd_status rmsnorm_cpu(const fd_kernel *k, const void *p, fd_error *err)
{
    (void)k, (void)err;
    const fd_rmsnorm_args *a = p;
    const float *x = fd_tensor_data(a->x), *w = fd_tensor_data(a->weight);
    float *y = fd_tensor_data(a->y);
    for (uint32_t r = 0; r < a->rows; r++)
        fd_rmsnorm_ref(x + (size_t)r * a->dim, w, y + (size_t)r * a->dim, a->dim, a->eps);
    return FD_OK;
}

static uint64_t rmsnorm_bytes(const void *p)
{
    const fd_rmsnorm_args *a = p;
    return 8ull * a->rows * a->dim + 4ull * a->dim;
}

const fd_kernel FD_RMSNORM = {
    .name = "rmsnorm", .args = fd_rmsnorm_args_table, .flags = FD_KERNEL_PDL_AUTO, .max_block = 256,
    .check = rmsnorm_check, .dispatch = rmsnorm_dispatch, .cpu = rmsnorm_cpu, .bytes = rmsnorm_bytes,
    .cuda = "#include \"ops/rmsnorm.cuh\"\n",
};

static fd_status swiglu_check(const void *p, fd_error *err)
{
    const fd_swiglu_args *a = p;
    return fd_check_n(err, a->n, "gate", a->gate, "up", a->up, "y", a->y, (const char *)NULL);
}

static fd_status swiglu_dispatch(const void *p, fd_dispatch *d, fd_error *err)
{
    (void)err;
    fd_grid_n(d, ((const fd_swiglu_args *)p)->n, 1);
    return FD_OK;
}

static fd_status swiglu_cpu(const fd_kernel *k, const void *p, fd_error *err)
{
    (void)k, (void)err;
    const fd_swiglu_args *a = p;
    const float *g = fd_tensor_data(a->gate), *u = fd_tensor_data(a->up);
    float *y = fd_tensor_data(a->y);
    for (uint32_t i = 0; i < a->n; i++) y[i] = g[i] / (1.0f + expf(-g[i])) * u[i];
    return FD_OK;
}

static uint64_t swiglu_bytes(const void *p) { return 12ull * ((const fd_swiglu_args *)p)->n; }

const fd_kernel FD_SWIGLU = {
    .name = "swiglu", .args = fd_swiglu_args_table, .flags = FD_KERNEL_INPLACE | FD_KERNEL_PDL_AUTO, .max_block = 256,
    .check = swiglu_check, .dispatch = swiglu_dispatch, .cpu = swiglu_cpu, .bytes = swiglu_bytes,
    .cuda = "#include \"ops/swiglu.cuh\"\n",
};
