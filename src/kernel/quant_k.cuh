/* quant_k.cuh — the K-quants' and IQ4_XS's packed sub-block scales, shared
 * by the prelude's element loads (ld) and the GEMV (int8 dp4a) policies. No
 * inline PTX and no block structs (tools/cuemu runs it beside emu.h).
 * Layouts: include/foundry/dtype.h; the CPU's reading: base/quant_k.c.
 *
 * Layer: kernel (device code, included by prelude.cuh). */
#ifndef FD_QUANT_K_CUH
#define FD_QUANT_K_CUH
/* Q4_K and Q5_K: sub-block j's 6-bit scale and min from the 12 bytes at p
 * (j < 4: the low 6 bits of bytes j and 4 + j; j >= 4: the nibbles of byte
 * 4 + j, above them the top 2 bits of bytes j - 4 and j) */
__device__ __forceinline__ void fd_k_scale_min(const unsigned char *p, u32 j, int &sc, int &m) {
  if (j < 4) { sc = p[j] & 63; m = p[j + 4] & 63; }
  else { sc = (p[j + 4] & 15) | (p[j - 4] >> 6) << 4; m = (p[j + 4] >> 4) | (p[j] >> 6) << 4; }
}
/* Q4_K and Q5_K on the int8 activation contract (ops/gemv/quant_x.cuh):
 * unit j's product from s, the integer sum of its values times x's int8
 * block, and x's (d, d * block sum) xd: sum (d sc n - dmin m) dx q =
 * d sc dx s - dmin m (dx sum q). blk: the super-block (f16 d, dmin, then the
 * 12 bytes of scales and mins). */
__device__ __forceinline__ float fd_k_unit_dot(const unsigned char *blk, u32 j, int s, float2 xd) {
  int sc, m;
  fd_k_scale_min(blk + 4, j, sc, m);
  return fd_h2f(*(const u16 *)blk) * (float)sc * (xd.x * (float)s) - fd_h2f(*(const u16 *)(blk + 2)) * (float)m * xd.y;
}
/* IQ4_XS: sub-block j's scale less 32: the nibble j % 2 of scales_l[j / 2],
 * above it bits 2j of scales_h (p: the block) */
__device__ __forceinline__ int fd_iq4xs_scale(const unsigned char *p, u32 j) {
  u32 h = p[2] | (u32)p[3] << 8;
  return (int)(((p[4 + j / 2] >> (4 * (j & 1))) & 15u) | ((h >> (2 * j)) & 3u) << 4) - 32;
}
/* Four bytes q (each below 128) less the bytes of c (each at most 128), as
 * four int8: each byte lifted by 0x80 so the subtraction borrows from no
 * neighbour, then the lift's top bit flipped back (two's complement).
 * Q6_K: c = 0x20202020 (q - 32); Q3_K: c = 0x04040404 (q - 4). */
__device__ __forceinline__ u32 fd_sub_bytes(u32 q, u32 c) { return ((q | 0x80808080u) - c) ^ 0x80808080u; }
/* Q3_K: sub-block j's 6-bit scale less 32 from the 12 bytes at p: the low
 * nibble of p[j] (j < 8) or the high one of p[j - 8], above it bits
 * 2 (j / 4) of p[8 + j % 4] */
__device__ __forceinline__ int fd_q3k_scale(const unsigned char *p, u32 j) {
  u32 lo = j < 8 ? p[j] & 15u : p[j - 8] >> 4, hi = (p[8 + j % 4] >> (2 * (j / 4))) & 3u;
  return (int)(lo | hi << 4) - 32;
}
#endif
