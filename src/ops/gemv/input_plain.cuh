/* input_plain.cuh — input stage: x as given.
 *
 * Layer: ops (device code of the GEMV family; see ops/gemv/family.c). */
__device__ __forceinline__ const float *fd_input(const fd_args &a, float *xs, bool once) {
  /* one row group per block: x is read once, in place (through L1), rather
   * than staged first; a block that loops over row groups stages it */
  if (FD_X_DIRECT && (((u64)a.x) & 15) == 0 && once) return a.x;
  u32 tid = threadIdx.y * blockDim.x + threadIdx.x, nt = blockDim.x * blockDim.y;
  u32 vec = (((u64)a.x) & 15) == 0 ? a.cols / 4 * 4 : 0;   /* copied as float4 */
  for (u32 i = tid; 4 * i < vec; i += nt) *(float4 *)(xs + fd_xs_index(4 * i)) = ((const float4 *)a.x)[i];
  for (u32 i = vec + tid; i < a.cols; i += nt) xs[fd_xs_index(i)] = a.x[i];
  __syncthreads();
  return xs;
}
