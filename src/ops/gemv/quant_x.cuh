/* quant_x.cuh — the int8 activation contract of the quantized weight
 * policies: x quantized once per block into int8 blocks of 32 values, and
 * its layout in shared memory. No inline PTX here (tools/cuemu runs this
 * file on the CPU); staging is in quant_staging.cuh.
 *
 * Layer: ops (device code of the GEMV family; see ops/gemv/family.c).
 *
 * x block b (values 32 b .. 32 b + 31): d = amax / 127 (amax = max |x|),
 * q = round-to-nearest-even(x * (127 / amax)) in -127..127 (all 0 when
 * amax <= 1e-30, where 127 / amax could overflow), and s = d * sum(q),
 * for types whose blocks have mins or offsets (q4_0's -8). Then
 * x[i] ~ d q[i] with |x[i] - d q[i]| <= d / 2.
 * The CPU twin (ops/gemv/int8_ref.c) computes the same q, d, s bit for bit
 * from the same f32 inputs.
 *
 * Shared memory (FD_GEMV_XQ_BYTES): the q as bytes at fd_xs_index(i) —
 * in a chunk of 32 blocks, word k (values 4k..4k+3) of block l is word
 * 32 k + l, so 32 lanes taking a block each read consecutive words — then
 * a float2 (d, s) per block.
 *
 * A policy includes this file, then provides, before including
 * quant_policy.cuh:
 *   FD_W, FD_BB   the device block type and its bytes (values per block: 32)
 *   float fd_block_dot(const unsigned char *blk, const u32 *xw, float2 xd)
 *       the block at `blk` (2-byte aligned, in shared memory: read words
 *       with fd_stage_word) times x's block: xw[32 k] is x's word k, xd its
 *       (d, s); integer products (fd_dp4a), one float scale at the end. */
#include "ops/gemv/layout.cuh"
typedef const unsigned char *fd_xin;
__device__ __forceinline__ u32 fd_xs_index(u32 i) {
  return (i & ~1023u) + ((((i >> 2) & 7u) * 32u + ((i >> 5) & 31u)) << 2) + (i & 3u); }
__device__ __forceinline__ u32 fd_xs_bytes(u32 cols) { return FD_GEMV_XQ_BYTES(cols); }
/* block b's words (word k at [32 k]) and its (d, s) */
__device__ __forceinline__ const u32 *fd_x_words(fd_xin x, u32 b) { return (const u32 *)x + (b & ~31u) * 8u + (b & 31u); }
__device__ __forceinline__ float2 fd_x_scale(fd_xin x, u32 cols, u32 b) {
  return ((const float2 *)(x + (cols + FD_GEMV_XS_ROUND - 1) / FD_GEMV_XS_ROUND * FD_GEMV_XS_ROUND))[b]; }
/* Word k of the bytes starting at `s` (2-byte aligned) in shared memory;
 * reads one word past them. */
__device__ __forceinline__ u32 fd_stage_word(const unsigned char *s, u32 k) {
  u32 off = (u32)(u64)s & 3u;   /* pointer arithmetic, not an integer cast, keeps loads in shared space */
  const u32 *w = (const u32 *)(s - off);
  return __funnelshift_r(w[k], w[k + 1], off * 8u); }
/* Quantizes value v (index i = 32 b + lane) of block b; the 32 lanes of a
 * warp call it together, one block each call. */
__device__ __forceinline__ void fd_quantize_x(float v, u32 i, unsigned char *xq, float2 *xd) {
  float amax = warp_max(fabsf(v));
  float d = amax / 127.0f, id = amax > 1e-30f ? 127.0f / amax : 0.0f;   /* finite: no inf * 0 */
  int q = __float2int_rn(v * id);
  xq[fd_xs_index(i)] = (unsigned char)q;
  float sum = warp_sum((float)q);   /* exact: |sum| <= 32 * 127 */
  if ((i & 31u) == 0) xd[i >> 5] = make_float2(d, d * sum);
}
/* The input stage's values, quantized into shared memory once per block:
 * warp w takes blocks w, w + warps, ... */
__device__ __forceinline__ fd_xin fd_input(const fd_args &a, unsigned char *xs, bool once) {
  __shared__ float part[32];
  (void)once;
  u32 tid = threadIdx.y * blockDim.x + threadIdx.x, nt = blockDim.x * blockDim.y;
  float s = fd_input_scale(a, part, tid, nt);
  float2 *xd = (float2 *)(xs + (a.cols + FD_GEMV_XS_ROUND - 1) / FD_GEMV_XS_ROUND * FD_GEMV_XS_ROUND);
  for (u32 b = tid >> 5; b < a.cols / 32; b += nt >> 5) {
    u32 i = 32 * b + (tid & 31);
    fd_quantize_x(fd_input_at(a, i, s), i, xs, xd);
  }
  __syncthreads();
  return xs;
}
