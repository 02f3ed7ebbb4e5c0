/* m_pick.cuh — member PICK of the persistent decode kernel: the next token
 * into y[0], the best of the `aux` ranges' pairs in part
 * (ops/argmax.cuh's am_final).
 *
 * Layer: ops (device code of the persistent decode kernel, ops/persist/). */
__device__ __forceinline__ void fd_member(const fd_args &a, unsigned char *smem, u32 r0, u32 r1, u32 aux) {
  __shared__ float sv[32];
  __shared__ int si[32];
  (void)smem, (void)r0, (void)r1;
  am_final(a, aux, sv, si);
}
__device__ __forceinline__ void fd_member_prefetch(const fd_args &a, u32 r0, u32 r1, u32 i0, u32 n) {
  (void)a, (void)r0, (void)r1, (void)i0, (void)n;
}
