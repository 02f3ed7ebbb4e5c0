// persist.cpp — the persistent decode kernel (src/ops/persist/, its code as
// model/persist.c generates it for a tiny random Qwen2 or Qwen3) on the CPU with every
// block of the grid at once (emu.h's launch_grid: blocks interleave, a
// spinning wait yields), its timeline stamps on every other step, against the library's per-kernel step on the CPU
// backend (the kernels' CPU twins) fed the same tokens: for 1, 3 and 7
// blocks, each visited in three orders, with the weight ring (ring.cuh) at its
// smallest slot in 3 and 2 slots and without it, STEPS steps from an empty cache,
// every step's logits within 1e-3 relative max-norm of the twin's, its
// chosen id the twin's argmax (unless the top two are within that bound),
// the position moved on (a sampled step's program, which ends with the
// logits, at 1, 3 and 7 blocks: token and position untouched), the epoch
// at the steps run, no watchdog error and no flag raised. Built once per weight dtype and shape (-DBODY: the
// generated code, persist.sh rewrites its inline PTX; -DDT: the dtype's
// name; -DPRESET: the shape's).
#define EMU_GRID
#include "emu.h"
extern "C" {
uint16_t fd_f32_to_f16(float x);
int pl_open(const char *dtype, const char *preset, unsigned layers, unsigned vocab, unsigned ctx);
int pl_program(unsigned blocks, int sampled, void **prog, size_t *bytes, unsigned *n_ctr, unsigned *smem, unsigned ring[2]);
void pl_free(void *p);
int pl_rewind(void);
int pl_ref_step(int id, float *logits);
int *pl_emu_ids(void);
int *pl_emu_pos(void);
int *pl_emu_flag(void);
const float *pl_emu_logits(void);
unsigned pl_vocab(void);
unsigned pl_valid(void);
void pl_close(void);
}
// the prelude's pieces the members use that emu.h has not: stores, bf16, cp.async as plain copies (the
// shared addresses are below 4 GiB: emu.h), hints as nothing
struct fd_q8_0 { u16 d; signed char qs[32]; };
struct fd_q4_0 { u16 d; unsigned char qs[16]; };
static inline u16 fd_f2h(float f) { return fd_f32_to_f16(f); }
static inline float ld(const fd_bf16 *p, u64 i) { return fd_b2f(p[i].x); }
static inline float ld(const int *p, u64 i) { return (float)p[i]; }
static inline float ld(const fd_q8_0 *p, u64 i) { const fd_q8_0 *b = p + i / 32; return fd_h2f(b->d) * b->qs[i % 32]; }
static inline float ld(const fd_q4_0 *p, u64 i) {
  const fd_q4_0 *b = p + i / 32; u32 j = i % 32; u32 q = b->qs[j % 16];
  return fd_h2f(b->d) * ((float)(j < 16 ? (q & 15u) : (q >> 4)) - 8.0f); }
static inline void st(float *p, u64 i, float v) { p[i] = v; }
static inline void st(fd_f16 *p, u64 i, float v) { p[i].x = fd_f2h(v); }
static inline u16 fd_f2b(float f) { u32 u = __float_as_uint(f); if ((u & 0x7fffffffu) > 0x7f800000u) return (u16)((u >> 16) | 0x40u);
  u += 0x7fffu + ((u >> 16) & 1u); return (u16)(u >> 16); }
static inline void st(fd_bf16 *p, u64 i, float v) { p[i].x = fd_f2b(v); }
static inline void fd_cp16_at(u32 s, u64 g) { emu_al16((const void *)(uintptr_t)g, "cp.async"); memcpy((void *)(uintptr_t)s, (const void *)g, 16); }
static inline void fd_cp16(void *s, const void *g) { emu_al16(g, "cp.async"); memcpy(s, g, 16); }
static inline void fd_cp_commit() {}
static inline void fd_cp_wait_all() {}
static inline void fd_prefetch_l2(const void *, u64) {}
// the weight ring's mbarriers: completed phases in the low word, bytes still expected in the high one; a bulk copy
// lands at once, so a phase completes at its arrive, which must find no byte outstanding
// (a shared address is the pointer: emu.h keeps shared memory below 4 GiB)
static inline u32 fd_smem_addr(const void *p) { return (u32)(uintptr_t)p; }
static inline u32 *mbar_(u32 bar) { if (bar & 7) { printf("misaligned mbarrier at %u\n", bar); abort(); } return (u32 *)(uintptr_t)bar; }
static inline void fd_mbar_init(u32 bar, u32) { mbar_(bar)[0] = mbar_(bar)[1] = 0; }
static inline void fd_mbar_init_fence() {}
static inline void fd_mbar_expect(u32 bar, u32 n) { mbar_(bar)[1] += n; }
static inline void fd_bulk_load(u32 dst, const void *src, u32 n, u32 bar) {
  emu_al16((const void *)(uintptr_t)dst, "bulk copy destination"); emu_al16(src, "bulk copy source");
  if (n % 16 || n > mbar_(bar)[1]) { printf("bulk copy of %u bytes, %u expected\n", n, mbar_(bar)[1]); abort(); }
  memcpy((void *)(uintptr_t)dst, src, n); mbar_(bar)[1] -= n; }
static inline void fd_mbar_arrive(u32 bar) {
  if (mbar_(bar)[1]) { printf("mbarrier arrive with %u bytes outstanding\n", mbar_(bar)[1]); abort(); }
  mbar_(bar)[0]++; }
static inline u32 fd_mbar_try(u32 bar, u32 parity) { yield_(RUN); return (mbar_(bar)[0] & 1u) != parity; }
static inline float fmaf_(float a, float b, float c) { return fmaf(a, b, c); }
static inline float block_sum(float v, float *scratch) {
  int lane = threadIdx.x & 31, w = threadIdx.x >> 5, nw = (blockDim.x + 31) >> 5;
  v = warp_sum(v); __syncthreads(); if (lane == 0) scratch[w] = v; __syncthreads();
  v = lane < nw ? scratch[lane] : 0.0f; return warp_sum(v); }
#undef FD_KERNEL
#define FD_KERNEL __device__ __forceinline__ void fd_entry_unused
#define FD_MEMBERS 1
#undef __global__
#define __global__ inline   // every __shared__ static in an inline function: one section type
#define FD_NAME persist_emu
#define FD_MAX_BLOCK 256
#define FD_PDL_AUTO 0
typedef int prog_t; typedef int state_t;
typedef int timeline_t;
struct fd_args { const prog_t *prog; state_t *state; timeline_t *timeline; unsigned long long watchdog_ns; unsigned int blocks; unsigned int threads; unsigned int smem; unsigned int trace; unsigned int ring_slot; unsigned int ring_slots; };
#include BODY
static void body(void *p) { persist_emu(*(fd_args *)p); }

#define STEPS 6
// sampled: a sampled step's program, which ends with the logits (the host stands in for the sampler and the
// advance: the token and position it sets stay as they are)
static int run(u32 blocks, int order_kind, const int *tokens, int sampled = 0) {
  void *prog = nullptr; size_t bytes = 0; unsigned n_ctr = 0, smem = 0, ring[2] = { 0, 0 };
  if (pl_rewind() || pl_program(blocks, sampled, &prog, &bytes, &n_ctr, &smem, ring)) return 1;
  std::vector<u32> state(n_ctr + FD_PSTATE_WORDS, 0), order(blocks);
  for (u32 b = 0; b < blocks; b++) order[b] = order_kind == 1 ? blocks - 1 - b : order_kind == 2 ? (b * 5 + 3) % blocks : b;
  if (order_kind == 2) { std::vector<char> seen(blocks, 0); for (u32 b : order) seen[b]++; for (char c : seen) if (c != 1) for (u32 b = 0; b < blocks; b++) order[b] = b; }
  u32 V = pl_vocab(), valid = pl_valid();
  std::vector<float> want(V);
  const u32 n_ins = ((const fd_phdr *)prog)->n_ins;
  std::vector<u64> tl(3 * (size_t)n_ins);
  double worst = 0; int bad = 0;
  for (int t = 0; t < STEPS; t++) {
    if (pl_ref_step(tokens[t], want.data())) return 1;
    pl_emu_ids()[0] = tokens[t];
    if (sampled) pl_emu_pos()[0] = t;
    std::fill(tl.begin(), tl.end(), 0);
    fd_args a = { (const int *)prog, (int *)state.data(), (int *)tl.data(), 5000000ull, blocks, FD_PERSIST_THREADS, smem, (u32)(t & 1), ring[0], ring[1] };
    launch_grid(body, &a, blocks, FD_PERSIST_THREADS, smem, order);
    // the timeline: on odd steps every instruction's three stamps, in order; none on even ones
    for (u32 i = 0; i < n_ins; i++)
      if ((t & 1) ? !(tl[3 * i] && tl[3 * i] <= tl[3 * i + 1] && tl[3 * i + 1] <= tl[3 * i + 2]) : (tl[3 * i] | tl[3 * i + 1] | tl[3 * i + 2]) != 0) {
        printf("  step %d: instruction %u's timeline %llu %llu %llu\n", t, i, (unsigned long long)tl[3 * i],
               (unsigned long long)tl[3 * i + 1], (unsigned long long)tl[3 * i + 2]);
        bad = 1;
        break;
      }
    const float *got = pl_emu_logits();
    double e = 0, m = 0; u32 best = 0, second = 1;
    for (u32 i = 0; i < V; i++) { e = std::max(e, (double)fabsf(got[i] - want[i])); m = std::max(m, (double)fabsf(want[i])); }
    for (u32 i = 1; i < valid; i++) if (want[i] > want[best]) second = best, best = i; else if (i != best && (second == best || want[i] > want[second])) second = i;
    double rel = m > 0 ? e / m : e;
    worst = std::max(worst, rel);
    int tie = (double)want[best] - want[second] <= 1e-3 * m;
    const int id_ok = sampled ? pl_emu_ids()[0] == tokens[t] : pl_emu_ids()[0] == (int)best || tie;
    if (rel > 1e-3 || !id_ok || pl_emu_pos()[0] != t + !sampled || pl_emu_flag()[0] ||
        state[n_ctr + FD_PSTATE_ERROR] || state[n_ctr + FD_PSTATE_EPOCH] != (u32)t + 1 || state[n_ctr + FD_PSTATE_DONE]) {
      printf("  step %d: rel %.3g, id %d (want %u%s), pos %d, flag %d, error word %u, epoch %u, done %u\n", t, rel,
             pl_emu_ids()[0], best, tie ? ", a near tie" : "", pl_emu_pos()[0], pl_emu_flag()[0],
             state[n_ctr + FD_PSTATE_ERROR], state[n_ctr + FD_PSTATE_EPOCH], state[n_ctr + FD_PSTATE_DONE]);
      bad = 1;
    }
  }
  // every counter ends at steps x per_step (the epoch scheme: counters never reset)
  const fd_phdr *h = (const fd_phdr *)prog;
  const u32 *per = (const u32 *)((const char *)prog + h->per_step);
  for (u32 c = 0; c < n_ctr; c++) if (state[c] != STEPS * per[c]) { printf("  counter %u at %u, want %u\n", c, state[c], STEPS * per[c]); bad = 1; break; }
  printf("%s %s%s: %u blocks, order %s, ring %u x %u bytes: %d steps, logits rel max-norm %.3g%s\n", PRESET, DT,
         sampled ? " sampled" : "", blocks, order_kind == 0 ? "forward" : order_kind == 1 ? "reverse" : "strided",
         ring[1], ring[0], STEPS, worst, bad ? " FAIL" : "");
  pl_free(prog);
  return bad;
}

int main() {
  if (pl_open(DT, PRESET, 2, getenv("PL_VOCAB") ? atoi(getenv("PL_VOCAB")) : 512, getenv("PL_CTX") ? atoi(getenv("PL_CTX")) : 64)) return 1;
  const int tokens[STEPS] = { 17, 3, 400, 77, 9, 500 };
  int f = 0;
  const u32 blocks[] = { 1, 3, 7 };
  // the weight ring at its smallest (a slot one row of each product: most chunks, every slot reused), three
  // slots and two, then none (rows streamed from memory)
  const char *slot[] = { "1", "1", "0" }, *slots[] = { "3", "2", "2" };
  for (int r = 0; r < 3; r++) {
    setenv("FOUNDRY_PERSIST_SLOT", slot[r], 1), setenv("FOUNDRY_PERSIST_SLOTS", slots[r], 1);
    for (u32 b : blocks) for (int o = 0; o < (b > 1 ? 3 : 1); o++) f += run(b, o, tokens);
  }
  setenv("FOUNDRY_PERSIST_SLOT", "1", 1), setenv("FOUNDRY_PERSIST_SLOTS", "3", 1);   /* a sampled step's program */
  for (u32 b : blocks) f += run(b, 1, tokens, 1);
  pl_close();
  printf("%s\n", f ? "FAIL" : "ALL OK");
  return f != 0;
}
