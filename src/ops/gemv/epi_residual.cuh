/* epi_residual.cuh — epilogue of a one-product main: y0[j] = v[0] + r0[j]
 * (y0 may be r0: the residual stream updated in place).
 *
 * Layer: ops (device code of the GEMV family). */
__device__ __forceinline__ void fd_epilogue(const fd_args &a, u32 j, const float *v) {
  if (j < a.rows0) a.y0[j] = v[0] + a.r0[j];
}
