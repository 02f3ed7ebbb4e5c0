/* sample.cuh — FD_SAMPLE on the device: many blocks pick the next token
 * exactly over all V logits, following the rules of include/foundry/ops.h
 * with ops/sample_rule.cuh's arithmetic (shared with the CPU twin in
 * ops/sample.c, so equal inputs give equal ids).
 *
 * Layer: ops (device code of FD_SAMPLE). Grid: a block of FD_SAMP_THREADS
 * per FD_SAMP_SLICE logits, at most one per SM (a block loops over slices
 * s = blockIdx.x + j gridDim.x). Phase 1, every block over its slice: the
 * window's counts of its tokens (shared memory), the penalised keys, the
 * slice's largest (atomicMax into the header) and candidate count. Then
 * one of two ways:
 *  - top-k (1 < k < V), or top-p with min-p, the list: every block appends
 *    its candidates at or above the weight's threshold (min-p's, or the
 *    exp's cut) for the largest logit seen so far (<= the true largest, so
 *    the threshold is lower: no weighted member is lost) and, with top-k, at
 *    or above its own k-th largest (a block that drops a candidate holds k
 *    larger ones; the select is skipped where the threshold leaves k or
 *    fewer) to a global list. The list holds every weighted member of the
 *    top k, so its k-th largest keeps the same survivors as the one over all
 *    candidates (a weighted member below the true k-th would have k weighted
 *    keys above it, all listed).
 *    The last block to take the ticket caches the list in shared memory (up
 *    to FD_SAMP_LCAP members), finds the exact top-k threshold, the weights,
 *    the survivors (compacted into shared memory, or the list itself when
 *    more), top-p and the Philox draw. Min-p keeps the list short for a
 *    model's distribution; a flat one lists all V for one block (top-p with
 *    min-p on such logits is still slow: the grid pass's syncs cost more
 *    than the short list saves in the common case, kernel below).
 *  - otherwise the grid pass (top-p or min-p prune at most): after a grid
 *    sync on the header (every block resident: at most one per SM) every
 *    block knows the largest logit, so every token's weight. Top-p's
 *    threshold is the same radix select as the twin's, its histograms
 *    summed over all blocks (global atomics), a grid sync a round; every
 *    block reads them and takes the same digit. Then each block writes the
 *    kept weight of its slices; the last block finds the slice holding the
 *    draw point from those sums and the id by a scan of that slice. A flat
 *    distribution costs what a peaked one does (the list would hold all V).
 * Integer weights: the same id as the twin's running sum in index order.
 * The last block clears the header (and the grid pass's histograms) for the
 * next launch: graph replays need no memset.
 * scratch (`counts`, ops.h fd_sample_scratch_ints): header, the grid
 * pass's FD_SAMP_ROUNDS histograms (both zero between launches), then the
 * list of (idx, key, w) members or the grid pass's u64 weight a slice. */
#include "ops/sample_rule.cuh"
#include "ops/attn_common.cuh"   /* fd_ldcg4: loads around L1 */
#define FD_SAMP_SLICE 2048    /* logits a block takes (ops/sample.c SAMPLE_SLICE) */
#define FD_SAMP_THREADS 512   /* ops/sample.c SAMPLE_THREADS */
#define FD_SAMP_SURV 512      /* survivors phase 2 keeps in shared memory */
#define FD_SAMP_LCAP 4096     /* list members phase 2 caches in shared memory (keys and ids: 32 KB) */
struct fd_samp_member { u32 idx, key; u64 w; };
struct fd_samp_hdr { u64 gmax; u32 ncand, nlist, ticket, bar, pad[10]; };   /* 64 bytes = 16 ints */
struct fd_samp_sh {
  u32 cnt[256];
  u64 ws[256];
  u64 red[32];
  u32 nlist, sel_b, last;
  u64 sel_above, best;
  u64 pick_r;   /* the grid pass's draw: the target, then what is left of it in the chosen slice */
  u32 pick_s;   /* its slice */
  int pick_id;
};

/* the logit of a key (fd_samp_key's inverse; -0 comes back as +0) */
__device__ __forceinline__ float fd_samp_unkey(u32 k) {
  return __uint_as_float((k & 0x80000000u) ? (k & 0x7fffffffu) : ~k);
}

/* a list member written by another block of this launch: around L1 */
__device__ __forceinline__ fd_samp_member fd_samp_ldcg(const fd_samp_member *p) {
  const float4 v = fd_ldcg4((const float *)p);
  fd_samp_member e;
  e.idx = __float_as_uint(v.x), e.key = __float_as_uint(v.y);
  e.w = (u64)__float_as_uint(v.z) | (u64)__float_as_uint(v.w) << 32;
  return e;
}

__device__ __forceinline__ u64 fd_samp_max64(u64 v, u64 *red) {
  for (int o = 16; o; o >>= 1) { u64 x = __shfl_xor_sync(0xffffffffu, v, o); v = x > v ? x : v; }
  __syncthreads();
  if ((threadIdx.x & 31) == 0) red[threadIdx.x >> 5] = v;
  __syncthreads();
  v = (threadIdx.x & 31) < (blockDim.x >> 5) ? red[threadIdx.x & 31] : 0ull;
  for (int o = 16; o; o >>= 1) { u64 x = __shfl_xor_sync(0xffffffffu, v, o); v = x > v ? x : v; }
  return v;
}

__device__ __forceinline__ u64 fd_samp_sum64(u64 v, u64 *red) {
  for (int o = 16; o; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  __syncthreads();
  if ((threadIdx.x & 31) == 0) red[threadIdx.x >> 5] = v;
  __syncthreads();
  v = (threadIdx.x & 31) < (blockDim.x >> 5) ? red[threadIdx.x & 31] : 0ull;
  for (int o = 16; o; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

/* A slice's keys in shared memory (0: not a candidate), weight 1 each.
 * Every lane of the block calls f(key, w, ok) the same number of times. */
struct fd_samp_keys {
  const u32 *k;
  u32 n;
  template <class F> __device__ void each(F f) const {
    for (u32 base = 0; base < n; base += blockDim.x) {
      u32 j = base + threadIdx.x, key = j < n ? k[j] : 0u;
      f(key, 1ull, key != 0u);
    }
  }
};

/* Members from a list (shared memory, or global written by other blocks):
 * `all`: every entry with weight 1 (top-k); else entries of key >= lo_k and
 * w > 0; by_idx keys them by ~idx and keeps only keys >= lo_p. */
struct fd_samp_list {
  const fd_samp_member *l;
  u32 n, lo_k;
  bool all, by_idx, global;
  u32 lo_p;
  template <class F> __device__ void each(F f) const {
    for (u32 base = 0; base < n; base += blockDim.x) {
      u32 j = base + threadIdx.x, key = 0;
      u64 w = 0;
      bool ok = false;
      if (j < n) {
        fd_samp_member e = global ? fd_samp_ldcg(l + j) : l[j];
        if (all) ok = true, w = 1, key = e.key;
        else {
          w = e.w, key = by_idx ? ~e.idx : e.key;
          ok = e.key >= lo_k && e.w != 0 && (!by_idx || e.key >= lo_p);
        }
      }
      f(key, w, ok);
    }
  }
};

/* Adds the members of digit d and weight w (where ok; weight 1 if `unit`)
 * to the histogram, one atomic pair per digit per warp (the keys of a
 * distribution crowd into a few digits); all lanes call it. */
__device__ __forceinline__ void fd_samp_hist_add(fd_samp_sh &sh, u32 d, u64 w, bool ok, bool unit, u32 lane) {
  if (!__ballot_sync(0xffffffffu, ok)) return;
  const u32 grp = __match_any_sync(0xffffffffu, ok ? d : 0x100u);
  u64 s = __popc(grp);
  if (!unit) {
    s = 0;
    for (int j = 0; j < 32; j++) {
      u64 x = __shfl_sync(0xffffffffu, w, j);
      if (grp >> j & 1u) s += x;
    }
  }
  if (ok && __ffs(grp) - 1 == (int)lane) {
    atomicAdd(&sh.cnt[d], (u32)__popc(grp));
    atomicAdd(&sh.ws[d], s);
  }
}

/* The chosen bucket of a select's round, by warp 0 (the others pass):
 * the first b from the top where above + the weight of buckets >= b reaches
 * need (ops/sample.c select_keys' loop) into sh.sel_b, and the weight of
 * the buckets above it (plus above) into sh.sel_above. */
__device__ __forceinline__ void fd_samp_bucket(fd_samp_sh &sh, u64 need, u64 above) {
  if (threadIdx.x >= 32) return;
  const u32 lane = threadIdx.x;   /* lane l owns buckets 8l .. 8l+7 */
  u64 s = 0;
  for (int j = 0; j < 8; j++) s += sh.ws[lane * 8 + j];
  u64 suf = s;
  for (int o = 1; o < 32; o <<= 1) {
    u64 v = __shfl_down_sync(0xffffffffu, suf, o);
    if (lane + o < 32) suf += v;
  }
  u32 bal = __ballot_sync(0xffffffffu, above + suf >= need);
  int top = 31 - __clz(bal | 1u);
  if ((int)lane == top) {
    u64 run = above + suf - s;
    int b = lane * 8 + 7;
    while (b > (int)lane * 8 && run + sh.ws[b] < need) run += sh.ws[b--];
    sh.sel_b = b, sh.sel_above = run;
  }
}

/* ops/sample.c's select: the largest t with weight(key >= t) >= need, by
 * 8-bit digits from `shift` down (bits above shift + 8 fixed to `prefix`);
 * `early` stops when a digit settles the kept set. *lo: kept = key >= *lo;
 * *sum: its weight. `unit`: every weight is 1 (warp-aggregated counts). */
template <class S>
__device__ void fd_samp_select(const S &src, u64 need, u32 prefix, int shift, bool early, bool unit, fd_samp_sh &sh,
                               u32 *lo, u64 *sum) {
  u64 above = 0;
  u32 lane = threadIdx.x & 31;
  for (;; shift -= 8) {
    __syncthreads();
    for (u32 t = threadIdx.x; t < 256; t += blockDim.x) sh.cnt[t] = 0, sh.ws[t] = 0;
    __syncthreads();
    u32 himask = shift >= 24 ? 0u : ~0u << (shift + 8), pre = prefix;
    int sh_ = shift;
    src.each([&](u32 key, u64 w, bool ok) {
      ok = ok && (key & himask) == pre;
      u32 d = (key >> sh_) & 255u;
      fd_samp_hist_add(sh, d, w, ok, unit, lane);
    });
    __syncthreads();
    fd_samp_bucket(sh, need, above);
    __syncthreads();
    u32 b = sh.sel_b;
    above = sh.sel_above;
    prefix |= b << shift;
    if (shift == 0 || (early && (sh.cnt[b] == 1 || above + sh.ws[b] == need))) {
      *lo = prefix, *sum = above + sh.ws[b];
      return;
    }
  }
}

/* What a token's weight needs beside its logit (sample_rule.cuh's
 * fd_samp_weight): the largest logit m, T, min-p and the exp's cut. */
struct fd_samp_wctx { float m; double t, minp, cut; };
__device__ __forceinline__ fd_samp_wctx fd_samp_wctx_of(const fd_args &a, float m) {
  fd_samp_wctx c;
  c.m = m, c.t = a.temperature, c.minp = a.min_p > 0.0f ? (a.min_p < 1.0f ? (double)a.min_p : 1.0) : 0.0;
  c.cut = c.t * (c.minp > 0 && log(c.minp) - 1e-6 > -40.0 ? log(c.minp) - 1e-6 : -40.0);
  return c;
}

/* Total weight, top-p, the draw: the chosen id. */
template <class S> __device__ int fd_samp_draw(S src, const fd_args &a, int pos, fd_samp_sh &sh) {
  u64 W = 0, wf, s;
  src.by_idx = false;
  src.each([&](u32, u64 w, bool ok) { if (ok) W += w; });
  W = fd_samp_sum64(W, sh.red);
  wf = W;
  u32 lo_p = 0, t;
  if (a.top_p < 1.0f) {
    double x = ceil((double)a.top_p * (double)W);
    u64 need = x < 1.0 ? 1ull : (x >= (double)W ? W : (u64)x);
    fd_samp_select(src, need, 0u, 24, true, false, sh, &lo_p, &wf);
  }
  u64 target = fd_mulhi64(fd_samp_uniform(a.seed, pos), wf);
  src.by_idx = true, src.lo_p = lo_p;
  fd_samp_select(src, target + 1, 0xff000000u, 16, false, false, sh, &t, &s);
  return (int)~t;
}

/* fd_samp_draw for at most 32 survivors (surv, shared memory), by warp 0
 * alone: no block barriers and no radix passes. Lane i holds member i; top-p
 * keeps key >= t, t the largest member key whose upper set weighs >= need
 * (the set the radix select keeps), and the draw is the kept member whose
 * running weight in index order first exceeds the target. (Two members a
 * lane, up to 64 survivors, measured 26.3 us at the defaults against 22.5:
 * H100, stop 23.) */
__device__ int fd_samp_draw_warp(const fd_samp_member *surv, u32 ns, const fd_args &a, fd_samp_sh &sh) {
  if (threadIdx.x < 32) {
    const u32 lane = threadIdx.x;
    const bool ok = lane < ns;
    fd_samp_member e = { 0u, 0u, 0ull };
    if (ok) e = surv[lane];
    u64 W = e.w;
    for (int o = 16; o; o >>= 1) W += __shfl_xor_sync(0xffffffffu, W, o);
    u32 lo_p = 0;
    u64 wf = W;
    if (a.top_p < 1.0f) {
      double x = ceil((double)a.top_p * (double)W);
      u64 need = x < 1.0 ? 1ull : (x >= (double)W ? W : (u64)x), up = 0;
      for (int j = 0; j < 32; j++) {   /* my key's upper set */
        u32 kj = __shfl_sync(0xffffffffu, e.key, j);
        u64 wj = __shfl_sync(0xffffffffu, e.w, j);
        if ((u32)j < ns && kj >= e.key) up += wj;
      }
      u32 t = ok && up >= need ? e.key : 0u;
      for (int o = 16; o; o >>= 1) { u32 y = __shfl_xor_sync(0xffffffffu, t, o); t = y > t ? y : t; }
      lo_p = t;
      wf = ok && e.key >= lo_p ? e.w : 0ull;
      for (int o = 16; o; o >>= 1) wf += __shfl_xor_sync(0xffffffffu, wf, o);
    }
    const u64 target = fd_mulhi64(fd_samp_uniform(a.seed, a.pos[0]), wf);
    const bool kept = ok && e.key >= lo_p;
    u64 run = 0;   /* the kept weight at ids <= mine */
    for (int j = 0; j < 32; j++) {
      u32 ij = __shfl_sync(0xffffffffu, e.idx, j), kj = __shfl_sync(0xffffffffu, e.key, j);
      u64 wj = __shfl_sync(0xffffffffu, e.w, j);
      if ((u32)j < ns && kj >= lo_p && ij <= e.idx) run += wj;
    }
    if (kept && run > target && run - e.w <= target) sh.pick_id = (int)e.idx;
  }
  __syncthreads();
  return sh.pick_id;
}

/* min-p's threshold for largest logit m: below it, (double)pl - m < cut
 * for sure (the slack covers the rounding of the sum); increasing in m. */
__device__ __forceinline__ float fd_samp_thr(float m, double cut) {
  return __double2float_ru((double)m + cut - (fabs((double)m) + fabs(cut)) * 1e-9);
}

/* The greedy answers and refusals the last block gives before any weight:
 * true with *out set when the draw is not needed. */
__device__ __forceinline__ bool fd_samp_trivial(const fd_args &a, u64 best, u32 ncand, int *out) {
  if (!ncand) return *out = 0, true;
  *out = (int)~(u32)best;
  const float m = fd_samp_unkey((u32)(best >> 32));
  return !(a.temperature > 0.0f) || a.top_k == 1 || !(m - m == 0.0f);
}

/* Phase 2 (the last block): the chosen id from the header and the list. */
__device__ int fd_samp_finish(const fd_args &a, fd_samp_hdr *hd, fd_samp_member *list, fd_samp_member *surv,
                              u32 *ckey, u32 *cidx, fd_samp_sh &sh) {
  const u32 tid = threadIdx.x, lane = tid & 31;
  const u64 best = *(volatile u64 *)&hd->gmax;
  const u32 ncand = *(volatile u32 *)&hd->ncand, nl = *(volatile u32 *)&hd->nlist;
  int out;
  if (fd_samp_trivial(a, best, ncand, &out)) return out;
  const float m = fd_samp_unkey((u32)(best >> 32));
  const fd_samp_wctx c = fd_samp_wctx_of(a, m);
  u32 lo_k = 0;
  u64 s;
  /* the list into shared memory once where it fits (top-k's: a block's k
   * each), so top-k's select passes and the weights read no L2 */
  const bool cached = nl <= FD_SAMP_LCAP;
  if (cached) {
    for (u32 j = tid; j < nl; j += blockDim.x) {
      fd_samp_member e = fd_samp_ldcg(list + j);
      ckey[j] = e.key, cidx[j] = e.idx;
    }
    __syncthreads();
  }
  if (a.top_k > 1 && (u32)a.top_k < ncand) {
    if (cached) fd_samp_select(fd_samp_keys{ ckey, nl }, (u64)a.top_k, 0u, 24, true, true, sh, &lo_k, &s);
    else
      fd_samp_select(fd_samp_list{ list, nl, 0u, true, false, true, 0u }, (u64)a.top_k, 0u, 24, true, true, sh,
                     &lo_k, &s);
  }
  /* the weights into the list; the survivors (key >= lo_k, w > 0) into shared memory */
  if (tid == 0) sh.nlist = 0;
  __syncthreads();
  for (u32 base = 0; base < nl; base += blockDim.x) {
    u32 j = base + tid;
    fd_samp_member e = { 0u, 0u, 0ull };
    if (j < nl) {
      if (cached) e.idx = cidx[j], e.key = ckey[j];
      else e = fd_samp_ldcg(list + j);
      e.w = e.key >= lo_k ? fd_samp_weight(fd_samp_unkey(e.key), m, c.t, c.cut, c.minp) : 0ull;
      list[j].w = e.w;
    }
    bool ok = e.w != 0;
    u32 bal = __ballot_sync(0xffffffffu, ok), at = 0;
    if (!bal) continue;
    int leader = __ffs(bal) - 1;
    if ((int)lane == leader) at = atomicAdd(&sh.nlist, (u32)__popc(bal));
    at = __shfl_sync(0xffffffffu, at, leader);
    u32 slot = at + __popc(bal & ((1u << lane) - 1u));
    if (ok && slot < FD_SAMP_SURV) surv[slot] = e;
  }
  __syncthreads();
  u32 ns = sh.nlist;
  if (ns && ns <= 32) return fd_samp_draw_warp(surv, ns, a, sh);
  if (ns <= FD_SAMP_SURV) return fd_samp_draw(fd_samp_list{ surv, ns, 0u, false, false, false, 0u }, a, a.pos[0], sh);
  return fd_samp_draw(fd_samp_list{ list, nl, lo_k, false, false, true, 0u }, a, a.pos[0], sh);
}

/* The window's counts of the tokens of slice [base, base + ns) into scnt
 * (zeroed first); all threads call it. */
__device__ __forceinline__ void fd_samp_counts(const fd_args &a, u32 base, u32 ns, int *scnt) {
  __syncthreads();
  for (u32 i = threadIdx.x; i < FD_SAMP_SLICE; i += blockDim.x) scnt[i] = 0;
  int lo, hi;
  fd_samp_window(a.pos[0], a.last_n, a.cap, &lo, &hi);
  __syncthreads();
  for (int j = lo + (int)threadIdx.x; j <= hi; j += (int)blockDim.x) {
    int t = a.hist[j];
    if (t >= (int)base && (u32)t - base < ns) atomicAdd(&scnt[t - base], 1);
  }
  __syncthreads();
}

/* Logit base + i's weight (0 for NaN and for keys below lo_p, top-p's
 * threshold), and its key in *key. */
__device__ __forceinline__ u64 fd_samp_w_at(const fd_args &a, u32 base, u32 i, const int *scnt,
                                            const fd_samp_wctx &c, u32 lo_p, u32 *key) {
  float l = a.logits[base + i];
  int n = scnt[i];
  if (n) l = fd_samp_penalize(l, n, a.repeat_penalty, a.presence_penalty, a.frequency_penalty);
  *key = l == l ? fd_samp_key(l) : 0u;
  return l == l && *key >= lo_p ? fd_samp_weight(l, c.m, c.t, c.cut, c.minp) : 0ull;
}

/* Exclusive prefix over the block of v (in thread order); *total the sum. */
__device__ __forceinline__ u64 fd_samp_scan64(u64 v, u64 *red, u64 *total) {
  const u32 lane = threadIdx.x & 31, w = threadIdx.x >> 5, nw = (blockDim.x + 31) >> 5;
  u64 x = v;
  for (int o = 1; o < 32; o <<= 1) {
    u64 y = __shfl_up_sync(0xffffffffu, x, o);
    if ((int)lane >= o) x += y;
  }
  __syncthreads();
  if (lane == 31) red[w] = x;
  __syncthreads();
  u64 before = 0, all = 0;
  for (u32 j = 0; j < nw; j++) {
    before += j < w ? red[j] : 0ull;
    all += red[j];
  }
  *total = all;
  return before + x - v;
}

/* The grid pass's histogram of one round of the top-p select: every block
 * adds its slices' members (w > 0, key matching the round's prefix) by
 * digit. FD_SAMP_ROUNDS of them follow the scratch's header; the last
 * block zeroes them (ops/sample.c SAMPLE_GRID_INTS counts their ints). */
struct fd_samp_ghist { u64 ws[256]; u32 cnt[256]; };
#define FD_SAMP_ROUNDS 4

/* Round r of the grid pass's top-p select over this block's slices: the
 * members whose key has `prefix` above bit 32 - 8 r, by their digit at
 * 24 - 8 r, into gh[r]. */
__device__ void fd_samp_ground(const fd_args &a, const fd_samp_wctx &c, int r, u32 prefix, fd_samp_ghist *gh,
                               int *scnt, fd_samp_sh &sh) {
  const u32 nv = a.valid < a.n ? a.valid : a.n, nsl = (a.n + FD_SAMP_SLICE - 1) / FD_SAMP_SLICE;
  const u32 lane = threadIdx.x & 31;
  const int shift = 24 - 8 * r;
  const u32 himask = r ? ~0u << (shift + 8) : 0u;
  __syncthreads();   /* fd_samp_gstate's readers of sh are done */
  for (u32 t = threadIdx.x; t < 256; t += blockDim.x) sh.cnt[t] = 0, sh.ws[t] = 0;
  for (u32 s = blockIdx.x; s < nsl; s += gridDim.x) {
    const u32 base = s * FD_SAMP_SLICE, ns = base < nv ? min(nv - base, (u32)FD_SAMP_SLICE) : 0u;
    fd_samp_counts(a, base, ns, scnt);
    for (u32 i0 = 0; i0 < ns; i0 += blockDim.x) {   /* whole warps: fd_samp_hist_add is warp-wide */
      const u32 i = i0 + threadIdx.x;
      u32 key = 0;
      const u64 w = i < ns ? fd_samp_w_at(a, base, i, scnt, c, 0u, &key) : 0ull;
      fd_samp_hist_add(sh, (key >> shift) & 255u, w, w != 0 && (key & himask) == prefix, false, lane);
    }
  }
  __syncthreads();
  for (u32 t = threadIdx.x; t < 256; t += blockDim.x)
    if (sh.cnt[t]) atomicAdd(&gh[r].cnt[t], sh.cnt[t]), atomicAdd(&gh[r].ws[t], sh.ws[t]);
}

/* The grid pass's top-p select (ops/sample.c select_keys over every
 * block's histograms) as far as rounds [0, r) take it; every block reads
 * them after a grid sync and derives the same. True when they settle the
 * kept set (key >= *lo); else *lo is round r's prefix. */
__device__ bool fd_samp_gstate(const fd_args &a, const fd_samp_ghist *gh, int r, fd_samp_sh &sh, u32 *lo) {
  u64 need = 0, above = 0;
  u32 prefix = 0;
  for (int j = 0; j < r; j++) {
    __syncthreads();
    for (u32 t = threadIdx.x; t < 256; t += blockDim.x)
      sh.ws[t] = *(volatile const u64 *)&gh[j].ws[t], sh.cnt[t] = *(volatile const u32 *)&gh[j].cnt[t];
    __syncthreads();
    if (j == 0) {
      const u64 W = fd_samp_sum64(threadIdx.x < 256 ? sh.ws[threadIdx.x] : 0ull, sh.red);
      const double x = ceil((double)a.top_p * (double)W);
      need = x < 1.0 ? 1ull : (x >= (double)W ? W : (u64)x);
    }
    fd_samp_bucket(sh, need, above);
    __syncthreads();
    const u32 b = sh.sel_b;
    above = sh.sel_above;
    prefix |= b << (24 - 8 * j);
    if (j == FD_SAMP_ROUNDS - 1 || sh.cnt[b] == 1 || above + sh.ws[b] == need) {
      *lo = prefix;
      return true;
    }
  }
  *lo = prefix;
  return false;
}

/* The grid pass, every block once the largest logit is known (and top-p's
 * threshold lo_p): the weight of each of its slices into psum[slice]. */
__device__ void fd_samp_slice_sums(const fd_args &a, const fd_samp_wctx &c, u32 lo_p, u64 *psum, int *scnt,
                                   fd_samp_sh &sh) {
  const u32 nv = a.valid < a.n ? a.valid : a.n, nsl = (a.n + FD_SAMP_SLICE - 1) / FD_SAMP_SLICE;
  for (u32 s = blockIdx.x; s < nsl; s += gridDim.x) {
    const u32 base = s * FD_SAMP_SLICE, ns = base < nv ? min(nv - base, (u32)FD_SAMP_SLICE) : 0u;
    u64 w = 0;
    u32 key;
    if (ns) {
      fd_samp_counts(a, base, ns, scnt);
      for (u32 i = threadIdx.x; i < ns; i += blockDim.x) w += fd_samp_w_at(a, base, i, scnt, c, lo_p, &key);
    }
    w = fd_samp_sum64(w, sh.red);
    if (threadIdx.x == 0) psum[s] = w;
  }
}

/* The grid pass, the last block: target = floor(r W / 2^64) over the
 * slices' sums (in slice order, so in index order), then the slice holding
 * it finds the first id whose running weight exceeds it. */
__device__ int fd_samp_pick(const fd_args &a, const fd_samp_wctx &c, u32 lo_p, const u64 *psum, int *scnt,
                            fd_samp_sh &sh) {
  const u32 tid = threadIdx.x, nt = blockDim.x, nsl = (a.n + FD_SAMP_SLICE - 1) / FD_SAMP_SLICE;
  const u32 per = (nsl + nt - 1) / nt, s0 = min(tid * per, nsl), s1 = min(s0 + per, nsl);
  u64 mine = 0, W;
  u32 key;
  for (u32 s = s0; s < s1; s++) mine += *(volatile const u64 *)(psum + s);
  u64 excl = fd_samp_scan64(mine, sh.red, &W);
  const u64 target = fd_mulhi64(fd_samp_uniform(a.seed, a.pos[0]), W);   /* W >= 2^44: the largest weighs that */
  if (excl <= target && target < excl + mine) {
    u64 run = excl;
    u32 s = s0;
    for (;; s++) {
      u64 v = *(volatile const u64 *)(psum + s);
      if (target < run + v) break;
      run += v;
    }
    sh.pick_s = s, sh.pick_r = target - run;
  }
  __syncthreads();
  const u32 nv = a.valid < a.n ? a.valid : a.n, base = sh.pick_s * FD_SAMP_SLICE;
  const u32 ns = min(nv - base, (u32)FD_SAMP_SLICE), per_i = (FD_SAMP_SLICE + nt - 1) / nt;
  const u64 r = sh.pick_r;
  fd_samp_counts(a, base, ns, scnt);
  const u32 i0 = min(tid * per_i, ns), i1 = min(i0 + per_i, ns);   /* contiguous runs: thread order is index order */
  mine = 0;
  for (u32 i = i0; i < i1; i++) mine += fd_samp_w_at(a, base, i, scnt, c, lo_p, &key);
  excl = fd_samp_scan64(mine, sh.red, &W);
  if (excl <= r && r < excl + mine) {
    u64 run = excl;
    u32 i = i0;
    for (;; i++) {
      run += fd_samp_w_at(a, base, i, scnt, c, lo_p, &key);
      if (r < run) break;
    }
    sh.pick_id = (int)(base + i);
  }
  __syncthreads();
  return sh.pick_id;
}

/* Phase 1 over slice s: its penalised keys, largest and candidate count
 * into the header; on the list's way, its possible members onto the list. */
__device__ void fd_samp_phase1(const fd_args &a, u32 s, bool gridpass, fd_samp_hdr *hd, fd_samp_member *list,
                               u32 *key, int *scnt, fd_samp_sh &sh) {
  const u32 tid = threadIdx.x, nt = blockDim.x, lane = tid & 31;
  const u32 nv = a.valid < a.n ? a.valid : a.n, base = s * FD_SAMP_SLICE;
  const u32 ns = base < nv ? min(nv - base, (u32)FD_SAMP_SLICE) : 0u;
  fd_samp_counts(a, base, ns, scnt);
  /* the slice's penalised keys, its largest (first id on ties), its candidates */
  u64 best = 0;
  u32 nc = 0;
  for (u32 i = tid; i < ns; i += nt) {
    float l = a.logits[base + i];
    int c = scnt[i];
    if (c) l = fd_samp_penalize(l, c, a.repeat_penalty, a.presence_penalty, a.frequency_penalty);
    u32 k = l == l ? fd_samp_key(l) : 0u;
    key[i] = k;
    if (k) {
      nc++;
      u64 v = (u64)k << 32 | (u64)(~(base + i));
      best = v > best ? v : best;
    }
  }
  best = fd_samp_max64(best, sh.red);
  nc = (u32)fd_samp_sum64(nc, sh.red);
  if (tid == 0) {
    u64 old = best ? atomicMax(&hd->gmax, best) : 0ull;
    if (nc) atomicAdd(&hd->ncand, nc);
    sh.best = old > best ? old : best;
  }
  __syncthreads();
  const bool sampling = a.temperature > 0.0f && a.top_k != 1;
  if (gridpass || !sampling || !nc) return;
  /* the weight's threshold (min-p's, or the exp's cut) for the largest logit seen so far, <= the true one: a
   * key below it has no weight, so no member is lost for the draw; and the top-k threshold the last block
   * finds over a list that holds every weighted member of the top k keeps the same survivors (a weighted
   * member below the true k-th largest would have k weighted keys above it, all on the list) */
  const float m = fd_samp_unkey((u32)(sh.best >> 32));
  const u32 lo_m = m - m == 0.0f ? fd_samp_key(fd_samp_thr(m, fd_samp_wctx_of(a, m).cut)) : 0u;   /* finite m */
  u32 lo_b = lo_m;
  u64 sum;
  if (a.top_k > 1) {   /* the slice's k-th largest, unless the threshold leaves k or fewer (min-p, a peaked slice) */
    u32 nm = 0;
    for (u32 i = tid; i < ns; i += nt) nm += key[i] != 0u && key[i] >= lo_m;
    nm = (u32)fd_samp_sum64(nm, sh.red);
    u32 lo_k = 0;
    if ((u32)a.top_k < nm) fd_samp_select(fd_samp_keys{ key, ns }, (u64)a.top_k, 0u, 24, true, true, sh, &lo_k, &sum);
    lo_b = lo_k > lo_m ? lo_k : lo_m;
  }
  for (u32 i0 = 0; i0 < ns; i0 += nt) {
    u32 i = i0 + tid, k = i < ns ? key[i] : 0u;
    bool ok = k != 0u && k >= lo_b;
    u32 bal = __ballot_sync(0xffffffffu, ok), at = 0;
    if (!bal) continue;
    int leader = __ffs(bal) - 1;
    if ((int)lane == leader) at = atomicAdd(&hd->nlist, (u32)__popc(bal));
    at = __shfl_sync(0xffffffffu, at, leader);
    if (ok) {
      fd_samp_member e = { base + i, k, 0ull };
      list[at + __popc(bal & ((1u << lane) - 1u))] = e;
    }
  }
}

/* The kernel's phases: 0 phase 1; 1 .. FD_SAMP_ROUNDS the grid pass's
 * top-p rounds; FD_SAMP_ROUNDS + 1 the rest. The device runs them all in
 * one launch with grid syncs between (FD_SAMP_PHASE -1); the emulator
 * (tools/cuemu/sample.cpp) runs one phase a launch in every block, standing
 * in for the syncs. */
#ifndef FD_SAMP_PHASE
#define FD_SAMP_PHASE (-1)
#include "ops/grid_sync.cuh"
#define FD_SAMP_SYNC(hd, n) fd_grid_handover(&(hd)->bar, (n) * gridDim.x)
#endif
#define FD_SAMP_IN(ph) (FD_SAMP_PHASE < 0 || FD_SAMP_PHASE == (ph))

FD_KERNEL(fd_args a) {
  __shared__ fd_samp_sh sh;
  __shared__ __align__(16) union { u32 key[FD_SAMP_SLICE]; fd_samp_member surv[FD_SAMP_SURV]; } sl;
  __shared__ union { int scnt[FD_SAMP_SLICE]; u32 cache[2 * FD_SAMP_LCAP]; } su;   /* counts, or the list's cache */
  int *scnt = su.scnt;
  fd_samp_hdr *hd = (fd_samp_hdr *)a.counts;
  fd_samp_ghist *gh = (fd_samp_ghist *)(a.counts + 16);   /* zero between launches, like the header */
  fd_samp_member *list = (fd_samp_member *)(gh + FD_SAMP_ROUNDS);
  u64 *psum = (u64 *)list;   /* the grid pass: the slices' weights where the list would be */
  const u32 nv = a.valid < a.n ? a.valid : a.n, nsl = (a.n + FD_SAMP_SLICE - 1) / FD_SAMP_SLICE;
  /* The grid pass when top-k prunes nothing and top-p and min-p are not
   * both on: once a grid sync has made the largest logit known (the grid
   * is at most one block per SM, ops/sample.c), every block weighs its
   * slices; top-p's threshold comes from histograms all blocks add to, a
   * grid sync a round. The list (one block over every possible member)
   * serves top-k, and top-p with min-p, whose list min-p keeps short for a
   * model's distribution (H100, 151,936 logits: 8.5 us that way, 29.4 the
   * grid pass's; top-p alone 27.6 the grid pass's, 2,549 the list's). */
  const bool gridpass = a.temperature > 0.0f && a.top_k != 1 && (a.top_k <= 0 || (u32)a.top_k >= nv) &&
                        !(a.top_p < 1.0f && a.min_p > 0.0f);
  const bool topp = gridpass && a.top_p < 1.0f;
  u32 lo_p = 0, nsync = 0;
  fd_samp_wctx c = {};
  int out = 0;
  bool trivial = false;   /* the grid pass: greedy, or no candidate (out set) */
  (void)nsync;
  fd_pdl_wait();
  if (FD_SAMP_IN(0))
    for (u32 s = blockIdx.x; s < nsl; s += gridDim.x) fd_samp_phase1(a, s, gridpass, hd, list, sl.key, scnt, sh);
  if (gridpass) {
    FD_SAMP_SYNC(hd, ++nsync);
    if (threadIdx.x == 0) sh.best = *(volatile u64 *)&hd->gmax, sh.nlist = *(volatile u32 *)&hd->ncand;
    __syncthreads();
    c = fd_samp_wctx_of(a, fd_samp_unkey((u32)(sh.best >> 32)));
    trivial = fd_samp_trivial(a, sh.best, sh.nlist, &out);
    if (topp && !trivial) {
      bool settled = false;
      for (int r = 0; r < FD_SAMP_ROUNDS && !settled; r++) {
        if (!FD_SAMP_IN(r + 1) || (settled = fd_samp_gstate(a, gh, r, sh, &lo_p))) continue;   /* all blocks agree */
        fd_samp_ground(a, c, r, lo_p, gh, scnt, sh);
        FD_SAMP_SYNC(hd, ++nsync);
      }
      if (!settled && FD_SAMP_IN(FD_SAMP_ROUNDS + 1)) fd_samp_gstate(a, gh, FD_SAMP_ROUNDS, sh, &lo_p);
    }
  }
  if (!FD_SAMP_IN(FD_SAMP_ROUNDS + 1)) return;
  if (gridpass && !trivial) fd_samp_slice_sums(a, c, lo_p, psum, scnt, sh);
  __threadfence();
  __syncthreads();
  if (threadIdx.x == 0) sh.last = atomicAdd(&hd->ticket, 1u) == gridDim.x - 1;
  __syncthreads();
  if (!sh.last) return;
  __threadfence();
  if (gridpass) {
    if (!trivial) out = fd_samp_pick(a, c, lo_p, psum, scnt, sh);
    if (topp)
      for (u32 i = threadIdx.x; i < FD_SAMP_ROUNDS * sizeof(fd_samp_ghist) / 4; i += blockDim.x) ((u32 *)gh)[i] = 0;
  } else {
    out = fd_samp_finish(a, hd, list, sl.surv, su.cache, su.cache + FD_SAMP_LCAP, sh);
  }
  __syncthreads();
  if (threadIdx.x == 0) {
    hd->gmax = 0, hd->ncand = 0, hd->nlist = 0, hd->ticket = 0, hd->bar = 0;
    a.ids[0] = out;
  }
}
