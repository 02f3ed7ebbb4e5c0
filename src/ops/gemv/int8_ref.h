/* int8_ref.h — the CPU twin of the int8 activation contract (quant_x.cuh):
 * x quantized to int8 blocks of 32 exactly as the device does it, and the
 * quantized weights' products on them.
 *
 * Layer: ops (internal). Legend: K = cols (a multiple of 32, of 256 for
 * the super-block types); q: (K) int8; d, s: (K / 32) f32, each block's
 * scale and d * sum(q). Pure functions of
 * their arguments (plus OpenMP over rows), so tools/cuemu links them as
 * they are. */
#ifndef FD_OPS_GEMV_INT8_REF_H
#define FD_OPS_GEMV_INT8_REF_H

#include <stdint.h>
#include "foundry/dtype.h"

/* The contract's levels (quant_x.cuh): 2, x and its residual, or 1 where
 * the environment's FOUNDRY_INT8_LEVELS is 1 (one level's rounding, about
 * 0.5% of a product, for measuring what the residual costs). Read once. */
int fd_int8_levels(void);

/* x: (K) f32 -> q, d, s. Block b: amax = max |x|, d = amax / 127,
 * q = nearest-even(x * (127 / amax)) (0 when amax <= 1e-30), s = d * sum(q),
 * all in f32 as the device computes them. */
void fd_int8_quantize_x(const float *x, uint32_t cols, int8_t *q, float *d, float *s);
/* Level 1 from x and level 0's q, d: e = fmaf(-d, q, x), r =
 * nearest-even(e * (254 (127 / amax))) clamped to -127..127, dr = d / 254,
 * sr = dr * sum(r) — as the device computes them. */
void fd_int8_residual_x(const float *x, uint32_t cols, const int8_t *q, const float *d, int8_t *r, float *dr, float *sr);

/* y[r] = sum over levels l < `levels` and blocks b of d_l[b] * sum_i
 * w[r][32 b + i] q_l[32 b + i] — level l's q at q + l K, its scales d_l at
 * d + 2 l K / 32 and its s the K / 32 after them, as fd_int8_quantize_x and
 * fd_int8_residual_x write them — for w: (rows, K) of quantized dtype dt,
 * a row's levels one after another (the row read from memory once),
 * dequantized to f32 a row at a time where needed into `scratch` (nth x K
 * floats, one row per OpenMP thread; nth from fd_int8_threads). For
 * scale-only types (q8_0, q4_0) a block's dequantized values share one f16
 * scale, so the inner sums are exact in double; what it computes is what
 * any int8 policy computes, whatever the weight type's block layout (types
 * with mins: up to their dequantization's f32 rounding). */
void fd_int8_gemv_rows(fd_dtype dt, const void *w, const int8_t *q, const float *d, int levels, float *y,
                       uint32_t rows, uint32_t cols, float *scratch, int nth);

/* The super-block types with their own twin (int8_kquant.c: q2_k .. q6_k,
 * iq4_xs), and a row of one of them: sum over 32-value units u of
 * the device's unit product (integer sums exact, scales in double). */
int fd_int8_superblock(fd_dtype dt);
double fd_int8_superblock_row(fd_dtype dt, const void *row, const int8_t *q, const float *d, const float *s, uint32_t cols);

/* The OpenMP threads fd_int8_gemv_rows will use for rows x cols (1 for small products). */
int fd_int8_threads(uint32_t rows, uint32_t cols);

#endif
