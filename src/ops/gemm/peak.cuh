/* peak.cuh — the dense f16 tensor-core peak, measured: each warp issues
 * a.iters x 8 independent mma.sync m16n8k16 (f16 inputs, f32 accumulators)
 * on registers, no memory traffic; thread 0 of each block counts its block
 * into y[1] so the host knows the work done whatever the grid; y[0] keeps
 * the sums live. Launched by bench/bench_gemm.c (FD_GEMM_PEAK there), which
 * divides 4096 x 8 x iters x warps by the time.
 *
 * Layer: ops (device code; a benchmark's kernel). */
#define FD_GEMM_OP 0
#define FD_NOUT 1
#include "ops/gemm/common.cuh"
FD_KERNEL(fd_args a) {
  u32 av[4], bv[2];
  float c[8][4];
  _Pragma("unroll") for (int i = 0; i < 4; i++) av[i] = fd_pack2(1e-3f * (threadIdx.x + i), 1e-3f * i);
  _Pragma("unroll") for (int i = 0; i < 2; i++) bv[i] = fd_pack2(1e-3f * (blockIdx.x & 7), 1e-3f * (i + 1));
  _Pragma("unroll") for (int j = 0; j < 8; j++) c[j][0] = c[j][1] = c[j][2] = c[j][3] = 0.0f;
  for (u32 it = 0; it < a.iters; it++)
    _Pragma("unroll") for (int j = 0; j < 8; j++) fd_mma(c[j], av, bv);
  float s = 0.0f;
  _Pragma("unroll") for (int j = 0; j < 8; j++) s += c[j][0] + c[j][1] + c[j][2] + c[j][3];
  if (s == 12345.678f) a.y[0] = s;   /* never: the sums stay live */
  if (threadIdx.x == 0) atomicAdd(&a.y[1], 1.0f);
}
