/* quant_policy.cuh — the GEMM weight policy for quantized rows, for the
 * policy_<dtype>.cuh file that includes it after defining FD_W (the block
 * type), FD_BB (bytes per block), FD_GEMM_WRAW (its window), FD_QOFF(h)
 * (where half h's four quant words start in the block), FD_QWORD(w, h) (a
 * word as four bytes of value + FD_QBIAS - 2^23) and FD_QBIAS; or, in place
 * of FD_QOFF / FD_QWORD, FD_QWORD_AT(blk, h, k) (half h's word k from the
 * block: Q5's fifth bits, IQ4_NL's table); and FD_QMIN, the byte offset of
 * the block's f16 min m for types whose values are d q + m.
 *
 * Layer: ops (device code of the GEMM family; see ops/gemm/family.c).
 * A k-tile of a row is one block. cp.async lands each row's block as its
 * 16-byte-aligned window (granules wholly past the block are not read, so
 * the last block of a tensor never reads beyond it); then every thread
 * dequantizes half a block (16 values: scale x quant in f32, exact, rounded
 * once to f16, as the CPU composition does) into the swizzled f16 operand
 * tile. Bytes become floats as the GEMV's policies make them (the quant
 * byte in the mantissa of 2^23, one subtraction): no int-to-float
 * conversions. */
#include "ops/gemm/common.cuh"
#define FD_GEMM_WCONV 1
#ifndef FD_QWORD_AT
#define FD_QWORD_AT(blk, h, k) FD_QWORD(fd_qword((blk) + FD_QOFF(h), k), h)
#endif
#define FD_GEMM_STAGES FD_GEMM_STAGES_QUANT
/* the block of row n holding k-tile kt */
__device__ __forceinline__ const unsigned char *fd_qblock(const fd_args &a, u32 p, u32 n, u32 kt) {
  const FD_W *w = p ? (const FD_W *)a.w1 : a.w0;
  return (const unsigned char *)(w + (u64)n * (a.K / 32) + kt);
}
template <int BN, int NT>
__device__ __forceinline__ void fd_w_issue(const fd_args &a, unsigned char *raw, u32 bx, u32 kt, u32 tid) {
  constexpr int G = FD_GEMM_WRAW / 16;
  u32 s = fd_smem_addr(raw);
  _Pragma("unroll") for (int j = 0; j < (BN * G + NT - 1) / NT; j++) {
    u32 i = tid + NT * j, r = i / G, g = i % G, p, n = fd_gemm_col(bx, BN, r, &p);
    if (i >= BN * G) break;
    bool ok = n < a.N;
    const unsigned char *b = fd_qblock(a, p, ok ? n : 0, kt), *lo = (const unsigned char *)((u64)b & ~15ull) + 16 * g;
    fd_cp16_zfill(s + r * FD_GEMM_WRAW + 16 * g, ok && lo < b + FD_BB ? lo : b, ok && lo < b + FD_BB);
  }
}
/* word k of the (2-byte aligned) bytes at s in shared memory; reads one word past them */
__device__ __forceinline__ u32 fd_qword(const unsigned char *s, u32 k) {
  u32 off = (u32)(u64)s & 3u;
  const u32 *w = (const u32 *)(s - off);
  return __funnelshift_r(w[k], w[k + 1], off * 8u); }
/* Dequantizes the landed k-tile in `raw` into the operand tile `tile`; returns it. */
template <int BN, int NT>
__device__ __forceinline__ const unsigned char *fd_w_ready(const fd_args &a, const unsigned char *raw,
                                                           unsigned char *tile, u32 bx, u32 kt, u32 tid) {
  _Pragma("unroll") for (int j = 0; j < BN * 2 / NT; j++) {
    u32 i = tid + NT * j, r = i >> 1, h = i & 1, p, n = fd_gemm_col(bx, BN, r, &p);
    /* where cp.async put the block in its window: its address mod 16, in 32 bits */
    u32 off = n < a.N ? ((u32)(u64)(p ? (const void *)a.w1 : (const void *)a.w0) + (n * (a.K / 32) + kt) * FD_BB) & 15u : 0u;
    const unsigned char *blk = raw + r * FD_GEMM_WRAW + off;
    float d = fd_h2f(*(const u16 *)blk);
#ifdef FD_QMIN
    /* d q is exact in f32 (11 by at most 8 significant bits), so a fused d q + m
     * rounds as the CPU's unfused one */
    float m = fd_h2f(*(const u16 *)(blk + FD_QMIN));
#define FD_QVAL_(q) fmaf((q), d, m)
#else
#define FD_QVAL_(q) (q) * d
#endif
    u32 o[4];   /* one 16-byte store per two words: fewer values live */
    _Pragma("unroll") for (int k = 0; k < 4; k++) {
      u32 w = FD_QWORD_AT(blk, h, k);
      float v[4];
      _Pragma("unroll") for (int e = 0; e < 4; e++)
        v[e] = FD_QVAL_(__uint_as_float(__byte_perm(w, 0x4B000000u, 0x7540u | e)) - FD_QBIAS);
      o[2 * (k & 1)] = fd_pack2(v[0], v[1]);
      o[2 * (k & 1) + 1] = fd_pack2(v[2], v[3]);
      if (k & 1) *(uint4 *)(tile + fd_tile_off(r, 2 * h + k / 2)) = make_uint4(o[0], o[1], o[2], o[3]);
    }
#undef FD_QVAL_
  }
  return tile;
}
