/* m_advance.cuh — member ADVANCE of the persistent decode kernel: the
 * chosen token into the history at pos + 1, the position on
 * (ops/step.cuh's fd_step_advance).
 *
 * Layer: ops (device code of the persistent decode kernel, ops/persist/). */
__device__ __forceinline__ void fd_member(const fd_args &a, unsigned char *smem, u32 r0, u32 r1, u32 aux) {
  (void)smem, (void)r0, (void)r1, (void)aux;
  fd_step_advance(a);
}
__device__ __forceinline__ void fd_member_prefetch(const fd_args &a, u32 r0, u32 r1, u32 i0, u32 n) {
  (void)a, (void)r0, (void)r1, (void)i0, (void)n;
}
