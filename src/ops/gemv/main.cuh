/* main.cuh — the GEMV main stage: 1..3 products per row (FD_NOUT), whole
 * slice or streamed; the entry point.
 *
 * Layer: ops (device code of the GEMV family; see ops/gemv/family.c). */
#include "ops/gemv/layout.cuh"
/* One body for 1..3 products per row (FD_NOUT). Each row group (blockDim.x
 * threads) computes its row's products, reduces them, and thread 0 hands
 * them to the epilogue. Shared memory: x (fd_xs_bytes: f32, or int8 blocks
 * for the quantized policies' int8 products — quant_x.cuh), the weights, then
 * the cross-warp sums (8 warps x 3). The weights go one of two ways:
 *   whole slice  when the dispatch gives the block other than the shared
 *                memory streaming takes (it does for a small quantized GEMV:
 *                room for the slice, never exactly that size), block b takes
 *                rows [S b, S b + S) with S = ceil(rows / blocks), copies
 *                those rows of every product with cp.async before it waits
 *                for its predecessor, and computes from shared memory: a
 *                small GEMV's weights are one DRAM round trip that overlaps
 *                the kernel before it, and a row costs only its dot product.
 *   streamed     otherwise row groups take rows b, b + blocks, ... and each
 *                warp streams its rows through FD_STAGE_BYTES of staging
 *                (fd_row_begin, fd_dot_row); before the wait it starts its
 *                first row and prefetches the rest of it into L2.
 * A programmatic dependent launch of this kernel happens only when its
 * weights are read-only (gemv_dispatch), so no kernel still running writes
 * what it reads before the wait. The next kernel may launch only once this
 * one has passed its wait, so at most two kernels overlap. */
#if defined(FD_MIN_BLOCKS) && !defined(FD_MEMBERS)   /* a policy may ask for blocks per multiprocessor (registers) */
#undef FD_KERNEL
#define FD_KERNEL extern "C" __global__ void __launch_bounds__(FD_MAX_BLOCK, FD_MIN_BLOCKS) FD_NAME
#endif
/* The row group's thread and the group (FD_TX of FD_TPR, FD_TY of FD_RPB):
 * the block's x and y, unless a persistent kernel's member (a linear block
 * of warps) defines them before this file. */
#ifndef FD_TX
#define FD_TX threadIdx.x
#define FD_TY threadIdx.y
#define FD_TPR blockDim.x
#define FD_RPB blockDim.y
#endif
/* row j of product i, or NULL past its rows */
__device__ __forceinline__ const void *fd_row(const fd_args &a, int i, u32 j) {
  if (i == 0) return j < a.rows0 ? a.w0 + (u64)j * fd_row_stride(a.w0, a.cols) : 0;
#if FD_NOUT > 1
  if (i == 1) return j < a.rows1 ? a.w1 + (u64)j * fd_row_stride(a.w1, a.cols) : 0;
#endif
#if FD_NOUT > 2
  if (i == 2) return j < a.rows2 ? a.w2 + (u64)j * fd_row_stride(a.w2, a.cols) : 0;
#endif
  return 0;
}
__device__ __forceinline__ u32 fd_rows(const fd_args &a, int i) {
  return i == 0 ? a.rows0 : FD_NOUT > 1 && i == 1 ? a.rows1 : FD_NOUT > 2 && i == 2 ? a.rows2 : 0;
}
/* the row this row group reads after product i of row j (rows below r1): the policy stages it early */
__device__ __forceinline__ const void *fd_next_row(const fd_args &a, int i, u32 j, u32 step, u32 r1) {
  for (int k = i + 1; k < FD_NOUT; k++) if (fd_row(a, k, j)) return fd_row(a, k, j);
  if (j + step >= r1) return 0;
  for (int k = 0; k < FD_NOUT; k++) if (fd_row(a, k, j + step)) return fd_row(a, k, j + step);
  return 0;
}
__device__ __forceinline__ void fd_prefetch_row(const fd_args &a, u32 j) {
  for (int i = 0; i < FD_NOUT; i++) {
    const void *r = fd_row(a, i, j);
    if (r) fd_prefetch_l2(r, fd_row_stride(a.w0, a.cols) * sizeof *a.w0);
  }
}
/* Sums each product over the row group (warp shuffles, then through `red`
 * when a row spans warps): thread 0 of the group ends with the totals. Every
 * thread of the block calls it together. */
__device__ __forceinline__ void fd_group_sum(float *v, u32 t, u32 tpr, u32 wid, float *red) {
  for (int i = 0; i < FD_NOUT; i++) v[i] = warp_sum(v[i]);
  if (tpr > 32) {
    if ((t & 31) == 0) for (int i = 0; i < FD_NOUT; i++) red[wid * 3 + i] = v[i];
    __syncthreads();
    if (t == 0) for (int i = 0; i < FD_NOUT; i++) {
      v[i] = 0.0f;
      for (u32 w = 0; w < tpr / 32; w++) v[i] += red[(FD_TY * (tpr / 32) + w) * 3 + i];
    }
    __syncthreads();
  }
}
/* Rows [r0, r1) of every product held in shared memory: product i's rows from ws + i * region on, each row rb
 * bytes, the first at row r0's offset in its 16-byte window (the policy's fd_dot_smem). The whole-slice path
 * below, and the persistent kernel's weight ring (ops/persist/gemv_range.cuh) a chunk at a time. Every thread
 * of the block calls it together. */
__device__ __forceinline__ void fd_rows_smem(const fd_args &a, fd_xin x, const unsigned char *ws, u32 region, u64 rb,
                                             u32 r0, u32 r1, float *red) {
  u32 t = FD_TX, tpr = FD_TPR, rpb = FD_RPB, wid = (FD_TY * tpr + t) >> 5;
  for (u32 base = r0; base < r1; base += rpb) {
    u32 j = base + FD_TY;
    float v[3] = { 0.0f, 0.0f, 0.0f };
    for (int i = 0; i < FD_NOUT; i++)
      if (j < r1 && j < fd_rows(a, i))   /* row r0's offset mod 16 recomputed, not kept: 40 registers */
        v[i] = fd_dot_smem(ws + i * region + ((u32)(u64)fd_row(a, i, r0) & 15) + (j - r0) * (u32)rb, x, a.cols, t, tpr);
    fd_group_sum(v, t, tpr, wid, red);
    if (t == 0 && j < r1) fd_epilogue(a, j, v);
  }
}
#if FD_WHOLE_SLICE
__device__ __forceinline__ u32 fd_dynamic_smem() { u32 n; asm("mov.u32 %0, %%dynamic_smem_size;" : "=r"(n)); return n; }
/* The whole-slice path: rows [r0, r0 + S) of every product. */
__device__ __forceinline__ void fd_gemv_slice(const fd_args &a, unsigned char *xs, unsigned char *ws, u32 S,
                                              u32 nmax, u64 rb) {
  u32 t = FD_TX, tpr = FD_TPR, rpb = FD_RPB;
  u32 tid = FD_TY * tpr + t, nt = tpr * rpb;
  u32 r0 = blockIdx.x * S, r1 = r0 + S < nmax ? r0 + S : nmax;
  u32 region = (u32)((S * rb + 31) & ~15ull);   /* product i's rows land at ws + i * region */
  float *red = (float *)(ws + FD_NOUT * region);
  u64 sa;
  asm volatile("cvta.to.shared.u64 %0, %1;" : "=l"(sa) : "l"((u64)ws));
  for (int i = 0; i < FD_NOUT; i++) {
    u32 e = r1 < fd_rows(a, i) ? r1 : fd_rows(a, i);
    if (r0 >= e) continue;
    u64 src = (u64)fd_row(a, i, r0), lo = src & ~15ull, n = (src + (e - r0) * rb + 15 - lo) / 16, g;
    asm volatile("cvta.to.global.u64 %0, %1;" : "=l"(g) : "l"(lo));
    for (u32 k = tid; k < n; k += nt) fd_cp16_at((u32)sa + i * region + 16 * k, g + 16ull * k);
  }
  fd_cp_commit();
  fd_pdl_wait();
  fd_pdl_launch();
  fd_xin x = fd_input(a, xs, S <= rpb);
  asm volatile("cp.async.wait_all;" ::: "memory");
  __syncthreads();
  fd_rows_smem(a, x, ws, region, rb, r0, r1, red);
}
#endif
/* The streamed path, in two parts so that a persistent kernel's member
 * (ops/persist/) runs them over its own rows: fd_gemv_begin starts row group
 * j0's first row (staging, and the rest of it into L2), fd_gemv_rows
 * computes rows [r0, r1) of every product, row group g of virtual block vb
 * of nvb taking rows r0 + vb rpb + g, then every nvb rpb on. */
__device__ __forceinline__ void fd_gemv_begin(const fd_args &a, u32 j0, u32 step, u32 r1, unsigned char *stage,
                                              fd_pipe &pipe) {
  for (int i = 0; i < FD_NOUT; i++)
    if (fd_row(a, i, j0)) {
      fd_row_begin(fd_row(a, i, j0), fd_next_row(a, i, j0, step, r1), a.cols, FD_TX, FD_TPR, stage, pipe);
      break;
    }
  if (FD_TX == 0) fd_prefetch_row(a, j0);
}
__device__ __forceinline__ void fd_gemv_rows(const fd_args &a, fd_xin x, u32 r0, u32 r1, u32 vb, u32 nvb,
                                             unsigned char *stage, float *red, fd_pipe &pipe) {
  u32 t = FD_TX, tpr = FD_TPR, rpb = FD_RPB, step = nvb * rpb;
  u32 wid = (FD_TY * tpr + t) >> 5;
  for (u32 base = r0 + vb * rpb; base < r1; base += step) {
    u32 j = base + FD_TY;
    float v[3] = { 0.0f, 0.0f, 0.0f };
    if (j < r1 && j < a.rows0) v[0] = fd_dot_row(a.w0 + (u64)j * fd_row_stride(a.w0, a.cols), fd_next_row(a, 0, j, step, r1), x, a.cols, t, tpr, stage, pipe);
#if FD_NOUT > 1
    if (j < r1 && j < a.rows1) v[1] = fd_dot_row(a.w1 + (u64)j * fd_row_stride(a.w1, a.cols), fd_next_row(a, 1, j, step, r1), x, a.cols, t, tpr, stage, pipe);
#endif
#if FD_NOUT > 2
    if (j < r1 && j < a.rows2) v[2] = fd_dot_row(a.w2 + (u64)j * fd_row_stride(a.w2, a.cols), fd_next_row(a, 2, j, step, r1), x, a.cols, t, tpr, stage, pipe);
#endif
    fd_group_sum(v, t, tpr, wid, red);
    if (t == 0 && j < r1) fd_epilogue(a, j, v);
  }
}
FD_KERNEL(fd_args a) {
  extern __shared__ float4 fd_smem4[];
  unsigned char *xs = (unsigned char *)fd_smem4;
  unsigned char *ws = xs + fd_xs_bytes(a.cols);
  u32 t = FD_TX, tpr = FD_TPR, rpb = FD_RPB, step = gridDim.x * rpb;
  u32 wid = (FD_TY * tpr + t) >> 5;
  u32 nmax = a.rows0;
  if (FD_NOUT > 1 && a.rows1 > nmax) nmax = a.rows1;
  if (FD_NOUT > 2 && a.rows2 > nmax) nmax = a.rows2;
#if FD_WHOLE_SLICE
  if (fd_dynamic_smem() != (u32)(ws - xs) + 8 * FD_STAGE_BYTES + FD_GEMV_RED_BYTES) {
    fd_gemv_slice(a, xs, ws, (nmax + gridDim.x - 1) / gridDim.x, nmax, fd_row_stride(a.w0, a.cols) * sizeof *a.w0);
    return;
  }
#endif
  unsigned char *stage = ws + wid * FD_STAGE_BYTES;
  float *red = (float *)(ws + 8 * FD_STAGE_BYTES);
  fd_pipe pipe = {};
  fd_gemv_begin(a, blockIdx.x * rpb + FD_TY, step, nmax, stage, pipe);
  fd_pdl_wait();
  fd_pdl_launch();
  fd_xin x = fd_input(a, xs, step >= nmax);
  fd_gemv_rows(a, x, 0, nmax, blockIdx.x, gridDim.x, stage, red, pipe);
}
