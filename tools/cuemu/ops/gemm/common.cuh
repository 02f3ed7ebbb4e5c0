// common.cuh (emulation) — src/ops/gemm/common.cuh on the CPU: shared
// addresses as offsets into the emulated shared memory g_smem (1024-byte
// aligned, so a swizzle, which works on address bits, sees what the device
// sees); f32 pairs rounded to f16 / bf16 pairs to nearest even, as cvt.rn
// does; cp.async recorded at issue and copied when a wait_group retires its
// group (a kernel reading a slot before its wait reads stale bytes here too);
// ldmatrix x4 gathered through the warp (lane l gets row l / 4, halves
// 2 (l % 4), + 1 of matrix i, whose rows lanes 8 i .. 8 i + 7 address); and
// mma.sync m16n8k16 as ops/attn_mma.cuh here emulates it.
#include "ops/attn_mma.cuh"   // emu_f2h, emu_f2b, fd_tc_mma
#include "ops/gemm/layout.cuh"
#include "ops/gemm/tile.cuh"
struct uint2 { u32 x, y; };
static inline uint2 make_uint2(u32 x, u32 y) { return {x, y}; }
struct uint4 { u32 x, y, z, w; };
static inline uint4 make_uint4(u32 x, u32 y, u32 z, u32 w) { return {x, y, z, w}; }
alignas(1024) static unsigned char g_smem[232448 + 2048];
static inline u32 fd_smem_addr(const void *p) {
  const unsigned char *c = (const unsigned char *)p;
  if (c < g_smem || c >= g_smem + sizeof g_smem) { fprintf(stderr, "EMU: fd_smem_addr of a non-shared pointer\n"); exit(4); }
  return (u32)(c - g_smem); }
static inline unsigned char *emu_smem(u32 a, u32 n) {
  if ((u64)a + n > sizeof g_smem) { fprintf(stderr, "EMU: shared access at %u + %u out of range\n", a, n); exit(4); }
  return g_smem + a; }
static inline u32 fd_pack2(float lo, float hi) {
#if FD_GEMM_OP == 1
  return emu_f2b(lo) | (u32)emu_f2b(hi) << 16;
#else
  return emu_f2h(lo) | (u32)emu_f2h(hi) << 16;
#endif
}
static inline float emu_op2f(u16 v) {
#if FD_GEMM_OP == 1
  return fd_b2f(v);
#else
  return h2f(v);
#endif
}
struct emu_cp { u32 s; const void *g; bool ok; };
static std::vector<emu_cp> g_cp[1024]; static std::vector<size_t> g_cp_groups[1024];   // group ends
static inline void fd_cp16_zfill(u32 s, const void *g, bool ok) {
  if (s & 15) { fprintf(stderr, "EMU: cp.async to misaligned shared address %u\n", s); exit(4); }
  if (ok) emu_al16(g, "cp.async source");
  emu_smem(s, 16); g_cp[threadIdx.x].push_back({s, g, ok}); }
static inline void fd_cp_commit() { g_cp_groups[threadIdx.x].push_back(g_cp[threadIdx.x].size()); }
template <int N> static inline void fd_cp_wait() {
  auto &ops = g_cp[threadIdx.x]; auto &grp = g_cp_groups[threadIdx.x];
  size_t keep = grp.size() > (size_t)N ? grp.size() - N : 0, end = keep ? grp[keep - 1] : 0;
  for (size_t i = 0; i < end; i++) {
    if (ops[i].ok) memcpy(emu_smem(ops[i].s, 16), ops[i].g, 16); else memset(emu_smem(ops[i].s, 16), 0, 16);
  }
  ops.erase(ops.begin(), ops.begin() + end); grp.erase(grp.begin(), grp.begin() + keep);
  for (auto &x : grp) x -= end; }
static u32 g_ldsm_addr[1024];
static inline void fd_ldsm4(u32 addr, u32 *r) {
  int t = g_cur, w = t & ~31, l = t & 31;
  if (addr & 15) { fprintf(stderr, "EMU: ldmatrix row address %u not 16-byte aligned\n", addr); exit(4); }
  g_ldsm_addr[t] = addr;
  __syncwarp();
  for (int i = 0; i < 4; i++) memcpy(&r[i], emu_smem(g_ldsm_addr[w + 8 * i + l / 4] + 4 * (l % 4), 4), 4);
  __syncwarp(); }
static inline void fd_mma(float *c, const u32 *a, const u32 *b) {
#if FD_GEMM_OP == 1
  fd_tc_mma((const fd_bf16 *)nullptr, c, a, b);
#else
  fd_tc_mma((const fd_f16 *)nullptr, c, a, b);
#endif
}
