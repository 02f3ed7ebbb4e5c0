// wgmma.cuh (emulation) — src/ops/gemm/wgmma.cuh on the CPU, for running
// main_wgmma.cuh unchanged (emu.h: block threads as coroutines).
//   mbarrier: 8 bytes of shared memory as the device has them: word 0 the
//     pending arrivals (bits 0-11), the expected count (12-23) and the phase
//     parity (bit 31); word 1 the pending transaction bytes (signed). A phase
//     completes when both reach 0; a wait spins (yielding to the other
//     threads) until the phase of its parity has completed. Over-arrival and a
//     wait that never ends (deadlock) stop the program.
//   TMA: the box copied at issue from the emulated tensor map (base, rows,
//     cols, box; the harness encodes it: fd_tmap's words 0-4), elements
//     outside the matrix zero, each 16-byte chunk placed at its 128-byte
//     swizzled address (address bits 4-6 xor bits 7-9), then the box's bytes
//     completed on the barrier.
//   wgmma: recorded when issued and computed when a wait_group retires its
//     group (what the device leaves unspecified until then: a kernel that
//     reads its accumulators, or frees the slot, too early reads stale
//     values here too). Each thread computes its own fragment elements
//     (rows 16 (t / 32) + g + 8 h, columns 8 j + 2 q + e of d[4 j + 2 h + e],
//     g = lane / 4, q = lane % 4) from shared memory through the descriptors,
//     decoded bit by bit: start, SBO, swizzle mode (only 128 bytes, base
//     offset 0 accepted), element (i, k) at start + (i / 8) SBO + (i % 8) 128 +
//     2 k, then swizzled; sums in f32. wait_group ends with a warp barrier
//     (.sync.aligned): no lane of the warp goes on before all have computed.
#include "ops/gemm/common.cuh"
#include "ops/gemm/wgmma_desc.cuh"
static int g_emu_fail;
#define EMU_DIE(...) do { fprintf(stderr, "EMU: " __VA_ARGS__); fprintf(stderr, "\n"); exit(5); } while (0)
static inline u32 *emu_bar(u32 bar) { if (bar & 7) EMU_DIE("misaligned mbarrier %u", bar); return (u32 *)emu_smem(bar, 8); }
static inline void emu_bar_check(u32 *b) {
  u32 pend = b[0] & 0xFFFu, exp = (b[0] >> 12) & 0xFFFu;
  if (pend == 0 && (int)b[1] == 0) b[0] = (b[0] ^ 0x80000000u) & 0x80000000u | exp | exp << 12; }
static inline void fd_mbar_init(u32 bar, u32 count) { u32 *b = emu_bar(bar); if (count == 0 || count > 4095) EMU_DIE("mbarrier count %u", count); b[0] = count | count << 12; b[1] = 0; }
static inline void fd_mbar_init_fence() {}
static inline void fd_mbar_arrive(u32 bar) {
  u32 *b = emu_bar(bar);
  if ((b[0] & 0xFFFu) == 0) EMU_DIE("over-arrival on the mbarrier at %u (thread %u)", bar, threadIdx.x);
  b[0]--; emu_bar_check(b);
  yield_(RUN); }   // let a waiter run before this thread goes on: races show
static inline void fd_mbar_arrive_tx(u32 bar, u32 bytes) { u32 *b = emu_bar(bar); b[1] = (u32)((int)b[1] + (int)bytes); fd_mbar_arrive(bar); }
static inline void emu_complete_tx(u32 bar, u32 bytes) { u32 *b = emu_bar(bar); b[1] = (u32)((int)b[1] - (int)bytes); emu_bar_check(b); }
static inline u32 fd_mbar_try(u32 bar, u32 parity) { return (emu_bar(bar)[0] >> 31) != (parity & 1u); }
static inline void fd_mbar_wait(u32 bar, u32 parity) {
  for (long spin = 0; !fd_mbar_try(bar, parity); spin++) {
    if (spin > 1000000) EMU_DIE("deadlock: thread %u waits for parity %u on the mbarrier at %u", threadIdx.x, parity, bar);
    yield_(RUN);
  } }
// the emulated tensor map: base pointer, rows, cols (16-bit elements), box rows, box cols
static inline void emu_tmap(fd_tmap *m, const void *base, u64 rows, u64 cols, u32 box_rows, u32 box_cols) {
  memset(m, 0, sizeof *m); m->v[0] = (u64)(uintptr_t)base; m->v[1] = rows; m->v[2] = cols; m->v[3] = box_rows; m->v[4] = box_cols; }
static inline u32 emu_swz(u32 a) { return a ^ (((a >> 7) & 7u) << 4); }
static inline void fd_tma_load2(u32 dst, const fd_tmap *map, int c0, int c1, u32 bar) {
  const u16 *base = (const u16 *)(uintptr_t)map->v[0];
  u64 rows = map->v[1], cols = map->v[2]; u32 br = (u32)map->v[3], bc = (u32)map->v[4];
  if (bc * 2 > 128 || (bc * 2) % 16) EMU_DIE("TMA box of %u columns: the 128-byte swizzle takes rows of at most 128 bytes", bc);
  if (dst & 1023) EMU_DIE("TMA destination %u not 1024-byte aligned (the swizzle pattern's span)", dst);
  for (u32 r = 0; r < br; r++)
    for (u32 c = 0; c < bc / 8; c++) {
      u16 v[8];
      for (u32 e = 0; e < 8; e++) {
        long long row = (long long)c1 + r, col = (long long)c0 + 8 * c + e;
        v[e] = row >= 0 && col >= 0 && (u64)row < rows && (u64)col < cols ? base[row * cols + col] : 0;
      }
      memcpy(emu_smem(emu_swz(dst + r * 128 + c * 16), 16), v, 16);
    }
  emu_complete_tx(bar, br * bc * 2); }
static inline void fd_fence_async_smem() {}
static inline float fd_ld_cg(const float *p) { return *p; }
static inline void fd_wg_fence() {}
// pending wgmma per thread: the products as shared memory held them at issue, recomputed at retirement;
// a difference means shared memory changed while the hardware may have been reading it (a slot freed too
// early, or an operand written after the wgmma was issued)
struct emu_wg_op { float *d; u64 da, db; u32 scale_d, n; std::vector<float> at_issue; };
static std::vector<emu_wg_op> g_wg_ops[1024]; static std::vector<size_t> g_wg_groups[1024];   // group ends
static inline float emu_desc_elem(u64 desc, u32 i, u32 k) {
  u32 start = (u32)(desc & 0x3FFFu) << 4, sbo = (u32)((desc >> 32) & 0x3FFFu) << 4, base_off = (u32)((desc >> 49) & 7u), swz = (u32)(desc >> 62);
  if (swz != 1 || base_off != 0) EMU_DIE("descriptor swizzle mode %u base offset %u: only the 128-byte swizzle, base 0, is emulated", swz, base_off);
  if ((start & 127u) + 32 > 128) EMU_DIE("a k16 slice at %u crosses its 128-byte row", start);
  u32 a = start + (i / 8) * sbo + (i % 8) * 128 + 2 * k;
  u16 v; memcpy(&v, emu_smem(emu_swz(a), 2), 2); return emu_op2f(v); }
static inline std::vector<float> emu_wg_products(u64 da, u64 db, u32 n) {
  u32 t = threadIdx.x & 127, w = t >> 5, g = (t & 31) >> 2, q = t & 3;
  std::vector<float> out(n / 2);
  for (u32 j = 0; j < n / 8; j++)
    for (u32 h = 0; h < 2; h++)
      for (u32 e = 0; e < 2; e++) {
        u32 row = 16 * w + g + 8 * h, col = 8 * j + 2 * q + e;
        float s = 0.0f;
        for (u32 k = 0; k < 16; k++) s += emu_desc_elem(da, row, k) * emu_desc_elem(db, col, k);
        out[4 * j + 2 * h + e] = s;
      }
  return out; }
template <int N> static inline void fd_wgmma(float *d, u64 da, u64 db, u32 scale_d) {
  if (threadIdx.x < 128) EMU_DIE("wgmma from the producer warpgroup");
  g_wg_ops[threadIdx.x].push_back({d, da, db, scale_d, (u32)N, emu_wg_products(da, db, N)}); }
static inline void fd_wg_commit() { g_wg_groups[threadIdx.x].push_back(g_wg_ops[threadIdx.x].size()); }
static inline void emu_wg_run(const emu_wg_op &o) {
  std::vector<float> now = emu_wg_products(o.da, o.db, o.n);
  if (memcmp(now.data(), o.at_issue.data(), now.size() * sizeof(float)))
    EMU_DIE("thread %u: a wgmma's shared operands changed between its issue and its wait_group", threadIdx.x);
  for (u32 i = 0; i < o.n / 2; i++) o.d[i] = (o.scale_d ? o.d[i] : 0.0f) + now[i]; }
template <int N> static inline void fd_wg_wait() {
  auto &ops = g_wg_ops[threadIdx.x]; auto &grp = g_wg_groups[threadIdx.x];
  if (ops.size() != (grp.empty() ? 0 : grp.back())) EMU_DIE("wgmma issued but not committed before wait_group");
  size_t keep = grp.size() > (size_t)N ? grp.size() - N : 0;   // groups to retire
  size_t end = keep ? grp[keep - 1] : 0;
  for (size_t i = 0; i < end; i++) emu_wg_run(ops[i]);
  ops.erase(ops.begin(), ops.begin() + end); grp.erase(grp.begin(), grp.begin() + keep);
  for (auto &x : grp) x -= end;
  __syncwarp(); }
