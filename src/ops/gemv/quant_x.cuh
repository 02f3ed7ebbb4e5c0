/* quant_x.cuh — the int8 activation contract of the quantized weight
 * policies: x quantized once per block into int8 blocks of 32 values, and
 * its layout in shared memory. No inline PTX here (tools/cuemu runs this
 * file on the CPU); staging is in quant_staging.cuh.
 *
 * Layer: ops (device code of the GEMV family; see ops/gemv/family.c).
 *
 * x block b (values 32 b .. 32 b + 31), level 0: d = amax / 127 (amax =
 * max |x|), q = round-to-nearest-even(x * (127 / amax)) in -127..127 (all 0
 * when amax <= 1e-30, where 127 / amax could overflow), and s = d * sum(q),
 * for types whose blocks have mins or offsets (q4_0's -8). Then
 * x[i] ~ d q[i] with |x[i] - d q[i]| <= d / 2. Level 1, the residual
 * e = fma(-d, q, x) on a fixed finer step: dr = d / 254, r =
 * round(e * (254 (127 / amax))) clamped to -127..127, sr = dr * sum(r); then
 * |x[i] - d q[i] - dr r[i]| <= dr / 2 (about amax / 64,516). A product is the
 * sum of the policy's block product on each level (FD_X_LEVELS of them: 2,
 * or 1 where FOUNDRY_INT8_LEVELS=1 trades the residual's accuracy for its
 * products; ops/gemv/family.c writes the define) — one level's rounding
 * (0.5% of a product for Gaussian x) compounds over a model to more than
 * the model-level parity bounds, two levels' does not.
 * The CPU twin (ops/gemv/int8_ref.c) computes the same q, d, s, r, dr, sr
 * bit for bit from the same f32 inputs.
 *
 * Shared memory (FD_GEMV_XQ_BYTES): per level, the q as bytes at
 * fd_xs_index(i) — in a chunk of 32 blocks, word k (values 4k..4k+3) of
 * block l is word 32 k + l, so 32 lanes taking a block each read
 * consecutive words — then a float2 (d, s) per block; level 1 at
 * FD_GEMV_XQ_LEVEL_BYTES(cols).
 *
 * A policy includes this file, then provides, before including
 * quant_policy.cuh:
 *   FD_W, FD_BB   the device block type and its bytes (values per block: 32)
 *   float fd_block_dot(const unsigned char *blk, const u32 *xw, float2 xd)
 *       the block at `blk` (2-byte aligned, in shared memory: read words
 *       with fd_stage_word) times x's block: xw[32 k] is x's word k, xd its
 *       (d, s); integer products (fd_dp4a), one float scale at the end. */
#ifndef FD_X_LEVELS
#define FD_X_LEVELS 2
#endif
#include "ops/gemv/layout.cuh"
typedef const unsigned char *fd_xin;
__device__ __forceinline__ u32 fd_xs_index(u32 i) {
  return (i & ~1023u) + ((((i >> 2) & 7u) * 32u + ((i >> 5) & 31u)) << 2) + (i & 3u); }
__device__ __forceinline__ u32 fd_xs_bytes(u32 cols) { return FD_GEMV_XQ_BYTES(cols); }
/* block b's words (word k at [32 k]) and its (d, s) */
__device__ __forceinline__ const u32 *fd_x_words(fd_xin x, u32 b) { return (const u32 *)x + (b & ~31u) * 8u + (b & 31u); }
__device__ __forceinline__ float2 fd_x_scale(fd_xin x, u32 cols, u32 b) {
  return ((const float2 *)(x + (cols + FD_GEMV_XS_ROUND - 1) / FD_GEMV_XS_ROUND * FD_GEMV_XS_ROUND))[b]; }
/* level 1 (the residual) of x */
__device__ __forceinline__ fd_xin fd_x_level1(fd_xin x, u32 cols) { return x + FD_GEMV_XQ_LEVEL_BYTES(cols); }
/* Word k of the bytes starting at `s` (2-byte aligned) in shared memory;
 * reads one word past them. */
__device__ __forceinline__ u32 fd_stage_word(const unsigned char *s, u32 k) {
  u32 off = (u32)(u64)s & 3u;   /* pointer arithmetic, not an integer cast, keeps loads in shared space */
  const u32 *w = (const u32 *)(s - off);
  return __funnelshift_r(w[k], w[k + 1], off * 8u); }
/* Quantizes a group of 8 consecutive values (g: the group's index, values
 * 8 g .. 8 g + 7) into both levels; the 4 lanes of a quad hold one 32-value
 * block, and all 32 lanes of the warp call it together (`valid` false: a
 * lane past the end, whose whole quad is past it, stores nothing). Max and
 * the sums take two shuffles each; a level's q go to shared memory as two
 * words. */
__device__ __forceinline__ void fd_quantize_group(const float *v, u32 g, bool valid, unsigned char *xq, u32 cols) {
  float amax = 0.0f;
#pragma unroll
  for (int e = 0; e < 8; e++) amax = fmaxf(amax, fabsf(v[e]));
  amax = fmaxf(amax, __shfl_xor_sync(0xffffffffu, amax, 1));
  amax = fmaxf(amax, __shfl_xor_sync(0xffffffffu, amax, 2));
  float d = amax / 127.0f, id = amax > 1e-30f ? 127.0f / amax : 0.0f, idr = id * 254.0f;   /* finite: no inf * 0 */
  u32 w[2] = { 0u, 0u }, wr[2] = { 0u, 0u };
  int sum = 0, sumr = 0;
#pragma unroll
  for (int e = 0; e < 8; e++) {
    int q = __float2int_rn(v[e] * id);
    int r = FD_X_LEVELS > 1 ? min(max(__float2int_rn(__fmaf_rn(-d, (float)q, v[e]) * idr), -127), 127) : 0;
    sum += q;
    sumr += r;
    w[e >> 2] |= ((u32)q & 0xffu) << (8 * (e & 3));
    wr[e >> 2] |= ((u32)r & 0xffu) << (8 * (e & 3));
  }
  sum += __shfl_xor_sync(0xffffffffu, sum, 1);   /* exact: |sum| <= 32 * 127 */
  sum += __shfl_xor_sync(0xffffffffu, sum, 2);
  if (FD_X_LEVELS > 1) {
    sumr += __shfl_xor_sync(0xffffffffu, sumr, 1);
    sumr += __shfl_xor_sync(0xffffffffu, sumr, 2);
  }
  if (!valid) return;
  u32 at0 = fd_xs_index(8 * g), at1 = fd_xs_index(8 * g + 4), l1 = FD_GEMV_XQ_LEVEL_BYTES(cols);
  float2 *xd = (float2 *)(xq + (cols + FD_GEMV_XS_ROUND - 1) / FD_GEMV_XS_ROUND * FD_GEMV_XS_ROUND);
  *(u32 *)(xq + at0) = w[0];
  *(u32 *)(xq + at1) = w[1];
  if ((g & 3u) == 0) xd[g >> 2] = make_float2(d, d * (float)sum);
  if (FD_X_LEVELS > 1) {
    float dr = d / 254.0f;
    *(u32 *)(xq + l1 + at0) = wr[0];
    *(u32 *)(xq + l1 + at1) = wr[1];
    if ((g & 3u) == 0) ((float2 *)((unsigned char *)xd + l1))[g >> 2] = make_float2(dr, dr * (float)sumr);
  }
}
/* The input stage's values, quantized into shared memory once per block.
 * Thread t takes groups t, t + nt, ... of 8 values, FD_XQ_BATCH groups at a
 * time with every load issued before the first is used: the prologue costs
 * ceil(cols / (8 nt FD_XQ_BATCH)) L2 round trips (3 at 4,864 columns), not
 * one per 32 values per warp (19 dependent rounds of a load and ten
 * shuffles). One group a batch: under the family's 40-register cap a batch
 * of 4 spilled up to 180 bytes in 292 variants, of 2 in 155. */
#define FD_XQ_BATCH 1
__device__ __forceinline__ fd_xin fd_input(const fd_args &a, unsigned char *xs, bool once) {
  __shared__ float part[32];
  (void)once;
  u32 tid = threadIdx.y * blockDim.x + threadIdx.x, nt = blockDim.x * blockDim.y, wbase = tid & ~31u;
  float s = fd_input_scale(a, part, tid, nt);
  u32 ng = a.cols / 8;   /* a multiple of 4: quads are wholly in or out */
  for (u32 g0 = 0; g0 < ng; g0 += FD_XQ_BATCH * nt) {
    float v[FD_XQ_BATCH][8];
#pragma unroll
    for (int k = 0; k < FD_XQ_BATCH; k++) {
      u32 g = g0 + k * nt + tid;
#pragma unroll
      for (int e = 0; e < 8; e++) v[k][e] = g < ng ? fd_input_at(a, 8 * g + e, s) : 0.0f;
    }
#pragma unroll
    for (int k = 0; k < FD_XQ_BATCH; k++) {
      if (g0 + k * nt + wbase >= ng) break;   /* warp-uniform: every lane past the end */
      u32 g = g0 + k * nt + tid;
      fd_quantize_group(v[k], g, g < ng, xs, a.cols);
    }
  }
  __syncthreads();
  return xs;
}
