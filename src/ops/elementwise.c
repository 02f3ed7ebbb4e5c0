/* elementwise.c — elementwise kernels: add (y = a + b, in place allowed),
 * fill with ones, arange (y[i] = start + i * step).
 *
 * Layer: ops. Legend: n = element count; every tensor f32 (add, ones,
 * arange may also write i32 for arange, used for positions). */
#include "ops/ops.h"

/* ---- add: y = a + b ---- a, b, y: (n) f32 */
static fd_status add_check(const void *p, fd_error *err)
{
    const fd_add_args *a = p;
    if (a->a->numel != a->n || a->b->numel != a->n || a->y->numel != a->n)
        return fd_error_set(err, FD_ERR_INVALID, "a, b and y must hold n = %u values (have %lld, %lld, %lld)",
                            a->n, (long long)a->a->numel, (long long)a->b->numel, (long long)a->y->numel);
    return FD_OK;
}

static fd_status add_dispatch(const void *p, fd_dispatch *d)
{
    const fd_add_args *a = p;
    d->block[0] = 256;
    d->grid[0] = (a->n + 1023) / 1024;
    return FD_OK;
}

static void add_cpu(const void *p)
{
    const fd_add_args *a = p;
    const float *x = fd_tensor_data(a->a), *y = fd_tensor_data(a->b);
    float *o = fd_tensor_data(a->y);
#pragma omp parallel for if (a->n > 65536)
    for (int64_t i = 0; i < (int64_t)a->n; i++) o[i] = x[i] + y[i];
}

static uint64_t add_bytes(const void *p) { return 12ull * ((const fd_add_args *)p)->n; }

/* Four values per thread through 16-byte accesses where aligned. */
static const char add_cuda[] =
"FD_KERNEL(fd_args a) {\n"
"  u64 i = ((u64)blockIdx.x * blockDim.x + threadIdx.x) * 4;\n"
"  if (i + 3 < a.n && ((((u64)a.a | (u64)a.b | (u64)a.y) & 15) == 0)) {\n"
"    float4 x = *(const float4 *)(a.a + i), y = *(const float4 *)(a.b + i);\n"
"    *(float4 *)(a.y + i) = make_float4(x.x + y.x, x.y + y.y, x.z + y.z, x.w + y.w);\n"
"  } else {\n"
"    for (u64 k = i; k < i + 4 && k < a.n; k++) a.y[k] = a.a[k] + a.b[k];\n"
"  }\n"
"}\n";

const fd_kernel FD_ADD = {
    .name = "add",
    .args = fd_add_args_table,
    .flags = FD_KERNEL_INPLACE,
    .max_block = 256,
    .check = add_check,
    .dispatch = add_dispatch,
    .cpu = add_cpu,
    .bytes = add_bytes,
    .cuda = add_cuda,
};

/* ---- ones: y = 1 ---- y: (n) f32 | f16 | bf16 */
static fd_status fill_check_n(int64_t numel, uint32_t n, fd_error *err)
{
    if (numel != n) return fd_error_set(err, FD_ERR_INVALID, "y holds %lld values, n = %u", (long long)numel, n);
    return FD_OK;
}

static fd_status ones_check(const void *p, fd_error *err)
{
    const fd_ones_args *a = p;
    return fill_check_n(a->y->numel, a->n, err);
}

static fd_status ones_dispatch(const void *p, fd_dispatch *d)
{
    d->block[0] = 256;
    d->grid[0] = (((const fd_ones_args *)p)->n + 255) / 256;
    return FD_OK;
}

static void ones_cpu(const void *p)
{
    const fd_ones_args *a = p;
    float one = 1.0f;
    unsigned char v[4];
    fd_quantize_row(a->y->dtype, &one, v, 1);
    size_t es = fd_dtype_block_bytes(a->y->dtype);
    unsigned char *y = fd_tensor_data(a->y);
    for (uint32_t i = 0; i < a->n; i++) memcpy(y + (size_t)i * es, v, es);
}

static uint64_t ones_bytes(const void *p)
{
    const fd_ones_args *a = p;
    return (uint64_t)a->n * fd_dtype_block_bytes(a->y->dtype);
}

static const char ones_cuda[] =
"FD_KERNEL(fd_args a) {\n"
"  u64 i = (u64)blockIdx.x * blockDim.x + threadIdx.x;\n"
"  if (i < a.n) st(a.y, i, 1.0f);\n"
"}\n";

const fd_kernel FD_ONES = {
    .name = "ones",
    .args = fd_ones_args_table,
    .max_block = 256,
    .check = ones_check,
    .dispatch = ones_dispatch,
    .cpu = ones_cpu,
    .bytes = ones_bytes,
    .cuda = ones_cuda,
};

/* ---- arange: y[i] = start + i * step ---- y: (n) f32 | i32 */
static fd_status arange_check(const void *p, fd_error *err)
{
    const fd_arange_args *a = p;
    return fill_check_n(a->y->numel, a->n, err);
}

static fd_status arange_dispatch(const void *p, fd_dispatch *d)
{
    d->block[0] = 256;
    d->grid[0] = (((const fd_arange_args *)p)->n + 255) / 256;
    return FD_OK;
}

static void arange_cpu(const void *p)
{
    const fd_arange_args *a = p;
    void *y = fd_tensor_data(a->y);
    for (uint32_t i = 0; i < a->n; i++) {
        float v = a->start + (float)i * a->step;
        if (a->y->dtype == FD_I32) ((int32_t *)y)[i] = (int32_t)v;
        else ((float *)y)[i] = v;
    }
}

static uint64_t arange_bytes(const void *p) { return 4ull * ((const fd_arange_args *)p)->n; }

static const char arange_cuda[] =
"FD_KERNEL(fd_args a) {\n"
"  u64 i = (u64)blockIdx.x * blockDim.x + threadIdx.x;\n"
"  if (i < a.n) st(a.y, i, a.start + (float)i * a.step);\n"
"}\n";

const fd_kernel FD_ARANGE = {
    .name = "arange",
    .args = fd_arange_args_table,
    .max_block = 256,
    .check = arange_check,
    .dispatch = arange_dispatch,
    .cpu = arange_cpu,
    .bytes = arange_bytes,
    .cuda = arange_cuda,
};
