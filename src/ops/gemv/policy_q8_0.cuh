/* policy_q8_0.cuh — GEMV weight policy for q8_0 rows (34-byte blocks: f16
 * scale, 32 int8) on the int8 activation contract: 8 dp4a per block, then
 * d_w * d_x * sum.
 *
 * Layer: ops (device code of the GEMV family). */
#include "ops/gemv/quant_x.cuh"
#define FD_W fd_q8_0
#define FD_BB 34
__device__ __forceinline__ float fd_block_dot(const unsigned char *blk, const u32 *xw, float2 xd) {
  int s = 0;
  _Pragma("unroll") for (u32 k = 0; k < 8; k++) s = fd_dp4a(fd_stage_word(blk + 2, k), xw[32 * k], s);
  return fd_h2f(*(const u16 *)blk) * (xd.x * (float)s);
}
#include "ops/gemv/quant_policy.cuh"
