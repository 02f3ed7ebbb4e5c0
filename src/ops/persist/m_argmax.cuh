/* m_argmax.cuh — member ARGMAX of the persistent decode kernel: the best
 * (logit, id) of the head range [r0, r1) its block just wrote (ids at or
 * past `valid` never chosen) into part[2 aux], part[2 aux + 1]
 * (ops/argmax.cuh's am_share).
 *
 * Layer: ops (device code of the persistent decode kernel, ops/persist/). */
__device__ __forceinline__ void fd_member(const fd_args &a, unsigned char *smem, u32 r0, u32 r1, u32 aux) {
  __shared__ float sv[32];
  __shared__ int si[32];
  (void)smem;
  const u32 lo = min(r0, a.valid), hi = min(r1, a.valid);
  float bv;
  int bi;
  am_share(a.x, lo, hi, bv, bi, sv, si);
  if (threadIdx.x == 0) {
    a.part[2 * aux] = __float_as_int(bv);
    a.part[2 * aux + 1] = bi;
  }
}
__device__ __forceinline__ void fd_member_prefetch(const fd_args &a, u32 r0, u32 r1, u32 i0, u32 n) {
  (void)a, (void)r0, (void)r1, (void)i0, (void)n;
}
