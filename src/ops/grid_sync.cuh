/* grid_sync.cuh — the all-blocks hand-over of a persistent kernel: every
 * block arrives on a device counter and waits until all have, through
 * release/acquire at gpu scope, so what any block wrote before arriving is
 * visible to every block after it leaves. The counter only grows (u32, wrap
 * compared by difference), so a step's waits need no reset between launches:
 * the caller gives each wait its absolute target.
 *
 * Layer: ops (device code, included by FD_HANDOVER and, later, the persistent
 * decode kernel). */

__device__ __forceinline__ u32 fd_ld_acquire(const u32 *p) {
  u32 v;
  asm volatile("ld.acquire.gpu.global.u32 %0, [%1];" : "=r"(v) : "l"(p) : "memory");
  return v;
}

/* The GPU's nanosecond clock (a persistent kernel's watchdog). */
__device__ __forceinline__ u64 fd_globaltimer() {
  u64 t;
  asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t));
  return t;
}

__device__ __forceinline__ void fd_red_release_add(u32 *p, u32 v) {
  asm volatile("red.release.gpu.global.add.u32 [%0], %1;" ::"l"(p), "r"(v) : "memory");
}

/* All threads of every block call it; returns once `counter` has reached
 * `target` (the number of arrivals this hand-over completes). */
__device__ __forceinline__ void fd_grid_handover(u32 *counter, u32 target) {
  __syncthreads();
  if (threadIdx.x == 0) {
    fd_red_release_add(counter, 1);
    while ((int)(target - fd_ld_acquire(counter)) > 0) {}
  }
  __syncthreads();
}
