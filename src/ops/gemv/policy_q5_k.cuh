/* policy_q5_k.cuh — GEMV weight policy for q5_k rows (176-byte super-blocks
 * of 256 values: f16 d and dmin, 12 bytes of 6-bit scales and mins, qh[32],
 * 128 bytes of nibbles) on the int8 activation contract: as q4_k, with
 * value i of unit j's fifth bit bit j of qh[i]; d sc dx sum n q - dmin m s.
 *
 * Layer: ops (device code of the GEMV family). */
#include "ops/gemv/quant_x.cuh"
#include "kernel/quant_k.cuh"
#define FD_W fd_q5_k
#define FD_BB 176
#define FD_QK 256
__device__ __forceinline__ float fd_block_dot(const unsigned char *blk, u32 j, const u32 *xw, float2 xd) {
  const unsigned char *qs = blk + 48 + (j >> 1) * 32;
  u32 sh = 4 * (j & 1);
  int s = 0;
  _Pragma("unroll") for (u32 k = 0; k < 8; k++) {
    u32 q = ((fd_stage_word(qs, k) >> sh) & 0x0F0F0F0Fu) | ((fd_stage_word(blk + 16, k) >> j) & 0x01010101u) << 4;
    s = fd_dp4a(q, xw[32 * k], s);
  }
  return fd_k_unit_dot(blk, j, s, xd);
}
#include "ops/gemv/quant_policy.cuh"
