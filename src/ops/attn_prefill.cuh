/* attn_prefill.cuh — T queries at positions pos+t against the cache,
 * causal, flash-attention style: a block takes 16 queries of one head and
 * walks the cache in tiles of BK positions with an online softmax (f32,
 * base 2). SIMT, no tensor cores.
 *
 * Layer: ops (device code of FD_ATTN_PREFILL, ops/attention.c). Grid
 * (ceil(T/16), H), 128 threads = 4 warps x 4 queries. BK = 32 positions per
 * tile (16 when hd > 128, for shared memory): a power of two dividing 32, so
 * a tile lies in one page of the paged cache (ops/kv_page.cuh) and looks it
 * up once; the next tile's entry is loaded while this one works. Shared: the 16 queries in f32 (pre-scaled by scale *
 * log2 e), the tile's k in 32-bit words with rows padded by one word (lane r
 * reads row r without bank conflicts), its v unpadded. Scores: lane r takes
 * position r of the tile for the warp's 4 queries; values: lane l owns the
 * words l, l+32, ... of each row (two dims each), the weights broadcast by
 * shuffles. Query t attends [0, min(pos+t, C-1)]. */
#include "ops/attn_common.cuh"
#include "ops/kv_page.cuh"
#define AP_BQ 16
#define AP_QW 4
#define AP_KWORDS 2080      /* max over hd of BK * (hd/2 + 1) */
#define AP_VWORDS 2048      /* BK * hd / 2 <= 2048 */
#define AP_NEG_INF __int_as_float(0xff800000u)

FD_KERNEL(fd_args a) {
  __shared__ __align__(16) float qs[AP_BQ * 256];
  __shared__ u32 ks[AP_KWORDS];
  __shared__ __align__(16) u32 vs[AP_VWORDS];
  const u32 hd = a.head_dim, hw = hd / 2, kw = hw + 1, BK = hd <= 128 ? 32u : 16u, c8 = hd / 8;
  const u32 H = a.heads, T = a.tokens, h = blockIdx.y, kvh = h / (H / a.kv_heads), q0 = blockIdx.x * AP_BQ;
  const u32 tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
  const float qscale = a.scale * FD_LOG2E;
  fd_pdl_wait();
  const long long start = a.pos[0];
  for (u32 i = tid; i < AP_BQ * hd; i += blockDim.x) {
    const u32 t = q0 + i / hd;
    qs[i] = t < T ? a.q[((u64)t * H + h) * hd + i % hd] * qscale : 0.0f;
  }
  /* the last position each of this warp's queries sees (-1: none) */
  long long lastp[AP_QW];
  long long kend = 0;                                  /* positions [0, kend) serve the block */
#pragma unroll
  for (int qi = 0; qi < AP_QW; qi++) {
    const u32 t = q0 + warp * AP_QW + qi;
    long long p = start + t;
    if (p > (long long)a.ctx - 1) p = (long long)a.ctx - 1;
    lastp[qi] = t < T ? p : -1;
  }
  {
    long long tl = (long long)min(q0 + AP_BQ, T) - 1, p = start + tl;
    if (p > (long long)a.ctx - 1) p = (long long)a.ctx - 1;
    kend = p + 1 > 0 ? p + 1 : 0;
  }
  float m[AP_QW], l[AP_QW], acc[AP_QW][4][2];
#pragma unroll
  for (int qi = 0; qi < AP_QW; qi++) {
    m[qi] = AP_NEG_INF;
    l[qi] = 0.0f;
#pragma unroll
    for (int i = 0; i < 4; i++) acc[qi][i][0] = acc[qi][i][1] = 0.0f;
  }

  int page = kend > 0 ? a.pages[0] : 0;
  for (long long t0 = 0; t0 < kend; t0 += BK) {
    const int page_next = t0 + BK < kend ? a.pages[(u32)(t0 + BK) / FD_KV_PAGE] : 0;
    const u64 row = fd_kv_page_row(page, a.kv_heads, kvh) + (u32)t0 % FD_KV_PAGE;   /* position t0's row */
    const kc_t *K = a.kc + row * hd;
    const vc_t *V = a.vc + row * hd;
    page = page_next;
    __syncthreads();                                   /* the previous tile is used up (and qs is written) */
    for (u32 c = tid; c < BK * c8; c += blockDim.x) {
      const u32 r = c / c8, part = c % c8;
      const long long key = t0 + r;
      fd_v4 kv = { 0, 0, 0, 0 }, vv = { 0, 0, 0, 0 };  /* rows past the end: zeros, never NaN garbage */
      if (key < kend) {
        kv = ld_v4_stream(K + (u64)r * hd + part * 8);
        vv = ld_v4_stream(V + (u64)r * hd + part * 8);
      }
      u32 *kd = ks + r * kw + part * 4;
      kd[0] = kv.x; kd[1] = kv.y; kd[2] = kv.z; kd[3] = kv.w;
      ((fd_v4 *)vs)[r * c8 + part] = vv;
    }
    __syncthreads();
    /* scores of position t0 + lane for the warp's queries */
    float sc[AP_QW];
#pragma unroll
    for (int qi = 0; qi < AP_QW; qi++) sc[qi] = 0.0f;
    if (lane < BK) {
      const u32 *kr = ks + lane * kw;
      const float *qw = qs + warp * AP_QW * hd;
      for (u32 w = 0; w < hw; w++) {
        float k2[2];
        fd_kv2(K, kr[w], k2);
#pragma unroll
        for (int qi = 0; qi < AP_QW; qi++) {
          const float2 q2 = *(const float2 *)(qw + qi * hd + 2 * w);
          sc[qi] += q2.x * k2[0] + q2.y * k2[1];
        }
      }
    }
    float pr[AP_QW];
#pragma unroll
    for (int qi = 0; qi < AP_QW; qi++) {
      const bool ok = lane < BK && t0 + lane <= lastp[qi];
      const float sv = ok ? sc[qi] : AP_NEG_INF;
      const float mn = fmaxf(m[qi], warp_max(sv));
      float c = 1.0f, p = 0.0f;
      if (mn != AP_NEG_INF) {
        c = exp2f(m[qi] - mn);
        p = ok ? exp2f(sv - mn) : 0.0f;
      }
      l[qi] = l[qi] * c + warp_sum(p);
      m[qi] = mn;
      pr[qi] = p;
#pragma unroll
      for (int i = 0; i < 4; i++) acc[qi][i][0] *= c, acc[qi][i][1] *= c;
    }
    /* values: weights of position r broadcast from lane r */
    for (u32 r = 0; r < BK; r++) {
      float p[AP_QW];
#pragma unroll
      for (int qi = 0; qi < AP_QW; qi++) p[qi] = __shfl_sync(0xffffffffu, pr[qi], r);
#pragma unroll
      for (int i = 0; i < 4; i++) {
        const u32 w = lane + 32 * i;
        if (w >= hw) break;
        float v2[2];
        fd_kv2(V, vs[r * hw + w], v2);
#pragma unroll
        for (int qi = 0; qi < AP_QW; qi++) {
          acc[qi][i][0] += p[qi] * v2[0];
          acc[qi][i][1] += p[qi] * v2[1];
        }
      }
    }
  }
#pragma unroll
  for (int qi = 0; qi < AP_QW; qi++) {
    const u32 t = q0 + warp * AP_QW + qi;
    if (t >= T) continue;
    const float inv = l[qi] > 0.0f ? 1.0f / l[qi] : 0.0f;
    float *yr = a.y + ((u64)t * H + h) * hd;
#pragma unroll
    for (int i = 0; i < 4; i++) {
      const u32 w = lane + 32 * i;
      if (w >= hw) break;
      *(float2 *)(yr + 2 * w) = make_float2(acc[qi][i][0] * inv, acc[qi][i][1] * inv);
    }
  }
}
