/* policy_iq4_nl.cuh — GEMV weight policy for iq4_nl rows (18-byte blocks:
 * f16 scale, 32 nibbles as q4_0's indexing a fixed table of 16 int8
 * values) on the int8 activation contract: each word's nibbles looked up
 * into int8 (fd_iq4nl_word), then dp4a; d dx sum t[n] q.
 *
 * Layer: ops (device code of the GEMV family). */
#include "ops/gemv/quant_x.cuh"
#include "ops/quant_words.cuh"
#define FD_W fd_iq4_nl
#define FD_BB 18
__device__ __forceinline__ float fd_block_dot(const unsigned char *blk, const u32 *xw, float2 xd) {
  int s = 0;
  _Pragma("unroll") for (u32 k = 0; k < 4; k++) {
    u32 q = fd_stage_word(blk + 2, k);
    s = fd_dp4a(fd_iq4nl_word(q & 0x0F0F0F0Fu), xw[32 * k], s);
    s = fd_dp4a(fd_iq4nl_word((q >> 4) & 0x0F0F0F0Fu), xw[32 * (k + 4)], s);
  }
  return fd_h2f(*(const u16 *)blk) * (xd.x * (float)s);
}
#include "ops/gemv/quant_policy.cuh"
