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
/* x in shared memory takes its columns rounded up to these many floats:
 * quantized policies interleave it in chunks of 1024 (fd_xs_index), float
 * ones read it as float4 */
#define FD_GEMV_XS_ROUND 1024
#define FD_GEMV_FLOAT_XS_ROUND 4
/* after the weights: the cross-warp sums, 8 warps x 3 products */
#define FD_GEMV_RED_BYTES 96

#endif
