/* elementwise.c — elementwise kernels: add (y = a + b, in place allowed),
 * fill with ones, arange (y[i] = start + i * step).
 *
 * Layer: ops. Legend: n = element count; every tensor f32 (add, ones,
 * arange), ones also f16 / bf16, arange also i32 (positions). Device code
 * in add.cuh, ones.cuh, arange.cuh. */
#include "ops/ops.h"

/* ---- add: y = a + b ---- a, b, y: (n) f32 */
static fd_status add_check(const void *p, fd_error *err)
{
    const fd_add_args *a = p;
    return fd_check_n(err, a->n, "a", a->a, "b", a->b, "y", a->y, (const char *)NULL);
}

static fd_status add_dispatch(const void *p, fd_dispatch *d, fd_error *err)
{
    (void)err;
    fd_grid_n(d, ((const fd_add_args *)p)->n, 4);   /* four values per thread, as float4 */
    return FD_OK;
}

static fd_status add_cpu(const fd_kernel *k, const void *p, fd_error *err)
{
    (void)k, (void)err;
    const fd_add_args *a = p;
    const float *x = fd_tensor_data(a->a), *y = fd_tensor_data(a->b);
    float *o = fd_tensor_data(a->y);
#pragma omp parallel for if (a->n > 65536)
    for (int64_t i = 0; i < (int64_t)a->n; i++) o[i] = x[i] + y[i];
    return FD_OK;
}

static uint64_t add_bytes(const void *p) { return 12ull * ((const fd_add_args *)p)->n; }

const fd_kernel FD_ADD = {
    .name = "add", .args = fd_add_args_table, .flags = FD_KERNEL_INPLACE | FD_KERNEL_PDL_AUTO, .max_block = 256,
    .check = add_check, .dispatch = add_dispatch, .cpu = add_cpu, .bytes = add_bytes,
    .cuda = "#include \"ops/add.cuh\"\n",
};

/* ---- ones: y = 1 ---- y: (n) f32 | f16 | bf16 */
static fd_status ones_check(const void *p, fd_error *err)
{
    const fd_ones_args *a = p;
    return fd_check_n(err, a->n, "y", a->y, (const char *)NULL);
}

static fd_status ones_dispatch(const void *p, fd_dispatch *d, fd_error *err)
{
    (void)err;
    fd_grid_n(d, ((const fd_ones_args *)p)->n, 1);
    return FD_OK;
}

static fd_status ones_cpu(const fd_kernel *k, const void *p, fd_error *err)
{
    (void)k, (void)err;
    const fd_ones_args *a = p;
    float one = 1.0f;
    unsigned char v[4];
    fd_quantize_row(a->y->dtype, &one, v, 1);
    size_t es = fd_dtype_block_bytes(a->y->dtype);
    unsigned char *y = fd_tensor_data(a->y);
    for (uint32_t i = 0; i < a->n; i++) memcpy(y + (size_t)i * es, v, es);
    return FD_OK;
}

static uint64_t ones_bytes(const void *p)
{
    const fd_ones_args *a = p;
    return (uint64_t)a->n * fd_dtype_block_bytes(a->y->dtype);
}

const fd_kernel FD_ONES = {
    .name = "ones", .args = fd_ones_args_table, .flags = FD_KERNEL_PDL_AUTO, .max_block = 256,
    .check = ones_check, .dispatch = ones_dispatch, .cpu = ones_cpu, .bytes = ones_bytes,
    .cuda = "#include \"ops/ones.cuh\"\n",
};

/* ---- arange: y[i] = start + i * step ---- y: (n) f32 | i32 */
static fd_status arange_check(const void *p, fd_error *err)
{
    const fd_arange_args *a = p;
    return fd_check_n(err, a->n, "y", a->y, (const char *)NULL);
}

static fd_status arange_dispatch(const void *p, fd_dispatch *d, fd_error *err)
{
    (void)err;
    fd_grid_n(d, ((const fd_arange_args *)p)->n, 1);
    return FD_OK;
}

static fd_status arange_cpu(const fd_kernel *k, const void *p, fd_error *err)
{
    (void)k, (void)err;
    const fd_arange_args *a = p;
    void *y = fd_tensor_data(a->y);
    for (uint32_t i = 0; i < a->n; i++) {
        float v = a->start + (float)i * a->step;
        if (a->y->dtype == FD_I32) ((int32_t *)y)[i] = (int32_t)v;
        else ((float *)y)[i] = v;
    }
    return FD_OK;
}

static uint64_t arange_bytes(const void *p) { return 4ull * ((const fd_arange_args *)p)->n; }

const fd_kernel FD_ARANGE = {
    .name = "arange", .args = fd_arange_args_table, .flags = FD_KERNEL_PDL_AUTO, .max_block = 256,
    .check = arange_check, .dispatch = arange_dispatch, .cpu = arange_cpu, .bytes = arange_bytes,
    .cuda = "#include \"ops/arange.cuh\"\n",
};
