/* gemv_plain.cuh — y = W x written plainly: one warp per row, every dtype
 * through the prelude's element loads (the yardstick of the compound GEMVs).
 *
 * Layer: ops (device code of FD_GEMV, ops/gemv.c). */
FD_KERNEL(fd_args a) {
  u32 row = blockIdx.x * 8 + (threadIdx.x >> 5), lane = threadIdx.x & 31;
  if (row >= a.rows) return;
  u64 rowlen = (u64)a.cols;
  float acc = 0.0f;
  for (u32 c = lane; c < a.cols; c += 32) acc += ld(a.w, (u64)row * rowlen + c) * a.x[c];
  acc = warp_sum(acc);
  if (lane == 0) a.y[row] = acc;
}
