/* input_plain.cuh — input stage: x as given. The policy's fd_input stores
 * fd_input_at(a, i, scale) for every i in its layout (f32, or quantized to
 * int8 blocks), after every thread called fd_input_scale.
 *
 * Layer: ops (device code of the GEMV family; see ops/gemv/family.c). */
#define FD_INPUT_AS_IS 1   /* x itself: a float policy may read it in place */
__device__ __forceinline__ float fd_input_scale(const fd_args &a, float *part, u32 tid, u32 nt) {
  (void)a; (void)part; (void)tid; (void)nt;
  return 1.0f; }
__device__ __forceinline__ float fd_input_at(const fd_args &a, u32 i, float scale) { (void)scale; return a.x[i]; }
