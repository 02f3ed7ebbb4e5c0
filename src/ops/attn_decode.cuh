/* attn_decode.cuh — one query token against the cache, flash-decoding with
 * a fixed number of splits and the combine in the same launch.
 *
 * Layer: ops (device code of FD_ATTN_DECODE, ops/attention.c). Grid (S, H),
 * 128 threads (4 warps). Block (s, h) serves query head h (kv head h / G)
 * over its share of n = min(pos+1, C) positions: shares of
 * max(ceil(n/S), 128) positions, so the A = ceil(n/share) first splits are
 * active and the rest return at once.
 *
 * A block per query head, not per kv head: a decode step is latency-bound
 * (at short contexts a kv head's two blocks did all the work, and each warp's
 * chain of dependent instructions over its G heads set the time: 10 us a
 * call on an H200); the G blocks of a kv head read the same k and v rows,
 * the repeats from L2.
 *
 * Each warp takes 32 positions at a time and keeps its own online softmax
 * (base 2, f32), so the loop has no block barrier:
 *  - scores: a lane per position, reading its k row 16 bytes at a time (the
 *    row's sectors stay in L1 between the reads) against q in shared memory
 *    (every lane reads the same q word: a broadcast);
 *  - the warp's running max (one shuffle reduction), the weights to shared
 *    memory, then values: the lanes split as PG position groups of LD lanes,
 *    each lane 8 dims, so a v row is read coalesced.
 * The warps' states merge in shared memory into the block's record
 * (m, l, -, -, acc[hd]) in part (H, S, hd+4); with one active split the
 * block writes y itself. Otherwise the last block of the head to finish (a
 * ticket on count[h]) merges the A records into y and resets the ticket to
 * 0, so every launch (and graph replay) starts from zero. No shared-memory
 * atomics (an earlier version summed with them: ~40 us a call of
 * contention). count: (H) i32. */
#include "ops/attn_common.cuh"
#define AD_MAXHD 256       /* largest head_dim (attention.c check_heads) */
#define AD_WARPS 4
#define AD_MIN_CHUNK 128   /* fewest positions a split takes: one pass of the four warps */
#define AD_NEG_INF __int_as_float(0xff800000u)

struct ad_smem {
  float q[AD_MAXHD];                   /* q pre-scaled by scale*log2(e); in the combine, the split weights */
  float w[AD_WARPS][32];               /* a warp's weights of its 32 positions */
  float m[AD_WARPS], l[AD_WARPS], inv;
  float acc[AD_WARPS][AD_MAXHD];       /* the warps' sums, merged into the block's record */
  int last;
};

/* The combine: the last block of head h merges the A records of ph into y.
 * Records come from other blocks, so every read goes around L1. */
__device__ __forceinline__ void ad_combine(const float *ph, u32 A, u32 hd, ad_smem &sm, float *y) {
  const u32 tid = threadIdx.x, lane = tid & 31, warp = tid >> 5, rec = hd + 4;
  float *wk = sm.q;                                   /* (A) <= 256 = AD_MAXHD */
  if (warp == 0) {
    float M = AD_NEG_INF, den = 0.0f;
    for (u32 k = lane; k < A; k += 32) M = fmaxf(M, fd_ldcg(ph + (u64)k * rec));
    M = warp_max(M);
    for (u32 k = lane; k < A; k += 32) {
      const float e = exp2f(fd_ldcg(ph + (u64)k * rec) - M);
      wk[k] = e;
      den += e * fd_ldcg(ph + (u64)k * rec + 1);
    }
    den = warp_sum(den);
    if (lane == 0) sm.inv = den > 0.0f ? 1.0f / den : 0.0f;
  }
  __syncthreads();
  for (u32 d = tid * 4; d < hd; d += blockDim.x * 4) {
    float4 o = make_float4(0.0f, 0.0f, 0.0f, 0.0f);
#pragma unroll 4
    for (u32 k = 0; k < A; k++) {
      const float e = wk[k];
      const float4 v = fd_ldcg4(ph + (u64)k * rec + 4 + d);
      o.x += e * v.x; o.y += e * v.y; o.z += e * v.z; o.w += e * v.w;
    }
    const float s = sm.inv;
    y[d] = o.x * s; y[d + 1] = o.y * s; y[d + 2] = o.z * s; y[d + 3] = o.w * s;
  }
}

/* The block's work for head_dim HDC (0: a.head_dim, read at run time). */
template <int HDC>
__device__ __forceinline__ void ad_block(const fd_args &a, ad_smem &sm, u32 n, u32 per, u32 A) {
  const u32 hd = HDC ? (u32)HDC : a.head_dim, G = a.heads / a.kv_heads, s = blockIdx.x, h = blockIdx.y, j = h / G;
  const u32 tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
  u32 LD = 1;                                         /* lanes across a v row: hd/8 rounded up to a power of two */
  while (LD * 8 < hd) LD *= 2;
  const u32 PG = 32 / LD, pg = lane / LD, li = lane % LD;
  const bool on = li * 8 < hd;
  const float qs = a.scale * FD_LOG2E;
  for (u32 i = tid; i < hd; i += blockDim.x) sm.q[i] = a.q[(u64)h * hd + i] * qs;
  __syncthreads();

  const kc_t *K = a.kc + (u64)j * a.ctx * hd;
  const vc_t *V = a.vc + (u64)j * a.ctx * hd;
  const u32 lo = s * per, hi = min(n, lo + per);
  float m = AD_NEG_INF, lsum = 0.0f, acc[8];
#pragma unroll
  for (int i = 0; i < 8; i++) acc[i] = 0.0f;
  for (u32 t0 = lo + warp * 32; t0 < hi; t0 += AD_WARPS * 32) {
    const u32 p = t0 + lane, cnt = min(32u, hi - t0);
    const bool valid = p < hi;
    float sc = 0.0f;
    if (valid) {
      const kc_t *kr = K + (u64)p * hd;
#pragma unroll
      for (u32 c = 0; c < hd / 8; c++) {
        float k[8];
        fd_kv8(K, ld_v4(kr + c * 8), k);
        const float4 q0 = *(const float4 *)&sm.q[c * 8], q1 = *(const float4 *)&sm.q[c * 8 + 4];
        sc += q0.x * k[0] + q0.y * k[1] + q0.z * k[2] + q0.w * k[3] + q1.x * k[4] + q1.y * k[5] + q1.z * k[6] +
              q1.w * k[7];
      }
    }
    const float mn = fmaxf(m, warp_max(valid ? sc : AD_NEG_INF)), c = exp2f(m - mn);
    const float e = valid ? exp2f(sc - mn) : 0.0f;
    m = mn;
    lsum = lsum * c + e;
#pragma unroll
    for (int i = 0; i < 8; i++) acc[i] *= c;
    sm.w[warp][lane] = e;
    __syncwarp();
    for (u32 r0 = pg; r0 < cnt; r0 += 4 * PG) {       /* four v rows in flight per lane */
      fd_v4 vv[4];
#pragma unroll
      for (u32 u = 0; u < 4; u++) {
        const u32 r = r0 + u * PG;
        vv[u] = on && r < cnt ? ld_v4(V + (u64)(t0 + r) * hd + li * 8) : fd_v4{0u, 0u, 0u, 0u};
      }
#pragma unroll
      for (u32 u = 0; u < 4; u++) {
        const u32 r = r0 + u * PG;
        if (on && r < cnt) {
          float v[8];
          fd_kv8(V, vv[u], v);
          const float wr = sm.w[warp][r];
#pragma unroll
          for (int i = 0; i < 8; i++) acc[i] += wr * v[i];
        }
      }
    }
    __syncwarp();                                     /* the weights are read before the next pass writes them */
  }

  /* the warp's state: sums over its position groups, then to shared memory */
#pragma unroll
  for (int i = 0; i < 8; i++)
    for (u32 o = LD; o < 32; o <<= 1) acc[i] += __shfl_xor_sync(0xffffffffu, acc[i], o);
  lsum = warp_sum(lsum);
  if (pg == 0 && on)
    for (int i = 0; i < 8; i++) sm.acc[warp][li * 8 + i] = acc[i];
  if (lane == 0) { sm.m[warp] = m; sm.l[warp] = lsum; }
  __syncthreads();

  /* the block's record: warps without positions carry m = -inf, weight 0 */
  const u32 rec = hd + 4;
  float *ph = a.part + (u64)h * a.splits * rec, *mine = ph + (u64)s * rec, *y = a.y + (u64)h * hd;
  float M = AD_NEG_INF, L = 0.0f, e4[AD_WARPS];
  for (u32 w = 0; w < AD_WARPS; w++) M = fmaxf(M, sm.m[w]);
  for (u32 w = 0; w < AD_WARPS; w++) { e4[w] = exp2f(sm.m[w] - M); L += e4[w] * sm.l[w]; }
  for (u32 d = tid; d < hd; d += blockDim.x) {
    float o = 0.0f;
    for (u32 w = 0; w < AD_WARPS; w++) o += e4[w] * sm.acc[w][d];
    if (A == 1) y[d] = o / L;
    else mine[4 + d] = o;
  }
  if (A == 1) return;
  if (tid == 0) { mine[0] = M; mine[1] = L; }
  __threadfence();
  __syncthreads();
  if (tid == 0) sm.last = atomicAdd(&a.count[h], 1) == (int)A - 1;
  __syncthreads();
  if (!sm.last) return;
  __threadfence();
  if (tid == 0) a.count[h] = 0;                       /* every active block has taken its ticket */
  ad_combine(ph, A, hd, sm, y);
}

FD_KERNEL(fd_args a) {
  __shared__ __align__(16) ad_smem sm;
  fd_pdl_wait();
  fd_pdl_launch();                                    /* the next kernel may start its weight-only prologue */
  const long long pe = (long long)a.pos[0] + 1;
  const u32 n = pe <= 0 ? 0u : pe < (long long)a.ctx ? (u32)pe : a.ctx;
  u32 per = (n + a.splits - 1) / a.splits;
  if (per < AD_MIN_CHUNK) per = AD_MIN_CHUNK;
  const u32 A = (n + per - 1) / per;
  if (A == 0) {                                       /* nothing to attend (pos < 0): y = 0 */
    if (blockIdx.x == 0)
      for (u32 i = threadIdx.x; i < a.head_dim; i += blockDim.x) a.y[(u64)blockIdx.y * a.head_dim + i] = 0.0f;
    return;
  }
  if (blockIdx.x >= A) return;
  if (a.head_dim == 64) ad_block<64>(a, sm, n, per, A);
  else if (a.head_dim == 128) ad_block<128>(a, sm, n, per, A);
  else ad_block<0>(a, sm, n, per, A);
}
