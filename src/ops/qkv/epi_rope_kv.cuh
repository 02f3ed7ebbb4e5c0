/* epi_rope_kv.cuh — the QKV family's epilogue: bias, RoPE at the device
 * position, and the write of K and V into the cache.
 *
 * Layer: ops (device code of the QKV family, ops/qkv/family.c). Rows of w0
 * and w1 are the first and second halves of every q head, then of every k
 * head ((H + KV) * hd / 2 rows each: the upload reorders Wq and Wk so), so
 * row j's two products are a rotate-half pair (x[i], x[i + hd/2]) of one
 * head; rows of w2 are v's (KV * hd). The position is read from device
 * memory (a captured graph replays this launch at every step), and so is the
 * page table that places it in the cache (ops/kv_page.cuh). A position past
 * the cache writes no K/V and raises flag[0]. */
#include "ops/math.cuh"
#include "ops/kv_page.cuh"
__device__ __forceinline__ void fd_epilogue(const fd_args &a, u32 j, const float *v) {
  u32 half = a.head_dim / 2, p = (u32)a.pos[0];
  bool fits = p < a.ctx;
  if (j < a.rows0) {
    u32 h = j / half, i = j - h * half;
    float lo, hi;
    fd_rope_pair(v[0] + a.b0[j], v[1] + a.b1[j], (float)p * a.inv_freq[i], &lo, &hi);
    if (h < a.heads) {
      a.q[h * a.head_dim + i] = lo;
      a.q[h * a.head_dim + i + half] = hi;
    } else if (fits) {
      u64 o = fd_kv_row(a.pages, a.kv_heads, h - a.heads, p) * a.head_dim + i;   /* q rows read no table */
      st(a.kc, o, lo);
      st(a.kc, o + half, hi);
    }
  }
  if (j < a.rows2 && fits) {
    u32 g = j / a.head_dim, d = j - g * a.head_dim;
    st(a.vc, fd_kv_row(a.pages, a.kv_heads, g, p) * a.head_dim + d, v[2] + a.b2[j]);
  }
  if (j == 0 && !fits) a.flag[0] = 1;
}
