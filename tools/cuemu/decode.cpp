// decode.cpp — attn_decode.cuh on the CPU (emu.h) against attention in
// double: head_dim 32..256, G 1..12 (one and two head groups a kv head),
// splits 1..256 (one active split, one merge level, two; fewer for a block a head: head_splits), positions from -1
// past the cache; the tickets must end at zero. Built with -DAD_GROUP_FROM=N too, so that the grouped mode (a block
// for several query heads) runs at these lengths. The cache is paged: every case runs with a permuted table (or pages
// drawn from a larger pool), a few with the identity too.
#include <cstddef>
#include "emu.h"
typedef float q_t; typedef fd_f16 kc_t; typedef fd_f16 vc_t; typedef int pos_t; typedef int pages_t; typedef float y_t; typedef float part_t; typedef int count_t;
struct fd_args { const q_t *q; const kc_t *kc; const vc_t *vc; const pos_t *pos; const pages_t *pages; y_t *y; part_t *part; count_t *count;
  u32 heads, kv_heads, head_dim, ctx, splits, head_splits; float scale; };
#define FD_NAME kern_decode
#include "ops/attn_decode.cuh"
static void body(void *p) { kern_decode(*(fd_args *)p); }
// float4 accesses on the device: a misaligned member faults there (not here)
static_assert(offsetof(ad_smem, acc) % 16 == 0 && offsetof(ad_smem, q) % 16 == 0, "ad_smem's float4 arrays");
static u16 f2h(float f) { // round to nearest even, normal range only (test values in [-1,1])
  if (f == 0) return 0; u32 u = __float_as_uint(f); u32 s = (u >> 16) & 0x8000; int e = (int)((u >> 23) & 255) - 127 + 15; u32 m = u & 0x7fffff;
  if (e <= 0) return (u16)s; u32 h = (e << 10) | (m >> 13); u32 r = m & 0x1fff; if (r > 0x1000 || (r == 0x1000 && (h & 1))) h++; return (u16)(s | h); }
static uint64_t rs = 88172645463325252ull;
static float rnd() { rs ^= rs << 13; rs ^= rs >> 7; rs ^= rs << 17; return (float)((rs >> 11) * (1.0 / 9007199254740992.0)) * 2 - 1; }
int run1(u32 H, u32 KV, u32 hd, u32 C, int pos, u32 S, bool rev, int mode, u32 HS) {
  std::vector<float> q(H * hd); for (auto &x : q) x = 2 * rnd();
  u32 np; std::vector<int> tab = kv_table(C, mode, &np);
  std::vector<fd_f16> kc((size_t)np * KV * FD_KV_PAGE * hd), vc(kc.size()); for (auto &x : kc) x.x = f2h(rnd()); for (auto &x : vc) x.x = f2h(rnd());
  std::vector<float> y(H * hd, 12345.f), part((size_t)S * H * (hd + 4) + 16); std::vector<int> cnt((size_t)H * AD_COUNT, 0);
  float *pp = (float *)(((uintptr_t)part.data() + 15) & ~(uintptr_t)15);
  int p = pos; float scale = 1.0f / sqrtf((float)hd);
  fd_args a = { q.data(), kc.data(), vc.data(), &p, tab.data(), y.data(), pp, cnt.data(), H, KV, hd, C, S, HS, scale };
  launch(body, &a, {H, S, 1}, {128, 1, 1}, rev);
  // reference
  long long n = std::min<long long>((long long)pos + 1, C); if (n < 0) n = 0; u32 G = H / KV; double num = 0, den = 0;
  std::vector<double> s(n > 0 ? n : 1);
  for (u32 h = 0; h < H; h++) { u32 j = h / G; const fd_f16 *K = kc.data(), *V = vc.data();
    double mx = -1e300; for (long long t = 0; t < n; t++) { double d = 0; for (u32 i = 0; i < hd; i++) d += q[h * hd + i] * (double)h2f(K[kv_row(tab, KV, j, t) * hd + i].x); s[t] = d * scale; mx = std::max(mx, s[t]); }
    double sum = 0; for (long long t = 0; t < n; t++) sum += s[t] = exp(s[t] - mx);
    for (u32 i = 0; i < hd; i++) { double acc = 0; for (long long t = 0; t < n; t++) acc += s[t] * h2f(V[kv_row(tab, KV, j, t) * hd + i].x); double want = n ? acc / sum : 0; double e = y[h * hd + i] - want; num += e * e; den += want * want; } }
  int bad = 0; for (int c : cnt) bad += c != 0;
  double rel = den > 0 ? sqrt(num / den) : sqrt(num);
  printf("H %2u KV %u hd %3u C %4u pos %5d S %3u HS %3u %s P %d table %s: rel %.3g counters %s\n", H, KV, hd, C, pos,
         S, HS, rev ? "rev" : "fwd", FD_KV_PAGE, mode == 0 ? "identity" : mode == 1 ? "permuted" : "pool", rel, bad ? "DIRTY" : "clean");
  return rel > 2e-5 || bad;
}
static int ncase;
int run(u32 H, u32 KV, u32 hd, u32 C, int pos, u32 S, bool rev, u32 HS = 0) {
  int f = run1(H, KV, hd, C, pos, S, rev, 1 + ncase % 2, HS);
  if (ncase++ % 4 == 0) f += run1(H, KV, hd, C, pos, S, rev, 0, HS);
  return f; }
int main() {
  int f = 0;
  f += run(14, 2, 64, 4096, 0, 1, false); f += run(14, 2, 64, 4096, 1, 7, true); f += run(14, 2, 64, 4096, 17, 64, false);
  f += run(14, 2, 64, 4096, 1000, 64, true); f += run(14, 2, 64, 4096, 4095, 32, false); f += run(14, 2, 64, 4096, 5000, 256, true);
  f += run(14, 2, 64, 4096, 4095, 1, false); f += run(14, 2, 64, 4096, 2000, 9, false);
  f += run(12, 2, 128, 4096, 1000, 64, false); f += run(12, 2, 128, 2048, 2047, 17, true);
  f += run(16, 2, 256, 512, 300, 7, false); f += run(4, 4, 96, 512, 511, 3, true); f += run(8, 1, 32, 1024, 1023, 16, false);
  f += run(14, 2, 64, 512, -1, 4, false); f += run(24, 2, 64, 1024, 900, 16, true); f += run(20, 2, 128, 1024, 1023, 5, false);
  f += run(14, 2, 64, 8192, 8191, 256, false); f += run(14, 2, 64, 8192, 300, 256, true); f += run(10, 2, 160, 1024, 700, 12, false);
  // the two merge levels: A = 16 (one full set), 17 (a set of one), 33, 171 (11 sets), 256 (16 full sets)
  f += run(14, 2, 64, 4096, 511, 128, true); f += run(14, 2, 64, 4096, 543, 128, false); f += run(7, 1, 64, 2048, 1055, 64, true);
  f += run(12, 2, 128, 8192, 8191, 198, false); f += run(12, 2, 128, 8192, 8191, 198, true); f += run(8, 8, 256, 8192, 8191, 256, true);
  f += run(18, 2, 128, 4096, 3000, 100, false); f += run(3, 1, 256, 1024, 1023, 40, true);
  f += run(14, 2, 64, 8192, 4223, 64, false); f += run(12, 2, 128, 8192, 4223, 64, true);   // 33 active splits: a set of 32 and a set of 1
  // head_splits: a block a head takes fewer splits (the rest return); grouped (-DAD_GROUP_FROM) it keeps S
  f += run(14, 2, 64, 4240, 4223, 34, false, 28); f += run(14, 2, 64, 4096, 4095, 32, true, 4);
  f += run(12, 2, 128, 8192, 8191, 198, false, 33); f += run(14, 2, 64, 4096, 100, 32, true, 1);
  printf("%s\n", f ? "FAIL" : "ALL OK"); return f; }
