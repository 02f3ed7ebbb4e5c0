/* quant_policy.cuh — the quantized weight policy on the int8 activation
 * contract (quant_x.cuh), for the policy_<dtype>.cuh file that includes it
 * after defining FD_W (the block type), FD_BB (bytes per block) and
 * fd_block_dot (one 32-value unit times x's int8 block); FD_QK, the values
 * per weight block, is 32 unless the policy defines it (256: the K-quants'
 * super-blocks, FD_QK / 32 units each, fd_block_dot given the unit's index).
 *
 * Layer: ops (device code of the GEMV family; see ops/gemv/family.c). */
/* Units: 32 values of a row, x's int8 block's span; a weight block holds
 * FD_QU of them (1, or 8 for a 256-value super-block). A chunk of 32 units
 * is 32 / FD_QU whole weight blocks, contiguous bytes: staging works on
 * units and bytes as for 32-value blocks, and with FD_QU = 1 every division
 * and remainder by it folds away (the 32-value policies compile as before).
 * A warp takes its row in chunks of 32 units; lane l takes unit l of a
 * chunk whole: fd_block_dot with x's words of that block (consecutive
 * across lanes: conflict-free) and its (d, s). Chunks are staged with
 * cp.async into two buffers per warp, in the order the warp computes them
 * (this row's, then the first of its next row, `next`), so one is in
 * flight while the other is computed; fd_row_begin stages the first two
 * before the kernel waits for its predecessor. fd_dot_smem reads a row the
 * main staged whole. */
#include "ops/gemv/quant_units.cuh"
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
    fd_stage_async(stage + ((pipe.cur + pipe.ahead) & 1) * (FD_STAGE_BYTES / 2), src + FD_UNIT_BYTES(c),
                   (u32)FD_UNIT_BYTES(nb - c < 32 ? nb - c : 32), lane);
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
      const unsigned char *blk = buf + (((u64)rb + FD_UNIT_BYTES(c0)) & 15) + lane / FD_QU * FD_BB;
      acc += FD_X_DOT(blk, lane % FD_QU, x, cols, c0 + lane);
    }
    __syncwarp();
    pipe.cur ^= 1;
    pipe.ahead--;
  }
  return acc;
}
