/* gemv_range.cuh — a GEMV compound's rows [r0, r1) on the whole block, and
 * the L2 prefetch of those rows' weights, for the members built on the
 * GEMV main stage (m_gemv.cuh, m_qkv.cuh): the main stage's own
 * fd_gemv_begin and fd_gemv_rows (ops/gemv/main.cuh) as one virtual block,
 * a warp a row: rows2d.cuh, included before the member's kernel, makes the
 * linear block of warps the main's row groups.
 *
 * Layer: ops (device code of the persistent decode kernel, ops/persist/). */
#define FD_PF_CHUNK 4096u   /* bytes one thread's prefetch asks for at a time */
/* Rows [r0, r1) of every product of a (whose rows# say which products a row has) with x staged. */
__device__ __forceinline__ void fd_range_rows(const fd_args &a, fd_xin x, unsigned char *ws, u32 r0, u32 r1) {
  u32 wid = (FD_TY * FD_TPR + FD_TX) >> 5;
  unsigned char *stage = ws + wid * FD_STAGE_BYTES;
  float *red = (float *)(ws + 8 * FD_STAGE_BYTES);
  fd_pipe pipe = {};
  fd_gemv_begin(a, r0 + FD_TY, FD_RPB, r1, stage, pipe);
  fd_gemv_rows(a, x, r0, r1, 0, 1, stage, red, pipe);
  fd_cp_wait_all();
  __syncthreads();   /* the staging is free for the next range */
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
