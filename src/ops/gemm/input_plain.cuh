/* input_plain.cuh — GEMM input stage: x as given (each row's scale is 1).
 *
 * Layer: ops (device code of the GEMM family; see ops/gemm/family.c). */
#define FD_GEMM_RMS 0
/* x[m, k..k+3] as staged for the product */
__device__ __forceinline__ float4 fd_x_in(const fd_args &, u32, float4 v) { return v; }
