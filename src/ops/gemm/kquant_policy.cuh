/* kquant_policy.cuh — the GEMM weight policy for the 256-value super-block
 * types (q4_k, q5_k, q6_k, iq4_xs), for the policy_<dtype>.cuh file that
 * includes it after defining FD_W (the device block type): a k-tile of a
 * row is one 32-value unit of a super-block. Each thread dequantizes half a
 * unit (16 values) with the prelude's element loads straight from global
 * memory (ld: the sub-block's scale and min in f32, then scale q - min,
 * unfused, bit for bit as the CPU) and rounds them once to f16 into the
 * swizzled operand tile, as quant_policy.cuh does for 32-value blocks. No
 * cp.async staging: a unit's quants and its super-block's scales are not
 * one small window, and the scales are read again by the next seven
 * k-tiles (L1 and L2 hold them). A correctness-first path for prefill; the
 * decode GEMV is the int8 one (ops/gemv/policy_<dtype>.cuh).
 *
 * Layer: ops (device code of the GEMM family; see ops/gemm/family.c). */
#define FD_GEMM_OP 0   /* f16 operands */
#include "ops/gemm/common.cuh"
#define FD_GEMM_WCONV 1
#define FD_GEMM_WRAW FD_GEMM_WRAW_Q4_0   /* family.c sizes every quantized slot so; unused here */
#define FD_GEMM_STAGES FD_GEMM_STAGES_QUANT
template <int BN, int NT>
__device__ __forceinline__ void fd_w_issue(const fd_args &, unsigned char *, u32, u32, u32) {}
/* Dequantizes k-tile kt of the tile's BN rows into the operand tile `tile`; returns it. */
template <int BN, int NT>
__device__ __forceinline__ const unsigned char *fd_w_ready(const fd_args &a, const unsigned char *, unsigned char *tile,
                                                           u32 bx, u32 kt, u32 tid) {
  _Pragma("unroll") for (int j = 0; j < BN * 2 / NT; j++) {
    u32 i = tid + NT * j, r = i >> 1, h = i & 1, p, n = fd_gemm_col(bx, BN, r, &p);
    const FD_W *w = p ? (const FD_W *)a.w1 : a.w0;
    u64 base = (u64)n * a.K + kt * FD_GEMM_BK + 16 * h;
    _Pragma("unroll") for (int c = 0; c < 2; c++) {
      float v[8];
      _Pragma("unroll") for (int e = 0; e < 8; e++) v[e] = n < a.N ? ld(w, base + 8 * c + e) : 0.0f;
      *(uint4 *)(tile + fd_tile_off(r, 2 * h + c)) =
          make_uint4(fd_pack2(v[0], v[1]), fd_pack2(v[2], v[3]), fd_pack2(v[4], v[5]), fd_pack2(v[6], v[7]));
    }
  }
  return tile;
}
