// gemm_wgmma.cpp — the GEMM family's Hopper main (src/ops/gemm/main_wgmma.cuh)
// on the CPU (emu.h, with ops/gemm/wgmma.cuh here emulating mbarriers, TMA
// and wgmma) against the GEMM's CPU twin computed here in double: x after the
// input stage and W rounded to the operand type (f16, or bf16 with
// -DFD_GEMM_OP=1), products scaled by the row's 1 / rms (RMSNorm input) and
// passed through the epilogue. Bound: 1e-5 of the norm (f32 sums against
// double). Every case also checks that nothing past y was written, that
// split-K left its counters at 0, and that a second launch with the blocks in
// the opposite order (another block arrives last) gives the same bits.
// Built per stage combination: -DINPUT='"ops/gemm/input_rmsnorm.cuh"'
// -DEPI='"ops/gemm/epi_swiglu.cuh"' -DFD_NOUT=2 -DFD_GEMM_OP=0; -DQUICK runs
// 3 of the 12 cases (run.sh: for all but the first combination).
#include "emu.h"
struct fd_args { const float *x, *norm_w; const void *w0, *w1; const float *b0, *r0; float *y0; u32 M, N, K, start; float eps; };
#include "ops/gemm/layout.cuh"
#include INPUT
#include EPI
#define FD_WG_NO_ENTRY
#include "ops/gemm/main_wgmma.cuh"
static void body(void *p) {
  const fd_wg_params &pp = *(const fd_wg_params *)p;
  if (pp.t.bn == 256) fd_wg_tile<256>(pp, g_smem + 16);   // + 16: the kernel aligns its base itself
  else fd_wg_tile<128>(pp, g_smem + 16);
}
static uint64_t rs = 88172645463325252ull;
static float rnd() { rs ^= rs << 13; rs ^= rs >> 7; rs ^= rs << 17; return (float)((rs >> 11) * (1.0 / 9007199254740992.0)) * 2 - 1; }
static u16 to_op(float f) { return FD_GEMM_OP == 1 ? emu_f2b(f) : emu_f2h(f); }
static bool has(const char *file, const char *s) { return strstr(file, s) != nullptr; }
static int run(u32 M, u32 N, u32 K, u32 bn, u32 sp) {
  const bool rms = has(INPUT, "rmsnorm"), bias = has(EPI, "bias"), res = has(EPI, "residual"), glu = FD_NOUT == 2;
  std::vector<float> x((size_t)M * K), nw(K), b(N), r((size_t)M * N), y((size_t)M * N + 64, 7.0f);
  std::vector<u16> w[2] = { std::vector<u16>((size_t)N * K), std::vector<u16>((size_t)N * K) };
  for (auto &v : x) v = 2 * rnd(); for (auto &v : nw) v = 1 + rnd() / 2; for (auto &v : b) v = rnd(); for (auto &v : r) v = rnd();
  for (auto &ww : w) for (auto &v : ww) v = to_op(rnd() / 8);
  u32 cols = N * FD_NOUT, gx = (cols + bn - 1) / bn, gy = (M + FD_GEMM_WG_BM - 1) / FD_GEMM_WG_BM;
  std::vector<float> ws(FD_GEMM_WG_COUNTERS + (size_t)gx * gy * sp * FD_GEMM_WG_PART(256), 0.0f);
  fd_wg_params p; memset(&p, 0, sizeof p);
  p.a = { x.data(), nw.data(), w[0].data(), w[1].data(), b.data(), r.data(), y.data(), M, N, K, 0, 1e-6f };
  emu_tmap(&p.t.tw0, w[0].data(), N, K, bn / FD_NOUT, FD_GEMM_WG_BK);
  emu_tmap(&p.t.tw1, w[1].data(), N, K, bn / FD_NOUT, FD_GEMM_WG_BK);
  p.t.ws = (u64)(uintptr_t)ws.data(); p.t.bn = bn; p.t.splits = sp;
  launch(body, &p, {gx, gy, sp}, {FD_GEMM_WG_THREADS, 1, 1}, false);
  std::vector<float> first(y);
  bool counters = true; for (u32 i = 0; i < FD_GEMM_WG_COUNTERS; i++) if (((u32 *)ws.data())[i]) counters = false;
  std::fill(y.begin(), y.end(), 7.0f);
  launch(body, &p, {gx, gy, sp}, {FD_GEMM_WG_THREADS, 1, 1}, true);
  bool same = !memcmp(first.data(), y.data(), y.size() * sizeof(float));
  double num = 0, den = 0, worst = 0;
  std::vector<double> xs(K);
  for (u32 m = 0; m < M; m++) {
    double ss = 0;
    for (u32 k = 0; k < K; k++) {
      float v = x[(size_t)m * K + k]; ss += (double)v * v;
      float in = rms ? v * nw[k] : v;
      xs[k] = FD_GEMM_OP == 1 ? fd_b2f(emu_f2b(in)) : h2f(emu_f2h(in));
    }
    double sc = rms ? 1.0 / sqrt(ss / K + 1e-6) : 1.0;
    for (u32 n = 0; n < N; n++) {
      double v[2] = { 0, 0 };
      for (int q = 0; q < FD_NOUT; q++) for (u32 k = 0; k < K; k++) v[q] += xs[k] * emu_op2f(w[q][(size_t)n * K + k]);
      v[0] *= sc; v[1] *= sc;
      double want = glu ? v[0] / (1 + exp(-v[0])) * v[1] : bias ? v[0] + b[n] : res ? v[0] + r[(size_t)m * N + n] : v[0];
      double e = y[(size_t)m * N + n] - want; num += e * e; den += want * want; worst = std::max(worst, fabs(e));
    }
  }
  bool guard = true; for (u32 i = 0; i < 64; i++) if (y[(size_t)M * N + i] != 7.0f) guard = false;
  double rel = den > 0 ? sqrt(num / den) : sqrt(num);
  bool ok = rel <= 1e-5 && guard && counters && same;
  printf("M %4u N %4u K %4u BN %u splits %u: rel %.3g max %.3g%s%s%s%s\n", M, N, K, bn, sp, rel, worst, guard ? "" : " WROTE PAST y",
         counters ? "" : " COUNTERS NOT RESET", same ? "" : " NOT DETERMINISTIC", ok ? "" : "  FAIL");
  return !ok;
}
int main() {
  int f = 0, n = 0;
  setvbuf(stdout, NULL, _IOLBF, 0);
  g_emu_shuffle = true;   // threads in a random order each round: the producer may run ahead whenever allowed
  static const u32 cases[][4] = {   // M, N, K, splits
    { 1, 200, 64, 1 }, { 17, 136, 96, 1 }, { 130, 264, 320, 1 }, { 130, 264, 320, 3 }, { 64, 128, 640, 2 }, { 5, 72, 128, 2 },
  };
#ifdef QUICK   // the other stage combinations: a partial k-tile, split-K over uneven ranges, both BN
  static const u32 quick[][5] = { { 17, 136, 96, 1, 256 }, { 130, 264, 320, 3, 128 }, { 5, 72, 128, 2, 256 } };
  for (auto &c : quick) { f += run(c[0], c[1], c[2], c[4], c[3]); n++; }
  (void)cases;
#else
  for (u32 bn : { 128u, 256u })
    for (auto &c : cases) { f += run(c[0], c[1], c[2], bn, c[3]); n++; }
#endif
  printf("%s %s, %d of %d cases: %s\n", INPUT, EPI, n - f, n, f ? "FAIL" : "ok");
  return f != 0;
}
