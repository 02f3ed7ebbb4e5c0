/* policy_q4_1.cuh — GEMV weight policy for q4_1 rows (20-byte blocks: f16
 * scale d, f16 min m, 32 nibbles as q4_0's) on the int8 activation
 * contract: sum (d n + m) dx q = d dx sum n q + m s, s from x's block sum.
 *
 * Layer: ops (device code of the GEMV family). */
#include "ops/gemv/quant_x.cuh"
#define FD_W fd_q4_1
#define FD_BB 20
__device__ __forceinline__ float fd_block_dot(const unsigned char *blk, const u32 *xw, float2 xd) {
  int s = 0;
  _Pragma("unroll") for (u32 k = 0; k < 4; k++) {
    u32 q = fd_stage_word(blk + 4, k);
    s = fd_dp4a(q & 0x0F0F0F0Fu, xw[32 * k], s);               /* values 4k .. 4k + 3 */
    s = fd_dp4a((q >> 4) & 0x0F0F0F0Fu, xw[32 * (k + 4)], s);   /* values 16 + 4k .. */
  }
  return fd_h2f(*(const u16 *)blk) * (xd.x * (float)s) + fd_h2f(*(const u16 *)(blk + 2)) * xd.y;
}
#include "ops/gemv/quant_policy.cuh"
