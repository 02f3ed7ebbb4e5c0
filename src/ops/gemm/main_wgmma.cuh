/* main_wgmma.cuh — the GEMM family's main stage on Hopper (sm_90a): y =
 * epilogue(scale * x W^T) with wgmma (f16 / bf16 operands, f32
 * accumulators), the weights loaded by TMA, a warp-specialised pipeline.
 *
 * Layer: ops (device code of the GEMM family's Hopper members; see
 * ops/gemm/wgmma.c). Legend: a BM x BN tile (layout.cuh), k-tiles of 64, S
 * slots; slot s holds x's tile (BM rows of 128 bytes) and the weights' (BN
 * rows), both in the 128-byte swizzle (16-byte chunk c of row r at chunk
 * c ^ (r % 8)), as TMA writes it and wgmma's descriptors read it.
 *   warpgroup 0, the producer, per k-tile: loads x as f32 (all 128
 *     threads, into registers); waits for the slot's empty barrier; thread 0
 *     announces the weight bytes on the full barrier and issues the TMA loads
 *     (tile2: gate rows, then up rows, BN / 2 each); all 128 threads apply
 *     the input stage to x (RMSNorm's norm_w; the rows' sums of squares
 *     gathered on the way), round to the operand type and write the
 *     swizzled tile; fence.proxy.async (generic writes before the async proxy
 *     reads them); arrive on the full barrier.
 *   warpgroups 1 and 2, the consumers, 64 rows each: wait for the full
 *     barrier, 4 wgmma m64nBNk16 (one per k16 slice: the descriptor's start
 *     address advances 32 bytes in the row), commit, wait until one group is
 *     pending — the previous k-tile's — and release that slot (lane 0 of
 *     each consumer warp: 8 arrivals).
 * The barriers' phases: slot s's i-th use (i = k-tile / S) waits for parity
 * i & 1 (full) or (i & 1) ^ 1 (empty: a fresh barrier counts parity 1 as
 * done, so the first S k-tiles find their slots free). Split-K (gridDim.z
 * blocks per tile, each k-tiles [nk z / sp, nk (z + 1) / sp)): each block
 * writes its accumulators and partial sums of squares to the workspace; the
 * last to arrive on the tile's counter sums the splits in split order (the
 * same order whichever block is last: deterministic), sets the counter back
 * to 0 and applies the epilogue. */
#include "ops/gemm/wgmma.cuh"
/* The parameters after fd_args (layout.cuh's FD_GEMM_WG_TAIL_* offsets):
 * weight tensor maps (tw1: SwiGLU's up rows), the split-K workspace, BN and
 * the split count. */
struct fd_wg_tail { fd_tmap tw0, tw1; u64 ws; u32 bn, splits; };
struct fd_wg_params { fd_args a; fd_wg_tail t; };

template <int BN, int S>
__device__ __forceinline__ void fd_wg_produce(const fd_wg_params &p, unsigned char *smem, u32 sb, u32 k0, u32 k1,
                                              float *rs) {
  constexpr u32 BM = FD_GEMM_WG_BM, ST = BM * 128 + BN * 128;
  const fd_args &a = p.a;
  const u32 t = threadIdx.x & 127, c4 = t & 15, bx = blockIdx.x, m0 = blockIdx.y * BM;
  const u32 full = sb + S * ST, empty = full + 8 * S;
  for (u32 kt = k0; kt < k1; kt++) {
    const u32 i = kt - k0, s = i % S;
    /* x: 16 threads a row (16 float4 = 64 values), 8 rows per pass; every
     * load first, so all 16 are in flight together (the stores below could
     * alias them as far as the compiler knows), and before the wait for the
     * slot, which they do not touch */
    const u32 k = kt * FD_GEMM_WG_BK + c4 * 4;
    float4 xv[BM / 8];
    _Pragma("unroll") for (u32 j = 0; j < BM / 8; j++) {
      const u32 m = m0 + (t >> 4) + 8 * j;
      xv[j] = make_float4(0.0f, 0.0f, 0.0f, 0.0f);
      if (m < a.M && k < a.K) xv[j] = *(const float4 *)(a.x + (u64)m * a.K + k);
    }
    fd_mbar_wait(empty + 8 * s, ((i / S) & 1) ^ 1);
    if (t == 0) {
      const u32 bar = full + 8 * s, w = sb + s * ST + BM * 128;
      fd_mbar_arrive_tx(bar, BN * 128);
#if FD_NOUT == 2
      fd_tma_load2(w, &p.t.tw0, (int)(kt * FD_GEMM_WG_BK), (int)(bx * (BN / 2)), bar);
      fd_tma_load2(w + BN * 64, &p.t.tw1, (int)(kt * FD_GEMM_WG_BK), (int)(bx * (BN / 2)), bar);
#else
      fd_tma_load2(w, &p.t.tw0, (int)(kt * FD_GEMM_WG_BK), (int)(bx * BN), bar);
#endif
    }
    unsigned char *xs = smem + s * ST;
    _Pragma("unroll") for (u32 j = 0; j < BM / 8; j++) {
      const u32 r = (t >> 4) + 8 * j;
      float4 v = xv[j];
#if FD_GEMM_RMS
      float q = v.x * v.x + v.y * v.y + v.z * v.z + v.w * v.w;
      q += __shfl_xor_sync(0xffffffffu, q, 1);
      q += __shfl_xor_sync(0xffffffffu, q, 2);
      q += __shfl_xor_sync(0xffffffffu, q, 4);
      q += __shfl_xor_sync(0xffffffffu, q, 8);
      if (c4 == 0) rs[r] += q;   /* always this thread for row r: no barrier */
#endif
      if (k < a.K) v = fd_x_in(a, k, v);
      *(uint2 *)(xs + r * 128 + ((((c4 >> 1) ^ (r & 7u)) << 4) | ((c4 & 1u) << 3))) =
          make_uint2(fd_pack2(v.x, v.y), fd_pack2(v.z, v.w));
    }
    fd_fence_async_smem();
    fd_mbar_arrive(full + 8 * s);
  }
  (void)rs;
}

template <int BN, int S>
__device__ __forceinline__ void fd_wg_consume(u32 sb, u32 k0, u32 k1, float *acc) {
  constexpr u32 BM = FD_GEMM_WG_BM, ST = BM * 128 + BN * 128;
  const u32 c = (threadIdx.x >> 7) - 1, lane = threadIdx.x & 31;
  const u32 full = sb + S * ST, empty = full + 8 * S;
  for (u32 kt = k0; kt < k1; kt++) {
    const u32 i = kt - k0, s = i % S;
    fd_mbar_wait(full + 8 * s, (i / S) & 1);
    const u32 xa = sb + s * ST + c * 64 * 128, wa = sb + s * ST + BM * 128;
    fd_wg_fence();
    _Pragma("unroll") for (u32 kk = 0; kk < FD_GEMM_WG_BK / 16; kk++)
      fd_wgmma<BN>(acc, fd_wg_desc(xa + kk * 32), fd_wg_desc(wa + kk * 32), 1u);
    fd_wg_commit();
    fd_wg_wait<1>();
    if (i > 0 && lane == 0) fd_mbar_arrive(empty + 8 * ((i - 1) % S));
  }
  fd_wg_wait<0>();
}

/* Split-K: this block's partial tile to the workspace; 1 if it arrived last,
 * with acc and rs then holding the sums over the splits in split order. */
template <int BN>
__device__ __forceinline__ bool fd_wg_reduce(const fd_wg_params &p, float *acc, float *rs, u32 *last) {
  constexpr u32 NA = BN / 2, PART = FD_GEMM_WG_PART(BN);
  const u32 tid = threadIdx.x, sp = p.t.splits, tile = blockIdx.y * gridDim.x + blockIdx.x;
  float *part = (float *)(p.t.ws + FD_GEMM_WG_COUNTERS * 4) + (u64)tile * sp * PART;
  float *mine = part + (u64)blockIdx.z * PART;
  if (tid >= 128)
    _Pragma("unroll") for (u32 i = 0; i < NA; i += 4)
      *(float4 *)(mine + (tid - 128) * NA + i) = make_float4(acc[i], acc[i + 1], acc[i + 2], acc[i + 3]);
  else
    mine[256 * NA + tid] = rs[tid];
  __threadfence();
  __syncthreads();
  if (tid == 0) {
    u32 *cnt = (u32 *)p.t.ws + tile;
    *last = atomicAdd(cnt, 1u) == sp - 1;
    if (*last) *cnt = 0;   /* every split has arrived: ready for the next launch */
  }
  __syncthreads();
  if (!*last) return false;
  __threadfence();
  if (tid >= 128) {
    _Pragma("unroll") for (u32 i = 0; i < NA; i++) acc[i] = 0.0f;
    for (u32 z = 0; z < sp; z++)
      _Pragma("unroll") for (u32 i = 0; i < NA; i++) acc[i] += fd_ld_cg(part + (u64)z * PART + (tid - 128) * NA + i);
  } else {
    float ss = 0.0f;
    for (u32 z = 0; z < sp; z++) ss += fd_ld_cg(part + (u64)z * PART + 256 * NA + tid);
    rs[tid] = ss;
  }
  return true;
}

template <int BN>
__device__ __forceinline__ void fd_wg_tile(const fd_wg_params &p, unsigned char *smem) {
  constexpr u32 BM = FD_GEMM_WG_BM, S = FD_GEMM_WG_STAGES(BN), ST = BM * 128 + BN * 128, OUT = BN / FD_NOUT;
  const fd_args &a = p.a;
  const u32 tid = threadIdx.x, wg = tid >> 7;
  u32 sb = fd_smem_addr(smem);
  const u32 pad = (1024u - (sb & 1023u)) & 1023u;   /* the swizzle needs 1024-byte aligned tiles */
  smem += pad;
  sb += pad;
  const u32 full = sb + S * ST, empty = full + 8 * S;
  float *rs = (float *)(smem + S * ST + 16 * S);
  u32 *last = (u32 *)(rs + BM);
  const u32 nk = (a.K + FD_GEMM_WG_BK - 1) / FD_GEMM_WG_BK, sp = p.t.splits, z = blockIdx.z;
  const u32 k0 = nk * z / sp, k1 = nk * (z + 1) / sp;
  if (tid == 0) {
    for (u32 s = 0; s < S; s++) {
      fd_mbar_init(full + 8 * s, 129);   /* 128 producer threads + the arrival announcing the TMA bytes */
      fd_mbar_init(empty + 8 * s, 8);    /* lane 0 of each consumer warp */
    }
    fd_mbar_init_fence();
  }
  if (tid < BM) rs[tid] = 0.0f;
  __syncthreads();
  float acc[BN / 2];
  if (wg == 0) {
    fd_wg_produce<BN, S>(p, smem, sb, k0, k1, rs);
  } else {
    _Pragma("unroll") for (u32 i = 0; i < BN / 2; i++) acc[i] = 0.0f;
    fd_wg_consume<BN, S>(sb, k0, k1, acc);
  }
  __syncthreads();
  if (sp > 1 && !fd_wg_reduce<BN>(p, acc, rs, last)) return;
#if FD_GEMM_RMS
  if (tid < BM) rs[tid] = fd_x_scale(a, rs[tid]);
  __syncthreads();
#endif
  if (wg == 0) return;
  const u32 c = wg - 1, w = (tid >> 5) & 3, g = (tid & 31) >> 2, q = tid & 3, m0 = blockIdx.y * BM;
  _Pragma("unroll") for (u32 h = 0; h < 2; h++) {
    const u32 r = c * 64 + w * 16 + g + 8 * h, m = m0 + r;
    if (m >= a.M) continue;
    const float sc = FD_GEMM_RMS ? rs[r] : 1.0f;
    _Pragma("unroll") for (u32 j = 0; j < OUT / 8; j++)
      _Pragma("unroll") for (u32 e = 0; e < 2; e++) {
        const u32 n = blockIdx.x * OUT + 8 * j + 2 * q + e;
        float v[2] = { acc[4 * j + 2 * h + e] * sc, FD_NOUT == 2 ? acc[4 * (j + OUT / 8) + 2 * h + e] * sc : 0.0f };
        if (n < a.N) fd_epi(a, m, n, v);
      }
  }
}

#ifndef FD_WG_NO_ENTRY   /* tools/cuemu calls fd_wg_tile itself */
extern "C" __global__ void __launch_bounds__(FD_GEMM_WG_THREADS, 1) FD_NAME(const __grid_constant__ fd_wg_params p) {
  extern __shared__ __align__(1024) unsigned char fd_wg_smem[];
  if (p.t.bn == 256) fd_wg_tile<256>(p, fd_wg_smem);
  else fd_wg_tile<128>(p, fd_wg_smem);
}
#endif
