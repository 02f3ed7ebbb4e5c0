/* philox.cuh — FD_PHILOX: y[4 i + j] = word j of Philox4x32-10(key,
 * counter (i, ctr1, 0, 0)); the generator is ops/sample_rule.cuh's, shared
 * with the host.
 *
 * Layer: ops (device code of FD_PHILOX, ops/sample.c). */
#include "ops/sample_rule.cuh"
FD_KERNEL(fd_args a) {
  u32 i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= a.n) return;
  fd_u32 c[4] = { i, a.ctr1, 0, 0 }, k[2] = { (fd_u32)a.key, (fd_u32)(a.key >> 32) }, o[4];
  fd_philox4x32_10(c, k, o);
  for (int j = 0; j < 4; j++) a.y[4 * (u64)i + j] = (int)o[j];
}
