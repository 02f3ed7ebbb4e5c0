/* quant_policy.cuh — the quantized weight policy on the int8 activation
 * contract (quant_x.cuh), for the policy_<dtype>.cuh file that includes it
 * after defining FD_W (the block type), FD_BB (bytes per block) and
 * fd_block_dot (one block times x's int8 block).
 *
 * Layer: ops (device code of the GEMV family; see ops/gemv/family.c). */
/* A warp takes its row in chunks of 32 blocks; lane l takes block l of a
 * chunk whole: fd_block_dot with x's words of that block (consecutive
 * across lanes: conflict-free) and its (d, s). Chunks are staged with
 * cp.async into two buffers per warp, in the order the warp computes them
 * (this row's, then the first of its next row, `next`), so one is in
 * flight while the other is computed; fd_row_begin stages the first two
 * before the kernel waits for its predecessor. fd_dot_smem reads a row the
 * main staged whole. */
#include "ops/gemv/quant_staging.cuh"
/* Stages the chunks this warp computes from chunk c0 of row `rb` on until
 * two are in flight: chunk c0 itself, then this row's next or `next`'s first. */
__device__ __forceinline__ void fd_stage_ahead(const unsigned char *rb, const void *next, u32 c0, u32 nb, u32 lane,
                                               u32 warp, u32 nw, unsigned char *stage, fd_pipe &pipe) {
  for (; pipe.ahead < 2; pipe.ahead++) {
    u32 c = c0 + pipe.ahead * nw * 32;
    const unsigned char *src = c < nb ? rb : (const unsigned char *)next;
    if (c >= nb) c = warp * 32;
    if (!src || c >= nb) return;
    fd_stage_async(stage + ((pipe.cur + pipe.ahead) & 1) * (FD_STAGE_BYTES / 2), src + (u64)c * FD_BB,
                   (nb - c < 32 ? nb - c : 32) * FD_BB, lane);
  }
}
__device__ __forceinline__ void fd_row_begin(const void *row, const void *next, u32 cols, u32 t, u32 tpr,
                                             unsigned char *stage, fd_pipe &pipe) {
  u32 nb = cols / 32, warp = t >> 5;
  if (warp * 32 < nb)
    fd_stage_ahead((const unsigned char *)row, next, warp * 32, nb, t & 31, warp, tpr >> 5, stage, pipe);
}
__device__ __forceinline__ float fd_dot_row(const FD_W *row, const void *next, fd_xin x, u32 cols, u32 t, u32 tpr,
                                           unsigned char *stage, fd_pipe &pipe) {
  u32 nb = cols / 32, lane = t & 31, warp = t >> 5, nw = tpr >> 5;
  const unsigned char *rb = (const unsigned char *)row;
  float acc = 0.0f;
  for (u32 c0 = warp * 32; c0 < nb; c0 += nw * 32) {
    u32 n = nb - c0 < 32 ? nb - c0 : 32;
    const unsigned char *buf = stage + pipe.cur * (FD_STAGE_BYTES / 2);
    fd_stage_ahead(rb, next, c0, nb, lane, warp, nw, stage, pipe);
    if (pipe.ahead > 1) asm volatile("cp.async.wait_group 1;" ::: "memory");
    else asm volatile("cp.async.wait_group 0;" ::: "memory");
    __syncwarp();
    if (lane < n) {
      const unsigned char *blk = buf + (((u64)rb + (u64)c0 * FD_BB) & 15) + lane * FD_BB;
      acc += fd_block_dot(blk, fd_x_words(x, c0 + lane), fd_x_scale(x, cols, c0 + lane));
    }
    __syncwarp();
    pipe.cur ^= 1;
    pipe.ahead--;
  }
  return acc;
}
/* A row held whole in shared memory (the whole-slice path): lane l of the
 * row group takes blocks l, l + T, ... */
__device__ __forceinline__ float fd_dot_smem(const unsigned char *row, fd_xin x, u32 cols, u32 t, u32 tpr) {
  float acc = 0.0f;
  for (u32 b = t; b < cols / 32; b += tpr) acc += fd_block_dot(row + b * FD_BB, fd_x_words(x, b), fd_x_scale(x, cols, b));
  return acc;
}
