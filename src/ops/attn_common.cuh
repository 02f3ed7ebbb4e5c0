/* attn_common.cuh — what the attention kernels share: unpacking cache words
 * (f16 or bf16, chosen by overload on a null pointer of the cache's storage
 * type) and an L1-bypassing load for data other blocks wrote.
 *
 * Layer: ops (device code of ops/attention.c). */
#define FD_LOG2E 1.4426950408889634f
/* two values from a 32-bit word of the cache */
__device__ __forceinline__ void fd_kv2(const fd_f16 *, u32 w, float *f) { f[0] = fd_lo_h(w); f[1] = fd_hi_h(w); }
__device__ __forceinline__ void fd_kv2(const fd_bf16 *, u32 w, float *f) { f[0] = fd_lo_b(w); f[1] = fd_hi_b(w); }
/* eight values from 16 bytes of the cache */
template <class T> __device__ __forceinline__ void fd_kv8(const T *tag, fd_v4 v, float *f) {
  fd_kv2(tag, v.x, f); fd_kv2(tag, v.y, f + 2); fd_kv2(tag, v.z, f + 4); fd_kv2(tag, v.w, f + 6); }
/* loads that bypass L1: values written by other blocks of this launch */
__device__ __forceinline__ float fd_ldcg(const float *p) {
  float v; asm volatile("ld.global.cg.f32 %0, [%1];" : "=f"(v) : "l"(p)); return v; }
__device__ __forceinline__ float4 fd_ldcg4(const float *p) {
  float4 v; asm volatile("ld.global.cg.v4.f32 {%0,%1,%2,%3}, [%4];" : "=f"(v.x), "=f"(v.y), "=f"(v.z), "=f"(v.w) : "l"(p));
  return v; }
