/* m_qkv.cuh — member QKV of the persistent decode kernel: rotary pairs
 * [u0, u1) of kv group g (the instruction's rows g units + u0 ..
 * g units + u1, units = (rep + 2) hd/2; model/ilist_lower.c): the QKV
 * compound (RMSNorm, q/k/v products, bias, RoPE, cache write) over the
 * family rows they are. Slot j < rep of a group is q head g rep + j, pair
 * rows g rep hd/2 + u of w0/w1; slot rep its k head, rows (H + g) hd/2 + i;
 * slot rep + 1 its v head, whose pair i is v rows g hd + i and
 * g hd + hd/2 + i of w2. A part runs with the other products' rows set to
 * 0, so the epilogue writes only its own.
 *
 * Layer: ops (device code of the persistent decode kernel, ops/persist/). */
#include "ops/persist/gemv_range.cuh"
__device__ __forceinline__ u32 fd_clamp_u(u32 x, u32 lo, u32 hi) { return x < lo ? lo : x > hi ? hi : x; }
/* The instruction's family rows as four parts: [lo[k], hi[k]) of the q/k pairs (v[k] false) or of the v rows. */
__device__ __forceinline__ void fd_qkv_parts(const fd_args &a, u32 r0, u32 r1, u32 *lo, u32 *hi, bool *v) {
  const u32 half = a.head_dim / 2, rep = a.heads / a.kv_heads, units = (rep + 2) * half;
  const u32 g = r0 / units, u0 = r0 - g * units, u1 = r1 - g * units;
  const u32 qe = rep * half, ke = qe + half, ve = ke + half;
  lo[0] = g * qe + fd_clamp_u(u0, 0, qe), hi[0] = g * qe + fd_clamp_u(u1, 0, qe), v[0] = false;
  lo[1] = (a.heads + g) * half + fd_clamp_u(u0, qe, ke) - qe, hi[1] = (a.heads + g) * half + fd_clamp_u(u1, qe, ke) - qe;
  v[1] = false;
  lo[2] = g * a.head_dim + fd_clamp_u(u0, ke, ve) - ke, hi[2] = g * a.head_dim + fd_clamp_u(u1, ke, ve) - ke, v[2] = true;
  lo[3] = lo[2] + half, hi[3] = hi[2] + half, v[3] = true;
}
__device__ __forceinline__ fd_args fd_qkv_only(const fd_args &a, bool v) {
  fd_args b = a;
  if (v) b.rows0 = b.rows1 = 0;
  else b.rows2 = 0;
  return b;
}
__device__ __forceinline__ void fd_member(const fd_args &a, unsigned char *smem, u32 r0, u32 r1, u32 aux, u32 &seq) {
  (void)aux;
  u32 lo[4], hi[4];
  bool v[4];
  fd_qkv_parts(a, r0, r1, lo, hi, v);
  fd_xin x = fd_input(a, smem, false);
  for (int k = 0; k < 4; k++)
    if (lo[k] < hi[k]) fd_range_rows(fd_qkv_only(a, v[k]), x, smem + fd_xs_bytes(a.cols), lo[k], hi[k], seq);
}
/* the parts in fd_member's order */
__device__ __forceinline__ bool fd_member_issue(const fd_args &a, u32 r0, u32 r1, u32 c, unsigned char *buf, u32 slot,
                                                u32 bar) {
  u32 lo[4], hi[4];
  bool v[4];
  fd_qkv_parts(a, r0, r1, lo, hi, v);
  for (int k = 0; k < 4; k++)
    if (lo[k] < hi[k] && fd_range_issue(fd_qkv_only(a, v[k]), lo[k], hi[k], c, buf, slot, bar)) return true;
  return false;
}
__device__ __forceinline__ void fd_member_prefetch(const fd_args &a, u32 r0, u32 r1, u32 i0, u32 n) {
  u32 lo[4], hi[4];
  bool v[4];
  fd_qkv_parts(a, r0, r1, lo, hi, v);
  for (int k = 0; k < 4; k++)
    if (lo[k] < hi[k]) fd_range_prefetch(fd_qkv_only(a, v[k]), lo[k], hi[k], i0, n);
}
