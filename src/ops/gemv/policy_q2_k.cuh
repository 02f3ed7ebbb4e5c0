/* policy_q2_k.cuh — GEMV weight policy for q2_k rows (84-byte super-blocks
 * of 256 values: 16 bytes of 4-bit scale | min << 4, qs[64] of 2-bit
 * fields, f16 d and dmin) on the int8 activation contract. Unit j: value i
 * is field j % 4 of qs[32 (j / 4) + i]; its two 16-value sub-blocks 2j,
 * 2j + 1 have their own scale and min, so x's sums are taken per half
 * (dp4a with ones) rather than from the block sum s:
 * d dx (sc0 s0 + sc1 s1) - dmin dx (m0 q0 + m1 q1), the brackets exact in integers.
 *
 * Layer: ops (device code of the GEMV family). */
#include "ops/gemv/quant_x.cuh"
#define FD_W fd_q2_k
#define FD_BB 84
#define FD_QK 256
__device__ __forceinline__ float fd_block_dot(const unsigned char *blk, u32 j, const u32 *xw, float2 xd) {
  const unsigned char *qs = blk + 16 + (j >> 2) * 32;
  u32 sh = 2 * (j & 3);
  int s[2] = { 0, 0 }, q[2] = { 0, 0 };   /* words in order: neighbouring fd_stage_word calls share their loads */
  _Pragma("unroll") for (u32 k = 0; k < 8; k++) {
    s[k / 4] = fd_dp4a((fd_stage_word(qs, k) >> sh) & 0x03030303u, xw[32 * k], s[k / 4]);
    q[k / 4] = fd_dp4a(0x01010101u, xw[32 * k], q[k / 4]);
  }
  u32 sc0 = blk[2 * j], sc1 = blk[2 * j + 1];
  int t = (int)(sc0 & 15u) * s[0] + (int)(sc1 & 15u) * s[1], m = (int)(sc0 >> 4) * q[0] + (int)(sc1 >> 4) * q[1];
  return fd_h2f(*(const u16 *)(blk + 80)) * (xd.x * (float)t) - fd_h2f(*(const u16 *)(blk + 82)) * (xd.x * (float)m);
}
#include "ops/gemv/quant_policy.cuh"
