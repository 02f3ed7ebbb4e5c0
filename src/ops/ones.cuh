/* ones.cuh — y = 1 in y's dtype.
 *
 * Layer: ops (device code of FD_ONES, ops/elementwise.c). */
FD_KERNEL(fd_args a) {
  u64 i = (u64)blockIdx.x * blockDim.x + threadIdx.x;
  if (i < a.n) st(a.y, i, 1.0f);
}
