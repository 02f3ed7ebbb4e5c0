/* rows.cuh — the prefill side of the QKV family's epilogue, for T tokens
 * whose q/k/v products (bias included) a GEMM wrote in the family's row
 * order: RoPE at each token's position, q out in head order, k and v into
 * the cache through the page table (ops/kv_page.cuh). One block per token.
 *
 * With FD_QK_NORM defined (FD_QKV_ROWS_NORM), each q and k head is first
 * RMS-normalized over its head_dim values and scaled by q_norm / k_norm: a
 * thread per head sums its squares pair by pair (the CPU twin's order) into
 * shared memory, then the pairs are scaled as they are rotated.
 *
 * Layer: ops (device code of FD_QKV_ROWS and FD_QKV_ROWS_NORM, ops/qkv/rows.c). */
#include "ops/math.cuh"
#include "ops/kv_page.cuh"
/* Pair j (of head j / (hd/2)) of token t's y: (scaled by the head's rs and
 * the norm's weights with FD_QK_NORM,) rotated, into q or the cache row at
 * row0 + kv head * P. */
__device__ __forceinline__ void fd_rows_pair(const fd_args &a, const float *y, float *q, u32 j, u32 pairs, float rsh,
                                             int p, bool fits, u64 row0) {
  u32 half = a.head_dim / 2, h = j / half, i = j - h * half;
  float lo = y[j], hi = y[pairs + j];
#ifdef FD_QK_NORM
  const float *w = h < a.heads ? a.q_norm : a.k_norm;
  lo = lo * rsh * w[i];
  hi = hi * rsh * w[i + half];
#else
  (void)rsh;
#endif
  fd_rope_pair(lo, hi, (float)p * a.inv_freq[i], &lo, &hi);
  if (h < a.heads) {
    q[h * a.head_dim + i] = lo;
    q[h * a.head_dim + i + half] = hi;
  } else if (fits) {
    u64 o = (row0 + (u64)(h - a.heads) * FD_KV_PAGE) * a.head_dim + i;
    st(a.kc, o, lo);
    st(a.kc, o + half, hi);
  }
}
#ifdef FD_QK_NORM
/* Head h's RMSNorm scale, its squares summed pair by pair (the CPU twin's order). */
__device__ __forceinline__ float fd_rows_scale(const fd_args &a, const float *y, u32 h, u32 pairs) {
  u32 half = a.head_dim / 2;
  float ss = 0.0f;
  for (u32 i = 0; i < half; i++) {
    float lo = y[h * half + i], hi = y[pairs + h * half + i];
    ss += lo * lo + hi * hi;
  }
  return 1.0f / sqrtf(ss / (float)a.head_dim + a.eps);
}
#endif
FD_KERNEL(fd_args a) {
  fd_pdl_wait();
  u32 t = blockIdx.x, half = a.head_dim / 2, pairs = (a.heads + a.kv_heads) * half;
  u32 R = 2 * pairs + a.kv_heads * a.head_dim;
  int p = a.pos[0] + (int)t;
  bool fits = p >= 0 && (u32)p < a.ctx;
  const u64 row0 = fits ? fd_kv_row(a.pages, a.kv_heads, 0, (u32)p) : 0;   /* kv head g: row0 + g * FD_KV_PAGE */
  const float *y = a.y + (u64)t * R;
  float *q = a.q + (u64)t * a.heads * a.head_dim;
#ifdef FD_QK_NORM
  __shared__ float rs[256];
  for (u32 h = threadIdx.x; h < a.heads + a.kv_heads; h += blockDim.x) rs[h] = fd_rows_scale(a, y, h, pairs);
  __syncthreads();
#endif
  for (u32 j = threadIdx.x; j < pairs; j += blockDim.x) {
#ifdef FD_QK_NORM
    fd_rows_pair(a, y, q, j, pairs, rs[j / half], p, fits, row0);
#else
    fd_rows_pair(a, y, q, j, pairs, 1.0f, p, fits, row0);
#endif
  }
  for (u32 j = threadIdx.x; fits && j < a.kv_heads * a.head_dim; j += blockDim.x) {
    u32 g = j / a.head_dim, d = j - g * a.head_dim;
    st(a.vc, (row0 + (u64)g * FD_KV_PAGE) * a.head_dim + d, y[2 * pairs + j]);
  }
  if (!fits && threadIdx.x == 0) a.flag[0] = 1;
}
