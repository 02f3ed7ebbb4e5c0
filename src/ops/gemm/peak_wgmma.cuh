/* peak_wgmma.cuh — the dense f16 wgmma peak, measured: one block per
 * multiprocessor, two warpgroups, each issuing a.iters groups of 4
 * wgmma m64n256k16 (f16 inputs from a zeroed 128-byte-swizzled tile, f32
 * accumulators), one group in flight behind the one issued; thread 0 counts
 * its block into y[1]. Launched by bench/bench_gemm.c (FD_GEMM_PEAK_WG,
 * sm_90a), which divides 2 x 64 x 256 x 16 x 4 x iters x 2 per block by the
 * time.
 *
 * Layer: ops (device code; a benchmark's kernel). */
#define FD_GEMM_OP 0
#define FD_NOUT 1
#include "ops/gemm/wgmma.cuh"
extern "C" __global__ void __launch_bounds__(256, 1) FD_NAME(fd_args a) {
  __shared__ __align__(1024) unsigned char tile[64 * 128 + 256 * 128];
  for (u32 i = threadIdx.x; i < sizeof tile / 16; i += blockDim.x) ((float4 *)tile)[i] = make_float4(0.f, 0.f, 0.f, 0.f);
  fd_fence_async_smem();
  __syncthreads();
  const u32 sb = fd_smem_addr(tile);
  float acc[128];
  _Pragma("unroll") for (int i = 0; i < 128; i++) acc[i] = 0.0f;
  for (u32 it = 0; it < a.iters; it++) {
    fd_wg_fence();
    _Pragma("unroll") for (u32 kk = 0; kk < 4; kk++) fd_wgmma<256>(acc, fd_wg_desc(sb + kk * 32), fd_wg_desc(sb + 8192 + kk * 32), 1u);
    fd_wg_commit();
    fd_wg_wait<1>();
  }
  fd_wg_wait<0>();
  float s = 0.0f;
  _Pragma("unroll") for (int i = 0; i < 128; i++) s += acc[i];
  if (s == 12345.678f) a.y[0] = s;   /* never: the sums stay live */
  if (threadIdx.x == 0) atomicAdd(&a.y[1], 1.0f);
}
