/* common.cuh — what the GEMM family's stages share: the tile maps
 * (tile.cuh) and the PTX of the tensor-core path (cp.async with zero fill,
 * ldmatrix, mma.sync m16n8k16, f32 pairs to f16x2 / bf16x2), written out
 * since NVRTC has no toolkit headers. tools/cuemu/ops/gemm/common.cuh is its
 * twin on the CPU.
 *
 * Layer: ops (device code of the GEMM family; see ops/gemm/family.c). */
#include "ops/gemm/layout.cuh"
#include "ops/gemm/tile.cuh"
/* 16 bytes from g to shared address s, or 16 zero bytes when !ok (nothing read) */
__device__ __forceinline__ void fd_cp16_zfill(u32 s, const void *g, bool ok) {
  u64 ga; asm("cvta.to.global.u64 %0, %1;" : "=l"(ga) : "l"((u64)g));
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;" :: "r"(s), "l"(ga), "r"(ok ? 16u : 0u) : "memory"); }
template <int N> __device__ __forceinline__ void fd_cp_wait() { asm volatile("cp.async.wait_group %0;" :: "n"(N) : "memory"); }
__device__ __forceinline__ void fd_ldsm4(u32 addr, u32 *r) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3]) : "r"(addr)); }
/* two floats as the operand type's pair, lo in the low half; round to nearest even */
__device__ __forceinline__ u32 fd_pack2(float lo, float hi) {
  u32 r;
#if FD_GEMM_OP == 1
  asm("cvt.rn.bf16x2.f32 %0, %1, %2;" : "=r"(r) : "f"(hi), "f"(lo));
#else
  asm("cvt.rn.f16x2.f32 %0, %1, %2;" : "=r"(r) : "f"(hi), "f"(lo));
#endif
  return r; }
/* c += a b on the tensor cores: a 16 x 16 (row), b 16 x 8 (col), f32 accumulators */
__device__ __forceinline__ void fd_mma(float *c, const u32 *a, const u32 *b) {
#if FD_GEMM_OP == 1
  asm("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};"
#else
  asm("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};"
#endif
      : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1])); }
