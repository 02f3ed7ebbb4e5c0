/* epi_residual.cuh — GEMM epilogue: y0[m, n] = v[0] + r0[m, n] (y0 may be r0:
 * the residual stream updated in place; each element is read and written by
 * one thread).
 *
 * Layer: ops (device code of the GEMM family). */
__device__ __forceinline__ void fd_epi(const fd_args &a, u32 m, u32 n, const float *v) {
  u64 i = (u64)m * a.N + n;
  a.y0[i] = v[0] + a.r0[i];
}
