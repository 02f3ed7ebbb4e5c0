// qkv_norm.cpp — qkv/rows.cuh compiled with FD_QK_NORM (FD_QKV_ROWS_NORM) on
// the CPU (emu.h) against a double-precision per-head RMSNorm of q and k,
// then the rotation: rows in the QKV family's order (first halves of every q
// and k head, second halves, then v), Qwen3-0.6B's heads (16 x 128, kv 8) and
// a small shape, a chunk and a single token, a start past the cache (flag);
// the cache paged through a permuted table (or a larger pool's pages).
#include "emu.h"
static u16 f2h(float f) { if (f == 0) return 0; u32 u = __float_as_uint(f); u32 s = (u >> 16) & 0x8000; int e = (int)((u >> 23) & 255) - 127 + 15; u32 m = u & 0x7fffff;
  if (e <= 0) return (u16)s; u32 h = (e << 10) | (m >> 13); u32 r = m & 0x1fff; if (r > 0x1000 || (r == 0x1000 && (h & 1))) h++; return (u16)(s | h); }
static inline void st(fd_f16 *p, u64 i, float v) { p[i].x = f2h(v); }
typedef float y_t; typedef int pos_t; typedef int pages_t; typedef float inv_freq_t; typedef float q_norm_t; typedef float k_norm_t; typedef float q_t;
typedef fd_f16 kc_t; typedef fd_f16 vc_t; typedef int flag_t;
struct fd_args { const y_t *y; const pos_t *pos; const inv_freq_t *inv_freq; const pages_t *pages; const q_norm_t *q_norm; const k_norm_t *k_norm; q_t *q;
  kc_t *kc; vc_t *vc; flag_t *flag; u32 tokens, heads, kv_heads, head_dim, ctx; float eps; };
#define FD_NAME kern_qkv_norm
#define FD_QK_NORM 1
#include "ops/qkv/rows.cuh"
static void body(void *p) { kern_qkv_norm(*(fd_args *)p); }
static uint64_t rs = 88172645463325252ull;
static float rnd() { rs ^= rs << 13; rs ^= rs >> 7; rs ^= rs << 17; return (float)((rs >> 11) * (1.0 / 9007199254740992.0)) * 2 - 1; }
int run(u32 T, u32 H, u32 KV, u32 hd, u32 C, int start, int mode) {
  u32 half = hd / 2, pairs = (H + KV) * half, R = 2 * pairs + KV * hd;
  std::vector<float> y((size_t)T * R), qn(hd), kn(hd), inv(half), q((size_t)T * H * hd);
  for (auto &x : y) x = 3 * rnd(); for (auto &x : qn) x = 1 + 0.5f * rnd(); for (auto &x : kn) x = 1 + 0.5f * rnd();
  for (u32 i = 0; i < half; i++) inv[i] = 1.0f / (float)pow(1e6, (double)((float)(2 * i) / (float)hd));
  u32 np; std::vector<int> tab = kv_table(C, mode, &np);
  std::vector<fd_f16> kc((size_t)np * KV * FD_KV_PAGE * hd, fd_f16{0x3c00}), vc(kc.size(), fd_f16{0x3c00});
  int p = start, flag = 0;
  fd_args a = { y.data(), &p, inv.data(), tab.data(), qn.data(), kn.data(), q.data(), kc.data(), vc.data(), &flag, T, H, KV, hd, C, 1e-6f };
  launch(body, &a, {T, 1, 1}, {256, 1, 1}, false);
  double worst = 0; int bad = 0;
  for (u32 t = 0; t < T; t++) { long long P = (long long)start + t; const float *yt = &y[(size_t)t * R];
    for (u32 h = 0; h < H + KV; h++) {
      double ss = 0; for (u32 i = 0; i < half; i++) { double lo = yt[h * half + i], hi = yt[pairs + h * half + i]; ss += lo * lo + hi * hi; }
      double r = 1 / sqrt(ss / hd + 1e-6); const float *w = h < H ? qn.data() : kn.data();
      for (u32 i = 0; i < half; i++) {
        double ang = (double)((float)P * inv[i]), c = cos(ang), s = sin(ang);
        double xl = yt[h * half + i] * r * w[i], xh = yt[pairs + h * half + i] * r * w[i + half];
        double lo = xl * c - xh * s, hi = xh * c + xl * s;
        if (h < H) { const float *g = &q[((size_t)t * H + h) * hd]; worst = std::max(worst, std::max(fabs(g[i] - lo), fabs(g[i + half] - hi)) / (1 + fabs(lo) + fabs(hi))); }
        else if (P >= 0 && P < C) { size_t o = kv_row(tab, KV, h - H, (u32)P) * hd; bad += fabs(h2f(kc[o + i].x) - lo) > 1e-2; bad += fabs(h2f(kc[o + i + half].x) - hi) > 1e-2; } } }
    if (P >= 0 && P < C) for (u32 j = 0; j < KV * hd; j++) bad += h2f(vc[kv_row(tab, KV, j / hd, (u32)P) * hd + j % hd].x) != h2f(f2h(yt[2 * pairs + j]));
  }
  int wantflag = (long long)start + T > C || start < 0;
  printf("T %3u H %2u KV %u hd %3u C %5u start %5d: q rel err %.3g, bad %d, flag %d (want %d)\n", T, H, KV, hd, C, start, worst, bad, flag, wantflag);
  return worst > 1e-5 || bad || flag != wantflag;
}
int main() { int f = 0;
  f += run(9, 16, 8, 128, 4096, 0, 1); f += run(1, 16, 8, 128, 4096, 4095, 2); f += run(4, 4, 2, 64, 16, 14, 0); f += run(3, 6, 3, 32, 64, 7, 1);
  f += run(70, 4, 2, 64, 200, 20, 2);
  printf("%s\n", f ? "FAIL" : "ALL OK"); return f; }
