/* m_gemv.cuh — member PROJ_RES, GLU or HEAD of the persistent decode
 * kernel: a GEMV compound (input stage, weight policy, main, epilogue)
 * over rows [r0, r1) of its products.
 *
 * Layer: ops (device code of the persistent decode kernel, ops/persist/). */
#include "ops/persist/gemv_range.cuh"
__device__ __forceinline__ void fd_member(const fd_args &a, unsigned char *smem, u32 r0, u32 r1, u32 aux, u32 &seq) {
  (void)aux;
  fd_xin x = fd_input(a, smem, false);
  fd_range_rows(a, x, smem + fd_xs_bytes(a.cols), r0, r1, seq);
}
__device__ __forceinline__ bool fd_member_issue(const fd_args &a, u32 r0, u32 r1, u32 c, unsigned char *buf, u32 slot,
                                                u32 bar) {
  return fd_range_issue(a, r0, r1, c, buf, slot, bar);
}
__device__ __forceinline__ void fd_member_prefetch(const fd_args &a, u32 r0, u32 r1, u32 i0, u32 n) {
  fd_range_prefetch(a, r0, r1, i0, n);
}
