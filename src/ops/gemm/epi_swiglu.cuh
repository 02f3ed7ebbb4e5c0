/* epi_swiglu.cuh — GEMM epilogue of a two-product main: y0[m, n] =
 * silu(v[0]) * v[1] (gate row n of w0 and up row n of w1 in one tile).
 *
 * Layer: ops (device code of the GEMM family). */
#include "ops/math.cuh"
__device__ __forceinline__ void fd_epi(const fd_args &a, u32 m, u32 n, const float *v) {
  a.y0[(u64)m * a.N + n] = fd_silu(v[0]) * v[1];
}
