/* handover.cuh — FD_HANDOVER's device code: `stages` all-blocks hand-overs
 * and no arithmetic, the floor a persistent kernel's step pays per
 * dependency. state[0] counts arrivals; state[1] holds the count the last
 * launch ended at. Every block reads state[1] first, and block 0 moves it on
 * only after the last hand-over, when all blocks have read it: a captured
 * graph replays with no reset, and launches may differ in `stages`.
 *
 * Layer: ops (device code of FD_HANDOVER, ops/handover.c). */
#include "ops/grid_sync.cuh"

FD_KERNEL(fd_args a) {
  u32 *st = (u32 *)a.state;
  __shared__ u32 base;
  if (threadIdx.x == 0) base = fd_ld_acquire(st + 1);
  __syncthreads();
  const u32 nb = gridDim.x;
  for (u32 s = 0; s < a.stages; s++) fd_grid_handover(st, base + (s + 1) * nb);
  if (blockIdx.x == 0 && threadIdx.x == 0) fd_red_release_add(st + 1, a.stages * nb);
}
