/* input_rmsnorm.cuh — input stage: RMSNorm(x) * norm_w, computed once per
 * block into shared memory (x's layout is the policy's fd_xs_index).
 *
 * Layer: ops (device code of the GEMV family; see ops/gemv/family.c). */
#include "ops/math.cuh"
__device__ __forceinline__ const float *fd_input(const fd_args &a, float *xs, bool once) {
  __shared__ float part[32];
  (void)once;
  u32 tid = threadIdx.y * blockDim.x + threadIdx.x, nt = blockDim.x * blockDim.y;
  float scale = fd_rms_scale(a.x, a.cols, a.eps, tid, nt, part);
  for (u32 i = tid; i < a.cols; i += nt) xs[fd_xs_index(i)] = a.x[i] * scale * a.norm_w[i];
  __syncthreads();
  return xs;
}
