/* epilogue.cuh — the per-output epilogues' common shape: each product i of
 * row j stored to y<i> as FD_EPI_VALUE(i), for the epilogue file that
 * defines FD_EPI_VALUE(i) (an expression of v[i], a and j) and includes this.
 *
 * Layer: ops (device code of the GEMV family). */
__device__ __forceinline__ void fd_epilogue(const fd_args &a, u32 j, const float *v) {
  if (j < a.rows0) a.y0[j] = FD_EPI_VALUE(0);
  if (FD_NOUT > 1 && j < a.rows1) a.y1[j] = FD_EPI_VALUE(1);
  if (FD_NOUT > 2 && j < a.rows2) a.y2[j] = FD_EPI_VALUE(2);
}
