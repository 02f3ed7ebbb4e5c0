/* m_embed.cuh — member EMBED of the persistent decode kernel: elements
 * [r0, r1) of h from the token's embedding row (ops/embed.cuh).
 *
 * Layer: ops (device code of the persistent decode kernel, ops/persist/). */
__device__ __forceinline__ void fd_member(const fd_args &a, unsigned char *smem, u32 r0, u32 r1, u32 aux) {
  (void)smem, (void)aux;
  fd_embed_range(a, 0, r0, r1);
}
__device__ __forceinline__ void fd_member_prefetch(const fd_args &a, u32 r0, u32 r1, u32 i0, u32 n) {
  (void)a, (void)r0, (void)r1, (void)i0, (void)n;
}
