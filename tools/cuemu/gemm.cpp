// gemm.cpp — the GEMM family's tensor-core mains on the CPU (emu.h): the
// Hopper main (src/ops/gemm/main_wgmma.cuh, with ops/gemm/wgmma.cuh here
// emulating mbarriers, TMA and wgmma), or with -DMMA_SYNC the mma.sync main
// (main.cuh and the f16 / bf16 policy, with ops/gemm/common.cuh here
// emulating cp.async, ldmatrix and mma.sync), against the GEMM's CPU twin
// computed here in double: x after the
// input stage and W rounded to the operand type (f16, or bf16 with
// -DFD_GEMM_OP=1), products scaled by the row's 1 / rms (RMSNorm input) and
// passed through the epilogue. Bound: 1e-5 of the norm (f32 sums against
// double). Every case also checks that nothing past y was written, that
// split-K left its counters at 0, and that a second launch with the blocks in
// the opposite order (another block arrives last) gives the same bits.
// Built per stage combination: -DINPUT='"ops/gemm/input_rmsnorm.cuh"'
// -DEPI='"ops/gemm/epi_swiglu.cuh"' -DFD_NOUT=2 -DFD_GEMM_OP=0; -DQUICK runs
// 3 of the 12 cases (run.sh: for all but the first combination).
// With -DPOLICY='"ops/gemm/policy_q4_k.cuh"' -DW0_T=fd_q4_k -DDT=FD_Q4_K (and
// -DFD_GEMM_OP=0: every quantized policy makes f16 operands) the mma.sync main
// runs that quantized policy (quant_policy.cuh or kquant_policy.cuh, with
// kernel/quant_ld.cuh's element loads) on its own cases, K whole blocks;
// the twin's W is the same bytes dequantized by the library (linked:
// fd_dequantize_row, base/quant_*.c), rounded once to f16. Types with a
// quantizer quantize random values; the others get random blocks (see
// make_weights). Beside the 1e-5 against the twin, each case is compared
// with the product of the unrounded operands (see EXACT_BOUND).
#include "emu.h"
#ifdef POLICY
#define MMA_SYNC
#include "kernel/quant_ld.cuh"   // the quantized block types and their element loads, as the prelude has them
extern "C" {
#include "foundry/dtype.h"
}
typedef W0_T w0_t;
#elif FD_GEMM_OP == 1
typedef fd_bf16 w0_t;
#else
typedef fd_f16 w0_t;
#endif
struct fd_args { const float *x, *norm_w; const w0_t *w0, *w1; const float *b0, *r0; float *y0; u32 M, N, K, start; float eps; };
#ifdef MMA_SYNC
#if defined(POLICY)
#include POLICY
#elif FD_GEMM_OP == 1
#include "ops/gemm/policy_bf16.cuh"
#else
#include "ops/gemm/policy_f16.cuh"
#endif
#include INPUT
#include EPI
#define FD_GEMM_NO_ENTRY
#include "ops/gemm/main.cuh"
struct fd_wg_params { fd_args a; struct { u32 bn, splits; } t; };   // what the harness sets; BN 128 or 64
static void body(void *p) {
  const fd_wg_params &pp = *(const fd_wg_params *)p;
  g_cp[threadIdx.x].clear(); g_cp_groups[threadIdx.x].clear();   // a thread's groups end with it
  if (pp.t.bn == FD_GEMM_BIG_BN) fd_gemm_tile<FD_GEMM_BIG_BM, FD_GEMM_BIG_BN, 64, 32>(pp.a, g_smem);
  else fd_gemm_tile<FD_GEMM_SMALL_BM, FD_GEMM_SMALL_BN, 32, 32>(pp.a, g_smem);
}
static void emu_tmap(void *, const void *, u64, u64, u32, u32) {}
enum { BM_OF_128 = FD_GEMM_BIG_BM, BM_OF_64 = FD_GEMM_SMALL_BM };
static u32 bm_of(u32 bn) { return bn == FD_GEMM_BIG_BN ? FD_GEMM_BIG_BM : FD_GEMM_SMALL_BM; }
static u32 threads_of(u32 bn) { return bn == FD_GEMM_BIG_BN ? FD_GEMM_BIG_THREADS : FD_GEMM_SMALL_THREADS; }
static const u32 BNS[2] = { FD_GEMM_BIG_BN, FD_GEMM_SMALL_BN };
#else
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
static u32 bm_of(u32) { return FD_GEMM_WG_BM; }
static u32 threads_of(u32) { return FD_GEMM_WG_THREADS; }
static const u32 BNS[2] = { 128, 256 };
#endif
static uint64_t rs = 88172645463325252ull;
static uint64_t nx() { rs ^= rs << 13; rs ^= rs >> 7; rs ^= rs << 17; return rs; }
static float rnd() { return (float)((nx() >> 11) * (1.0 / 9007199254740992.0)) * 2 - 1; }
static u16 to_op(float f) { return FD_GEMM_OP == 1 ? emu_f2b(f) : emu_f2h(f); }
static bool has(const char *file, const char *s) { return strstr(file, s) != nullptr; }
#ifdef POLICY
// Against the product of the unrounded operands (x as the input stage gives it, W as the library dequantizes
// it), in max-norm: max |y - exact| / max |exact|. Every quantized policy rounds both operands to f16
// (FD_GEMM_OP 0): x, and W once after its dequantization in f32. Each is off by at most a relative
// u = 2^-11 (4.9e-4; a subnormal f16 value by at most 2^-25), so a product x w by at most 2u + u^2 and an
// output by at most about 2u sum_k |x_k w_k| (plus f32 sums: K 2^-24 of the same, far less). The roundings
// are independent and of either sign: an output's error is a random walk, about 0.6u times the output's own
// scale sqrt(sum_k (x_k w_k)^2); SwiGLU's silu(g) u carries g's relative error and u's. So the worst output's
// error is a few tenths of u to a few u of the largest output: here (12 policies x 8 seeds, these cases)
// median 4.4e-4, largest 1.3e-3; this file's own draws 2.0e-4 .. 1.0e-3. The bound, 4u = 2e-3, says the
// operands are rounded to f16 and no coarser (bf16 would be 8 times as far); a fault in a scale, min or quant
// moves y by O(1), and the 1e-5 against the twin (the same rounding done here) is the sharp check.
#define EXACT_BOUND 2e-3
static const size_t BE = fd_dtype_block_elems(DT), BB = fd_dtype_block_bytes(DT);
static size_t row_bytes(u32 K) { return K / BE * BB; }
// N rows of K values of DT: a type with a quantizer quantizes rnd() / 8; one without (read from files only)
// gets random bytes per block, drawn again until the library dequantizes the block to finite values whose
// largest magnitude is between 1/16 and 1 (no NaN or infinite f16 scale, no f16 overflow, no block too small
// to matter in the sums)
static void make_weights(unsigned char *w, u32 N, u32 K) {
  std::vector<float> v(fd_dtype_can_write(DT) ? (size_t)N * K : BE);
  if (fd_dtype_can_write(DT)) { for (auto &f : v) f = rnd() / 8; fd_quantize_row(DT, v.data(), w, v.size()); return; }
  for (size_t b = 0; b < (size_t)N * K / BE; b++)
    for (long tries = 0;; tries++) {
      unsigned char *q = w + b * BB;
      for (size_t i = 0; i < BB; i++) q[i] = (unsigned char)(nx() >> 56);
      fd_dequantize_row(DT, q, v.data(), BE);
      float mx = 0; bool fin = true;
      for (float f : v) { fin &= std::isfinite(f); mx = std::max(mx, fabsf(f)); }
      if (fin && mx <= 1.0f && mx >= 1.0f / 16) break;
      if (tries == 1000000) { printf("no %s block within the range after %ld draws\n", fd_dtype_name(DT), tries); exit(1); }
    }
}
// wop: W as the device's operands hold it (dequantized in f32 by the library, rounded once to f16); wex: unrounded
static void weight_values(const unsigned char *w, u32 N, u32 K, float *wop, float *wex) {
  for (u32 n = 0; n < N; n++) fd_dequantize_row(DT, w + n * row_bytes(K), wex + (size_t)n * K, K);
  for (size_t i = 0; i < (size_t)N * K; i++) wop[i] = fd_f16_to_f32(fd_f32_to_f16(wex[i]));
}
#else
static size_t row_bytes(u32 K) { return 2 * (size_t)K; }
static void make_weights(unsigned char *w, u32 N, u32 K) { for (size_t i = 0; i < (size_t)N * K; i++) ((u16 *)w)[i] = to_op(rnd() / 8); }
static void weight_values(const unsigned char *w, u32 N, u32 K, float *wop, float *wex) {
  for (size_t i = 0; i < (size_t)N * K; i++) wop[i] = wex[i] = emu_op2f(((const u16 *)w)[i]);
}
#endif
static double g_rel, g_exact;   // the worst over the cases run
static int run(u32 M, u32 N, u32 K, u32 bn, u32 sp) {
  const bool rms = has(INPUT, "rmsnorm"), bias = has(EPI, "bias"), res = has(EPI, "residual"), glu = FD_NOUT == 2;
  std::vector<float> x((size_t)M * K), nw(K), b(N), r((size_t)M * N), y((size_t)M * N + 64, 7.0f);
  for (auto &v : x) v = 2 * rnd(); for (auto &v : nw) v = 1 + rnd() / 2; for (auto &v : b) v = rnd(); for (auto &v : r) v = rnd();
  // the weights' bytes (16-byte aligned, as a device buffer is) and their values
  std::vector<fd_v4> w[2];
  std::vector<float> wop[2], wex[2];
  for (int q = 0; q < 2; q++) {
    w[q].resize(((size_t)N * row_bytes(K) + 15) / 16);
    make_weights((unsigned char *)w[q].data(), N, K);
    wop[q].resize((size_t)N * K), wex[q].resize((size_t)N * K);
    weight_values((const unsigned char *)w[q].data(), N, K, wop[q].data(), wex[q].data());
  }
  u32 cols = N * FD_NOUT, gx = (cols + bn - 1) / bn, gy = (M + bm_of(bn) - 1) / bm_of(bn);
  std::vector<float> ws(FD_GEMM_WG_COUNTERS + (size_t)gx * gy * sp * FD_GEMM_WG_PART(256), 0.0f);
  fd_wg_params p; memset(&p, 0, sizeof p);
  p.a = { x.data(), nw.data(), (const w0_t *)w[0].data(), (const w0_t *)w[1].data(), b.data(), r.data(), y.data(), M, N, K, 0,
          1e-6f };
#ifdef MMA_SYNC
  if (sp != 1) { printf("the mma.sync main does not split K\n"); return 1; }
#else
  emu_tmap(&p.t.tw0, w[0].data(), N, K, bn / FD_NOUT, FD_GEMM_WG_BK);
  emu_tmap(&p.t.tw1, w[1].data(), N, K, bn / FD_NOUT, FD_GEMM_WG_BK);
  p.t.ws = (u64)(uintptr_t)ws.data();
#endif
  p.t.bn = bn; p.t.splits = sp;
  launch(body, &p, {gx, gy, sp}, {threads_of(bn), 1, 1}, false);
  bool counters = true; for (u32 i = 0; i < FD_GEMM_WG_COUNTERS; i++) if (((u32 *)ws.data())[i]) counters = false;
#ifdef POLICY   // a weight policy's blocks share nothing: the float cases check the order of blocks
  bool same = true;
#else
  std::vector<float> first(y);
  std::fill(y.begin(), y.end(), 7.0f);
  launch(body, &p, {gx, gy, sp}, {threads_of(bn), 1, 1}, true);
  bool same = !memcmp(first.data(), y.data(), y.size() * sizeof(float));
#endif
  double num = 0, den = 0, worst = 0, ex_err = 0, ex_max = 0;
  std::vector<double> xs(K), xe(K);
  auto epi = [&](const double *v, u32 m, u32 n) {
    return glu ? v[0] / (1 + exp(-v[0])) * v[1] : bias ? v[0] + b[n] : res ? v[0] + r[(size_t)m * N + n] : v[0]; };
  for (u32 m = 0; m < M; m++) {
    double ss = 0;
    for (u32 k = 0; k < K; k++) {
      float v = x[(size_t)m * K + k]; ss += (double)v * v;
      float in = rms ? v * nw[k] : v;
      xs[k] = FD_GEMM_OP == 1 ? fd_b2f(emu_f2b(in)) : h2f(emu_f2h(in));
      xe[k] = in;
    }
    double sc = rms ? 1.0 / sqrt(ss / K + 1e-6) : 1.0;
    for (u32 n = 0; n < N; n++) {
      double v[2] = { 0, 0 }, ve[2] = { 0, 0 };
      for (int q = 0; q < FD_NOUT; q++)
        for (u32 k = 0; k < K; k++) {
          v[q] += xs[k] * wop[q][(size_t)n * K + k];
          ve[q] += xe[k] * wex[q][(size_t)n * K + k];
        }
      for (int q = 0; q < 2; q++) v[q] *= sc, ve[q] *= sc;
      double want = epi(v, m, n), exact = epi(ve, m, n), got = y[(size_t)m * N + n];
      double e = got - want; num += e * e; den += want * want; worst = std::max(worst, fabs(e));
      ex_err = std::max(ex_err, fabs(got - exact)); ex_max = std::max(ex_max, fabs(exact));
    }
  }
  bool guard = true; for (u32 i = 0; i < 64; i++) if (y[(size_t)M * N + i] != 7.0f) guard = false;
  double rel = den > 0 ? sqrt(num / den) : sqrt(num), exr = ex_max > 0 ? ex_err / ex_max : ex_err;
  bool ok = rel <= 1e-5 && guard && counters && same;
#ifdef POLICY
  ok = ok && exr <= EXACT_BOUND;
  char exs[64]; snprintf(exs, sizeof exs, ", unrounded operands %.3g (max-norm)", exr);
#else
  const char *exs = "";
#endif
  g_rel = std::max(g_rel, rel), g_exact = std::max(g_exact, exr);
  printf("M %4u N %4u K %4u BN %u splits %u: rel %.3g max %.3g%s%s%s%s%s\n", M, N, K, bn, sp, rel, worst, exs,
         guard ? "" : " WROTE PAST y", counters ? "" : " COUNTERS NOT RESET", same ? "" : " NOT DETERMINISTIC", ok ? "" : "  FAIL");
  return !ok;
}
int main() {
  int f = 0, n = 0;
  setvbuf(stdout, NULL, _IOLBF, 0);
  g_emu_shuffle = true;   // threads in a random order each round: the producer may run ahead whenever allowed
  static const u32 cases[][4] = {   // M, N, K, splits
    { 1, 200, 64, 1 }, { 17, 136, 96, 1 }, { 130, 264, 320, 1 }, { 130, 264, 320, 3 }, { 64, 128, 640, 2 }, { 5, 72, 128, 2 },
    { 3, 40, 32, 1 },   // K below one k-tile: the rest of the tile zero
  };
#ifdef MMA_SYNC   // no split-K on this path (yet): the cases' split counts read as 1
  static const u32 quick[][5] = { { 17, 136, 96, 1, BNS[1] }, { 130, 264, 320, 1, BNS[0] }, { 5, 72, 128, 1, BNS[1] } };
#else
  static const u32 quick[][5] = { { 17, 136, 96, 1, 256 }, { 130, 264, 320, 3, 128 }, { 5, 72, 128, 2, 256 } };
#endif
#if defined(POLICY)   // both BN, a partial column tile, K whole super-blocks (two, and one); one row tile (x's path
  // is the float cases'): what the policy does (the weight tiles) at the least emulation time
  static const u32 pcases[][4] = { { 5, 40, 512, BNS[1] }, { 3, 72, 256, BNS[0] } };
  for (auto &c : pcases) { f += run(c[0], c[1], c[2], c[3], 1); n++; }
  (void)cases, (void)quick;
  printf("%s %s %s, %d of %d cases: %s (rel <= %.2g, bound 1e-5; unrounded operands <= %.2g, bound %.0e)\n",
         POLICY, INPUT, EPI, n - f, n, f ? "FAIL" : "ok", g_rel, g_exact, EXACT_BOUND);
  return f != 0;
#elif defined(QUICK)   // the other stage combinations: a partial k-tile, split-K over uneven ranges, both BN
  for (auto &c : quick) { f += run(c[0], c[1], c[2], c[4], c[3]); n++; }
  (void)cases;
#else
  (void)quick;
  for (u32 bn : BNS)
    for (auto &c : cases) {
#ifdef MMA_SYNC
      f += run(c[0], c[1], c[2], bn, 1);
#else
      f += run(c[0], c[1], c[2], bn, c[3]);
#endif
      n++;
    }
#endif
  printf("%s %s, %d of %d cases: %s\n", INPUT, EPI, n - f, n, f ? "FAIL" : "ok");
  return f != 0;
}
