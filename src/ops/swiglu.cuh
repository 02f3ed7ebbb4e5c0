/* swiglu.cuh — y = silu(gate) * up, elementwise.
 *
 * Layer: ops (device code of FD_SWIGLU, ops/norm_act.c). */
#include "ops/math.cuh"
FD_KERNEL(fd_args a) {
  u64 i = (u64)blockIdx.x * blockDim.x + threadIdx.x;
  if (i < a.n) a.y[i] = fd_silu(a.gate[i]) * a.up[i];
}
