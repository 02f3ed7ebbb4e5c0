/* m_qk_norm.cuh — member QK_NORM of the persistent decode kernel: head slot
 * s (the instruction's row; group-major: group g's rep q heads, its k head,
 * its v head) of y for the token at pos: a q or k head RMS-normalized over
 * its head_dim values (its scale summed as the per-kernel step's, one
 * thread), rotated and stored into q or the cache; a v head copied into the
 * cache (ops/qkv/rows.cuh's fd_rows_scale and fd_rows_pair, T = 1).
 *
 * Layer: ops (device code of the persistent decode kernel, ops/persist/). */
__device__ __forceinline__ void fd_member(const fd_args &a, unsigned char *smem, u32 r0, u32 r1, u32 aux) {
  __shared__ float rs;
  (void)smem, (void)r1, (void)aux;
  const u32 hd = a.head_dim, half = hd / 2, rep = a.heads / a.kv_heads, pairs = (a.heads + a.kv_heads) * half;
  const u32 g = r0 / (rep + 2), j = r0 - g * (rep + 2);
  const int p = a.pos[0];
  const bool fits = p >= 0 && (u32)p < a.ctx;
  const u64 row0 = fits ? fd_kv_row(a.pages, a.kv_heads, 0, (u32)p) : 0;
  if (j == rep + 1) {   /* v head g */
    for (u32 d = threadIdx.x; fits && d < hd; d += blockDim.x)
      st(a.vc, (row0 + (u64)g * FD_KV_PAGE) * hd + d, a.y[2 * pairs + g * hd + d]);
  } else {
    const u32 h = j < rep ? g * rep + j : a.heads + g;
    if (threadIdx.x == 0) rs = fd_rows_scale(a, a.y, h, pairs);
    __syncthreads();
    for (u32 i = threadIdx.x; i < half; i += blockDim.x) fd_rows_pair(a, a.y, a.q, h * half + i, pairs, rs, p, fits, row0);
  }
  if (!fits && threadIdx.x == 0) a.flag[0] = 1;
}
__device__ __forceinline__ void fd_member_prefetch(const fd_args &a, u32 r0, u32 r1, u32 i0, u32 n) {
  (void)a, (void)r0, (void)r1, (void)i0, (void)n;
}
