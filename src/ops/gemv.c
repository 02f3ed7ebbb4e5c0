/* gemv.c — the plain matrix-vector product y = W x, written by hand: one warp
 * per row, every dtype through the prelude's element loads. It is the
 * yardstick the generated compound GEMVs are checked against (the plan's
 * "compound vs. separately written" parity test) and the CPU reference of
 * every GEMV. Device code in gemv_plain.cuh.
 *
 * Layer: ops. Legend: N = rows, K = cols.  x: (K) f32   w: (N, K) any weight
 * dtype, row-major, GGUF blocks for q8_0 / q4_0 (K % 32 == 0)   y: (N) f32 */
#include <stdlib.h>
#include "ops/ops.h"

static fd_status gemv_check(const void *p, fd_error *err)
{
    const fd_gemv_plain_args *a = p;
    return fd_gemv_check_shapes("w", a->w, a->x, a->y, a->rows, a->cols, err);
}

static fd_status gemv_dispatch(const void *p, fd_dispatch *d, fd_error *err)
{
    (void)err;
    const fd_gemv_plain_args *a = p;
    d->block[0] = 256;                      /* 8 warps, a row each */
    d->grid[0] = (a->rows + 7) / 8;
    return FD_OK;
}

static fd_status gemv_cpu(const fd_kernel *k, const void *p, fd_error *err)
{
    (void)k;
    const fd_gemv_plain_args *a = p;
    return fd_gemv_ref(a->w, fd_tensor_data(a->x), fd_tensor_data(a->y), a->rows, a->cols, err);
}

static uint64_t gemv_bytes(const void *p)
{
    const fd_gemv_plain_args *a = p;
    return (uint64_t)a->w->bytes + 4ull * a->cols + 4ull * a->rows;
}

const fd_kernel FD_GEMV = {
    .name = "gemv",
    .args = fd_gemv_plain_args_table,
    .max_block = 256,
    .check = gemv_check,
    .dispatch = gemv_dispatch,
    .cpu = gemv_cpu,
    .bytes = gemv_bytes,
    .cuda = "#include \"ops/gemv_plain.cuh\"\n",
};
