/* rmsnorm.cuh — y = x * rsqrt(mean(x^2) + eps) * weight, one block per row.
 *
 * Layer: ops (device code of FD_RMSNORM, ops/norm_act.c). */
#include "ops/math.cuh"
FD_KERNEL(fd_args a) {
  __shared__ float part[32];
  const float *x = a.x + (u64)blockIdx.x * a.dim;
  float s = fd_rms_scale(x, a.dim, a.eps, threadIdx.x, blockDim.x, part);
  for (u32 i = threadIdx.x; i < a.dim; i += blockDim.x) a.y[(u64)blockIdx.x * a.dim + i] = x[i] * s * a.weight[i];
}
