/* prelude.cuh — what every generated kernel starts with: the dtype storage
 * types, their loads and stores (f16/bf16 conversions in inline PTX, so
 * NVRTC needs no toolkit header), vector loads, warp and block reductions,
 * programmatic dependent launch, cp.async, and the default entry point.
 *
 * Layer: kernel. Overloads on the storage type let one kernel body serve
 * every dtype: `ld(w, i)` reads element i as float whatever w points to.
 * Generation defines FD_NAME (the variant's entry-point name) and
 * FD_MAX_BLOCK before this file. */
typedef unsigned long long u64;
typedef unsigned int u32;
typedef unsigned short u16;
struct fd_f16  { u16 x; };
struct fd_bf16 { u16 x; };
struct alignas(16) fd_v4 { u32 x, y, z, w; };
__device__ __forceinline__ float fd_h2f(u16 h) { float f; asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(h)); return f; }
__device__ __forceinline__ u16 fd_f2h(float f) { u16 h; asm("cvt.rn.f16.f32 %0, %1;" : "=h"(h) : "f"(f)); return h; }
__device__ __forceinline__ float fd_b2f(u16 b) { return __uint_as_float(((u32)b) << 16); }
__device__ __forceinline__ u16 fd_f2b(float f) {
  u32 u = __float_as_uint(f);
  if ((u & 0x7fffffffu) > 0x7f800000u) return (u16)((u >> 16) | 0x40u);
  u += 0x7fffu + ((u >> 16) & 1u); return (u16)(u >> 16); }
/* element loads and stores, any plain dtype */
__device__ __forceinline__ float ld(const float *p, u64 i) { return p[i]; }
__device__ __forceinline__ float ld(const fd_f16 *p, u64 i) { return fd_h2f(p[i].x); }
__device__ __forceinline__ float ld(const fd_bf16 *p, u64 i) { return fd_b2f(p[i].x); }
__device__ __forceinline__ float ld(const int *p, u64 i) { return (float)p[i]; }
__device__ __forceinline__ void st(float *p, u64 i, float v) { p[i] = v; }
__device__ __forceinline__ void st(fd_f16 *p, u64 i, float v) { p[i].x = fd_f2h(v); }
__device__ __forceinline__ void st(fd_bf16 *p, u64 i, float v) { p[i].x = fd_f2b(v); }
__device__ __forceinline__ void st(int *p, u64 i, float v) { p[i] = (int)v; }
/* the quantized storage types and their element loads ld(p, i) */
#include "kernel/quant_ld.cuh"
__device__ __forceinline__ fd_v4 ld_v4(const void *p) { return *(const fd_v4 *)p; }
__device__ __forceinline__ fd_v4 ld_v4_stream(const void *p) {
  fd_v4 v; asm volatile("ld.global.nc.L1::no_allocate.v4.u32 {%0,%1,%2,%3}, [%4];"
    : "=r"(v.x), "=r"(v.y), "=r"(v.z), "=r"(v.w) : "l"(p)); return v; }
__device__ __forceinline__ float fd_lo_h(u32 v) { return fd_h2f((u16)(v & 0xffffu)); }
__device__ __forceinline__ float fd_hi_h(u32 v) { return fd_h2f((u16)(v >> 16)); }
__device__ __forceinline__ float fd_lo_b(u32 v) { return __uint_as_float(v << 16); }
__device__ __forceinline__ float fd_hi_b(u32 v) { return __uint_as_float(v & 0xffff0000u); }
/* c + the products of a's and b's four signed bytes (dp4a, sm_61+): the int8
 * activation contract's product (ops/gemv/quant_x.cuh) */
__device__ __forceinline__ int fd_dp4a(u32 a, u32 b, int c) {
  int d; asm("dp4a.s32.s32 %0, %1, %2, %3;" : "=r"(d) : "r"(a), "r"(b), "r"(c)); return d; }
__device__ __forceinline__ float warp_sum(float v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o); return v; }
__device__ __forceinline__ float warp_max(float v) {
  for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o)); return v; }
/* Programmatic dependent launch (sm_90+): fd_pdl_launch lets the next kernel
 * be scheduled; fd_pdl_wait blocks until the previous kernel has finished and
 * its writes are visible. Both are no-ops when not launched that way. */
__device__ __forceinline__ void fd_pdl_launch() {
#if __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.launch_dependents;" ::: "memory");
#endif
}
__device__ __forceinline__ void fd_pdl_wait() {
#if __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.wait;" ::: "memory");
#endif
}
/* A hint: bring the 16-byte-aligned interior of [p, p + n) into L2. It moves
 * nothing into registers, so it is safe before fd_pdl_wait. */
__device__ __forceinline__ void fd_prefetch_l2(const void *p, u64 n) {
#if __CUDA_ARCH__ >= 900
  u64 a = ((u64)p + 15) & ~15ull, e = ((u64)p + n) & ~15ull, g;
  if (e <= a) return;
  asm volatile("cvta.to.global.u64 %0, %1;" : "=l"(g) : "l"(a));
  asm volatile("cp.async.bulk.prefetch.L2.global [%0], %1;" :: "l"(g), "r"((u32)(e - a)) : "memory");
#endif
}
/* cp.async (sm_80+): starts copying 16 bytes from the global address `g` to
 * the shared address `s` (both already converted by cvta: callers copying
 * many granules convert their bases once); fd_cp16 converts its generic
 * pointers itself; fd_cp_commit closes the group of copies issued so far. */
__device__ __forceinline__ void fd_cp16_at(u32 s, u64 g) {
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16;" :: "r"(s), "l"(g) : "memory"); }
__device__ __forceinline__ void fd_cp16(void *s, const void *g) {
  u64 ga, sa;
  asm volatile("cvta.to.global.u64 %0, %1;" : "=l"(ga) : "l"((u64)g));
  asm volatile("cvta.to.shared.u64 %0, %1;" : "=l"(sa) : "l"((u64)s));
  fd_cp16_at((u32)sa, ga); }
__device__ __forceinline__ void fd_cp_commit() { asm volatile("cp.async.commit_group;" ::: "memory"); }
__device__ __forceinline__ void fd_cp_wait_all() { asm volatile("cp.async.wait_all;" ::: "memory"); }
/* Shared addresses and mbarriers (sm_90+), for the GEMM family's Hopper
 * path (ops/gemm/wgmma.cuh: TMA tiles) and the persistent decode kernel's
 * weight ring (ops/persist/ring.cuh: bulk copies). A shared address is a
 * u32 in the shared window (fd_smem_addr); an mbarrier 8 bytes of shared
 * memory; "parity" the phase waited for: fd_mbar_try(bar, k & 1) is true
 * once the barrier's k-th phase has completed (a fresh barrier counts
 * parity 1 as completed). A phase completes when its arrivals have come and
 * every byte announced to it (fd_mbar_arrive_tx, fd_mbar_expect) has landed. */
__device__ __forceinline__ u32 fd_smem_addr(const void *p) {
  u64 a; asm("cvta.to.shared.u64 %0, %1;" : "=l"(a) : "l"((u64)p)); return (u32)a; }
__device__ __forceinline__ void fd_mbar_init(u32 bar, u32 count) {
  asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;" :: "r"(bar), "r"(count) : "memory"); }
/* makes the initialised barriers visible to the async proxy (the copies' complete_tx) */
__device__ __forceinline__ void fd_mbar_init_fence() {
#if __CUDA_ARCH__ >= 900
  asm volatile("fence.mbarrier_init.release.cluster;" ::: "memory");
#endif
}
__device__ __forceinline__ void fd_mbar_arrive(u32 bar) {
  asm volatile("mbarrier.arrive.shared::cta.b64 _, [%0];" :: "r"(bar) : "memory"); }
/* an arrival that also announces `bytes` of transactions (the copies of the phase) */
__device__ __forceinline__ void fd_mbar_arrive_tx(u32 bar, u32 bytes) {
#if __CUDA_ARCH__ >= 900
  asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;" :: "r"(bar), "r"(bytes) : "memory");
#endif
}
/* announces `bytes` more without arriving (a copy of a phase whose arrival comes later) */
__device__ __forceinline__ void fd_mbar_expect(u32 bar, u32 bytes) {
#if __CUDA_ARCH__ >= 900
  asm volatile("mbarrier.expect_tx.relaxed.cta.shared::cta.b64 [%0], %1;" :: "r"(bar), "r"(bytes) : "memory");
#endif
}
__device__ __forceinline__ u32 fd_mbar_try(u32 bar, u32 parity) {
  u32 ok = 1;
#if __CUDA_ARCH__ >= 900
  asm volatile("{ .reg .pred p; mbarrier.try_wait.parity.shared::cta.b64 p, [%1], %2; selp.u32 %0, 1, 0, p; }"
               : "=r"(ok) : "r"(bar), "r"(parity) : "memory");
#endif
  return ok; }
/* a bulk copy (sm_90+; one thread moves the whole range): `bytes`, a
 * multiple of 16, from the 16-byte-aligned global src to shared address
 * dst (16-byte-aligned), completing on barrier `bar` */
__device__ __forceinline__ void fd_bulk_load(u32 dst, const void *src, u32 bytes, u32 bar) {
#if __CUDA_ARCH__ >= 900
  u64 g;
  asm("cvta.to.global.u64 %0, %1;" : "=l"(g) : "l"((u64)src));
  asm volatile("cp.async.bulk.shared::cluster.global.mbarrier::complete_tx::bytes [%0], [%1], %2, [%3];"
               :: "r"(dst), "l"(g), "r"(bytes), "r"(bar) : "memory");
#endif
}
/* sum over the block; every thread gets the result. `scratch`: 32 floats of shared memory */
__device__ __forceinline__ float block_sum(float v, float *scratch) {
  int lane = threadIdx.x & 31, w = threadIdx.x >> 5, nw = (blockDim.x + 31) >> 5;
  v = warp_sum(v); __syncthreads(); if (lane == 0) scratch[w] = v; __syncthreads();
  v = lane < nw ? scratch[lane] : 0.0f; return warp_sum(v); }
/* The entry point: `FD_KERNEL(fd_args a) { ... }`. A family's main stage
 * may redefine it (launch bounds with a minimum of blocks), except under
 * FD_MEMBERS (FD_KERNEL_COOPERATIVE: the bodies are members of a
 * persistent kernel, which calls their device functions). With
 * FD_PDL_AUTO (the kernel's FD_KERNEL_PDL_AUTO flag) the entry point waits
 * for its predecessor and releases its successor, then runs the body. */
#if defined(FD_MEMBERS)   /* a persistent kernel's member: the body's entry point is an unused function */
#define FD_KERNEL __device__ __forceinline__ void fd_entry_unused
#elif FD_PDL_AUTO
#define FD_KERNEL(params) __device__ __forceinline__ void fd_body(params);                      \
  extern "C" __global__ void __launch_bounds__(FD_MAX_BLOCK) FD_NAME(params) {                 \
    fd_pdl_wait(); fd_pdl_launch(); fd_body(a); }                                             \
  __device__ __forceinline__ void fd_body(params)
#else
#define FD_KERNEL extern "C" __global__ void __launch_bounds__(FD_MAX_BLOCK) FD_NAME
#endif
