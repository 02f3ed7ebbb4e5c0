/* m_qkv_rows.cuh — member QKV_ROWS of the persistent decode kernel (a plan
 * whose q and k are RMS-normalized per head: Qwen3): rows [u0, u1) of head
 * slot s (the instruction's rows s hd + u0 .. s hd + u1; slots group-major:
 * group g's rep q heads, its k head, its v head) of the q/k/v product into
 * y, in y's own row order (ops/qkv/family.c: the first halves of every q
 * then k head, the second halves, then v), with the GEMV compound (input
 * RMSNorm, policy, store). A q or k head's row u < hd/2 is y row
 * head hd/2 + u, a later one pairs + head hd/2 + u - hd/2; v head g's row u
 * is 2 pairs + g hd + u: two ranges at most.
 *
 * Layer: ops (device code of the persistent decode kernel, ops/persist/). */
#include "ops/persist/gemv_range.cuh"
/* [lo[k], hi[k]) of y for the instruction's rows; the members' shape comes from the QK_NORM args it does not see,
 * so the generator defines FD_PQ_HEADS, FD_PQ_KV, FD_PQ_HD. */
__device__ __forceinline__ void fd_qkv_rows_parts(u32 r0, u32 r1, u32 *lo, u32 *hi) {
  const u32 hd = FD_PQ_HD, half = hd / 2, rep = FD_PQ_HEADS / FD_PQ_KV, pairs = (FD_PQ_HEADS + FD_PQ_KV) * half;
  const u32 s = r0 / hd, u0 = r0 - s * hd, u1 = r1 - s * hd, g = s / (rep + 2), j = s - g * (rep + 2);
  if (j == rep + 1) {   /* v */
    lo[0] = 2 * pairs + g * hd + u0, hi[0] = 2 * pairs + g * hd + u1, lo[1] = hi[1] = 0;
    return;
  }
  const u32 h = j < rep ? g * rep + j : FD_PQ_HEADS + g;
  lo[0] = h * half + (u0 < half ? u0 : half), hi[0] = h * half + (u1 < half ? u1 : half);
  lo[1] = pairs + h * half + (u0 > half ? u0 - half : 0), hi[1] = pairs + h * half + (u1 > half ? u1 - half : 0);
}
__device__ __forceinline__ void fd_member(const fd_args &a, unsigned char *smem, u32 r0, u32 r1, u32 aux, u32 &seq) {
  (void)aux;
  u32 lo[2], hi[2];
  fd_qkv_rows_parts(r0, r1, lo, hi);
  fd_xin x = fd_input(a, smem, false);
  for (int k = 0; k < 2; k++)
    if (lo[k] < hi[k]) fd_range_rows(a, x, smem + fd_xs_bytes(a.cols), lo[k], hi[k], seq);
}
__device__ __forceinline__ bool fd_member_issue(const fd_args &a, u32 r0, u32 r1, u32 c, unsigned char *buf, u32 slot,
                                                u32 bar) {
  u32 lo[2], hi[2];
  fd_qkv_rows_parts(r0, r1, lo, hi);
  for (int k = 0; k < 2; k++)
    if (lo[k] < hi[k] && fd_range_issue(a, lo[k], hi[k], c, buf, slot, bar)) return true;
  return false;
}
__device__ __forceinline__ void fd_member_prefetch(const fd_args &a, u32 r0, u32 r1, u32 i0, u32 n) {
  u32 lo[2], hi[2];
  fd_qkv_rows_parts(r0, r1, lo, hi);
  for (int k = 0; k < 2; k++)
    if (lo[k] < hi[k]) fd_range_prefetch(a, lo[k], hi[k], i0, n);
}
