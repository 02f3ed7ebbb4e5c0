/* gemv.c — the plain matrix-vector product y = W x, written by hand: one warp
 * per row, every dtype through the prelude's element loads. It is the
 * yardstick the generated compound GEMVs are checked against (the plan's
 * "compound vs. separately written" parity test) and the CPU reference of
 * every GEMV.
 *
 * Layer: ops. Legend: N = rows, K = cols.  x: (K) f32   w: (N, K) any weight
 * dtype, row-major, GGUF blocks for q8_0 / q4_0 (K % 32 == 0)   y: (N) f32 */
#include <stdlib.h>
#include "ops/ops.h"
#include "ops/gemv_ref.h"

static fd_status gemv_check(const void *p, fd_error *err)
{
    const fd_gemv_plain_args *a = p;
    return fd_gemv_check_shapes("w", a->w, a->x, a->y, a->rows, a->cols, err);
}

static fd_status gemv_dispatch(const void *p, fd_dispatch *d)
{
    const fd_gemv_plain_args *a = p;
    d->block[0] = 256;                      /* 8 warps, a row each */
    d->grid[0] = (a->rows + 7) / 8;
    return FD_OK;
}

static void gemv_cpu(const void *p)
{
    const fd_gemv_plain_args *a = p;
    fd_gemv_ref(a->w, fd_tensor_data(a->x), fd_tensor_data(a->y), a->rows, a->cols);
}

static uint64_t gemv_bytes(const void *p)
{
    const fd_gemv_plain_args *a = p;
    return (uint64_t)a->w->bytes + 4ull * a->cols + 4ull * a->rows;
}

static const char gemv_cuda[] =
"FD_KERNEL(fd_args a) {\n"
"  u32 row = blockIdx.x * 8 + (threadIdx.x >> 5), lane = threadIdx.x & 31;\n"
"  if (row >= a.rows) return;\n"
"  u64 rowlen = (u64)a.cols;\n"
"  float acc = 0.0f;\n"
"  for (u32 c = lane; c < a.cols; c += 32) acc += ld(a.w, (u64)row * rowlen + c) * a.x[c];\n"
"  acc = warp_sum(acc);\n"
"  if (lane == 0) a.y[row] = acc;\n"
"}\n";

const fd_kernel FD_GEMV = {
    .name = "gemv",
    .args = fd_gemv_plain_args_table,
    .max_block = 256,
    .check = gemv_check,
    .dispatch = gemv_dispatch,
    .cpu = gemv_cpu,
    .bytes = gemv_bytes,
    .cuda = gemv_cuda,
};
