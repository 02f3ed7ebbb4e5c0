/* quant_units.cuh — the quantized policies' 32-value units, the part of
 * quant_policy.cuh without PTX (tools/cuemu runs it): FD_QK (values per
 * weight block: 32 unless the policy defines it, 256 for the super-block
 * types), FD_QU units per block, FD_UNIT_DOT (the policy's fd_block_dot on
 * unit j of a block), FD_X_DOT (that summed over x's levels), and
 * fd_dot_smem, a row's product from shared memory.
 *
 * Layer: ops (device code of the GEMV family; see ops/gemv/family.c). */
#ifndef FD_QK
#define FD_QK 32
#endif
#define FD_QU (FD_QK / 32)
#if FD_QK == 32
#define FD_UNIT_DOT(blk, j, xw, xd) fd_block_dot(blk, xw, xd)
#else
#define FD_UNIT_DOT(blk, j, xw, xd) fd_block_dot(blk, j, xw, xd)
#endif
/* Unit b of x (both levels: quant_x.cuh) times unit j of the block at blk:
 * the policy's product on each level, summed. The weight words are read
 * once (the compiler folds the second level's loads into the first's). */
#if FD_X_LEVELS > 1
#define FD_X_DOT(blk, j, x, cols, b)                                                                                 \
  (FD_UNIT_DOT(blk, j, fd_x_words(x, b), fd_x_scale(x, cols, b)) +                                                  \
   FD_UNIT_DOT(blk, j, fd_x_words(fd_x_level1(x, cols), b), fd_x_scale(fd_x_level1(x, cols), cols, b)))
#else
#define FD_X_DOT(blk, j, x, cols, b) FD_UNIT_DOT(blk, j, fd_x_words(x, b), fd_x_scale(x, cols, b))
#endif
/* the bytes of units [u, u + n) (u, n multiples of FD_QU), from a row's start */
#define FD_UNIT_BYTES(n) ((u64)(n) / FD_QU * FD_BB)
/* A row held whole in shared memory (the whole-slice path): lane l of the
 * row group takes units l, l + T, ... */
__device__ __forceinline__ float fd_dot_smem(const unsigned char *row, fd_xin x, u32 cols, u32 t, u32 tpr) {
  float acc = 0.0f;
  for (u32 b = t; b < cols / 32; b += tpr)
    acc += FD_X_DOT(row + b / FD_QU * FD_BB, b % FD_QU, x, cols, b);
  return acc;
}
