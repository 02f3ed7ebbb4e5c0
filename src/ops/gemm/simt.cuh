/* simt.cuh — the GEMM family's SIMT path, for f32 weights: 64 x 64 tiles,
 * 256 threads of 4 x 4 outputs, k-tiles of 16 staged in shared memory, f32
 * fma; nothing is rounded, so it matches the CPU composition to f32
 * accumulation. A thread's columns are cx, cx + 8, cx + 32, cx + 40 with
 * cx = (tx & 7) + 16 (tx >> 3): a SwiGLU tile's gate and up of one output.
 *
 * Layer: ops (device code of the GEMM family; see ops/gemm/family.c). */
#include "ops/gemm/common.cuh"
FD_KERNEL(fd_args a) {
  __shared__ float xs[16][FD_GEMM_SIMT_BM + 1], ws[16][FD_GEMM_SIMT_BN + 1], rs[FD_GEMM_SIMT_BM];
  const u32 tid = threadIdx.x, tx = tid & 15, ty = tid >> 4, bx = blockIdx.x, m0 = blockIdx.y * FD_GEMM_SIMT_BM;
  const u32 cx = (tx & 7) + ((tx >> 3) << 4), lr = tid >> 2, lk = (tid & 3) * 4;
  const u32 co[4] = { 0, 8, 32, 40 };
  u32 p, n = fd_gemm_col(bx, FD_GEMM_SIMT_BN, lr, &p);
  const float *wrow = n < a.N ? (p ? (const float *)a.w1 : (const float *)a.w0) + (u64)n * a.K : 0;
  const float *xrow = m0 + lr < a.M ? a.x + (u64)(m0 + lr) * a.K : 0;
  float acc[4][4] = {}, ss = 0.0f;
  for (u32 k0 = 0; k0 < a.K; k0 += 16) {
    float4 xv = xrow ? *(const float4 *)(xrow + k0 + lk) : make_float4(0.0f, 0.0f, 0.0f, 0.0f);
    float4 wv = wrow ? *(const float4 *)(wrow + k0 + lk) : make_float4(0.0f, 0.0f, 0.0f, 0.0f);
    ss += xv.x * xv.x + xv.y * xv.y + xv.z * xv.z + xv.w * xv.w;
    xv = fd_x_in(a, k0 + lk, xv);
    __syncthreads();
    xs[lk][lr] = xv.x, xs[lk + 1][lr] = xv.y, xs[lk + 2][lr] = xv.z, xs[lk + 3][lr] = xv.w;
    ws[lk][lr] = wv.x, ws[lk + 1][lr] = wv.y, ws[lk + 2][lr] = wv.z, ws[lk + 3][lr] = wv.w;
    __syncthreads();
    _Pragma("unroll") for (u32 k = 0; k < 16; k++) {
      float xa[4], wb[4];
      _Pragma("unroll") for (u32 i = 0; i < 4; i++) xa[i] = xs[k][ty + 16 * i], wb[i] = ws[k][cx + co[i]];
      _Pragma("unroll") for (u32 i = 0; i < 4; i++)
        _Pragma("unroll") for (u32 j = 0; j < 4; j++) acc[i][j] = fmaf(xa[i], wb[j], acc[i][j]);
    }
  }
#if FD_GEMM_RMS
  ss += __shfl_xor_sync(0xffffffffu, ss, 1);
  ss += __shfl_xor_sync(0xffffffffu, ss, 2);
  if ((tid & 3) == 0) rs[lr] = fd_x_scale(a, ss);
  __syncthreads();
#endif
  (void)rs, (void)ss;
  _Pragma("unroll") for (u32 i = 0; i < 4; i++) {
    u32 r = ty + 16 * i, m = m0 + r;
    if (m >= a.M) continue;
    float sc = FD_GEMM_RMS ? rs[r] : 1.0f;
    _Pragma("unroll") for (u32 j = 0; j < 4; j += FD_NOUT) {
      u32 q, nn = fd_gemm_col(bx, FD_GEMM_SIMT_BN, cx + co[j], &q);
      float v[2] = { acc[i][j] * sc, FD_NOUT == 2 ? acc[i][j + FD_NOUT - 1] * sc : 0.0f };
      if (nn < a.N) fd_epi(a, m, nn, v);
    }
  }
}
