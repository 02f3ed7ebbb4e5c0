/* step.cuh — the decode step's last kernel: records the token the step
 * chose at the next position and advances the position, on the device, so
 * a captured step replays with no host write.
 *
 * Layer: ops (device code of FD_STEP_ADVANCE, ops/step.c). */
__device__ __forceinline__ void fd_step_advance(const fd_args &a) {
  if (threadIdx.x == 0) {
    int p = a.pos[0] + 1;
    if (p >= 0 && (u32)p < a.cap) a.hist[p] = a.ids[0];
    a.pos[0] = p;
  }
}
FD_KERNEL(fd_args a) {
  fd_pdl_wait();
  fd_step_advance(a);
}
