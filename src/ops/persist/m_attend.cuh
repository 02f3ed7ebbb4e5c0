/* m_attend.cuh — member ATTEND of the persistent decode kernel: context
 * split s of query head h (the instruction's row h S + s, S = the
 * attention's splits), the decode attention's block (h, s)
 * (ops/attn_decode.cuh's ad_run). The last split of a head to finish merges
 * the splits into y there (the tickets on count), so the list's COMBINE has
 * nothing left to do: it orders the readers of y after every split of the
 * kv group (its wait), and runs no code.
 *
 * Layer: ops (device code of the persistent decode kernel, ops/persist/).
 * Needs a block of AD_WARPS warps (128 threads). */
__device__ __forceinline__ void fd_member(const fd_args &a, unsigned char *smem, u32 r0, u32 r1, u32 aux) {
  __shared__ __align__(16) ad_smem sm;
  (void)smem, (void)aux;
  for (u32 r = r0; r < r1; r++) {
    const u32 h = r / a.splits, s = r - h * a.splits;
    ad_run(a, sm, h, s);
    __syncthreads();   /* sm is the next block's */
  }
}
__device__ __forceinline__ void fd_member_prefetch(const fd_args &a, u32 r0, u32 r1, u32 i0, u32 n) {
  (void)a, (void)r0, (void)r1, (void)i0, (void)n;
}
