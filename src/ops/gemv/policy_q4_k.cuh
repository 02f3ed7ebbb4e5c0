/* policy_q4_k.cuh — GEMV weight policy for q4_k rows (144-byte super-blocks
 * of 256 values: f16 d and dmin, 12 bytes of 6-bit scales and mins, 128
 * bytes of nibbles) on the int8 activation contract. A lane takes unit j
 * (values 32 j .. 32 j + 31, sub-block j): nibble j % 2 of qs[(j / 2) 32 + i];
 * sum (d sc n - dmin m) dx q = d sc dx sum n q - dmin m s, s from x's block sum.
 *
 * Layer: ops (device code of the GEMV family). */
#include "ops/gemv/quant_x.cuh"
#include "kernel/quant_k.cuh"
#define FD_W fd_q4_k
#define FD_BB 144
#define FD_QK 256
__device__ __forceinline__ float fd_block_dot(const unsigned char *blk, u32 j, const u32 *xw, float2 xd) {
  const unsigned char *qs = blk + 16 + (j >> 1) * 32;
  u32 sh = 4 * (j & 1);
  int s = 0;
  _Pragma("unroll") for (u32 k = 0; k < 8; k++) s = fd_dp4a((fd_stage_word(qs, k) >> sh) & 0x0F0F0F0Fu, xw[32 * k], s);
  return fd_k_unit_dot(blk, j, s, xd);
}
#include "ops/gemv/quant_policy.cuh"
