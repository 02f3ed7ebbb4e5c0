/* epi_store.cuh — GEMM epilogue: y0[m, n] = v[0].
 *
 * Layer: ops (device code of the GEMM family). */
__device__ __forceinline__ void fd_epi(const fd_args &a, u32 m, u32 n, const float *v) {
  a.y0[(u64)m * a.N + n] = v[0];
}
