/* float_policy.cuh — the GEMM weight policy for f16 / bf16 rows, for the
 * policy_<dtype>.cuh file that includes it after defining FD_GEMM_OP: each
 * k-tile's 32 values of a row are one 64-byte row of the operand tile, copied
 * by cp.async straight into its swizzled place, so the tensor cores read the
 * ring itself (no conversion step).
 *
 * Layer: ops (device code of the GEMM family; see ops/gemm/family.c). */
#include "ops/gemm/common.cuh"
#define FD_GEMM_WRAW FD_GEMM_WRAW_FLOAT
#define FD_GEMM_WCONV 0
#define FD_GEMM_STAGES FD_GEMM_STAGES_FLOAT
/* Issues k-tile kt of tile rows [0, BN) of column block bx into `raw`. */
template <int BN, int NT>
__device__ __forceinline__ void fd_w_issue(const fd_args &a, unsigned char *raw, u32 bx, u32 kt, u32 tid) {
  u32 s = fd_smem_addr(raw);
  _Pragma("unroll") for (int j = 0; j < BN * 4 / NT; j++) {
    u32 i = tid + NT * j, r = i >> 2, c = i & 3, p, n = fd_gemm_col(bx, BN, r, &p);
    const w0_t *w = p ? (const w0_t *)a.w1 : a.w0;
    bool ok = n < a.N;
    fd_cp16_zfill(s + fd_tile_off(r, c), w + (u64)(ok ? n : 0) * a.K + kt * FD_GEMM_BK + c * 8, ok);
  }
}
/* The operand tile of that k-tile: the ring's slot itself. */
template <int BN, int NT>
__device__ __forceinline__ const unsigned char *fd_w_ready(const fd_args &, const unsigned char *raw, unsigned char *,
                                                           u32, u32, u32) { return raw; }
