/* ops.h — the kernels Foundry ships, their argument structs and descriptors.
 *
 * Layer: ops (public). Call them with fd_run:
 *   fd_gemv_args a = { .x = x, .w = w, .y = y, .rows = N, .cols = K };
 *   FD_TRY(fd_run(fd, &FD_GEMV, &a));
 * Shapes: n values; w: (rows, cols) row-major in any weight dtype (GGUF blocks
 * for q8_0 / q4_0, cols a multiple of 32 there); x: (cols) f32; y: (rows) f32. */
#ifndef FOUNDRY_OPS_H
#define FOUNDRY_OPS_H

#include "foundry/kernel.h"

#define FD_ADD_ARGS(IN, OUT, PARAM) IN(a, FD_ACT) IN(b, FD_ACT) OUT(y, FD_ACT) PARAM(uint32_t, n)
FD_KERNEL_ARGS(fd_add_args, FD_ADD_ARGS)
extern const fd_kernel FD_ADD;          /* y = a + b; y may be a or b */

#define FD_ONES_ARGS(IN, OUT, PARAM) OUT(y, FD_ANY_FLOAT) PARAM(uint32_t, n)
FD_KERNEL_ARGS(fd_ones_args, FD_ONES_ARGS)
extern const fd_kernel FD_ONES;         /* y = 1 */

#define FD_ARANGE_ARGS(IN, OUT, PARAM) OUT(y, FD_ACT | FD_IDS) PARAM(uint32_t, n) PARAM(float, start) PARAM(float, step)
FD_KERNEL_ARGS(fd_arange_args, FD_ARANGE_ARGS)
extern const fd_kernel FD_ARANGE;       /* y[i] = start + i * step */

#define FD_SWIGLU_ARGS(IN, OUT, PARAM) IN(gate, FD_ACT) IN(up, FD_ACT) OUT(y, FD_ACT) PARAM(uint32_t, n)
FD_KERNEL_ARGS(fd_swiglu_args, FD_SWIGLU_ARGS)
extern const fd_kernel FD_SWIGLU;       /* y = silu(gate) * up */

#define FD_RMSNORM_ARGS(IN, OUT, PARAM) IN(x, FD_ACT) IN(weight, FD_ACT) OUT(y, FD_ACT) \
    PARAM(uint32_t, rows) PARAM(uint32_t, dim) PARAM(float, eps)
FD_KERNEL_ARGS(fd_rmsnorm_args, FD_RMSNORM_ARGS)
extern const fd_kernel FD_RMSNORM;      /* y = x / rms(x) * weight, per row of dim values */

#define FD_GEMV_PLAIN_ARGS(IN, OUT, PARAM) \
    IN(x, FD_ACT) IN(w, FD_ANY_WEIGHT) OUT(y, FD_ACT) PARAM(uint32_t, rows) PARAM(uint32_t, cols)
FD_KERNEL_ARGS(fd_gemv_plain_args, FD_GEMV_PLAIN_ARGS)
extern const fd_kernel FD_GEMV;         /* y = W x, written by hand (no stages): the compound's yardstick */

/* The GEMV family: every compound GEMV (kernel/compound.h) takes this struct.
 * A stage uses a subset; the rest stay NULL / 0.
 *   x: (cols) f32            norm_w: (cols) f32, RMSNorm input stage
 *   w#: (rows#, cols)        b#: (rows#) f32 bias     r0: (rows0) f32 residual
 *   y#: (rows#) f32          eps: RMSNorm epsilon */
#define FD_GEMV_ARGS(IN, OUT, PARAM)                                      \
    IN(x, FD_ACT) IN(norm_w, FD_ACT)                                      \
    IN(w0, FD_ANY_WEIGHT) IN(w1, FD_ANY_WEIGHT) IN(w2, FD_ANY_WEIGHT)     \
    IN(b0, FD_ACT) IN(b1, FD_ACT) IN(b2, FD_ACT) IN(r0, FD_ACT)           \
    OUT(y0, FD_ACT) OUT(y1, FD_ACT) OUT(y2, FD_ACT)                       \
    PARAM(uint32_t, cols) PARAM(uint32_t, rows0) PARAM(uint32_t, rows1)   \
    PARAM(uint32_t, rows2) PARAM(float, eps)
FD_KERNEL_ARGS(fd_gemv_args, FD_GEMV_ARGS)

#endif
