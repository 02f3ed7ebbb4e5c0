/* norm_act.c — RMSNorm and SwiGLU as standalone kernels: the unfused
 * baselines the compound GEMVs are measured against, and pipeline kernels.
 *
 * Layer: ops. Legend: R = rows, D = dim.  x, y: (R, D) f32; weight: (D) f32;
 * gate, up, y: (n) f32. */
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

static fd_status rmsnorm_dispatch(const void *p, fd_dispatch *d)
{
    d->block[0] = 256;
    d->grid[0] = ((const fd_rmsnorm_args *)p)->rows;
    return FD_OK;
}

static void rmsnorm_cpu(const void *p)
{
    const fd_rmsnorm_args *a = p;
    const float *x = fd_tensor_data(a->x), *w = fd_tensor_data(a->weight);
    float *y = fd_tensor_data(a->y);
    for (uint32_t r = 0; r < a->rows; r++) {
        const float *xr = x + (size_t)r * a->dim;
        double ss = 0;
        for (uint32_t i = 0; i < a->dim; i++) ss += (double)xr[i] * xr[i];
        float s = (float)(1.0 / sqrt(ss / a->dim + a->eps));
        for (uint32_t i = 0; i < a->dim; i++) y[(size_t)r * a->dim + i] = xr[i] * s * w[i];
    }
}

static uint64_t rmsnorm_bytes(const void *p)
{
    const fd_rmsnorm_args *a = p;
    return 8ull * a->rows * a->dim + 4ull * a->dim;
}

const fd_kernel FD_RMSNORM = {
    .name = "rmsnorm",
    .args = fd_rmsnorm_args_table,
    .max_block = 256,
    .check = rmsnorm_check,
    .dispatch = rmsnorm_dispatch,
    .cpu = rmsnorm_cpu,
    .bytes = rmsnorm_bytes,
    .cuda =
"FD_KERNEL(fd_args a) {\n"
"  __shared__ float scratch[32];\n"
"  const float *x = a.x + (u64)blockIdx.x * a.dim;\n"
"  float ss = 0.0f;\n"
"  for (u32 i = threadIdx.x; i < a.dim; i += blockDim.x) ss += x[i] * x[i];\n"
"  ss = block_sum(ss, scratch);\n"
"  float s = rsqrtf(ss / (float)a.dim + a.eps);\n"
"  for (u32 i = threadIdx.x; i < a.dim; i += blockDim.x) a.y[(u64)blockIdx.x * a.dim + i] = x[i] * s * a.weight[i];\n"
"}\n",
};

static fd_status swiglu_check(const void *p, fd_error *err)
{
    const fd_swiglu_args *a = p;
    if (a->gate->numel != a->n || a->up->numel != a->n || a->y->numel != a->n)
        return fd_error_set(err, FD_ERR_INVALID, "gate, up and y must hold n = %u values", a->n);
    return FD_OK;
}

static fd_status swiglu_dispatch(const void *p, fd_dispatch *d)
{
    d->block[0] = 256;
    d->grid[0] = (((const fd_swiglu_args *)p)->n + 255) / 256;
    return FD_OK;
}

static void swiglu_cpu(const void *p)
{
    const fd_swiglu_args *a = p;
    const float *g = fd_tensor_data(a->gate), *u = fd_tensor_data(a->up);
    float *y = fd_tensor_data(a->y);
    for (uint32_t i = 0; i < a->n; i++) y[i] = g[i] / (1.0f + expf(-g[i])) * u[i];
}

static uint64_t swiglu_bytes(const void *p) { return 12ull * ((const fd_swiglu_args *)p)->n; }

const fd_kernel FD_SWIGLU = {
    .name = "swiglu",
    .args = fd_swiglu_args_table,
    .flags = FD_KERNEL_INPLACE,
    .max_block = 256,
    .check = swiglu_check,
    .dispatch = swiglu_dispatch,
    .cpu = swiglu_cpu,
    .bytes = swiglu_bytes,
    .cuda =
"FD_KERNEL(fd_args a) {\n"
"  u64 i = (u64)blockIdx.x * blockDim.x + threadIdx.x;\n"
"  if (i < a.n) { float g = a.gate[i]; a.y[i] = g / (1.0f + expf(-g)) * a.up[i]; }\n"
"}\n",
};
