// common.cuh (emulation) — src/ops/gemm/common.cuh's pieces the Hopper main
// uses, on the CPU: shared addresses as offsets into the emulated shared
// memory g_smem (1024-byte aligned, so the swizzle, which works on address
// bits, sees what the device sees), and f32 pairs rounded to f16 / bf16 pairs
// to nearest even, as cvt.rn does.
#include "ops/attn_mma.cuh"   // emu_f2h, emu_f2b
struct uint2 { u32 x, y; };
static inline uint2 make_uint2(u32 x, u32 y) { return {x, y}; }
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
