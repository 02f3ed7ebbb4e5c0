/* layout.cuh — the GEMV family's shared-memory layout constants, read by the
 * device code and by the C dispatch (ops/gemv/family.c includes this file),
 * so both sides size the same buffers from one definition.
 *
 * Layer: ops. #defines only: valid C and CUDA. */
#ifndef FD_GEMV_LAYOUT_CUH
#define FD_GEMV_LAYOUT_CUH

/* Per-warp staging for quantized rows: two buffers, each 32 blocks (34 * 32
 * = 1088 bytes), the 16-byte-aligned window's edges (up to 30) and a word
 * read past the end, padded to 1152. Float rows stage only a row group's
 * first two batches: two buffers of four 16-byte vectors per lane. */
#define FD_GEMV_STAGE_BYTES 2304
#define FD_GEMV_FLOAT_STAGE_BYTES 4096
/* x in shared memory. Float policies: f32, columns rounded up to 4 (read
 * as float4). Quantized policies (the int8 activation contract,
 * ops/gemv/quant_x.cuh): two levels, each int8 values, columns rounded up
 * to chunks of 1024 (interleaved by fd_xs_index), then one float2 (d, d *
 * sum of the block's q) per 32-value block: 1.25 bytes a column a level. */
#define FD_GEMV_XS_ROUND 1024
#define FD_GEMV_FLOAT_XS_ROUND 4
#define FD_GEMV_XQ_LEVEL_BYTES(cols) ((((cols) + FD_GEMV_XS_ROUND - 1) / FD_GEMV_XS_ROUND) * FD_GEMV_XS_ROUND * 5 / 4)
#define FD_GEMV_XQ_BYTES(cols) (2 * FD_GEMV_XQ_LEVEL_BYTES(cols))
/* after the weights: the cross-warp sums, 8 warps x 3 products */
#define FD_GEMV_RED_BYTES 96

#endif
