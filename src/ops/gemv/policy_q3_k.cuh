/* policy_q3_k.cuh — GEMV weight policy for q3_k rows (110-byte super-blocks
 * of 256 values: hmask[32], qs[64] of 2-bit fields, 12 bytes of 6-bit
 * scales, f16 d) on the int8 activation contract. Unit j: value i is field
 * j % 4 of qs[32 (j / 4) + i], less 4 where bit j of hmask[i] is clear
 * (fd_sub_bytes: int8 in -4..3). Its two 16-value sub-blocks 2j, 2j + 1
 * have their own scales: two dp4a sums combined in integers, then d dx.
 *
 * Layer: ops (device code of the GEMV family). */
#include "ops/gemv/quant_x.cuh"
#include "kernel/quant_k.cuh"
#define FD_W fd_q3_k
#define FD_BB 110
#define FD_QK 256
__device__ __forceinline__ float fd_block_dot(const unsigned char *blk, u32 j, const u32 *xw, float2 xd) {
  const unsigned char *qs = blk + 32 + (j >> 2) * 32;
  u32 sh = 2 * (j & 3);
  int s[2] = { 0, 0 };   /* words in order: neighbouring fd_stage_word calls share their loads */
  _Pragma("unroll") for (u32 k = 0; k < 8; k++) {
    u32 q = ((fd_stage_word(qs, k) >> sh) & 0x03030303u) | ((fd_stage_word(blk, k) >> j) & 0x01010101u) << 2;
    s[k / 4] = fd_dp4a(fd_sub_bytes(q, 0x04040404u), xw[32 * k], s[k / 4]);
  }
  int t = fd_q3k_scale(blk + 96, 2 * j) * s[0] + fd_q3k_scale(blk + 96, 2 * j + 1) * s[1];
  return fd_h2f(*(const u16 *)(blk + 108)) * (xd.x * (float)t);
}
#include "ops/gemv/quant_policy.cuh"
