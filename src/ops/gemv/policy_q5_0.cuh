/* policy_q5_0.cuh — GEMV weight policy for q5_0 rows (22-byte blocks: f16
 * scale, the 32 fifth bits qh, 32 nibbles as q4_0's) on the int8
 * activation contract: sum (n - 16) q = sum n q - 16 sum q, the last from
 * x's block sum s. Blocks are 2-byte aligned: words via fd_stage_word.
 *
 * Layer: ops (device code of the GEMV family). */
#include "ops/gemv/quant_x.cuh"
#include "ops/quant_words.cuh"
#define FD_W fd_q5_0
#define FD_BB 22
__device__ __forceinline__ float fd_block_dot(const unsigned char *blk, const u32 *xw, float2 xd) {
  int s = 0;
  u32 qh = fd_stage_word(blk + 2, 0);
  _Pragma("unroll") for (u32 k = 0; k < 4; k++) {
    u32 q = fd_stage_word(blk + 6, k);
    s = fd_dp4a((q & 0x0F0F0F0Fu) | fd_qh_word(qh, k), xw[32 * k], s);
    s = fd_dp4a(((q >> 4) & 0x0F0F0F0Fu) | fd_qh_word(qh, k + 4), xw[32 * (k + 4)], s);
  }
  return fd_h2f(*(const u16 *)blk) * (xd.x * (float)s - 16.0f * xd.y);
}
#include "ops/gemv/quant_policy.cuh"
