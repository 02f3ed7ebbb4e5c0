/* embed.cuh — y[t] = table[ids[t]], one block per token; an id outside
 * [0, V) gives a zero row and sets flag.
 *
 * Layer: ops (device code of FD_EMBED, ops/tokens.c). Every weight dtype
 * through the prelude's element loads (one row per token: not a hot path). */
/* Elements [lo, hi) of token t's row, thread by thread (a persistent
 * kernel's member calls it for its range). */
__device__ __forceinline__ void fd_embed_range(const fd_args &a, u32 t, u32 lo, u32 hi) {
  const u32 D = a.dim;
  const int id = a.ids[t];
  float *y = a.y + (u64)t * D;
  if (id < 0 || (u32)id >= a.vocab) {
    for (u32 i = lo + threadIdx.x; i < hi; i += blockDim.x) y[i] = 0.0f;
    if (threadIdx.x == 0) a.flag[0] = 1;
    return;
  }
  const u64 row = (u64)id * D;
  for (u32 i = lo + threadIdx.x; i < hi; i += blockDim.x) y[i] = ld(a.table, row + i);
}
FD_KERNEL(fd_args a) {
  fd_pdl_wait();
  fd_embed_range(a, blockIdx.x, 0, a.dim);
}
