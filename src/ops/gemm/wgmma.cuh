/* wgmma.cuh — the PTX of the GEMM family's Hopper path (sm_90a), written out
 * since NVRTC has no toolkit headers: the mbarrier wait, TMA tile loads, the async
 * proxy fence, wgmma with shared-memory matrix descriptors. tools/cuemu/ops/gemm/wgmma.cuh is its
 * twin on the CPU (same names), which is what lets the emulator run
 * main_wgmma.cuh unchanged.
 *
 * Layer: ops (device code of the GEMM family; see ops/gemm/wgmma.c).
 * The mbarriers themselves and fd_smem_addr are kernel/prelude.cuh's. */
#include "ops/gemm/common.cuh"
#include "ops/gemm/wgmma_desc.cuh"
/* until the phase of that parity has completed (a fresh barrier counts parity 1 as
 * completed). A wait of some 10 s or more can only be a bug (an arrival or a TMA
 * transaction that never comes): it traps, so the launch fails with an error
 * rather than hanging the device. */
__device__ __forceinline__ void fd_mbar_wait(u32 bar, u32 parity) {
  if (fd_mbar_try(bar, parity)) return;
  const long long t0 = clock64();
  while (!fd_mbar_try(bar, parity))
    if (clock64() - t0 > 20000000000ll) asm volatile("trap;");
}
/* TMA: the box at (c0 = innermost coordinate, c1) of `map` into shared `dst`,
 * completing its bytes on barrier `bar` */
__device__ __forceinline__ void fd_tma_load2(u32 dst, const fd_tmap *map, int c0, int c1, u32 bar) {
  asm volatile("cp.async.bulk.tensor.2d.shared::cluster.global.mbarrier::complete_tx::bytes [%0], [%1, {%2, %3}], [%4];"
               :: "r"(dst), "l"((u64)map), "r"(c0), "r"(c1), "r"(bar) : "memory"); }
/* generic-proxy writes to shared memory (x converted by threads) before the
 * async proxy (wgmma) reads them */
__device__ __forceinline__ void fd_fence_async_smem() { asm volatile("fence.proxy.async.shared::cta;" ::: "memory"); }
/* a load that skips L1 (a split's partials, written by other blocks) */
__device__ __forceinline__ float fd_ld_cg(const float *p) {
  u64 ga; float v;
  asm("cvta.to.global.u64 %0, %1;" : "=l"(ga) : "l"((u64)p));
  asm volatile("ld.global.cg.f32 %0, [%1];" : "=f"(v) : "l"(ga) : "memory");
  return v; }
__device__ __forceinline__ void fd_wg_fence() { asm volatile("wgmma.fence.sync.aligned;" ::: "memory"); }
__device__ __forceinline__ void fd_wg_commit() { asm volatile("wgmma.commit_group.sync.aligned;" ::: "memory"); }
/* until at most N of this warpgroup's committed groups are pending */
template <int N> __device__ __forceinline__ void fd_wg_wait() {
  asm volatile("wgmma.wait_group.sync.aligned %0;" :: "n"(N) : "memory"); }
/* d (64 x N per warpgroup, f32) += A (64 x 16, descriptor da) B^T (N x 16, db),
 * both K-major; scale_d 0 ignores d. Fragment: thread t of the warpgroup holds
 * rows 16 (t / 32) + (t % 32) / 4 + 8 h, columns 8 j + 2 (t % 4) + e in
 * d[4 j + 2 h + e]. */
#if FD_GEMM_OP == 1
#define FD_WG_TY "bf16"
#else
#define FD_WG_TY "f16"
#endif
template <int N> __device__ __forceinline__ void fd_wgmma(float *d, u64 da, u64 db, u32 scale_d);
/* The accumulator operands: d[0..63] (n128), d[0..127] (n256), as asm operand
 * numbers (strings) and as constraints. */
#define FD_WG_S64 \
  "%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, " \
  "%16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31, " \
  "%32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47, " \
  "%48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63"
#define FD_WG_S128 FD_WG_S64 ", " \
  "%64, %65, %66, %67, %68, %69, %70, %71, %72, %73, %74, %75, %76, %77, %78, %79, " \
  "%80, %81, %82, %83, %84, %85, %86, %87, %88, %89, %90, %91, %92, %93, %94, %95, " \
  "%96, %97, %98, %99, %100, %101, %102, %103, %104, %105, %106, %107, %108, %109, %110, %111, " \
  "%112, %113, %114, %115, %116, %117, %118, %119, %120, %121, %122, %123, %124, %125, %126, %127"
#define FD_WG_D8(i) "+f"(d[i]), "+f"(d[i + 1]), "+f"(d[i + 2]), "+f"(d[i + 3]), "+f"(d[i + 4]), "+f"(d[i + 5]), \
  "+f"(d[i + 6]), "+f"(d[i + 7])
#define FD_WG_D64 FD_WG_D8(0), FD_WG_D8(8), FD_WG_D8(16), FD_WG_D8(24), FD_WG_D8(32), FD_WG_D8(40), FD_WG_D8(48), \
  FD_WG_D8(56)
#define FD_WG_D128 FD_WG_D64, FD_WG_D8(64), FD_WG_D8(72), FD_WG_D8(80), FD_WG_D8(88), FD_WG_D8(96), FD_WG_D8(104), \
  FD_WG_D8(112), FD_WG_D8(120)
template <> __device__ __forceinline__ void fd_wgmma<128>(float *d, u64 da, u64 db, u32 scale_d) {
  asm volatile("{ .reg .pred p; setp.ne.b32 p, %66, 0;\n"
               "wgmma.mma_async.sync.aligned.m64n128k16.f32." FD_WG_TY "." FD_WG_TY " {" FD_WG_S64 "}, %64, %65, p, 1, 1, 0, 0; }\n"
               : FD_WG_D64 : "l"(da), "l"(db), "r"(scale_d));
}
template <> __device__ __forceinline__ void fd_wgmma<256>(float *d, u64 da, u64 db, u32 scale_d) {
  asm volatile("{ .reg .pred p; setp.ne.b32 p, %130, 0;\n"
               "wgmma.mma_async.sync.aligned.m64n256k16.f32." FD_WG_TY "." FD_WG_TY " {" FD_WG_S128 "}, %128, %129, p, 1, 1, 0, 0; }\n"
               : FD_WG_D128 : "l"(da), "l"(db), "r"(scale_d));
}
