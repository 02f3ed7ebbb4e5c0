// sample.cpp — sample.cuh on the CPU (emu.h) against fd_sample_ref (the
// library's CPU twin, linked from libfoundry.a): vocabularies of one and of
// many blocks, padding past `valid`, NaN, ties, penalties, every filter on
// and off, blocks run in both orders (different last blocks); the header of
// the scratch must end at zero.
#include "emu.h"
#include <algorithm>
extern "C" {
#include "foundry/ops.h"
}
typedef float logits_t; typedef int hist_t; typedef int pos_t; typedef int ids_t; typedef int counts_t;
struct fd_args { const logits_t *logits; const hist_t *hist; const pos_t *pos; ids_t *ids; counts_t *counts;
  u32 n, valid, cap; float temperature; int top_k; float top_p, min_p, repeat_penalty, presence_penalty,
  frequency_penalty; int last_n; u64 seed; };
static int g_samp_phase;
#define FD_SAMP_PHASE g_samp_phase
#define FD_SAMP_SYNC(hd, n) ((void)(hd), (void)(n))   /* each phase is its own emulated launch */
#define FD_NAME kern_sample
#include "ops/sample.cuh"
static void body(void *p) { kern_sample(*(fd_args *)p); }
static uint64_t rs = 88172645463325252ull;
static u64 nx() { rs ^= rs << 13; rs ^= rs >> 7; rs ^= rs << 17; return rs; }
static float uni() { return (float)((nx() >> 11) * (1.0 / 9007199254740992.0)); }
static int run(u32 n, u32 valid, int ties, const fd_sampler &s, u32 cap, int pos, bool rev, u32 grid = 0) {
  std::vector<float> l(n); std::vector<int> hist(cap);
  for (u32 i = 0; i < n; i++) { l[i] = (uni() + uni() + uni()) * 3 - 2; if (nx() % 2000 == 0) l[i] += 12 + uni() * 4; if (ties) l[i] = roundf(l[i] * 4) / 4; }
  if (nx() % 3 == 0) l[nx() % n] = NAN;
  for (u32 j = 0; j < cap; j++) hist[j] = (int)(j % 5 == 0 ? nx() % 20 : nx() % n);
  std::vector<int> scratch(fd_sample_scratch_ints(n) + 4, 0);
  int *sc = (int *)(((uintptr_t)scratch.data() + 15) & ~(uintptr_t)15), id = -5, p = pos;
  fd_args a = { l.data(), hist.data(), &p, &id, sc, n, valid, cap, s.temperature, s.top_k, s.top_p, s.min_p,
                s.repeat_penalty, s.presence_penalty, s.frequency_penalty, s.last_n, s.seed };
  u32 nsl = (n + FD_SAMP_SLICE - 1) / FD_SAMP_SLICE, g = grid && grid < nsl ? grid : nsl;
  /* phase by phase; a top-p round that wrote no histogram (the list's way, no top-p, or settled) ends the rounds */
  const u32 *gh = (const u32 *)(sc + 16);
  for (g_samp_phase = 0; g_samp_phase <= FD_SAMP_ROUNDS + 1; g_samp_phase++) {
    launch(body, &a, {g, 1, 1}, {FD_SAMP_THREADS, 1, 1}, rev);
    const u32 *h = gh + (g_samp_phase - 1) * sizeof(fd_samp_ghist) / 4;
    if (g_samp_phase >= 1 && g_samp_phase <= FD_SAMP_ROUNDS && std::all_of(h, h + sizeof(fd_samp_ghist) / 4, [](u32 v) { return !v; }))
      g_samp_phase = FD_SAMP_ROUNDS;
  }
  int32_t want = -7;
  if (fd_sample_ref(l.data(), n, valid, hist.data(), cap, pos, &s, &want)) { printf("ref failed\n"); return 1; }
  int dirty = 0; for (size_t i = 0; i < 16 + FD_SAMP_ROUNDS * sizeof(fd_samp_ghist) / 4; i++) dirty |= sc[i];
  printf("n %6u valid %6u grid %3u T %.2f k %4d p %.2g minp %.2f rep %.2f last %3d %s: %d want %d header %s\n", n,
         valid, g, (double)s.temperature, s.top_k, (double)s.top_p, (double)s.min_p, (double)s.repeat_penalty,
         s.last_n, rev ? "rev" : "fwd", id, want, dirty ? "DIRTY" : "clean");
  return id != want || dirty;
}
int main(int argc, char **argv) {
  int f = 0, cases = argc > 1 ? atoi(argv[1]) : 24;
  static const float temps[] = { 0, 0.3f, 0.8f, 1.0f, 1.7f }, tps[] = { 1, 0.95f, 0.5f, 0.1f }, mps[] = { 0, 0.05f, 0.3f, 0 };
  static const int ks[] = { 0, 1, 5, 40, 1000, 3000, 0 }, lasts[] = { -1, 0, 64, 7 };
  static const u32 ns[] = { 151936, 5000, 50, 2048, 4097 };
  for (int c = 0; c < cases; c++) {
    fd_sampler s; fd_sampler_defaults(&s);
    s.temperature = temps[c % 5 == 0 ? 2 : nx() % 5]; s.top_k = ks[nx() % 7]; s.top_p = tps[nx() % 4];
    s.min_p = mps[nx() % 4]; s.last_n = lasts[nx() % 4]; s.seed = nx();
    if (nx() % 2) { s.repeat_penalty = 1.0f + (float)(nx() % 50) / 50; s.presence_penalty = (float)(nx() % 10) / 10; s.frequency_penalty = (float)(nx() % 10) / 10; }
    u32 n = ns[c % 5], valid = c % 2 ? n : n - n / 10;
    f += run(n, valid, c % 3 == 0, s, 512, (int)(nx() % 512), c % 2, c % 4 == 3 ? 3 : 0);
  }
  /* the settings of the brief: no filter (one pass), top_k 1, a tiny top_p, min_p 1, min-p alone, top-k
   * off with top-p (the grid pass, its rounds settling early and late); vocabularies not a multiple of the slice, fewer blocks than slices */
  struct { float T; int k; float p, mp; } fx[] = { { 0.8f, 0, 1, 0 }, { 1.0f, 0, 1, 0 }, { 0.8f, 1, 1, 0 },
    { 0.8f, 0, 1e-6f, 0 }, { 0.8f, 40, 1e-6f, 0.05f }, { 0.8f, 0, 1, 1 }, { 0.8f, 40, 0.95f, 1 },
    { 0.8f, 0, 1, 0.05f }, { 0.8f, 0, 0.95f, 0.05f }, { 0.8f, 200000, 1, 0 }, { 0.8f, 40, 0.95f, 0.05f },
    { 0.8f, 40, 1, 0.05f }, { 1.0f, 40, 1, 0 },   /* the list's weight threshold alone, and top-k alone */
    { 0.8f, 0, 0.9f, 0 }, { 1.5f, 0, 0.999f, 0 }, { 0.8f, 200000, 0.5f, 0 } };
  static const u32 fn[] = { 151936, 4097, 2047, 1, 6145 };
  for (int c = 0; c < (int)(sizeof fx / sizeof fx[0]); c++)
    for (int v = c >= 13; v < 5; v++) {   /* the last three rows: the grid pass's 151,936 is rows 3 and 8's */
      fd_sampler s; fd_sampler_defaults(&s);
      s.temperature = fx[c].T, s.top_k = fx[c].k, s.top_p = fx[c].p, s.min_p = fx[c].mp, s.seed = nx();
      s.repeat_penalty = 1.1f, s.last_n = 64;
      u32 n = fn[v];
      f += run(n, v == 2 ? n - 3 : n, v == 4, s, 512, (int)(nx() % 512), v % 2, v == 0 ? 7 : v == 4 ? 2 : 0);
    }
  printf("%s\n", f ? "FAIL" : "ALL OK"); return f; }
