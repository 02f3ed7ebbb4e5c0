/* policy_iq4_xs.cuh — GEMV weight policy for iq4_xs rows (136-byte
 * super-blocks of 256 values: f16 d, scales_h, scales_l[4], then 16 bytes
 * of nibbles per 32-value sub-block, ordered as iq4_nl's) on the int8
 * activation contract: unit j is sub-block j, its nibbles looked up as
 * iq4_nl's (fd_iq4nl_word); d (ls - 32) dx sum t[n] q, the integer part
 * exact (|(ls - 32) s| < 2^24).
 *
 * Layer: ops (device code of the GEMV family). */
#include "ops/gemv/quant_x.cuh"
#include "ops/quant_words.cuh"
#include "kernel/quant_k.cuh"
#define FD_W fd_iq4_xs
#define FD_BB 136
#define FD_QK 256
__device__ __forceinline__ float fd_block_dot(const unsigned char *blk, u32 j, const u32 *xw, float2 xd) {
  const unsigned char *qs = blk + 8 + 16 * j;
  int s = 0;
  _Pragma("unroll") for (u32 k = 0; k < 4; k++) {
    u32 q = fd_stage_word(qs, k);
    s = fd_dp4a(fd_iq4nl_word(q & 0x0F0F0F0Fu), xw[32 * k], s);
    s = fd_dp4a(fd_iq4nl_word((q >> 4) & 0x0F0F0F0Fu), xw[32 * (k + 4)], s);
  }
  return fd_h2f(*(const u16 *)blk) * (xd.x * (float)(fd_iq4xs_scale(blk, j) * s));
}
#include "ops/gemv/quant_policy.cuh"
