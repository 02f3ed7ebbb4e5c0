/* input_rmsnorm.cuh — GEMM input stage: RMSNorm(x) * norm_w. The main stages
 * x * norm_w and sums each row's squares as its tiles pass (a block sees its
 * rows whole, over all of K); the products are multiplied by the row's
 * 1 / rms before the epilogue, so no pass over x comes first.
 *
 * Layer: ops (device code of the GEMM family; see ops/gemm/family.c). */
#define FD_GEMM_RMS 1
__device__ __forceinline__ float4 fd_x_in(const fd_args &a, u32 k, float4 v) {
  float4 w = *(const float4 *)(a.norm_w + k);
  return make_float4(v.x * w.x, v.y * w.y, v.z * w.z, v.w * w.w);
}
/* the row's scale from its sum of squares */
__device__ __forceinline__ float fd_x_scale(const fd_args &a, float ss) { return rsqrtf(ss / (float)a.K + a.eps); }
