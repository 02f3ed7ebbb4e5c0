/* rope_kv.cuh — RoPE on q and k of a chunk and the cache write of k and v,
 * one block per token.
 *
 * Layer: ops (device code of FD_ROPE_KV, ops/rope_kv.c). Token t sits at
 * position P = pos + t: its q pairs (i, i + hd/2) of every head turn by
 * (float)P * inv_freq[i] (fd_rope_pair, math.cuh) into qr (which may be q:
 * each thread reads its pair before writing it); its k pairs turn likewise
 * and land in kc at row fd_kv_row(pages, KV, j, P) (the page table), its v in
 * vc, rounded to the cache's dtype. A position outside [0, C) writes nothing
 * to the cache and sets flag. */
#include "ops/math.cuh"
#include "ops/kv_page.cuh"
FD_KERNEL(fd_args a) {
  const u32 t = blockIdx.x, hd = a.head_dim, half = hd / 2, H = a.heads, KV = a.kv_heads;
  fd_pdl_wait();
  const int P = a.pos[0] + (int)t;
  const float fp = (float)P;
  for (u32 i = threadIdx.x; i < H * half; i += blockDim.x) {
    const u32 h = i / half, d = i % half;
    const u64 o = ((u64)t * H + h) * hd + d;
    float lo, hi;
    fd_rope_pair(a.q[o], a.q[o + half], fp * a.inv_freq[d], &lo, &hi);
    a.qr[o] = lo;
    a.qr[o + half] = hi;
  }
  if (P < 0 || (u32)P >= a.ctx) {
    if (threadIdx.x == 0) a.flag[0] = 1;
    return;
  }
  const u64 row0 = fd_kv_row(a.pages, KV, 0, (u32)P);  /* kv head j's row: row0 + j * FD_KV_PAGE */
  for (u32 i = threadIdx.x; i < KV * half; i += blockDim.x) {
    const u32 j = i / half, d = i % half;
    const u64 o = ((u64)t * KV + j) * hd + d, c = (row0 + (u64)j * FD_KV_PAGE) * hd + d;
    float lo, hi;
    fd_rope_pair(a.k[o], a.k[o + half], fp * a.inv_freq[d], &lo, &hi);
    st(a.kc, c, lo);
    st(a.kc, c + half, hi);
  }
  for (u32 i = threadIdx.x; i < KV * hd; i += blockDim.x) {
    const u32 j = i / hd, d = i % hd;
    st(a.vc, (row0 + (u64)j * FD_KV_PAGE) * hd + d, a.v[(u64)t * KV * hd + i]);
  }
}
