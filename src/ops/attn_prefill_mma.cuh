/* attn_prefill_mma.cuh — T queries at positions pos+t against the cache,
 * causal, flash-attention 2 style on the tensor cores (mma.sync m16n8k16,
 * operands in the cache's type, f32 accumulators): head_dim 64 or 128
 * (attn_prefill.cuh, SIMT, takes the others).
 *
 * Layer: ops (device code of FD_ATTN_PREFILL_MMA, ops/attention.c). Grid
 * (ceil(T/64), H), 128 threads: warp w owns queries q0 + 16 w .. + 15 and
 * keeps them in registers as mma operands (pre-scaled by scale * log2 e and
 * rounded to the cache's type), its output rows as f32 accumulators, and
 * a running max and sum per row (base 2). The block walks the cache in
 * tiles of AM_BK positions (64, or 32 where a page is 32: a tile lies in one
 * page, looked up once): all 128 threads copy the tile's k and v rows into
 * shared memory (rows padded by 16 bytes: the fragment reads and ldmatrix
 * hit 32 distinct banks), then each warp whose queries see the tile forms
 * S = Q K^T (16 x AM_BK), masks the positions past each query's last,
 * rescales, and adds P V, P taken from S's accumulators in place (the c
 * fragments of two adjacent 8-column tiles are the a fragment of a 16-wide
 * one) and V's fragments by ldmatrix.trans. The sums of P stay per thread
 * until the end (one quad reduction). Query t attends [0, min(pos+t, C-1)]. */
#include "ops/attn_common.cuh"
#include "ops/attn_mma.cuh"
#include "ops/kv_page.cuh"
#define AM_BK (FD_KV_PAGE % 64 ? 32 : 64)
#define AM_WARPS 4
#define AM_ROWW (128 / 2 + 4)   /* words of a shared k or v row: 128 values and 16 bytes of pad */
#define AM_NEG_INF __int_as_float(0xff800000u)

template <int HD>
__device__ __forceinline__ void fd_attn_mma(const fd_args &a, u32 *ks, u32 *vs) {
  const kc_t *tag = 0;   /* q and K^T in k's type, P and V in v's (the cache may mix them) */
  const vc_t *vtag = 0;
  const u32 RW = HD / 2 + 4;   /* words a shared row here */
  const u32 H = a.heads, T = a.tokens, h = blockIdx.y, kvh = h / (H / a.kv_heads);
  const u32 tid = threadIdx.x, lane = tid & 31, warp = tid >> 5, g = lane >> 2, qd = lane & 3;
  const u32 q0 = blockIdx.x * (16 * AM_WARPS), qw = q0 + 16 * warp;
  const long long start = a.pos[0], cap = (long long)a.ctx - 1;
  /* this lane's two query rows, their last positions (-1: none), the warp's and the block's key ranges */
  const u32 t0 = qw + g, t1 = t0 + 8;
  const long long last0 = t0 < T ? min(start + t0, cap) : -1, last1 = t1 < T ? min(start + t1, cap) : -1;
  const long long kend_w = qw < T ? max(min(start + (long long)min(qw + 16, T) - 1, cap) + 1, 0ll) : 0;
  const long long kend = max(min(start + (long long)min(q0 + 16 * AM_WARPS, T) - 1, cap) + 1, 0ll);
  const float qscale = a.scale * FD_LOG2E;
  u32 qf[HD / 16][4];
#pragma unroll
  for (int c = 0; c < HD / 16; c++) {
#pragma unroll
    for (int i = 0; i < 4; i++) {
      const u32 t = i & 1 ? t1 : t0, d = 16 * c + 2 * qd + 8 * (i >> 1);
      float2 v = make_float2(0.0f, 0.0f);
      if (t < T) v = *(const float2 *)(a.q + ((u64)t * H + h) * HD + d);
      qf[c][i] = fd_tc_pack2(tag, v.x * qscale, v.y * qscale);
    }
  }
  float o[HD / 8][4], m0 = AM_NEG_INF, m1 = AM_NEG_INF, l0 = 0.0f, l1 = 0.0f;
#pragma unroll
  for (int j = 0; j < HD / 8; j++) o[j][0] = o[j][1] = o[j][2] = o[j][3] = 0.0f;

  for (long long p0 = 0; p0 < kend; p0 += AM_BK) {
    const u64 row = fd_kv_page_row(a.pages[(u32)p0 / FD_KV_PAGE], a.kv_heads, kvh) + (u32)p0 % FD_KV_PAGE;
    const fd_v4 *K = (const fd_v4 *)(a.kc + row * HD), *V = (const fd_v4 *)(a.vc + row * HD);
    __syncthreads();   /* the previous tile is used up */
    for (u32 c = tid; c < AM_BK * HD / 8; c += 128) {
      const u32 r = c / (HD / 8), part = c % (HD / 8);
      fd_v4 kv = { 0, 0, 0, 0 }, vv = { 0, 0, 0, 0 };   /* rows past the end: zeros, never NaN garbage */
      if (p0 + r < kend) { kv = ld_v4_stream(K + c); vv = ld_v4_stream(V + c); }
      *(fd_v4 *)(ks + r * RW + 4 * part) = kv;
      *(fd_v4 *)(vs + r * RW + 4 * part) = vv;
    }
    __syncthreads();
    if (p0 >= kend_w) continue;   /* warp-uniform: none of this warp's queries sees the tile */
    float s[AM_BK / 8][4];
#pragma unroll
    for (int n = 0; n < AM_BK / 8; n++) {
      s[n][0] = s[n][1] = s[n][2] = s[n][3] = 0.0f;
      const u32 *kr = ks + (8 * n + g) * RW + qd;
#pragma unroll
      for (int c = 0; c < HD / 16; c++) {
        const u32 b[2] = { kr[8 * c], kr[8 * c + 4] };
        fd_tc_mma(tag, s[n], qf[c], b);
      }
    }
    /* mask, then the online softmax per row (a row's 16 columns here, its quad's 4 lanes) */
    float x0 = AM_NEG_INF, x1 = AM_NEG_INF;
#pragma unroll
    for (int n = 0; n < AM_BK / 8; n++) {
#pragma unroll
      for (int i = 0; i < 4; i++) {
        const long long p = p0 + 8 * n + 2 * qd + (i & 1);
        if (p > (i < 2 ? last0 : last1)) s[n][i] = AM_NEG_INF;
      }
      x0 = fmaxf(x0, fmaxf(s[n][0], s[n][1]));
      x1 = fmaxf(x1, fmaxf(s[n][2], s[n][3]));
    }
    x0 = fmaxf(x0, __shfl_xor_sync(0xffffffffu, x0, 1)); x0 = fmaxf(x0, __shfl_xor_sync(0xffffffffu, x0, 2));
    x1 = fmaxf(x1, __shfl_xor_sync(0xffffffffu, x1, 1)); x1 = fmaxf(x1, __shfl_xor_sync(0xffffffffu, x1, 2));
    const float n0 = fmaxf(m0, x0), n1 = fmaxf(m1, x1);
    /* a row with nothing seen yet keeps max -inf: its weights are 0, its scale 1 */
    const float c0 = n0 == AM_NEG_INF ? 1.0f : exp2f(m0 - n0), c1 = n1 == AM_NEG_INF ? 1.0f : exp2f(m1 - n1);
    const float b0 = n0 == AM_NEG_INF ? 0.0f : n0, b1 = n1 == AM_NEG_INF ? 0.0f : n1;
    m0 = n0; m1 = n1;
    l0 *= c0; l1 *= c1;
#pragma unroll
    for (int j = 0; j < HD / 8; j++) o[j][0] *= c0, o[j][1] *= c0, o[j][2] *= c1, o[j][3] *= c1;
#pragma unroll
    for (int n = 0; n < AM_BK / 8; n++) {
      s[n][0] = exp2f(s[n][0] - b0); s[n][1] = exp2f(s[n][1] - b0);   /* exp2(-inf) = 0 */
      s[n][2] = exp2f(s[n][2] - b1); s[n][3] = exp2f(s[n][3] - b1);
      l0 += s[n][0] + s[n][1];
      l1 += s[n][2] + s[n][3];
    }
    /* O += P V: 16 positions at a time */
#pragma unroll
    for (int kc = 0; kc < AM_BK / 16; kc++) {
      const u32 pa[4] = { fd_tc_pack2(vtag, s[2 * kc][0], s[2 * kc][1]), fd_tc_pack2(vtag, s[2 * kc][2], s[2 * kc][3]),
                          fd_tc_pack2(vtag, s[2 * kc + 1][0], s[2 * kc + 1][1]),
                          fd_tc_pack2(vtag, s[2 * kc + 1][2], s[2 * kc + 1][3]) };
      /* lanes 0-7, 8-15: positions 0-7, 8-15 of the chunk at dims 16 j; lanes 16-31 the same at dims 16 j + 8 */
      const u32 *vr = vs + (16 * kc + (lane & 7) + (lane & 8)) * RW + (lane >> 4) * 4;
#pragma unroll
      for (int j = 0; j < HD / 16; j++) {
        u32 vb[4];
        fd_tc_ldsm4_trans(vr + 8 * j, vb);
        fd_tc_mma(vtag, o[2 * j], pa, vb);
        fd_tc_mma(vtag, o[2 * j + 1], pa, vb + 2);
      }
    }
  }
  l0 += __shfl_xor_sync(0xffffffffu, l0, 1); l0 += __shfl_xor_sync(0xffffffffu, l0, 2);
  l1 += __shfl_xor_sync(0xffffffffu, l1, 1); l1 += __shfl_xor_sync(0xffffffffu, l1, 2);
  const float i0 = l0 > 0.0f ? 1.0f / l0 : 0.0f, i1 = l1 > 0.0f ? 1.0f / l1 : 0.0f;
#pragma unroll
  for (int j = 0; j < HD / 8; j++) {
    if (t0 < T) *(float2 *)(a.y + ((u64)t0 * H + h) * HD + 8 * j + 2 * qd) = make_float2(o[j][0] * i0, o[j][1] * i0);
    if (t1 < T) *(float2 *)(a.y + ((u64)t1 * H + h) * HD + 8 * j + 2 * qd) = make_float2(o[j][2] * i1, o[j][3] * i1);
  }
}

FD_KERNEL(fd_args a) {
  __shared__ __align__(16) u32 ks[AM_BK * AM_ROWW];
  __shared__ __align__(16) u32 vs[AM_BK * AM_ROWW];
  fd_pdl_wait();
  if (a.head_dim == 64) fd_attn_mma<64>(a, ks, vs);
  else fd_attn_mma<128>(a, ks, vs);
}
