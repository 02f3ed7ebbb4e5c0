/* epi_swiglu.cuh — epilogue of a two-product main: y0[j] = silu(v[0]) * v[1]
 * (gate and up of one row in one kernel).
 *
 * Layer: ops (device code of the GEMV family). */
#include "ops/math.cuh"
__device__ __forceinline__ void fd_epilogue(const fd_args &a, u32 j, const float *v) {
  if (j < a.rows0) a.y0[j] = fd_silu(v[0]) * v[1];
}
