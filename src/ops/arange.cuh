/* arange.cuh — y[i] = start + i * step in y's dtype.
 *
 * Layer: ops (device code of FD_ARANGE, ops/elementwise.c). */
FD_KERNEL(fd_args a) {
  u64 i = (u64)blockIdx.x * blockDim.x + threadIdx.x;
  if (i < a.n) st(a.y, i, a.start + (float)i * a.step);
}
