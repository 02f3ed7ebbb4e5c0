/* gemv_range.cuh — a GEMV compound's rows [r0, r1) on the whole block, for
 * the members built on the GEMV main stage (m_gemv.cuh, m_qkv.cuh,
 * m_qkv_rows.cuh): rows2d.cuh, included before the member's kernel, makes
 * the linear block of warps the main's row groups, a warp a row.
 *   ring      (ring.cuh) the rows come through the weight ring in chunks
 *             of rows [j0, j1) of every product, product i's window at
 *             region i of the slot; a warp takes a chunk's rows j0 + w,
 *             j0 + w + warps, ... from shared memory (the policy's
 *             fd_dot_smem) and hands them to the epilogue. fd_range_issue is
 *             the same walk on the issuing side: both count chunks alike.
 *   streamed  (no ring) the main stage's own fd_gemv_begin and fd_gemv_rows
 *             (ops/gemv/main.cuh) as one virtual block; fd_range_prefetch
 *             brings the rows into L2 an instruction ahead.
 *
 * Layer: ops (device code of the persistent decode kernel, ops/persist/). */
#define FD_PF_CHUNK 4096u   /* bytes one thread's prefetch asks for at a time */
__device__ __forceinline__ u64 fd_range_rb(const fd_args &a) { return fd_row_stride(a.w0, a.cols) * sizeof *a.w0; }
/* Rows [r0, r1) of every product of a (whose rows# say which products a row has) with x staged; seq: the ring's
 * chunks consumed so far (every thread's copy moves alike). */
__device__ __forceinline__ void fd_range_rows(const fd_args &a, fd_xin x, unsigned char *ws, u32 r0, u32 r1, u32 &seq) {
  fd_ring_sh &R = fd_rs();
  if (R.slots) {
    const u64 rb = fd_range_rb(a);
    const u32 region = fd_ring_region(R.slot, FD_NOUT), rpc = max(1u, fd_ring_rows(R.slot, FD_NOUT, rb));
    for (u32 j0 = r0; j0 < r1; j0 += rpc, seq++) {
      fd_ring_wait(seq);
      fd_rows_smem(a, x, R.base + (u64)(seq % R.slots) * R.slot, region, rb, j0, min(r1, j0 + rpc), (float *)ws);
      __syncthreads();   /* the slot is free */
      if (threadIdx.x == 0) fd_ring_refill(seq + 1);
    }
    return;
  }
  u32 wid = (FD_TY * FD_TPR + FD_TX) >> 5;
  unsigned char *stage = ws + wid * FD_STAGE_BYTES;
  float *red = (float *)(ws + 8 * FD_STAGE_BYTES);
  fd_pipe pipe = {};
  fd_gemv_begin(a, r0 + FD_TY, FD_RPB, r1, stage, pipe);
  fd_gemv_rows(a, x, r0, r1, 0, 1, stage, red, pipe);
  fd_cp_wait_all();
  __syncthreads();   /* the staging is free for the next range */
}
/* Thread 0, issuing: chunk c of rows [r0, r1) of a's products into buf on bar; false (c less this range's
 * chunks) when c is past them. */
__device__ __forceinline__ bool fd_range_issue(const fd_args &a, u32 r0, u32 r1, u32 &c, unsigned char *buf, u32 slot,
                                               u32 bar) {
  const u64 rb = fd_range_rb(a);
  const u32 region = fd_ring_region(slot, FD_NOUT), rpc = max(1u, fd_ring_rows(slot, FD_NOUT, rb));
  const u32 n = r1 > r0 ? (r1 - r0 + rpc - 1) / rpc : 0;
  if (c >= n) {
    c -= n;
    return false;
  }
  const u32 j0 = r0 + c * rpc, j1 = min(r1, j0 + rpc);
  for (int i = 0; i < FD_NOUT; i++) {
    const u32 e = min(j1, fd_rows(a, i));
    if (j0 >= e) continue;
    const u64 p = (u64)fd_row(a, i, j0), lo = p & ~15ull, hi = (p + (e - j0) * rb + 15) & ~15ull;
    fd_mbar_expect(bar, (u32)(hi - lo));
    fd_bulk_load(fd_smem_addr(buf + i * region), (const void *)lo, (u32)(hi - lo), bar);
  }
  fd_mbar_arrive(bar);
  return true;
}
/* Thread i0 of n: rows [r0, r1) of every product into L2 (they are read-only: no wait orders them). */
__device__ __forceinline__ void fd_range_prefetch(const fd_args &a, u32 r0, u32 r1, u32 i0, u32 n) {
  for (int i = 0; i < FD_NOUT; i++) {
    u32 e = r1 < fd_rows(a, i) ? r1 : fd_rows(a, i);
    if (r0 >= e) continue;
    const unsigned char *p = (const unsigned char *)fd_row(a, i, r0);
    u64 bytes = (u64)(e - r0) * fd_row_stride(a.w0, a.cols) * sizeof *a.w0;
    for (u64 o = (u64)i0 * FD_PF_CHUNK; o < bytes; o += (u64)n * FD_PF_CHUNK)
      fd_prefetch_l2(p + o, bytes - o < FD_PF_CHUNK ? bytes - o : FD_PF_CHUNK);
  }
}
