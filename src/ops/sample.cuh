/* sample.cuh — FD_SAMPLE on the device: one block (768 threads) picks
 * the next token exactly over all V logits, following the rules of
 * include/foundry/ops.h with ops/sample_rule.cuh's arithmetic (shared with
 * the CPU twin in ops/sample.c, so equal inputs give equal ids).
 *
 * Layer: ops (device code of FD_SAMPLE). Passes over the V logits (read
 * from L2, penalised on the fly through a shared bitmap of the window's
 * tokens): (1) the largest logit, the candidates' count and, when top-k may
 * apply, the histogram of their keys' first 8-bit digit; (2) more top-k
 * digits, only while more than FD_SAMP_CAP candidates lie above the
 * prefix found so far (often none); (3) one that collects into shared
 * memory the candidates above that prefix (top-k then finishes there), or
 * without top-k the members of weight > 0 after min-p. Top-p and the draw
 * then run on that list; past FD_SAMP_CAP members they stream over the
 * logits again (same results, slower). Shared memory: the list (16 bytes
 * a member), the bitmap (V bits), 256-bucket histograms. */
#include "ops/sample_rule.cuh"
#define FD_SAMP_CAP 4096
struct fd_samp_member { u32 idx, key; u64 w; };
struct fd_samp_sh {
  u32 cnt[256];
  u64 ws[256];
  u64 red[32];
  u32 nlist, sel_b;
  u64 sel_above;
};
/* what a pass needs to weigh token i */
struct fd_samp_ctx {
  const float *logits;
  const int *counts;
  const u32 *bits;
  u32 nv;
  float rep, pres, freq, m;
  double t, cut, minp;
  float thr;   /* a float just under m + cut: a logit below it weighs 0 (skips the double math) */
  u32 lo_k;
};

__device__ __forceinline__ float fd_samp_pl(const fd_samp_ctx &c, u32 i) {
  float l = c.logits[i];
  if ((c.bits[i >> 5] >> (i & 31)) & 1u)
    l = fd_samp_penalize(l, *(const volatile int *)(c.counts + i), c.rep, c.pres, c.freq);
  return l;
}

/* Calls f(i, pl) for every token i < nv (pl its penalised logit; NaN past
 * nv), PER (4 or 8) contiguous tokens per thread per step, loaded as float4
 * where aligned so each thread keeps 4 PER bytes in flight. Every lane of
 * the block calls f the same number of times. */
template <int PER, class F> __device__ __forceinline__ void fd_samp_scan(const fd_samp_ctx &c, F f) {
  bool vec = ((u64)c.logits & 15) == 0;
  for (u32 base = 0; base < c.nv; base += PER * blockDim.x) {
    u32 i0 = base + PER * threadIdx.x;
    float v[PER];
    if (vec && i0 + PER <= c.nv) {
#pragma unroll
      for (int q = 0; q < PER; q += 4) {
        float4 x = *(const float4 *)(c.logits + i0 + q);
        v[q] = x.x, v[q + 1] = x.y, v[q + 2] = x.z, v[q + 3] = x.w;
      }
    } else {
#pragma unroll
      for (int j = 0; j < PER; j++) v[j] = i0 + j < c.nv ? c.logits[i0 + j] : __int_as_float(0x7fffffff);
    }
    u32 word = i0 < c.nv ? c.bits[i0 >> 5] >> (i0 & 31) : 0u;
#pragma unroll
    for (int j = 0; j < PER; j++) {
      float l = v[j];
      if ((word >> j) & 1u) l = fd_samp_penalize(l, *(const volatile int *)(c.counts + i0 + j), c.rep, c.pres, c.freq);
      f(i0 + j, l);
    }
  }
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

/* Members streamed from the logits: every candidate with weight 1
 * (weighted false), or those of key >= lo_k with weight > 0; by_idx keys
 * them by ~id and keeps only logit keys >= lo_p. Every lane of the block
 * calls f(key, w, ok) the same number of times. */
struct fd_samp_stream {
  const fd_samp_ctx *c;
  bool weighted, by_idx;
  u32 lo_p;
  template <class F> __device__ void each(F f) const {
    fd_samp_scan<8>(*c, [&](u32 i, float pl) {
      u32 key = 0;
      u64 w = 0;
      bool ok = false;
      if (pl == pl) {
        key = fd_samp_key(pl);
        if (!weighted) ok = true, w = 1;
        else if (key >= c->lo_k) {
          w = pl >= c->thr ? fd_samp_weight(pl, c->m, c->t, c->cut, c->minp) : 0ull;
          ok = w != 0 && (!by_idx || key >= lo_p);
          if (by_idx) key = ~i;
        }
      }
      f(key, w, ok);
    });
  }
};

/* The same members from the shared list (entries of key >= lo_k and w >
 * 0; `all`: every entry, weight 1, for top-k). */
struct fd_samp_list {
  const fd_samp_member *l;
  u32 n, lo_k;
  bool all, by_idx;
  u32 lo_p;
  template <class F> __device__ void each(F f) const {
    for (u32 base = 0; base < n; base += blockDim.x) {
      u32 j = base + threadIdx.x, key = 0;
      u64 w = 0;
      bool ok = false;
      if (j < n) {
        fd_samp_member e = l[j];
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

/* Adds a member of digit d (ok) to the histogram with weight 1, one atomic
 * per digit per warp; all lanes call it. */
__device__ __forceinline__ void fd_samp_hist_unit(fd_samp_sh &sh, u32 d, bool ok, u32 lane) {
  if (!__ballot_sync(0xffffffffu, ok)) return;
  u32 grp = __match_any_sync(0xffffffffu, ok ? d : 0x100u);
  if (ok && __ffs(grp) - 1 == (int)lane) {
    u32 k = __popc(grp);
    atomicAdd(&sh.cnt[d], k);
    atomicAdd(&sh.ws[d], (u64)k);
  }
}

/* ops/sample.c's select: the largest t with weight(key >= t) >= need, by
 * 8-bit digits from `shift` down (bits above shift + 8 fixed to `prefix`);
 * `early` stops when a digit settles the kept set. *lo: kept = key >= *lo;
 * *sum: its weight. `unit`: every weight is 1 (warp-aggregated counts).
 * `stop` > 0 (unit weights): also stop, with *partial set, once at most
 * `stop` members have key >= *lo (the exact t is >= *lo). FILLED: the
 * first digit's histogram is already in sh (the first pass made it). */
template <bool FILLED, class S>
__device__ void fd_samp_select(const S &src, u64 need, u32 prefix, int shift, bool early, bool unit, u32 stop,
                               fd_samp_sh &sh, u32 *lo, u64 *sum, bool *partial) {
  *partial = false;
  u64 above = 0;
  u32 lane = threadIdx.x & 31;
  for (bool first = true;; shift -= 8, first = false) {
    __syncthreads();
    if (!(FILLED && first)) {
      for (u32 t = threadIdx.x; t < 256; t += blockDim.x) sh.cnt[t] = 0, sh.ws[t] = 0;
      __syncthreads();
      u32 himask = shift >= 24 ? 0u : ~0u << (shift + 8), pre = prefix;
      int sh_ = shift;
      src.each([&](u32 key, u64 w, bool ok) {
        ok = ok && (key & himask) == pre;
        u32 d = (key >> sh_) & 255u;
        if (unit) fd_samp_hist_unit(sh, d, ok, lane);
        else if (ok) {
          atomicAdd(&sh.cnt[d], 1u);
          atomicAdd(&sh.ws[d], w);
        }
      });
      __syncthreads();
    }
    if (threadIdx.x < 32) {   /* lane l owns buckets 8l .. 8l+7; the chosen one is the first from the top reaching need */
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
    __syncthreads();
    u32 b = sh.sel_b;
    above = sh.sel_above;
    prefix |= b << shift;
    if (shift == 0 || (early && (sh.cnt[b] == 1 || above + sh.ws[b] == need))) {
      *lo = prefix, *sum = above + sh.ws[b];
      return;
    }
    if (above + sh.ws[b] <= stop) {
      *lo = prefix, *sum = above + sh.ws[b], *partial = true;
      return;
    }
  }
}

/* Total weight, top-p, the draw: the chosen id. */
template <class S> __device__ int fd_samp_draw(S src, const fd_args &a, int pos, fd_samp_sh &sh) {
  u64 W = 0, wf, s;
  src.by_idx = false;
  src.each([&](u32, u64 w, bool ok) { if (ok) W += w; });
  W = fd_samp_sum64(W, sh.red);
  wf = W;
  u32 lo_p = 0, t;
  bool part;
  if (a.top_p < 1.0f) {
    double x = ceil((double)a.top_p * (double)W);
    u64 need = x < 1.0 ? 1ull : (x >= (double)W ? W : (u64)x);
    fd_samp_select<false>(src, need, 0u, 24, true, false, 0u, sh, &lo_p, &wf, &part);
  }
  u64 target = fd_mulhi64(fd_samp_uniform(a.seed, pos), wf);
  src.by_idx = true, src.lo_p = lo_p;
  fd_samp_select<false>(src, target + 1, 0xff000000u, 16, false, false, 0u, sh, &t, &s, &part);
  return (int)~t;
}

FD_KERNEL(fd_args a) {
  extern __shared__ __align__(16) unsigned char fd_samp_dyn[];
  __shared__ fd_samp_sh sh;
  fd_samp_member *list = (fd_samp_member *)fd_samp_dyn;
  u32 *bits = (u32 *)(fd_samp_dyn + FD_SAMP_CAP * sizeof(fd_samp_member));
  u32 tid = threadIdx.x, nt = blockDim.x, lane = tid & 31;
  for (u32 j = tid; j < (a.n + 31) / 32; j += nt) bits[j] = 0;
  if (tid == 0) sh.nlist = 0;
  for (u32 t = tid; t < 256; t += nt) sh.cnt[t] = 0, sh.ws[t] = 0;
  fd_pdl_wait();
  int lo, hi;   /* the window; recomputed at the end (fewer live registers) */
  fd_samp_window(a.pos[0], a.last_n, a.cap, &lo, &hi);
  __syncthreads();
  for (int j = lo + (int)tid; j <= hi; j += (int)nt) {
    int t = a.hist[j];
    if (t >= 0 && (u32)t < a.n) atomicAdd(&a.counts[t], 1), atomicOr(&bits[t >> 5], 1u << (t & 31));
  }
  __syncthreads();
  fd_samp_ctx c;
  c.logits = a.logits, c.counts = a.counts, c.bits = bits, c.nv = a.valid < a.n ? a.valid : a.n;
  c.rep = a.repeat_penalty, c.pres = a.presence_penalty, c.freq = a.frequency_penalty, c.lo_k = 0;
  /* the largest key (first id on ties), the number of candidates and,
   * when top-k may be on, the histogram of their keys' first digit */
  u64 best = 0, ncand;
  u32 nc = 0;
  bool hist0 = a.temperature > 0.0f && a.top_k > 1;
  fd_samp_scan<8>(c, [&](u32 i, float pl) {
    bool ok = pl == pl;
    u32 key = ok ? fd_samp_key(pl) : 0u;
    if (ok) {
      nc++;
      u64 v = (u64)key << 32 | (u64)(~i);
      best = v > best ? v : best;
    }
    if (hist0) fd_samp_hist_unit(sh, key >> 24, ok, lane);
  });
  best = fd_samp_max64(best, sh.red);
  ncand = fd_samp_sum64(nc, sh.red);
  int out = 0;
  if (ncand) {
    out = (int)~(u32)best;
    float m = fd_samp_pl(c, (u32)out);
    bool inf = m == __int_as_float(0x7f800000) || m == __int_as_float((int)0xff800000u);
    if (a.temperature > 0.0f && a.top_k != 1 && !inf) {
      c.m = m, c.t = a.temperature;
      c.minp = a.min_p > 0.0f ? (a.min_p < 1.0f ? (double)a.min_p : 1.0) : 0.0;
      c.cut = c.t * (c.minp > 0 && log(c.minp) - 1e-6 > -40.0 ? log(c.minp) - 1e-6 : -40.0);
      /* below thr, (double)pl - m < cut for sure (the slack covers the rounding of the sum) */
      c.thr = __double2float_ru((double)m + c.cut - (fabs((double)m) + fabs(c.cut)) * 1e-9);
      /* top-k: radix digits over the stream until at most FD_SAMP_CAP
       * candidates remain above the prefix (`pending`: they are collected,
       * every one, and the select finishes on the list) */
      u64 s;
      bool pending = false, k_on = a.top_k > 1 && (u64)a.top_k < ncand;
      if (k_on) {
        fd_samp_stream all = { &c, false, false, 0u };
        fd_samp_select<true>(all, (u64)a.top_k, 0u, 24, true, true, FD_SAMP_CAP, sh, &c.lo_k, &s, &pending);
      }
      /* collect the members (or, pending, every candidate of key >= lo_k), warp by warp */
      fd_samp_scan<8>(c, [&](u32 i, float pl) {
        bool ok = false;
        fd_samp_member e = { i, 0u, 0ull };
        if (pl == pl && (e.key = fd_samp_key(pl)) >= c.lo_k) {
          e.w = pl >= c.thr ? fd_samp_weight(pl, c.m, c.t, c.cut, c.minp) : 0ull;
          ok = pending || e.w != 0;
        }
        u32 bal = __ballot_sync(0xffffffffu, ok), at = 0;
        if (!bal) return;
        int leader = __ffs(bal) - 1;
        if ((int)lane == leader) at = atomicAdd(&sh.nlist, (u32)__popc(bal));
        at = __shfl_sync(0xffffffffu, at, leader);
        u32 slot = at + __popc(bal & ((1u << lane) - 1u));
        if (ok && slot < FD_SAMP_CAP) list[slot] = e;
      });
      __syncthreads();
      u32 nl = sh.nlist;
      if (pending) {
        fd_samp_list all = { list, nl, 0u, true, false, 0u };
        fd_samp_select<false>(all, (u64)a.top_k, 0u, 24, true, true, 0u, sh, &c.lo_k, &s, &pending);
      }
      if (nl <= FD_SAMP_CAP) out = fd_samp_draw(fd_samp_list{ list, nl, c.lo_k, false, false, 0u }, a, a.pos[0], sh);
      else out = fd_samp_draw(fd_samp_stream{ &c, true, false, 0u }, a, a.pos[0], sh);
    }
  }
  __syncthreads();   /* every read of counts is done: clear the window's */
  fd_samp_window(a.pos[0], a.last_n, a.cap, &lo, &hi);
  for (int j = lo + (int)tid; j <= hi; j += (int)nt) {
    int t = a.hist[j];
    if (t >= 0 && (u32)t < a.n) a.counts[t] = 0;
  }
  if (tid == 0) a.ids[0] = out;
}
