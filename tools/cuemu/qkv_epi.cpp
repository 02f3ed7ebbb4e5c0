// qkv_epi.cpp — the QKV family's RoPE epilogue (qkv/epi_rope_kv.cuh, the
// decode step's cache writer) on the CPU against a double-precision rotation:
// every row j of a token at positions from 0 to past the cache, q rows out,
// k and v rows into a cache paged through a permuted table (or a larger
// pool's pages, or the identity); nothing else in the pool written.
#include "emu.h"
static u16 f2h(float f) { if (f == 0) return 0; u32 u = __float_as_uint(f); u32 s = (u >> 16) & 0x8000; int e = (int)((u >> 23) & 255) - 127 + 15; u32 m = u & 0x7fffff;
  if (e <= 0) return (u16)s; u32 h = (e << 10) | (m >> 13); u32 r = m & 0x1fff; if (r > 0x1000 || (r == 0x1000 && (h & 1))) h++; return (u16)(s | h); }
static inline void st(fd_f16 *p, u64 i, float v) { p[i].x = f2h(v); }
typedef float b0_t; typedef float b1_t; typedef float b2_t; typedef int pos_t; typedef float inv_freq_t; typedef int pages_t;
typedef float q_t; typedef fd_f16 kc_t; typedef fd_f16 vc_t; typedef int flag_t;
struct fd_args { const b0_t *b0; const b1_t *b1; const b2_t *b2; const pos_t *pos; const inv_freq_t *inv_freq; const pages_t *pages;
  q_t *q; kc_t *kc; vc_t *vc; flag_t *flag; u32 rows0, rows2, heads, kv_heads, head_dim, ctx; };
#include "ops/qkv/epi_rope_kv.cuh"
static uint64_t rs = 88172645463325252ull;
static float rnd() { rs ^= rs << 13; rs ^= rs >> 7; rs ^= rs << 17; return (float)((rs >> 11) * (1.0 / 9007199254740992.0)) * 2 - 1; }
int run(u32 H, u32 KV, u32 hd, u32 C, int pos, int mode) {
  u32 half = hd / 2, rows0 = (H + KV) * half, rows2 = KV * hd, n = std::max(rows0, rows2);
  std::vector<float> b0(rows0), b1(rows0), b2(rows2), inv(half), q(H * hd, 0.f), v((size_t)n * 3);
  for (auto &x : b0) x = rnd(); for (auto &x : b1) x = rnd(); for (auto &x : b2) x = rnd(); for (auto &x : v) x = rnd();
  for (u32 i = 0; i < half; i++) inv[i] = 1.0f / (float)pow(1e6, (double)((float)(2 * i) / (float)hd));
  u32 np; std::vector<int> tab = kv_table(C, mode, &np);
  std::vector<fd_f16> kc((size_t)np * KV * FD_KV_PAGE * hd, fd_f16{0x3c00}), vc(kc.size(), fd_f16{0x3c00});
  int p = pos, flag = 0;
  fd_args a = { b0.data(), b1.data(), b2.data(), &p, inv.data(), tab.data(), q.data(), kc.data(), vc.data(), &flag, rows0, rows2, H, KV, hd, C };
  for (u32 j = 0; j < n; j++) { float r[3] = { v[3 * j], v[3 * j + 1], v[3 * j + 2] }; fd_epilogue(a, j, r); }
  double worst = 0; int bad = 0; size_t written = 0; bool fits = (u32)pos < C;
  for (u32 j = 0; j < rows0; j++) { u32 h = j / half, i = j % half;
    double ang = (double)((float)pos * inv[i]), c = cos(ang), s = sin(ang), x0 = v[3 * j] + b0[j], x1 = v[3 * j + 1] + b1[j];
    double lo = x0 * c - x1 * s, hi = x1 * c + x0 * s;
    if (h < H) worst = std::max(worst, std::max(fabs(q[h * hd + i] - lo), fabs(q[h * hd + i + half] - hi)));
    else if (fits) { size_t o = kv_row(tab, KV, h - H, (u32)pos) * hd + i; bad += fabs(h2f(kc[o].x) - lo) > 1e-3; bad += fabs(h2f(kc[o + half].x) - hi) > 1e-3; written += 2; } }
  for (u32 j = 0; fits && j < rows2; j++) { u32 g = j / hd, d = j % hd;
    bad += h2f(vc[kv_row(tab, KV, g, (u32)pos) * hd + d].x) != h2f(f2h(v[3 * j + 2] + b2[j])); }
  size_t touched = 0; for (size_t i = 0; i < kc.size(); i++) touched += kc[i].x != 0x3c00;
  bad += touched > written;   // nothing beside the token's rows (a written value equal to 1.0 only lowers the count)
  printf("H %2u KV %u hd %3u C %4u pos %4d table %s: q abs err %.3g, bad %d, flag %d\n", H, KV, hd, C, pos,
         mode == 0 ? "identity" : mode == 1 ? "permuted" : "pool", worst, bad, flag);
  return worst > 1e-5 || bad || flag != !fits; }
int main() { int f = 0;
  f += run(14, 2, 64, 300, 0, 1); f += run(14, 2, 64, 300, 70, 2); f += run(12, 2, 128, 300, 299, 1); f += run(12, 2, 128, 300, 128, 0);
  f += run(4, 4, 32, 64, 63, 2); f += run(14, 2, 64, 300, 300, 1);
  printf("%s\n", f ? "FAIL" : "ALL OK"); return f; }
