// emu.h — runs the bodies of Foundry's CUDA kernels on the CPU, for checking
// their logic where no GPU is at hand: every thread of a block is a ucontext
// coroutine, __syncthreads a block barrier, a shuffle a warp barrier (so
// divergent warp-level code runs as on the device), shared memory a static,
// blocks one after another (in either order: the last-block-combines logic
// sees different last blocks). With EMU_GRID, launch_grid runs all blocks
// together instead (a persistent kernel: tools/cuemu/persist.cpp). It replaces kernel/prelude.cuh (no PTX) and
// ops/attn_common.cuh (ops/ here). It says nothing about timing, memory
// ordering between blocks, or NVRTC; the device tests do.
#include <ucontext.h>
#include <stdint.h>
#include <string.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <vector>
#include <algorithm>
typedef unsigned long long u64; typedef unsigned int u32; typedef unsigned short u16;
struct dim3_ { u32 x, y, z; };
static dim3_ g_tid, g_bid, g_bdim, g_gdim;
#define threadIdx g_tid
#define blockIdx g_bid
#define blockDim g_bdim
#define gridDim g_gdim
#define __device__
#define __forceinline__ inline
#define __noinline__
#define __global__
#ifdef EMU_GRID   // launch_grid: every block's shared memory is swapped in when one of its threads runs
#define __shared__ static __attribute__((section("emu_shared"), used))
#else
#define __shared__ static
#endif
#define __launch_bounds__(...)
#define __align__(n) __attribute__((aligned(n)))
struct float4 { float x, y, z, w; };
struct float2 { float x, y; };
static inline float4 make_float4(float a, float b, float c, float d) { return {a, b, c, d}; }
static inline float2 make_float2(float a, float b) { return {a, b}; }
static inline float __int_as_float(u32 u) { float f; memcpy(&f, &u, 4); return f; }
static inline u32 __float_as_uint(float f) { u32 u; memcpy(&u, &f, 4); return u; }
static inline int __float_as_int(float f) { int u; memcpy(&u, &f, 4); return u; }
static inline float __uint_as_float(u32 u) { return __int_as_float(u); }
using std::min; using std::max;
static inline float rsqrtf(float x) { return 1.0f / sqrtf(x); }
static inline u32 min(u32 a, u32 b) { return a < b ? a : b; }
// scheduler
enum { RUN, BAR_BLOCK, BAR_WARP, DONE };
#include <setjmp.h>
struct Th { ucontext_t ctx; int state; char *stack; jmp_buf jb; bool started; };
// launch_grid switches with _setjmp/_longjmp once a coroutine has started (no signal-mask system call a switch,
// which swapcontext makes): g_fast
static bool g_fast; static jmp_buf g_main_jb;
static std::vector<Th> g_th; static ucontext_t g_main; static int g_cur; static float g_shfl[8192]; static int g_ishfl[8192];
static void yield_(int st) {
  g_th[g_cur].state = st;
  if (g_fast) { if (!_setjmp(g_th[g_cur].jb)) _longjmp(g_main_jb, 1); return; }
  swapcontext(&g_th[g_cur].ctx, &g_main); }
static inline void __syncthreads() { yield_(BAR_BLOCK); }
static inline void __threadfence() {}
static inline void __syncwarp(u32 = 0xffffffffu) { yield_(BAR_WARP); }
static inline float __shfl_xor_sync(u32, float v, int o) {
  int t = g_cur; g_shfl[t] = v; yield_(BAR_WARP); int src = (t & ~31) | ((t & 31) ^ o); float r = g_shfl[src]; yield_(BAR_WARP); return r; }
static inline int __shfl_xor_sync(u32, int v, int o) {
  int t = g_cur; g_ishfl[t] = v; yield_(BAR_WARP); int src = (t & ~31) | ((t & 31) ^ o); int r = g_ishfl[src]; yield_(BAR_WARP); return r; }
static inline float __shfl_sync(u32, float v, int l) {
  int t = g_cur; g_shfl[t] = v; yield_(BAR_WARP); float r = g_shfl[(t & ~31) | l]; yield_(BAR_WARP); return r; }
// 64-bit and integer warp exchanges, votes, bit helpers (the sampler's)
static u64 g_lshfl[8192];
static inline u64 xchg_(u64 v, int src_lane_of_me, bool down, int o) {
  int t = g_cur; g_lshfl[t] = v; yield_(BAR_WARP); (void)down; (void)o; u64 r = g_lshfl[(t & ~31) | src_lane_of_me]; yield_(BAR_WARP); return r; }
static inline u64 __shfl_xor_sync(u32, u64 v, int o) { return xchg_(v, (g_cur & 31) ^ o, false, o); }
static inline u64 __shfl_down_sync(u32, u64 v, int o) { int l = (g_cur & 31) + o; return xchg_(v, l < 32 ? l : (g_cur & 31), true, o); }
static inline u64 __shfl_up_sync(u32, u64 v, int o) { int l = (g_cur & 31) - o; return xchg_(v, l >= 0 ? l : (g_cur & 31), false, o); }
static inline u32 __shfl_xor_sync(u32, u32 v, int o) { return (u32)xchg_(v, (g_cur & 31) ^ o, false, o); }
static inline u32 __shfl_sync(u32, u32 v, int l) { return (u32)xchg_(v, l, false, 0); }
static inline u64 __shfl_sync(u32, u64 v, int l) { return xchg_(v, l, false, 0); }
static inline u32 __ballot_sync(u32, bool p) {   // lanes that finished count as 0
  int t = g_cur; g_lshfl[t] = p; yield_(BAR_WARP); u32 m = 0;
  for (int l = 0; l < 32; l++) { int i = (t & ~31) | l; if (g_th[i].state != DONE && g_lshfl[i]) m |= 1u << l; }
  yield_(BAR_WARP); return m; }
static inline u32 __match_any_sync(u32, u32 v) {
  int t = g_cur; g_lshfl[t] = v; yield_(BAR_WARP); u32 m = 0;
  for (int l = 0; l < 32; l++) { int i = (t & ~31) | l; if (g_th[i].state != DONE && g_lshfl[i] == v) m |= 1u << l; }
  yield_(BAR_WARP); return m; }
static inline int __popc(u32 v) { return __builtin_popcount(v); }
static inline int __ffs(u32 v) { return __builtin_ffs((int)v); }
static inline int __clz(u32 v) { return v ? __builtin_clz(v) : 32; }
static inline u32 atomicAdd(u32 *p, u32 v) { u32 o = *p; *p += v; return o; }
static inline u64 atomicAdd(u64 *p, u64 v) { u64 o = *p; *p += v; return o; }
static inline u64 atomicMax(u64 *p, u64 v) { u64 o = *p; if (v > o) *p = v; return o; }
static inline float __double2float_ru(double d) { float f = (float)d; if ((double)f < d) f = nextafterf(f, INFINITY); return f; }
static inline float atomicAdd(float *p, float v) { float o = *p; *p += v; return o; }
static inline int atomicAdd(int *p, int v) { int o = *p; *p += v; return o; }
static inline u32 atomicCAS(u32 *p, u32 c, u32 v) { u32 o = *p; if (o == c) *p = v; return o; }
typedef void (*body_fn)(void *);
static body_fn g_body; static void *g_arg;
// g_emu_shuffle: run the threads of each scheduling round in a random order (a program sets it to look for
// races between roles that the fixed order, lowest thread first, would always resolve one way)
static bool g_emu_shuffle; static uint64_t g_emu_rng = 0x2545F4914F6CDD1Dull;
static void tramp() {
  g_body(g_arg); g_th[g_cur].state = DONE;
  if (g_fast) _longjmp(g_main_jb, 1);
  swapcontext(&g_th[g_cur].ctx, &g_main); }
static void launch(body_fn f, void *arg, dim3_ grid, dim3_ block, bool reverse) {
  g_body = f; g_arg = arg; g_gdim = grid; g_bdim = block; u32 nt = block.x;
  g_th.resize(nt); for (auto &t : g_th) if (!t.stack) t.stack = (char *)malloc(1 << 18);
  std::vector<dim3_> blocks;
  for (u32 z = 0; z < grid.z; z++) for (u32 y = 0; y < grid.y; y++) for (u32 x = 0; x < grid.x; x++) blocks.push_back({x, y, z});
  if (reverse) std::reverse(blocks.begin(), blocks.end());
  for (auto b : blocks) {
    g_bid = b;
    for (u32 i = 0; i < nt; i++) { getcontext(&g_th[i].ctx); g_th[i].ctx.uc_stack.ss_sp = g_th[i].stack; g_th[i].ctx.uc_stack.ss_size = 1 << 18; g_th[i].ctx.uc_link = 0; makecontext(&g_th[i].ctx, tramp, 0); g_th[i].state = RUN; }
    for (;;) {
      bool any = false;
      std::vector<u32> order(nt); for (u32 i = 0; i < nt; i++) order[i] = i;
      if (g_emu_shuffle)
        for (u32 i = nt - 1; i > 0; i--) { g_emu_rng ^= g_emu_rng << 13; g_emu_rng ^= g_emu_rng >> 7; g_emu_rng ^= g_emu_rng << 17; std::swap(order[i], order[g_emu_rng % (i + 1)]); }
      for (u32 i : order) if (g_th[i].state == RUN) { g_cur = i; g_tid = {i, 0, 0}; swapcontext(&g_main, &g_th[i].ctx); any = true; }
      // release warp barriers whose live lanes all wait
      bool released = false;
      for (u32 w = 0; w < nt / 32; w++) {
        bool all = true, some = false;
        for (u32 l = 0; l < 32; l++) { int s = g_th[w * 32 + l].state; if (s == BAR_WARP) some = true; else if (s != DONE) all = false; }
        if (some && all) { for (u32 l = 0; l < 32; l++) if (g_th[w * 32 + l].state == BAR_WARP) g_th[w * 32 + l].state = RUN; released = true; }
        else if (some) { bool blk = false; for (u32 l = 0; l < 32; l++) if (g_th[w*32+l].state == BAR_BLOCK) blk = true; if (blk) { fprintf(stderr, "EMU: warp %u mixes warp and block barriers\n", w); exit(3); } }
      }
      if (released) continue;
      bool allb = true, someb = false;
      for (u32 i = 0; i < nt; i++) { if (g_th[i].state == BAR_BLOCK) someb = true; else if (g_th[i].state != DONE) allb = false; }
      if (someb && allb) { for (u32 i = 0; i < nt; i++) if (g_th[i].state == BAR_BLOCK) g_th[i].state = RUN; continue; }
      bool alldone = true; for (u32 i = 0; i < nt; i++) if (g_th[i].state != DONE) alldone = false;
      if (alldone) break;
      if (!any) { fprintf(stderr, "EMU: deadlock\n"); exit(3); }
    }
  }
}
#ifdef EMU_GRID
// All blocks of a grid at once (a persistent kernel's blocks wait on each other): every thread of every block a
// coroutine, the blocks visited in the order `order` gives (a permutation of 0..grid.x-1), a thread that polls a
// device counter yields (ops/grid_sync.cuh's emulation) and stays runnable. Shared memory is per block: the
// emu_shared section (static __shared__, at low addresses in a -no-pie build, so a u32 shared address is the
// pointer) is saved and restored when the running block changes; dynamic shared memory is a region per block
// below 4 GiB (emu_dyn_smem). Block barriers count the block's threads, warp barriers the warp's.
#include <sys/mman.h>
extern char __start_emu_shared[], __stop_emu_shared[];
static std::vector<std::vector<char>> g_saved; static int g_resident = -1; static std::vector<unsigned char *> g_dyn;
static void *emu_dyn_smem() { return g_dyn[g_bid.x]; }
static void emu_block_in(int b) {
  if (b == g_resident) return;
  size_t n = (size_t)(__stop_emu_shared - __start_emu_shared);
  if (g_resident >= 0) memcpy(g_saved[g_resident].data(), __start_emu_shared, n);
  memcpy(__start_emu_shared, g_saved[b].data(), n);
  g_resident = b;
}
static void launch_grid(body_fn f, void *arg, u32 nb, u32 nt, size_t dyn, const std::vector<u32> &order) {
  g_body = f; g_arg = arg; g_gdim = {nb, 1, 1}; g_bdim = {nt, 1, 1};
  u32 T = nb * nt;
  if (T > 8192 || nt % 32) { fprintf(stderr, "EMU: %u blocks of %u threads: at most 8192 threads, whole warps\n", nb, nt); exit(3); }
  g_th.resize(T); for (auto &t : g_th) if (!t.stack) t.stack = (char *)malloc(1 << 18);
  size_t n = (size_t)(__stop_emu_shared - __start_emu_shared);
  g_saved.assign(nb, std::vector<char>(n, 0)); g_resident = -1;
  for (auto p : g_dyn) munmap(p, 1 << 18);
  g_dyn.assign(nb, nullptr);
  if (dyn > (1u << 18)) { fprintf(stderr, "EMU: %zu bytes of dynamic shared memory\n", dyn); exit(3); }
  for (u32 b = 0; b < nb; b++) {
    g_dyn[b] = (unsigned char *)mmap(nullptr, 1 << 18, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
    if (g_dyn[b] == MAP_FAILED) { perror("EMU: mmap"); exit(3); }
  }
  for (u32 i = 0; i < T; i++) { getcontext(&g_th[i].ctx); g_th[i].ctx.uc_stack.ss_sp = g_th[i].stack; g_th[i].ctx.uc_stack.ss_size = 1 << 18; g_th[i].ctx.uc_link = 0; makecontext(&g_th[i].ctx, tramp, 0); g_th[i].state = RUN; g_th[i].started = false; }
  g_fast = true;
  for (;;) {
    bool any = false;
    for (u32 ob = 0; ob < nb; ob++) {
      u32 b = order[ob];
      for (u32 k = 0; k < nt; k++) {
        u32 i = b * nt + k;
        if (g_th[i].state != RUN) continue;
        emu_block_in((int)b); g_cur = (int)i; g_tid = {k, 0, 0}; g_bid = {b, 0, 0};
        if (!_setjmp(g_main_jb)) {
          if (!g_th[i].started) { g_th[i].started = true; setcontext(&g_th[i].ctx); }
          _longjmp(g_th[i].jb, 1);
        }
        any = true;
      }
    }
    bool released = false;
    for (u32 w = 0; w < T / 32; w++) {   // warp barriers whose live lanes all wait
      bool all = true, some = false;
      for (u32 l = 0; l < 32; l++) { int s = g_th[w * 32 + l].state; if (s == BAR_WARP) some = true; else if (s != DONE) all = false; }
      if (some && all) { for (u32 l = 0; l < 32; l++) if (g_th[w * 32 + l].state == BAR_WARP) g_th[w * 32 + l].state = RUN; released = true; }
    }
    for (u32 b = 0; b < nb; b++) {      // block barriers whose live threads all wait
      bool allb = true, someb = false;
      for (u32 k = 0; k < nt; k++) { int s = g_th[b * nt + k].state; if (s == BAR_BLOCK) someb = true; else if (s != DONE) allb = false; }
      if (someb && allb) { for (u32 k = 0; k < nt; k++) if (g_th[b * nt + k].state == BAR_BLOCK) g_th[b * nt + k].state = RUN; released = true; }
    }
    bool alldone = true; for (u32 i = 0; i < T; i++) if (g_th[i].state != DONE) alldone = false;
    if (alldone) break;
    if (!any && !released) { fprintf(stderr, "EMU: deadlock\n"); exit(3); }
  }
  g_fast = false;
  if (g_resident >= 0) memcpy(g_saved[g_resident].data(), __start_emu_shared, n);
  g_resident = -1;
}
#endif
// prelude replacements
struct fd_f16 { u16 x; }; struct fd_bf16 { u16 x; };
struct alignas(16) fd_v4 { u32 x, y, z, w; };
static inline float h2f(u16 h) { // IEEE half -> float
  u32 s = (h >> 15) & 1, e = (h >> 10) & 31, m = h & 1023; float f;
  if (e == 0) f = ldexpf((float)m, -24); else if (e == 31) f = m ? NAN : INFINITY; else f = ldexpf((float)(m | 1024), (int)e - 25);
  return s ? -f : f; }
static inline float fd_h2f(u16 h) { return h2f(h); }
static inline float fd_b2f(u16 b) { return __uint_as_float(((u32)b) << 16); }
static inline float ld(const float *p, u64 i) { return p[i]; }
static inline float ld(const fd_f16 *p, u64 i) { return fd_h2f(p[i].x); }
// 16-byte loads must be 16-byte aligned on the device (misaligned address): checked here too
static inline void emu_al16(const void *p, const char *w) { if ((uintptr_t)p & 15) { fprintf(stderr, "EMU: misaligned 16-byte %s at %p\n", w, p); exit(4); } }
static inline fd_v4 ld_v4(const void *p) { emu_al16(p, "ld_v4"); return *(const fd_v4 *)p; }
static inline fd_v4 ld_v4_stream(const void *p) { emu_al16(p, "ld_v4_stream"); return *(const fd_v4 *)p; }
static inline float fd_lo_h(u32 v) { return fd_h2f((u16)(v & 0xffffu)); }
static inline float fd_hi_h(u32 v) { return fd_h2f((u16)(v >> 16)); }
static inline float fd_lo_b(u32 v) { return __uint_as_float(v << 16); }
static inline float fd_hi_b(u32 v) { return __uint_as_float(v & 0xffff0000u); }
static inline float warp_sum(float v) { for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o); return v; }
static inline float warp_max(float v) { for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o)); return v; }
static inline void fd_pdl_wait() {} static inline void fd_pdl_launch() {}
// the int8 activation contract's integer helpers (prelude.cuh's fd_dp4a, CUDA's intrinsics)
static inline int __float2int_rn(float x) { return (int)nearbyintf(x); }
static inline float __fmaf_rn(float a, float b, float c) { return fmaf(a, b, c); }
// explicitly rounded f32 steps (kernel/quant_ld.cuh's loads): one rounding each, as plain C's where nothing
// contracts them into an FMA (ISO -std=c++17 turns contraction off; x86-64 without -mfma has no FMA)
static inline float __fmul_rn(float a, float b) { return a * b; }
static inline float __fadd_rn(float a, float b) { return a + b; }
static inline float __fsub_rn(float a, float b) { return a - b; }
static inline u32 __funnelshift_r(u32 lo, u32 hi, u32 sh) { sh &= 31; return sh ? (lo >> sh) | (hi << (32 - sh)) : lo; }
static inline u32 __byte_perm(u32 x, u32 y, u32 s) {   // byte i of the result: byte s<4i+2:4i> of y:x
  u64 v = ((u64)y << 32) | x; u32 r = 0;
  for (int i = 0; i < 4; i++) r |= (u32)(v >> 8 * ((s >> 4 * i) & 7u) & 0xFFu) << 8 * i; return r; }
static inline int fd_dp4a(u32 a, u32 b, int c) {
  for (int k = 0; k < 4; k++) c += (int)(signed char)(a >> 8 * k) * (int)(signed char)(b >> 8 * k); return c; }
#define FD_KERNEL void FD_NAME
// the paged KV cache (ops/kv_page.cuh): P = FD_KV_PAGE (the library's 64 unless the build says otherwise, so
// run.sh can try other page sizes); a table of ceil(C / P) entries over np physical pages
#ifndef FD_KV_PAGE
#define FD_KV_PAGE 64
#endif
// mode 0: the identity (np = ceil(C / P)); 1: a random permutation; 2: distinct random pages of a pool 3 pages
// larger (what a table of one sequence among several looks like)
static std::vector<int> kv_table(u32 C, int mode, u32 *np) {
  u32 n = (C + FD_KV_PAGE - 1) / FD_KV_PAGE; *np = n + (mode == 2 ? 3 : 0);
  std::vector<int> all(*np); for (u32 i = 0; i < *np; i++) all[i] = (int)i;
  static uint64_t r = 0x9e3779b97f4a7c15ull;
  if (mode) for (u32 i = *np - 1; i > 0; i--) { r ^= r << 13; r ^= r >> 7; r ^= r << 17; std::swap(all[i], all[r % (i + 1)]); }
  all.resize(n); return all; }
static inline size_t kv_row(const std::vector<int> &t, u32 KV, u32 j, u32 p) {
  return ((size_t)t[p / FD_KV_PAGE] * KV + j) * FD_KV_PAGE + p % FD_KV_PAGE; }
