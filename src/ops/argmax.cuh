/* argmax.cuh — the index of the largest of x[0, valid): first on ties, NaN
 * never chosen, -1 when every value is NaN.
 *
 * Layer: ops (device code of FD_ARGMAX, ops/tokens.c). Grid B <= 256 blocks
 * of 256 threads (the dispatch's choice, from `valid` only); block b scans a
 * contiguous share (float4 loads where aligned), reduces to one (value,
 * index) pair and writes it to part[2b], part[2b+1] (the value's bits); the
 * last block to take a ticket on count reduces the B pairs into y and resets
 * count to 0 for the next launch or replay. */
#define AM_NONE 0x7fffffff
/* (v, i) beats (w, j): larger, or equal and earlier */
__device__ __forceinline__ bool am_better(float v, int i, float w, int j) { return v > w || (v == w && i < j); }
__device__ __forceinline__ void am_take(float v, int i, float &bv, int &bi) {
  if (v == v && am_better(v, i, bv, bi)) { bv = v; bi = i; } }
__device__ __forceinline__ void am_block(float &bv, int &bi, float *sv, int *si) {
  for (int o = 16; o > 0; o >>= 1) {
    float w = __shfl_xor_sync(0xffffffffu, bv, o);
    int j = __shfl_xor_sync(0xffffffffu, bi, o);
    if (am_better(w, j, bv, bi)) { bv = w; bi = j; }
  }
  const u32 lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  if (lane == 0) { sv[warp] = bv; si[warp] = bi; }
  __syncthreads();
  if (warp == 0) {
    bv = lane < blockDim.x / 32 ? sv[lane] : __int_as_float(0xff800000u);
    bi = lane < blockDim.x / 32 ? si[lane] : AM_NONE;
    for (int o = 16; o > 0; o >>= 1) {
      float w = __shfl_xor_sync(0xffffffffu, bv, o);
      int j = __shfl_xor_sync(0xffffffffu, bi, o);
      if (am_better(w, j, bv, bi)) { bv = w; bi = j; }
    }
  }
}
/* The block's best (value, index) of x[lo, hi) into bv, bi of thread 0
 * (float4 loads where x + lo is 16-byte aligned). */
__device__ __forceinline__ void am_share(const float *x, u32 lo, u32 hi, float &bv, int &bi, float *sv, int *si) {
  bv = __int_as_float(0xff800000u);
  bi = AM_NONE;
  if (((u64)(x + lo) & 15) == 0) {
    u32 i = lo + threadIdx.x * 4;
    for (; i + 3 < hi; i += blockDim.x * 4) {
      const float4 v = *(const float4 *)(x + i);
      am_take(v.x, i, bv, bi); am_take(v.y, i + 1, bv, bi); am_take(v.z, i + 2, bv, bi); am_take(v.w, i + 3, bv, bi);
    }
    for (u32 k = lo + ((hi - lo) & ~3u); k < hi; k++)   /* the share's tail (the last share) */
      if (threadIdx.x == 0) am_take(x[k], k, bv, bi);
  } else {
    for (u32 i = lo + threadIdx.x; i < hi; i += blockDim.x) am_take(x[i], i, bv, bi);
  }
  am_block(bv, bi, sv, si);
}
/* The best of the B pairs in part into y[0] (-1: every value NaN). */
__device__ __forceinline__ void am_final(const fd_args &a, u32 B, float *sv, int *si) {
  float bv = __int_as_float(0xff800000u);
  int bi = AM_NONE;
  const volatile int *pv = a.part;                    /* other blocks' pairs: volatile loads, past L1 */
  for (u32 k = threadIdx.x; k < B; k += blockDim.x) {
    const float w = __int_as_float(pv[2 * k]);
    const int j = pv[2 * k + 1];
    if (j != AM_NONE && am_better(w, j, bv, bi)) { bv = w; bi = j; }
  }
  __syncthreads();
  am_block(bv, bi, sv, si);
  if (threadIdx.x == 0) a.y[0] = bi == AM_NONE ? -1 : bi;
}
FD_KERNEL(fd_args a) {
  __shared__ float sv[32];
  __shared__ int si[32];
  __shared__ int last;
  const u32 B = gridDim.x, b = blockIdx.x, nv = a.valid;
  const u32 per = ((nv + B - 1) / B + 3) & ~3u;        /* a multiple of 4: shares start 16-byte aligned */
  const u32 lo = min(nv, b * per), hi = min(nv, lo + per);
  float bv;
  int bi;
  fd_pdl_wait();
  am_share(a.x, lo, hi, bv, bi, sv, si);
  if (threadIdx.x == 0) {
    a.part[2 * b] = __float_as_int(bv);
    a.part[2 * b + 1] = bi;
    __threadfence();
    last = atomicAdd(a.count, 1) == (int)B - 1;
  }
  __syncthreads();
  if (!last) return;
  __threadfence();
  am_final(a, B, sv, si);
  if (threadIdx.x == 0) a.count[0] = 0;
}
