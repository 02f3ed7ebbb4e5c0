/* input_rmsnorm.cuh — input stage: RMSNorm(x) * norm_w. fd_input_scale is
 * the block-wide reduction (every thread calls it; `part`: 32 floats of
 * shared memory), fd_input_at value i; the policy's fd_input stores them
 * once per block in its layout (f32, or quantized to int8 blocks).
 *
 * Layer: ops (device code of the GEMV family; see ops/gemv/family.c). */
#include "ops/math.cuh"
#define FD_INPUT_AS_IS 0
__device__ __forceinline__ float fd_input_scale(const fd_args &a, float *part, u32 tid, u32 nt) {
  return fd_rms_scale(a.x, a.cols, a.eps, tid, nt, part); }
__device__ __forceinline__ float fd_input_at(const fd_args &a, u32 i, float scale) {
  return a.x[i] * scale * a.norm_w[i]; }
