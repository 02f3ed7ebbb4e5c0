/* policy_q4_0.cuh — GEMV weight policy for q4_0 rows (18-byte blocks: f16
 * scale, 32 nibbles; value p < 16 is the low nibble of byte p, value
 * p >= 16 the high nibble of byte p - 16) on the int8 activation contract:
 * sum (n - 8) q = sum n q - 8 sum q, the last from x's block sum s.
 *
 * Layer: ops (device code of the GEMV family). */
#include "ops/gemv/quant_x.cuh"
#define FD_W fd_q4_0
#define FD_BB 18
__device__ __forceinline__ float fd_block_dot(const unsigned char *blk, const u32 *xw, float2 xd) {
  int s = 0;
  _Pragma("unroll") for (u32 k = 0; k < 4; k++) {
    u32 q = fd_stage_word(blk + 2, k);
    s = fd_dp4a(q & 0x0F0F0F0Fu, xw[32 * k], s);             /* values 4k .. 4k + 3 */
    s = fd_dp4a((q >> 4) & 0x0F0F0F0Fu, xw[32 * (k + 4)], s);   /* values 16 + 4k .. */
  }
  return fd_h2f(*(const u16 *)blk) * (xd.x * (float)s - 8.0f * xd.y);
}
#include "ops/gemv/quant_policy.cuh"
