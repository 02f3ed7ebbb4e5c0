/* attn_decode.cuh — one query token against the cache, flash-decoding with
 * a fixed number of splits and the combine in the same launch.
 *
 * Layer: ops (device code of FD_ATTN_DECODE, ops/attention.c). Grid (S, KV),
 * 256 threads. Block (s, j) serves the G query heads of kv head j over its
 * share of n = min(pos+1, C) positions: shares of max(ceil(n/S), 64)
 * positions, so the A = ceil(n/share) first splits are active and the rest
 * return at once. Per tile of TK = min(256, 8192/hd) positions: its k and v
 * rows go to shared memory by cp.async (16 KB each, all in flight at once;
 * v lands while the scores are computed), then lanes in groups of L (hd/8
 * rounded up to a power of two) take a position at a time, each lane 8 dims:
 * scores into shared memory, a warp per head turns the tile's scores into
 * weights (online softmax in base 2, f32), then v is accumulated. A split
 * writes its record (m, l, -, -, acc[hd]) per head to part (KV, S, G, hd+4).
 * Combine, in two levels so that no block reads more than 32 records: the
 * last block of each set of 8 splits to finish (an atomic ticket on
 * count[j][1 + set]) merges the set's records into the set's first slot, and
 * the last set to finish (a ticket on count[j][0]) merges the set records
 * into y — directly when there is one set. Whoever takes the last ticket of
 * a counter resets it to 0, so every launch (and graph replay) starts from
 * zeros. count: (KV, 33) i32. */
#include "ops/attn_common.cuh"
#define AD_MAXG 8          /* query heads per kv head (attention.c MAX_G) */
#define AD_TILE 256        /* most positions per tile; also the most splits (MAX_SPLITS) */
#define AD_KV_BYTES 16384  /* shared bytes of a tile's k, and of its v */
#define AD_MIN_CHUNK 64    /* fewest positions a split takes */
#define AD_NEG_INF __int_as_float(0xff800000u)
#define AD_SET 8           /* splits merged together at the first level */
#define AD_COUNT 33        /* tickets per kv head: the top level's, then one per set (256 / AD_SET) */

/* Merges n records of kv head j's part (pj: its (S, G, hd+4) records),
 * those of splits first, first + stride, ...: M = max m, w_k = 2^(m_k - M),
 * l = sum w_k l_k, acc = sum w_k acc_k. final: y = acc / l (G*hd values);
 * else the record (M, l, -, -, acc) per head at out (which may be one of the
 * inputs: every read is done before the first write). The whole block calls
 * it; sc, accs, ms, ls: the kernel's shared scratch. Reads go around L1 (the
 * records come from other blocks). */
__device__ __noinline__ void ad_merge(float *pj, u32 first, u32 stride, u32 n, u32 G, u32 hd,
                                      float (*sc)[AD_TILE], float *accs, float *ms, float *ls, float *out, bool final) {
  const u32 tid = threadIdx.x, lane = tid & 31, warp = tid >> 5, rec = hd + 4;
  if (warp < G) {
    float M = AD_NEG_INF, den = 0.0f;
    for (u32 k = lane; k < n; k += 32) M = fmaxf(M, fd_ldcg(pj + ((u64)(first + k * stride) * G + warp) * rec));
    M = warp_max(M);
    for (u32 k = lane; k < n; k += 32) {
      const float *rp = pj + ((u64)(first + k * stride) * G + warp) * rec;
      const float w = exp2f(fd_ldcg(rp) - M);
      sc[warp][k] = w;
      den += w * fd_ldcg(rp + 1);
    }
    den = warp_sum(den);
    const float inv = final ? (den > 0.0f ? 1.0f / den : 0.0f) : 1.0f;
    for (u32 k = lane; k < n; k += 32) sc[warp][k] *= inv;
    if (lane == 0) { ms[warp] = M; ls[warp] = den; }
  }
  for (u32 i = tid; i < G * hd; i += blockDim.x) accs[i] = 0.0f;
  __syncthreads();
  const u32 ngran = G * hd / 4;
  u32 nsub = blockDim.x / ngran;
  if (!nsub) nsub = 1;
  for (u32 t = tid; t < ngran * nsub; t += blockDim.x) {
    const u32 q4 = t % ngran, sub = t / ngran, g = q4 * 4 / hd, d = q4 * 4 % hd;
    float4 o = make_float4(0.0f, 0.0f, 0.0f, 0.0f);
#pragma unroll 4
    for (u32 k = sub; k < n; k += nsub) {
      const float w = sc[g][k];
      const float4 v = fd_ldcg4(pj + ((u64)(first + k * stride) * G + g) * rec + 4 + d);
      o.x += w * v.x; o.y += w * v.y; o.z += w * v.z; o.w += w * v.w;
    }
    float *dst = &accs[g * hd + d];
    atomicAdd(dst, o.x); atomicAdd(dst + 1, o.y); atomicAdd(dst + 2, o.z); atomicAdd(dst + 3, o.w);
  }
  __syncthreads();                                    /* every read is done: out may be an input */
  if (final) {
    for (u32 i = tid; i < G * hd; i += blockDim.x) out[i] = accs[i];
  } else {
    for (u32 i = tid; i < G * hd; i += blockDim.x) out[(i / hd) * rec + 4 + i % hd] = accs[i];
    if (tid < G) { out[tid * rec] = ms[tid]; out[tid * rec + 1] = ls[tid]; }
  }
}

FD_KERNEL(fd_args a) {
  __shared__ float sc[AD_MAXG][AD_TILE];             /* scores, then weights; combine: per-split weights */
  __shared__ __align__(16) unsigned char kvs[2 * AD_KV_BYTES];  /* the tile's k, v; then the block's acc */
  float *accs = (float *)kvs;                                   /* (G, hd), after the last tile */
  __shared__ float corr[AD_MAXG], mrun[AD_MAXG], lrun[AD_MAXG];
  __shared__ int last;
  const u32 S = a.splits, s = blockIdx.x, j = blockIdx.y, G = a.heads / a.kv_heads, hd = a.head_dim;
  const u32 tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
  u32 L = 4;
  while (L * 8 < hd) L *= 2;
  const u32 gi = tid / L, li = tid % L, NG = blockDim.x / L;
  const bool on = li * 8 < hd;                        /* this lane holds 8 of the hd dims */
  const u32 TK = min((u32)AD_TILE, AD_KV_BYTES / (2 * hd)), c8 = hd / 8;
  const u64 rec = hd + 4;
  fd_pdl_wait();
  long long pe = (long long)a.pos[0] + 1;
  u32 n = pe <= 0 ? 0u : pe < (long long)a.ctx ? (u32)pe : a.ctx;
  u32 per = (n + S - 1) / S;
  if (per < AD_MIN_CHUNK) per = AD_MIN_CHUNK;
  const u32 active = (n + per - 1) / per;
  float *y = a.y + (u64)j * G * hd;
  if (active == 0) {                                  /* nothing to attend (pos < 0): y = 0 */
    if (s == 0) for (u32 i = tid; i < G * hd; i += blockDim.x) y[i] = 0.0f;
    return;
  }
  if (s >= active) return;
  const u32 lo = s * per, hi = min(n, lo + per);

  /* q of the G heads, pre-scaled by scale * log2(e), 8 dims per lane */
  float qr[AD_MAXG][8], acc[AD_MAXG][8];
  const float qs = a.scale * FD_LOG2E;
#pragma unroll
  for (u32 g = 0; g < AD_MAXG; g++) {
#pragma unroll
    for (int i = 0; i < 8; i++) qr[g][i] = acc[g][i] = 0.0f;
    if (g < G && on) {
      const float4 *qp = (const float4 *)(a.q + (u64)(j * G + g) * hd + li * 8);
      float4 x0 = qp[0], x1 = qp[1];
      qr[g][0] = x0.x * qs; qr[g][1] = x0.y * qs; qr[g][2] = x0.z * qs; qr[g][3] = x0.w * qs;
      qr[g][4] = x1.x * qs; qr[g][5] = x1.y * qs; qr[g][6] = x1.z * qs; qr[g][7] = x1.w * qs;
    }
  }
  if (tid < G) { mrun[tid] = AD_NEG_INF; lrun[tid] = 0.0f; }
  const kc_t *K = a.kc + (u64)j * a.ctx * hd;
  const vc_t *V = a.vc + (u64)j * a.ctx * hd;
  __syncthreads();

  const fd_f16 *ks = (const fd_f16 *)kvs;             /* row r of the tile at ks + r*hd (16-bit values) */
  const fd_f16 *vs = (const fd_f16 *)(kvs + AD_KV_BYTES);
  for (u32 t0 = lo; t0 < hi; t0 += TK) {
    const u32 cnt = min(TK, hi - t0);
    for (u32 c = tid; c < cnt * c8; c += blockDim.x)
      fd_cp16(kvs + (u64)c * 16, K + (u64)t0 * hd + (u64)c * 8);
    fd_cp_commit();
    for (u32 c = tid; c < cnt * c8; c += blockDim.x)
      fd_cp16(kvs + AD_KV_BYTES + (u64)c * 16, V + (u64)t0 * hd + (u64)c * 8);
    fd_cp_commit();
    fd_cp_wait<1>();                                  /* this thread's k copies are in */
    __syncthreads();
    /* scores: every lane runs the same trip count (the group sums use the whole warp) */
    for (u32 rb = 0; rb < cnt; rb += NG) {
      const u32 r = rb + gi;
      float k[8];
      if (r < cnt && on) fd_kv8(K, *(const fd_v4 *)(ks + (u64)r * hd + li * 8), k);
      else {
#pragma unroll
        for (int i = 0; i < 8; i++) k[i] = 0.0f;
      }
#pragma unroll
      for (u32 g = 0; g < AD_MAXG; g++) {
        if (g >= G) break;
        float d = 0.0f;
#pragma unroll
        for (int i = 0; i < 8; i++) d += qr[g][i] * k[i];
        for (u32 o = L / 2; o > 0; o >>= 1) d += __shfl_xor_sync(0xffffffffu, d, o);
        if (li == 0 && r < cnt) sc[g][r] = d;
      }
    }
    fd_cp_wait<0>();                                  /* and its v copies */
    __syncthreads();
    /* weights: a warp per head; the running max moves to the tile's */
    if (warp < G) {
      float mx = AD_NEG_INF, sum = 0.0f;
      for (u32 r = lane; r < cnt; r += 32) mx = fmaxf(mx, sc[warp][r]);
      mx = warp_max(mx);
      const float mo = mrun[warp], mn = fmaxf(mo, mx);
      for (u32 r = lane; r < cnt; r += 32) {
        float e = exp2f(sc[warp][r] - mn);
        sc[warp][r] = e;
        sum += e;
      }
      sum = warp_sum(sum);
      if (lane == 0) {
        float c = exp2f(mo - mn);
        corr[warp] = c;
        lrun[warp] = lrun[warp] * c + sum;
        mrun[warp] = mn;
      }
    }
    __syncthreads();
    /* values */
#pragma unroll
    for (u32 g = 0; g < AD_MAXG; g++) {
      if (g >= G) break;
      const float c = corr[g];
#pragma unroll
      for (int i = 0; i < 8; i++) acc[g][i] *= c;
    }
    if (on)
      for (u32 r = gi; r < cnt; r += NG) {
        float v[8];
        fd_kv8(V, *(const fd_v4 *)(vs + (u64)r * hd + li * 8), v);
#pragma unroll
        for (u32 g = 0; g < AD_MAXG; g++) {
          if (g >= G) break;
          const float w = sc[g][r];
#pragma unroll
          for (int i = 0; i < 8; i++) acc[g][i] += w * v[i];
        }
      }
    __syncthreads();
  }

  /* the block's record: the groups' sums (they share the block's running max) */
  for (u32 i = tid; i < G * hd; i += blockDim.x) accs[i] = 0.0f;
  __syncthreads();
  if (on) {
#pragma unroll
    for (u32 g = 0; g < AD_MAXG; g++) {
      if (g >= G) break;
#pragma unroll
      for (int i = 0; i < 8; i++) atomicAdd(&accs[g * hd + li * 8 + i], acc[g][i]);
    }
  }
  __syncthreads();
  float *mine = a.part + ((u64)j * S + s) * G * rec;
  for (u32 i = tid; i < G * hd; i += blockDim.x) mine[(i / hd) * rec + 4 + i % hd] = accs[i];
  if (tid < G) { mine[tid * rec] = mrun[tid]; mine[tid * rec + 1] = lrun[tid]; }
  __threadfence();
  __syncthreads();

  /* level 1: the last block of each set of AD_SET splits merges the set's records into the set's first slot */
  const u32 set = s / AD_SET, nset = (active + AD_SET - 1) / AD_SET, inset = min((u32)AD_SET, active - set * AD_SET);
  int *cnt = a.count + (u64)j * AD_COUNT;
  float *pj = a.part + (u64)j * S * G * rec;
  if (tid == 0) last = atomicAdd(&cnt[1 + set], 1) == (int)inset - 1;
  __syncthreads();
  if (!last) return;
  __threadfence();
  if (tid == 0) cnt[1 + set] = 0;                    /* every block of the set has taken its ticket */
  if (nset == 1) {                                    /* one set: it is the answer */
    ad_merge(pj, 0, 1, inset, G, hd, sc, accs, mrun, lrun, y, true);
    return;
  }
  ad_merge(pj, set * AD_SET, 1, inset, G, hd, sc, accs, mrun, lrun, pj + (u64)set * AD_SET * G * rec, false);
  /* level 2: the last set to finish merges the set records into y */
  __threadfence();
  __syncthreads();
  if (tid == 0) last = atomicAdd(&cnt[0], 1) == (int)nset - 1;
  __syncthreads();
  if (!last) return;
  __threadfence();
  if (tid == 0) cnt[0] = 0;
  ad_merge(pj, 0, AD_SET, nset, G, hd, sc, accs, mrun, lrun, y, true);
}
