// rope.cpp — rope_kv.cuh on the CPU (emu.h) against a double-precision
// rotation: positions up to 32767, in place, past the cache (flag, nothing
// written), a negative start; the cache paged through a permuted table (or
// pages from a larger pool, or the identity).
#include "emu.h"
static u16 f2h(float f) { if (f == 0) return 0; u32 u = __float_as_uint(f); u32 s = (u >> 16) & 0x8000; int e = (int)((u >> 23) & 255) - 127 + 15; u32 m = u & 0x7fffff;
  if (e <= 0) return (u16)s; u32 h = (e << 10) | (m >> 13); u32 r = m & 0x1fff; if (r > 0x1000 || (r == 0x1000 && (h & 1))) h++; return (u16)(s | h); }
static inline void st(fd_f16 *p, u64 i, float v) { p[i].x = f2h(v); }
typedef float q_t; typedef float k_t; typedef float v_t; typedef float inv_freq_t; typedef int pos_t; typedef int pages_t; typedef float qr_t; typedef fd_f16 kc_t; typedef fd_f16 vc_t; typedef int flag_t;
struct fd_args { const q_t *q; const k_t *k; const v_t *v; const inv_freq_t *inv_freq; const pos_t *pos; const pages_t *pages; qr_t *qr; kc_t *kc; vc_t *vc; flag_t *flag; u32 tokens, heads, kv_heads, head_dim, ctx; };
#define FD_NAME kern_rope
#include "ops/rope_kv.cuh"
static void body(void *p) { kern_rope(*(fd_args *)p); }
static uint64_t rs = 88172645463325252ull;
static float rnd() { rs ^= rs << 13; rs ^= rs >> 7; rs ^= rs << 17; return (float)((rs >> 11) * (1.0 / 9007199254740992.0)) * 2 - 1; }
int run(u32 T, u32 H, u32 KV, u32 hd, u32 C, int start, bool inplace, int mode) {
  std::vector<float> q((size_t)T * H * hd), k((size_t)T * KV * hd), v(k.size()), inv(hd / 2), qr(q.size());
  for (auto &x : q) x = rnd(); for (auto &x : k) x = rnd(); for (auto &x : v) x = rnd();
  for (u32 i = 0; i < hd / 2; i++) inv[i] = 1.0f / (float)pow(1e6, (double)((float)(2 * i) / (float)hd));
  u32 np; std::vector<int> tab = kv_table(C, mode, &np);
  std::vector<fd_f16> kc((size_t)np * KV * FD_KV_PAGE * hd, fd_f16{0x3c00}), vc(kc.size(), fd_f16{0x3c00});
  std::vector<float> q0 = q; int p = start, flag = 0;
  fd_args a = { q.data(), k.data(), v.data(), inv.data(), &p, tab.data(), inplace ? q.data() : qr.data(), kc.data(), vc.data(), &flag, T, H, KV, hd, C };
  launch(body, &a, {T, 1, 1}, {256, 1, 1}, false);
  const float *out = inplace ? q.data() : qr.data(); double worst = 0; int bad = 0, written = 0;
  for (u32 t = 0; t < T; t++) { long long P = (long long)start + t;
    for (u32 h = 0; h < H + KV; h++) for (u32 i = 0; i < hd / 2; i++) {
      double ang = (double)((float)P * inv[i]), c = cos(ang), s = sin(ang);
      const float *x = h < H ? &q0[((size_t)t * H + h) * hd] : &k[((size_t)t * KV + h - H) * hd];
      double lo = x[i] * c - x[i + hd / 2] * s, hi = x[i + hd / 2] * c + x[i] * s;
      if (h < H) { const float *g = out + ((size_t)t * H + h) * hd; worst = std::max(worst, std::max(fabs(g[i] - lo), fabs(g[i + hd / 2] - hi))); }
      else if (P >= 0 && P < C) { size_t o = kv_row(tab, KV, h - H, (u32)P) * hd; bad += fabs(h2f(kc[o + i].x) - lo) > 1e-3; bad += fabs(h2f(kc[o + i + hd / 2].x) - hi) > 1e-3; written++; } }
    if (P >= 0 && P < C) for (u32 j = 0; j < KV; j++) for (u32 i = 0; i < hd; i++) bad += h2f(vc[kv_row(tab, KV, j, (u32)P) * hd + i].x) != h2f(f2h(v[((size_t)t * KV + j) * hd + i]));
  }
  int untouched = 0; for (size_t i = 0; i < kc.size(); i++) untouched += kc[i].x == 0x3c00;
  // every row not written stays as it was: the writes went to the table's rows and nowhere else
  size_t want_untouched = kc.size(); for (u32 t = 0; t < T; t++) { long long P = (long long)start + t; if (P >= 0 && P < C) want_untouched -= (size_t)KV * hd; }
  bad += (size_t)untouched < want_untouched;
  int wantflag = (long long)start + T > C || start < 0;
  printf("T %3u hd %3u C %5u start %6d: q abs err %.3g, bad %d, flag %d (want %d), untouched %d of %zu\n", T, hd, C, start, worst, bad, flag, wantflag, untouched, kc.size());
  return worst > 1e-5 || bad || flag != wantflag;
}
int main() { int f = 0;
  f += run(64, 14, 2, 64, 32768, 0, false, 1); f += run(30, 14, 2, 64, 32768, 32768 - 30, true, 2); f += run(1, 12, 2, 128, 32768, 32767, false, 1);
  f += run(20, 12, 2, 128, 32768, 32760, false, 0); f += run(3, 2, 1, 32, 8, -1, false, 2); f += run(100, 4, 2, 64, 300, 10, false, 1);
  printf("%s\n", f ? "FAIL" : "ALL OK"); return f; }
