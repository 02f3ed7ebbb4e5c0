/* attn_decode.cuh — one query token against the cache, flash-decoding with
 * a fixed number of splits over the cache length and the combine in the same
 * launch.
 *
 * Layer: ops (device code of FD_ATTN_DECODE, ops/attention.c). Grid (H,
 * S), 128 threads (4 warps): block (h, s) is split s of a block row per
 * query head, over its share of n = min(pos+1, C) positions: shares of
 * ceil(n/S') positions rounded up to a multiple of AD_MIN_CHUNK (128), so
 * the A = ceil(n/share) first splits are active and the rest return at once
 * (the graph is captured once with S from the capacity; the length grows
 * on the device). S' is S where a block serves a kv head's group, and
 * head_splits (<= S) where a block serves one query head: there H block
 * rows are active instead of KV, and S planned for KV rows made H x S
 * blocks several waves of three an SM (14 x 34 at the 0.5B shape's
 * 4,224 positions: 1.2 waves and a second merge level). Which query heads a block serves is decided on the device
 * from n as well: below AD_GROUP_FROM positions one (row h serves head h:
 * the step is latency-bound there, and a block serving G heads made each
 * warp a chain G times longer: 14.5 us at n 128 on an H100 against ~4 for
 * a block a head); from AD_GROUP_FROM on, the rows of a kv head's group
 * leaders serve up to AD_MAXG of its heads together and the other rows
 * return (each k and v row read once for all of them: the launch streams
 * the cache). Splits in y, heads in x: the active blocks come first.
 *
 * The cache is paged (ops/kv_page.cuh): a warp pass takes 32 positions from
 * a multiple of 32, which lie in one page (FD_KV_PAGE is a multiple of 32),
 * so a pass looks its page up once, and loads the next pass's entry while it
 * works (the lookup is off the chain of k loads).
 *
 * Grouped, a block serves a kv head's query heads: each k and v row is read
 * once from memory for all of them (a block per query head reads every row
 * G times, the repeats from L2: 12-15% of the copy bandwidth at long
 * contexts). Each warp takes 32 positions at a time and keeps an
 * online softmax per query head (base 2, f32), so the loop has no block
 * barrier:
 *  - scores: a lane per position, reading its k row 16 bytes at a time,
 *    8 loads in flight, against the group's q in shared memory (broadcast
 *    reads); the pass's first AD_VROWS v loads a lane are already issued, so
 *    their latency hides under the k loads and the scores;
 *  - per head, the warp's running max (one shuffle reduction), the weights
 *    to shared memory, then values: the lanes split as PG position groups
 *    of LD lanes, each lane 8 dims of every head, so a v row is read once,
 *    coalesced; AD_VROWS rows a lane in flight (for hd 64 / 128 / 256 a
 *    pass waits 1 / 2 / 4 rounds of memory latency for k and as many for v,
 *    where two loads in flight made it 4 / 8 / 16 each).
 * Launch bounds ask for AD_MIN_BLOCKS blocks a multiprocessor (<= 168
 * registers), the three fd_attn_decode_splits plans for.
 * The warps' states merge in shared memory into a record per query head
 * (m, l, -, -, acc[hd]) in part (H, S, hd+4); with one active split the
 * block writes y itself. Otherwise the splits merge in two levels, so no
 * block reads more than AD_SET records a head: the last block of each set
 * of AD_SET splits to finish (a ticket on count[h0][1 + set], h0 the block row's first head) merges the
 * set's records into the set's first slot, and the last set to finish (a
 * ticket on count[h0][0]) merges the sets' records into y; with one set its
 * last block writes y directly. A merge runs on all 128 threads at once,
 * over (head, 4 dims, record group): a thread's records load AD_LOADS at a
 * time, each round's loads issued together, where one thread per 4 dims walking
 * every record of every head in turn cost ~0.44 us a split (issue 30).
 * Whoever takes a counter's last ticket resets it to 0, so every launch
 * (and graph replay) starts from zero.
 * count: (H, AD_COUNT) i32, a row per block row (the group leaders' rows where grouped). */
#include "ops/attn_common.cuh"
#include "ops/kv_page.cuh"
#ifdef AD_HEAD_DIM         /* one head_dim known when the code is made (a persistent kernel's member): */
#define AD_MAXHD AD_HEAD_DIM   /* ad_smem for it alone (256's, with 8 warps, passed the 48 KiB of static shared) */
#else
#define AD_MAXHD 256       /* largest head_dim (attention.c check_heads) */
#endif
#define AD_MAXG 8          /* query heads a block serves at most (attention.c AD_GROUP) */
#ifndef AD_GROUP_FROM         /* tools/cuemu tries others */
#define AD_GROUP_FROM 16384   /* positions from which a block serves a group of heads */
#endif
#ifndef AD_WARPS   /* a persistent kernel's member may run 8 (model/persist.c) */
#define AD_WARPS 4
#endif
#define AD_MIN_CHUNK 128   /* a split's share is a multiple of it, one pass of the four warps (attention.c:
                              SPLIT_SHARE), so a pass never straddles a page and up to 128 positions take one
                              split with no merge (shares of 32 gave each short split a warp's pass with three
                              warps idle; on an H100 the change alone moved a call only 16.2 -> 15.6 us: the
                              cost was instruction fetch, ad_block below) */
#define AD_VROWS 8         /* v rows a lane loads before it uses them (a pass: 32 / PG rows a lane) */
#define AD_SET 32          /* splits merged together at the first level: 256 / AD_SET sets at the second.
                              32, not 16: a 4,096-position cache's 32 splits merge once, as the old kernel's
                              did (two levels there: tg128 at depth 4,096 87% of the old tree's) */
#define AD_LOADS 8         /* records a merge thread loads at once */
#define AD_COUNT 17        /* tickets a block row: the sets' merge, then one a set (attention.c COUNT) */
#define AD_NEG_INF __int_as_float(0xff800000u)
#define AD_MIN_BLOCKS 3    /* blocks a multiprocessor: the registers stay <= 168 (fd_attn_decode_splits plans 3) */
#if !FD_PDL_AUTO && !defined(FD_MEMBERS)
#undef FD_KERNEL
#define FD_KERNEL extern "C" __global__ void __launch_bounds__(FD_MAX_BLOCK, AD_MIN_BLOCKS) FD_NAME
#endif

struct ad_smem {
  float q[AD_MAXG][AD_MAXHD];          /* the group's q pre-scaled by scale*log2(e); the combine's split weights */
  float w[AD_WARPS][AD_MAXG][32];      /* a warp's weights of its 32 positions, per head */
  float m[AD_WARPS][AD_MAXG], l[AD_WARPS][AD_MAXG], inv;
  __align__(16) float acc[AD_WARPS][AD_MAXG][AD_MAXHD];   /* the warps' sums, merged into the records; a merge's
                                                             partial sums, read and written as float4 */
  float cm[AD_MAXG][AD_SET], cl[AD_MAXG][AD_SET];   /* a merge's records' (m, l), then their weights */
  float cM[AD_MAXG], cL[AD_MAXG];
  int last;
};
/* acc is read and written as float4: unaligned (4 bytes past a multiple of
 * 16, behind `inv`) it faulted every merge that used it as scratch (R > 1).
 * tools/cuemu/decode.cpp asserts the offsets (NVRTC has no offsetof). */

/* A merge: records k0 + k * ks (k < cnt <= AD_SET) of the ng heads from h0
 * into y (fin: normalized) or into record k0 (m, l, acc: a set's record).
 * Records come from other blocks, so every read goes around L1. The items
 * (head, 4 dims, record group r of R) spread over all the threads, a
 * thread's loads issued together; R > 1 where the heads and dims leave
 * threads idle, its partial sums added in shared memory. */
__device__ __forceinline__ void ad_merge(const fd_args &a, ad_smem &sm, u32 h0, u32 ng, u32 k0, u32 ks, u32 cnt,
                                         u32 hd, bool fin) {
  const u32 tid = threadIdx.x, rec = hd + 4, Q4 = hd / 4, S = a.splits;
  float *part = a.part;
  __syncthreads();                                    /* the caller is done with sm (q, acc) */
  for (u32 i = tid; i < ng * cnt; i += blockDim.x) {  /* every record's (m, l) at once */
    const u32 g = i / cnt, k = i % cnt;
    const float4 ml = fd_ldcg4(part + ((u64)(h0 + g) * S + k0 + k * ks) * rec);
    sm.cm[g][k] = ml.x;
    sm.cl[g][k] = ml.y;
  }
  __syncthreads();
  if (tid < ng) {                                     /* a thread a head: <= AD_SET weights */
    float M = AD_NEG_INF, L = 0.0f;
    for (u32 k = 0; k < cnt; k++) M = fmaxf(M, sm.cm[tid][k]);
    for (u32 k = 0; k < cnt; k++) {
      const float e = exp2f(sm.cm[tid][k] - M);
      sm.cm[tid][k] = e;
      L += e * sm.cl[tid][k];
    }
    const float inv = fin ? (L > 0.0f ? 1.0f / L : 0.0f) : 1.0f;
    for (u32 k = 0; k < cnt; k++) sm.cm[tid][k] *= inv;
    sm.cM[tid] = M;
    sm.cL[tid] = L;
  }
  __syncthreads();
  u32 R = 1;                                          /* record groups: fill the block, <= cnt */
  while (R * 2 <= cnt && ng * Q4 * R * 2 <= blockDim.x) R *= 2;
  float *red = &sm.acc[0][0][0];                      /* (R, ng, hd) partial sums: R ng hd <= 4 x 128 floats */
  for (u32 i = tid; i < ng * Q4 * R; i += blockDim.x) {
    const u32 r = i / (ng * Q4), gd = i % (ng * Q4), g = gd / Q4, d = gd % Q4 * 4;
    const float *src = part + ((u64)(h0 + g) * S + k0) * rec + 4 + d;
    float4 o = make_float4(0.0f, 0.0f, 0.0f, 0.0f);
    for (u32 kr = 0; r + kr * R < cnt; kr += AD_LOADS) {   /* one round at short contexts (<= 8 records a thread) */
      float4 v[AD_LOADS];
#pragma unroll
      for (u32 k = 0; k < AD_LOADS; k++)              /* a round's loads first: one latency, not AD_LOADS */
        if (r + (kr + k) * R < cnt) v[k] = fd_ldcg4(src + (u64)(r + (kr + k) * R) * ks * rec);
#pragma unroll
      for (u32 k = 0; k < AD_LOADS; k++) {
        if (r + (kr + k) * R < cnt) {
          const float e = sm.cm[g][r + (kr + k) * R];
          o.x += e * v[k].x; o.y += e * v[k].y; o.z += e * v[k].z; o.w += e * v[k].w;
        }
      }
    }
    if (R > 1) {
      *(float4 *)&red[(u64)i * 4] = o;
    } else if (fin) {
      *(float4 *)&a.y[(u64)(h0 + g) * hd + d] = o;
    } else {                                          /* record k0: this thread alone read these dims */
      *(float4 *)&part[((u64)(h0 + g) * S + k0) * rec + 4 + d] = o;
    }
  }
  if (R > 1) {
    __syncthreads();
    for (u32 gd = tid; gd < ng * Q4; gd += blockDim.x) {
      const u32 g = gd / Q4, d = gd % Q4 * 4;
      float4 o = *(const float4 *)&red[(u64)gd * 4];
      for (u32 r = 1; r < R; r++) {
        const float4 p = *(const float4 *)&red[((u64)r * ng * Q4 + gd) * 4];
        o.x += p.x; o.y += p.y; o.z += p.z; o.w += p.w;
      }
      if (fin) *(float4 *)&a.y[(u64)(h0 + g) * hd + d] = o;
      else *(float4 *)&part[((u64)(h0 + g) * S + k0) * rec + 4 + d] = o;
    }
  }
  if (!fin && tid < ng) {                             /* (m, l) were read before the first barrier */
    float *mine = part + ((u64)(h0 + tid) * S + k0) * rec;
    mine[0] = sm.cM[tid];
    mine[1] = sm.cL[tid];
  }
}

/* The block's work for head_dim HDC (0: a.head_dim, read at run time):
 * split s of query heads h0 .. h0 + ng - 1 (of kv head j), ng <= GM. GM is
 * 1 below AD_GROUP_FROM: the loops over a group's heads unrolled AD_MAXG
 * times made the path a block per head runs span the whole (guarded) code
 * of eight, and instruction fetch set its time — 31,000 cycles a block for 8
 * positions on an H100 (ncu: 98% of cycles with no eligible warp, a third
 * of the stalls instruction fetch, SM active 3,300 of 35,000 cycles across
 * the 14 blocks' multiprocessors). */
template <int HDC, int GM>
__device__ __forceinline__ void ad_block(const fd_args &a, ad_smem &sm, u32 n, u32 per, u32 A, u32 h0, u32 ng, u32 s) {
  const u32 hd = HDC ? (u32)HDC : a.head_dim, G = a.heads / a.kv_heads;
  const u32 j = h0 / G;
  const u32 tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
  u32 LD = 1;                                         /* lanes across a v row: hd/8 rounded up to a power of two */
  while (LD * 8 < hd) LD *= 2;
  const u32 PG = 32 / LD, pg = lane / LD, li = lane % LD;
  const bool on = li * 8 < hd;
  const float qs = a.scale * FD_LOG2E;
  const u32 lo = s * per, hi = min(n, lo + per);
  u32 t0 = lo + warp * 32;
  int page = t0 < hi ? a.pages[t0 / FD_KV_PAGE] : 0;  /* in flight with the q loads, not after them */
  for (u32 i = tid; i < ng * hd; i += blockDim.x) sm.q[i / hd][i % hd] = a.q[(u64)h0 * hd + i] * qs;
  __syncthreads();

  float m[GM], lsum[GM], acc[GM][8];
#pragma unroll
  for (int g = 0; g < GM; g++) {
    m[g] = AD_NEG_INF, lsum[g] = 0.0f;
#pragma unroll
    for (int i = 0; i < 8; i++) acc[g][i] = 0.0f;
  }
  for (; t0 < hi; t0 += AD_WARPS * 32) {
    const u32 p = t0 + lane, cnt = min(32u, hi - t0), tn = t0 + AD_WARPS * 32;
    const int page_next = tn < hi ? a.pages[tn / FD_KV_PAGE] : 0;
    const u64 row = fd_kv_page_row(page, a.kv_heads, j) + t0 % FD_KV_PAGE;   /* position t0's row */
    const kc_t *K = a.kc + row * hd;
    const vc_t *V = a.vc + row * hd;
    const bool valid = p < hi;
    fd_v4 vv[AD_VROWS];                               /* the first v rows, in flight under the scores */
#pragma unroll
    for (u32 u = 0; u < AD_VROWS; u++) {
      const u32 r = pg + u * PG;
      vv[u] = on && r < cnt ? ld_v4(V + (u64)r * hd + li * 8) : fd_v4{0u, 0u, 0u, 0u};
    }
    float sc[GM];
#pragma unroll
    for (int g = 0; g < GM; g++) sc[g] = 0.0f;
    if (valid) {
      const kc_t *kr = K + (u64)lane * hd;
#pragma unroll 8                                      /* 128 bytes of the row in flight a lane */
      for (u32 c = 0; c < hd / 8; c++) {
        float k[8];
        fd_kv8(K, ld_v4(kr + c * 8), k);
#pragma unroll
        for (int g = 0; g < GM; g++) {
          if ((u32)g < ng) {
            const float4 q0 = *(const float4 *)&sm.q[g][c * 8], q1 = *(const float4 *)&sm.q[g][c * 8 + 4];
            sc[g] += q0.x * k[0] + q0.y * k[1] + q0.z * k[2] + q0.w * k[3] + q1.x * k[4] + q1.y * k[5] +
                     q1.z * k[6] + q1.w * k[7];
          }
        }
      }
    }
#pragma unroll
    for (int g = 0; g < GM; g++) {
      if ((u32)g < ng) {
        const float mn = fmaxf(m[g], warp_max(valid ? sc[g] : AD_NEG_INF)), c = exp2f(m[g] - mn);
        const float e = valid ? exp2f(sc[g] - mn) : 0.0f;
        m[g] = mn;
        lsum[g] = lsum[g] * c + e;
#pragma unroll
        for (int i = 0; i < 8; i++) acc[g][i] *= c;
        sm.w[warp][g][lane] = e;
      }
    }
    __syncwarp();
    for (u32 r0 = pg; r0 < cnt; r0 += AD_VROWS * PG) {   /* AD_VROWS v rows in flight per lane */
      if (r0 != pg) {
#pragma unroll
        for (u32 u = 0; u < AD_VROWS; u++) {
          const u32 r = r0 + u * PG;
          vv[u] = on && r < cnt ? ld_v4(V + (u64)r * hd + li * 8) : fd_v4{0u, 0u, 0u, 0u};
        }
      }
#pragma unroll
      for (u32 u = 0; u < AD_VROWS; u++) {
        const u32 r = r0 + u * PG;
        if (on && r < cnt) {
          float v[8];
          fd_kv8(V, vv[u], v);
#pragma unroll
          for (int g = 0; g < GM; g++) {
            if ((u32)g < ng) {
              const float wr = sm.w[warp][g][r];
#pragma unroll
              for (int i = 0; i < 8; i++) acc[g][i] += wr * v[i];
            }
          }
        }
      }
    }
    __syncwarp();                                     /* the weights are read before the next pass writes them */
    page = page_next;
  }

  /* the warp's states: sums over its position groups, then to shared memory */
#pragma unroll
  for (int g = 0; g < GM; g++) {
    if ((u32)g < ng) {
#pragma unroll
      for (int i = 0; i < 8; i++)
        for (u32 o = LD; o < 32; o <<= 1) acc[g][i] += __shfl_xor_sync(0xffffffffu, acc[g][i], o);
      lsum[g] = warp_sum(lsum[g]);
      if (pg == 0 && on)
        for (int i = 0; i < 8; i++) sm.acc[warp][g][li * 8 + i] = acc[g][i];
      if (lane == 0) { sm.m[warp][g] = m[g]; sm.l[warp][g] = lsum[g]; }
    }
  }
  __syncthreads();

  /* the block's records: warps without positions carry m = -inf, weight 0 */
  const u32 rec = hd + 4;
  for (u32 g = 0; g < ng; g++) {
    const u32 h = h0 + g;
    float *mine = a.part + ((u64)h * a.splits + s) * rec, *y = a.y + (u64)h * hd;
    float M = AD_NEG_INF, L = 0.0f, e4[AD_WARPS];
    for (u32 w = 0; w < AD_WARPS; w++) M = fmaxf(M, sm.m[w][g]);
    for (u32 w = 0; w < AD_WARPS; w++) { e4[w] = exp2f(sm.m[w][g] - M); L += e4[w] * sm.l[w][g]; }
    for (u32 d = tid; d < hd; d += blockDim.x) {
      float o = 0.0f;
      for (u32 w = 0; w < AD_WARPS; w++) o += e4[w] * sm.acc[w][g][d];
      if (A == 1) y[d] = o / L;
      else mine[4 + d] = o;
    }
    if (A > 1 && tid == 0) { mine[0] = M; mine[1] = L; }
  }
  if (A == 1) return;
  /* level 1: the last block of each set of AD_SET splits merges the set's records into the set's first slot */
  const u32 set = s / AD_SET, nset = (A + AD_SET - 1) / AD_SET, inset = min((u32)AD_SET, A - set * AD_SET);
  int *cnt = a.count + (u64)h0 * AD_COUNT;
  __threadfence();
  __syncthreads();
  if (tid == 0) sm.last = atomicAdd(&cnt[1 + set], 1) == (int)inset - 1;
  __syncthreads();
  if (!sm.last) return;
  __threadfence();
  if (tid == 0) cnt[1 + set] = 0;                     /* every block of the set has taken its ticket */
  if (nset == 1) {                                    /* one set: its merge is the answer */
    ad_merge(a, sm, h0, ng, 0, 1, inset, hd, true);
    return;
  }
  ad_merge(a, sm, h0, ng, set * AD_SET, 1, inset, hd, false);
  /* level 2: the last set to finish merges the sets' records into y */
  __threadfence();
  __syncthreads();
  if (tid == 0) sm.last = atomicAdd(&cnt[0], 1) == (int)nset - 1;
  __syncthreads();
  if (!sm.last) return;
  __threadfence();
  if (tid == 0) cnt[0] = 0;
  ad_merge(a, sm, h0, ng, 0, AD_SET, nset, hd, true);
}

/* ad_block for this launch's head_dim, serving up to GM heads. */
template <int GM>
__device__ __forceinline__ void ad_block_hd(const fd_args &a, ad_smem &sm, u32 n, u32 per, u32 A, u32 h0, u32 ng, u32 s) {
#ifdef AD_HEAD_DIM   /* one head_dim known when the code is made (a persistent kernel's member): one instance */
  ad_block<AD_HEAD_DIM == 64 || AD_HEAD_DIM == 128 ? AD_HEAD_DIM : 0, GM>(a, sm, n, per, A, h0, ng, s);
#else
  if (a.head_dim == 64) ad_block<64, GM>(a, sm, n, per, A, h0, ng, s);
  else if (a.head_dim == 128) ad_block<128, GM>(a, sm, n, per, A, h0, ng, s);
  else ad_block<0, GM>(a, sm, n, per, A, h0, ng, s);
#endif
}

/* Block (h, s) of the grid: split s of query head h's block row (a
 * persistent kernel's member calls it for the blocks of its instruction). */
__device__ __forceinline__ void ad_run(const fd_args &a, ad_smem &sm, u32 h, u32 s) {
  const long long pe = (long long)a.pos[0] + 1;
  const u32 n = pe <= 0 ? 0u : pe < (long long)a.ctx ? (u32)pe : a.ctx;
  const u32 G = a.heads / a.kv_heads, gi = h % G;
  const u32 gsz = n >= AD_GROUP_FROM ? min(G, (u32)AD_MAXG) : 1u;   /* heads a block serves */
  if (gi % gsz) return;                               /* a group leader's block serves this head */
  const u32 ng = min(gsz, G - gi);
  /* a block a head: H block rows are active, not KV, so fewer splits keep them one wave (head_splits) */
  const u32 S = gsz == 1 && a.head_splits && a.head_splits < a.splits ? a.head_splits : a.splits;
  u32 per = ((n + S - 1) / S + AD_MIN_CHUNK - 1) / AD_MIN_CHUNK * AD_MIN_CHUNK;
  if (per < AD_MIN_CHUNK) per = AD_MIN_CHUNK;          /* n = 0 */
  const u32 A = (n + per - 1) / per;
  if (A == 0) {                                       /* nothing to attend (pos < 0): y = 0 */
    if (s == 0)
      for (u32 i = threadIdx.x; i < ng * a.head_dim; i += blockDim.x) a.y[(u64)h * a.head_dim + i] = 0.0f;
    return;
  }
  if (s >= A) return;
  if (gsz == 1) ad_block_hd<1>(a, sm, n, per, A, h, ng, s);
  else ad_block_hd<AD_MAXG>(a, sm, n, per, A, h, ng, s);
}
FD_KERNEL(fd_args a) {
  __shared__ __align__(16) ad_smem sm;
  fd_pdl_wait();
  fd_pdl_launch();                                    /* the next kernel may start its weight-only prologue */
  ad_run(a, sm, blockIdx.x, blockIdx.y);
}
