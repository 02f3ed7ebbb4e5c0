/* float_vectors.cuh — what every float weight policy shares: 16-byte vector products,
 * the staging size, x in f32 (read in place when it can be).
 *
 * Layer: ops (device code of the GEMV family; see ops/gemv/family.c). */
#include "ops/gemv/layout.cuh"
__device__ __forceinline__ fd_v4 ld_v4s(const void *p) { return ld_v4_stream(p); }
/* acc + the products of a 16-byte vector with its inputs, one fused
 * multiply-add each */
__device__ __forceinline__ float dot8_h(fd_v4 q, const float *x, float acc) {
  float4 a = *(const float4 *)x, b = *(const float4 *)(x + 4);
  acc = fmaf(fd_lo_h(q.x), a.x, acc); acc = fmaf(fd_hi_h(q.x), a.y, acc); acc = fmaf(fd_lo_h(q.y), a.z, acc);
  acc = fmaf(fd_hi_h(q.y), a.w, acc); acc = fmaf(fd_lo_h(q.z), b.x, acc); acc = fmaf(fd_hi_h(q.z), b.y, acc);
  acc = fmaf(fd_lo_h(q.w), b.z, acc); return fmaf(fd_hi_h(q.w), b.w, acc); }
__device__ __forceinline__ float dot8_b(fd_v4 q, const float *x, float acc) {
  float4 a = *(const float4 *)x, b = *(const float4 *)(x + 4);
  acc = fmaf(fd_lo_b(q.x), a.x, acc); acc = fmaf(fd_hi_b(q.x), a.y, acc); acc = fmaf(fd_lo_b(q.y), a.z, acc);
  acc = fmaf(fd_hi_b(q.y), a.w, acc); acc = fmaf(fd_lo_b(q.z), b.x, acc); acc = fmaf(fd_hi_b(q.z), b.y, acc);
  acc = fmaf(fd_lo_b(q.w), b.z, acc); return fmaf(fd_hi_b(q.w), b.w, acc); }
__device__ __forceinline__ float dot4_f(fd_v4 q, const float *x, float acc) {
  float4 a = *(const float4 *)x;
  acc = fmaf(__uint_as_float(q.x), a.x, acc); acc = fmaf(__uint_as_float(q.y), a.y, acc);
  acc = fmaf(__uint_as_float(q.z), a.z, acc); return fmaf(__uint_as_float(q.w), a.w, acc); }
#define FD_STAGE_BYTES FD_GEMV_FLOAT_STAGE_BYTES   /* per warp: two early batches */
/* A row group's state: buffer `cur` holds the first of `ahead` (0..2)
 * batches staged early. */
struct fd_pipe { u32 cur, ahead; };
#define FD_WHOLE_SLICE 0   /* rows always stream */
/* x as the products read it: f32, in order */
typedef const float *fd_xin;
__device__ __forceinline__ u32 fd_xs_bytes(u32 cols) { return 4u * ((cols + FD_GEMV_FLOAT_XS_ROUND - 1) & ~(FD_GEMV_FLOAT_XS_ROUND - 1u)); }
/* The input stage's values into shared memory, once per block. A plain x
 * that one row group per block reads once is read in place (through L1). */
__device__ __forceinline__ fd_xin fd_input(const fd_args &a, unsigned char *smem, bool once) {
  __shared__ float part[32];
  if (FD_INPUT_AS_IS && (((u64)a.x) & 15) == 0 && once) return a.x;
  float *xs = (float *)smem;
  u32 tid = threadIdx.y * blockDim.x + threadIdx.x, nt = blockDim.x * blockDim.y;
  float s = fd_input_scale(a, part, tid, nt);
  for (u32 i = tid; i < a.cols; i += nt) xs[i] = fd_input_at(a, i, s);
  __syncthreads();
  return xs;
}
__device__ __forceinline__ u64 fd_row_stride(const float *, u32 cols) { return cols; }
__device__ __forceinline__ u64 fd_row_stride(const fd_f16 *, u32 cols) { return cols; }
__device__ __forceinline__ u64 fd_row_stride(const fd_bf16 *, u32 cols) { return cols; }
