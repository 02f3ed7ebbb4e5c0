/* policy_q6_k.cuh — GEMV weight policy for q6_k rows (210-byte super-blocks
 * of 256 values: ql[128] low nibbles, qh[64] 2-bit high parts, 16 int8
 * scales, f16 d) on the int8 activation contract. Unit j (in half h = j / 4,
 * r = j % 4): value i's nibble r / 2 of ql[64 h + 32 (r % 2) + i], its high
 * bits field r of qh[32 h + i], less 32 (fd_sub_bytes: int8 in -32..31).
 * Its two 16-value sub-blocks 2j, 2j + 1 have their own scales: two dp4a
 * sums, combined in integers (|sc s| < 2^23: exact as a float), then d dx.
 *
 * Layer: ops (device code of the GEMV family). */
#include "ops/gemv/quant_x.cuh"
#include "kernel/quant_k.cuh"
#define FD_W fd_q6_k
#define FD_BB 210
#define FD_QK 256
__device__ __forceinline__ float fd_block_dot(const unsigned char *blk, u32 j, const u32 *xw, float2 xd) {
  u32 r = j & 3;
  const unsigned char *ql = blk + (j >> 2) * 64 + 32 * (r & 1), *qh = blk + 128 + (j >> 2) * 32;
  u32 ls = 4 * (r >> 1), hs = 2 * r;
  int s0 = 0, s1 = 0;
  _Pragma("unroll") for (u32 k = 0; k < 4; k++) {
    u32 q = ((fd_stage_word(ql, k) >> ls) & 0x0F0F0F0Fu) | ((fd_stage_word(qh, k) >> hs) & 0x03030303u) << 4;
    s0 = fd_dp4a(fd_sub_bytes(q, 0x20202020u), xw[32 * k], s0);
    q = ((fd_stage_word(ql, k + 4) >> ls) & 0x0F0F0F0Fu) | ((fd_stage_word(qh, k + 4) >> hs) & 0x03030303u) << 4;
    s1 = fd_dp4a(fd_sub_bytes(q, 0x20202020u), xw[32 * (k + 4)], s1);
  }
  int s = (int)(signed char)blk[192 + 2 * j] * s0 + (int)(signed char)blk[193 + 2 * j] * s1;
  return fd_h2f(*(const u16 *)(blk + 208)) * (xd.x * (float)s);
}
#include "ops/gemv/quant_policy.cuh"
