/* math.cuh — device math written once, for the plain kernels and the fused
 * stages alike: SiLU, and RMSNorm's scale over a block.
 *
 * Layer: ops. */
__device__ __forceinline__ float fd_silu(float x) { return x / (1.0f + expf(-x)); }
/* 1 / sqrt(mean(x[0..n)^2) + eps), computed by the nt threads of a block
 * together (tid: this thread's index; nt a multiple of 32); `part`: 32
 * floats of shared memory. Every thread gets the result. */
__device__ __forceinline__ float fd_rms_scale(const float *x, u32 n, float eps, u32 tid, u32 nt, float *part) {
  float ss = 0.0f;
  for (u32 i = tid; i < n; i += nt) { float v = x[i]; ss += v * v; }
  ss = warp_sum(ss);
  if ((tid & 31) == 0) part[tid >> 5] = ss;
  __syncthreads();
  ss = 0.0f;
  for (u32 w = 0; w < nt / 32; w++) ss += part[w];
  return rsqrtf(ss / (float)n + eps);
}
/* RoPE as transformers computes it: angle = (float)pos * inv_freq[i] (an f32
 * product; inv_freq from fd_rope_inv_freq on the host, passed as a tensor),
 * then the rotate-half pair (x[i], x[i + hd/2]) turned by it, with accurate
 * sin/cos (full range reduction, not the fast intrinsics). */
__device__ __forceinline__ void fd_rope_pair(float lo, float hi, float angle, float *out_lo, float *out_hi) {
  float s, c;
  sincosf(angle, &s, &c);
  *out_lo = lo * c - hi * s;
  *out_hi = hi * c + lo * s;
}
