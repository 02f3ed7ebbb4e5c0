/* main.cuh — the GEMM family's main stage: y = epilogue(scale * x W^T) on the
 * tensor cores (mma.sync m16n8k16, f32 accumulators), or on the SIMT path
 * for f32 weights (ops/gemm/simt.cuh).
 *
 * Layer: ops (device code of the GEMM family; see ops/gemm/family.c).
 * Legend: BM x BN the block's tile (rows of x by weight rows), k-tiles of 32,
 * S the ring's depth, slot = one k-tile's x (f32, as it lies in memory) and
 * weights (the policy's raw bytes). Per k-tile kt, one barrier:
 *   wait for k-tile kt + 1's copies; __syncthreads;
 *   issue k-tile kt + S - 1 (into the slot k-tile kt - 1 left);
 *   mma on k-tile kt: ldmatrix from the swizzled tiles, 2 x 4 x 4 (128 x 128)
 *     or 2 x 2 x 4 (64 x 64) mma.sync per warp;
 *   convert k-tile kt + 1: x to f16 / bf16 (times norm_w for RMSNorm) into
 *     x tile (kt + 1) & 1; quantized weights dequantized into weight tile
 *     (kt + 1) & 1 (f16 / bf16 weights are read in the ring itself). After
 *     the mma, not before: its fragments are dead by then, which keeps the
 *     kernel within 128 registers (two 256-thread blocks per multiprocessor)
 *     without spilling.
 * The barrier orders every use: the slot written was last read by k-tile
 * kt - 1's mma, the converted tile written by k-tile kt - 1's mma, and what
 * this k-tile's mma reads was written before it. The epilogue runs on the
 * accumulators in registers: each thread calls fd_epi for its outputs. */
#if FD_GEMM_OP == 2
#include "ops/gemm/simt.cuh"
#else
#undef FD_KERNEL
#define FD_KERNEL extern "C" __global__ void __launch_bounds__(FD_MAX_BLOCK, 2) FD_NAME
template <int BM, int BN, int NT>
__device__ __forceinline__ void fd_gemm_issue(const fd_args &a, unsigned char *slot, u32 bx, u32 m0, u32 kt, u32 tid) {
  u32 s = fd_smem_addr(slot), cg = tid & 7;
  _Pragma("unroll") for (int j = 0; j < BM * 8 / NT; j++) {
    u32 r = (tid + NT * j) >> 3, m = m0 + r;
    bool ok = m < a.M;
    fd_cp16_zfill(s + r * 128 + cg * 16, a.x + (u64)(ok ? m : 0) * a.K + kt * FD_GEMM_BK + cg * 4, ok);
  }
  fd_w_issue<BN, NT>(a, slot + BM * 128, bx, kt, tid);
}
/* x of k-tile kt (in `slot`) into the operand tile `xt`. RMSNorm: each row's
 * sum of squares over the k-tile, summed over the row's 8 threads, is added
 * to ss[row] by the first of them (always the same thread: no barrier) */
template <int BM, int NT>
__device__ __forceinline__ void fd_gemm_convert_x(const fd_args &a, const unsigned char *slot, unsigned char *xt,
                                                  u32 kt, u32 tid, float *ss) {
  u32 cg = tid & 7;
  _Pragma("unroll") for (int j = 0; j < BM * 8 / NT; j++) {
    u32 r = (tid + NT * j) >> 3;
    float4 v = *(const float4 *)(slot + r * 128 + cg * 16);
#if FD_GEMM_RMS
    float q = v.x * v.x + v.y * v.y + v.z * v.z + v.w * v.w;
    q += __shfl_xor_sync(0xffffffffu, q, 1);
    q += __shfl_xor_sync(0xffffffffu, q, 2);
    q += __shfl_xor_sync(0xffffffffu, q, 4);
    if (cg == 0) ss[r] += q;
#endif
    v = fd_x_in(a, kt * FD_GEMM_BK + cg * 4, v);
    *(uint2 *)(xt + fd_tile_off(r, cg >> 1) + (cg & 1) * 8) = make_uint2(fd_pack2(v.x, v.y), fd_pack2(v.z, v.w));
  }
  (void)ss;
}
template <int BM, int BN, int WM, int WN>
__device__ __forceinline__ void fd_gemm_tile(const fd_args &a, unsigned char *smem) {
  constexpr u32 NT = (BM / WM) * (BN / WN) * 32, MT = WM / 16, NL = WN / 8, S = FD_GEMM_STAGES;
  constexpr u32 SLOT = BM * 128 + BN * FD_GEMM_WRAW, XJ = BM * 8 / NT;
  const u32 tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
  const u32 wm = warp / (BN / WN), wn = warp % (BN / WN);
  const u32 bx = blockIdx.x, m0 = blockIdx.y * BM, nk = a.K / FD_GEMM_BK;
  unsigned char *xt = smem + S * SLOT;     /* two converted x tiles */
  unsigned char *wt = xt + 2 * BM * 64;    /* two dequantized weight tiles (quantized policies) */
  float *rs = (float *)(wt + (FD_GEMM_WCONV ? 2 * BN * 64 : 0));
  float acc[MT][NL][4];
  _Pragma("unroll") for (u32 i = 0; i < MT; i++)
    _Pragma("unroll") for (u32 j = 0; j < NL; j++)
      _Pragma("unroll") for (u32 e = 0; e < 4; e++) acc[i][j][e] = 0.0f;
  if (FD_GEMM_RMS && (tid & 7) == 0)
    _Pragma("unroll") for (u32 j = 0; j < XJ; j++) rs[(tid + NT * j) >> 3] = 0.0f;   /* sums of squares */
  _Pragma("unroll") for (u32 s = 0; s < S - 1; s++) {
    if (s < nk) fd_gemm_issue<BM, BN, NT>(a, smem + s * SLOT, bx, m0, s, tid);
    fd_cp_commit();
  }
  fd_cp_wait<S - 2>();
  __syncthreads();
  fd_gemm_convert_x<BM, NT>(a, smem, xt, 0, tid, rs);
  fd_w_ready<BN, NT>(a, smem + BM * 128, wt, bx, 0, tid);
  const u32 xbase = fd_smem_addr(xt), sbase = fd_smem_addr(smem), wbase = fd_smem_addr(wt);
  for (u32 kt = 0; kt < nk; kt++) {
    fd_cp_wait<S - 3>();
    __syncthreads();
    if (kt + S - 1 < nk) fd_gemm_issue<BM, BN, NT>(a, smem + ((kt + S - 1) % S) * SLOT, bx, m0, kt + S - 1, tid);
    fd_cp_commit();
    u32 xa = xbase + (kt & 1) * BM * 64;
    u32 wa = FD_GEMM_WCONV ? wbase + (kt & 1) * BN * 64 : sbase + (kt % S) * SLOT + BM * 128;
    _Pragma("unroll") for (u32 kk = 0; kk < 2; kk++) {
      u32 af[MT][4];
      _Pragma("unroll") for (u32 i = 0; i < MT; i++)
        fd_ldsm4(xa + fd_tile_off(wm * WM + i * 16 + (lane & 15), 2 * kk + (lane >> 4)), af[i]);
      _Pragma("unroll") for (u32 j = 0; j < NL / 2; j++) {   /* two 8-column tiles per ldmatrix */
        u32 b[4];
        fd_ldsm4(wa + fd_tile_off(wn * WN + j * 16 + (lane & 7) + ((lane >> 4) << 3), 2 * kk + ((lane >> 3) & 1)), b);
        _Pragma("unroll") for (u32 i = 0; i < MT; i++) {
          fd_mma(acc[i][2 * j], af[i], b);
          fd_mma(acc[i][2 * j + 1], af[i], b + 2);
        }
      }
    }
    if (kt + 1 < nk) {
      const unsigned char *slot = smem + ((kt + 1) % S) * SLOT;
      fd_gemm_convert_x<BM, NT>(a, slot, xt + ((kt + 1) & 1) * BM * 64, kt + 1, tid, rs);
      fd_w_ready<BN, NT>(a, slot + BM * 128, wt + ((kt + 1) & 1) * BN * 64, bx, kt + 1, tid);
    }
  }
#if FD_GEMM_RMS
  if ((tid & 7) == 0)
    _Pragma("unroll") for (u32 j = 0; j < XJ; j++) rs[(tid + NT * j) >> 3] = fd_x_scale(a, rs[(tid + NT * j) >> 3]);
  __syncthreads();
#endif
  (void)rs;
  const u32 g = lane >> 2, t = lane & 3;
  _Pragma("unroll") for (u32 i = 0; i < MT; i++)
    _Pragma("unroll") for (u32 h = 0; h < 2; h++) {
      u32 r = wm * WM + i * 16 + g + 8 * h, m = m0 + r;
      if (m >= a.M) continue;
      float sc = FD_GEMM_RMS ? rs[r] : 1.0f;
      _Pragma("unroll") for (u32 j = 0; j < NL; j += FD_NOUT)
        _Pragma("unroll") for (u32 e = 0; e < 2; e++) {
          u32 p, n = fd_gemm_col(bx, BN, wn * WN + j * 8 + 2 * t + e, &p);
          float v[2] = { acc[i][j][2 * h + e] * sc, FD_NOUT == 2 ? acc[i][j + FD_NOUT - 1][2 * h + e] * sc : 0.0f };
          if (n < a.N) fd_epi(a, m, n, v);
        }
    }
}
#ifndef FD_GEMM_NO_ENTRY   /* tools/cuemu calls fd_gemm_tile itself */
FD_KERNEL(fd_args a) {
  extern __shared__ float4 fd_smem4[];
  if (blockDim.x == FD_GEMM_BIG_THREADS)
    fd_gemm_tile<FD_GEMM_BIG_BM, FD_GEMM_BIG_BN, 64, 32>(a, (unsigned char *)fd_smem4);
  else
    fd_gemm_tile<FD_GEMM_SMALL_BM, FD_GEMM_SMALL_BN, 32, 32>(a, (unsigned char *)fd_smem4);
}
#endif
#endif
