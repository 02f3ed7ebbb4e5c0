/* embed.cuh — y[t] = table[ids[t]], one block per token; an id outside
 * [0, V) gives a zero row and sets flag.
 *
 * Layer: ops (device code of FD_EMBED, ops/tokens.c). Every weight dtype
 * through the prelude's element loads (one row per token: not a hot path). */
FD_KERNEL(fd_args a) {
  const u32 t = blockIdx.x, D = a.dim;
  fd_pdl_wait();
  const int id = a.ids[t];
  float *y = a.y + (u64)t * D;
  if (id < 0 || (u32)id >= a.vocab) {
    for (u32 i = threadIdx.x; i < D; i += blockDim.x) y[i] = 0.0f;
    if (threadIdx.x == 0) a.flag[0] = 1;
    return;
  }
  const u64 row = (u64)id * D;
  for (u32 i = threadIdx.x; i < D; i += blockDim.x) y[i] = ld(a.table, row + i);
}
