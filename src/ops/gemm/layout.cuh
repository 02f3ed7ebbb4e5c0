/* layout.cuh — the GEMM family's tile and shared-memory constants, read by
 * the device code and by the C dispatch (ops/gemm/family.c includes this
 * file), so both sides size the same buffers from one definition.
 *
 * Layer: ops. #defines only: valid C and CUDA. */
#ifndef FD_GEMM_LAYOUT_CUH
#define FD_GEMM_LAYOUT_CUH

/* k-tile: 32 values, one quantized block per weight row */
#define FD_GEMM_BK 32
/* The two tensor-core tiles, told apart on the device by the block size:
 * 256 threads = 128 x 128 (8 warps, 2 x 4, 64 x 32 each), 128 threads =
 * 64 x 64 (4 warps, 2 x 2, 32 x 32 each). Columns are weight rows: a
 * two-product (SwiGLU) tile holds BN / 2 outputs. */
#define FD_GEMM_BIG_BM 128
#define FD_GEMM_BIG_BN 128
#define FD_GEMM_BIG_THREADS 256
#define FD_GEMM_SMALL_BM 64
#define FD_GEMM_SMALL_BN 64
#define FD_GEMM_SMALL_THREADS 128
/* Raw bytes per weight row per k-tile as cp.async lands them: f16 / bf16 one
 * 64-byte row of the operand tile; quantized the 16-byte-aligned window of
 * one block (q8_0: 34 bytes at 2-byte alignment span at most 3 granules,
 * q4_0 and iq4_nl: 18 bytes at most 2; q5_0: 22 bytes at most 3; q4_1 and
 * q5_1: 20 and 24 bytes at 4- and 8-byte alignment, which their tensors have
 * (GGUF data is 32-byte aligned, device buffers more; every block of a row
 * of 20 or 24 bytes keeps it), at most 2). */
#define FD_GEMM_WRAW_FLOAT 64
#define FD_GEMM_WRAW_Q8_0 48
#define FD_GEMM_WRAW_Q4_0 32
#define FD_GEMM_WRAW_Q5_0 48
/* Pipeline depth (k-tiles in the cp.async ring): float weights 4; quantized
 * weights 3 (they add a dequantized tile, and two 128 x 128 blocks must fit
 * one multiprocessor). */
#define FD_GEMM_STAGES_FLOAT 4
#define FD_GEMM_STAGES_QUANT 3
/* Dynamic shared memory of a tile: the ring (x as f32, BM x 128 bytes, and
 * the weights' raw rows), two converted x tiles (BM x 64 bytes of f16 /
 * bf16), two dequantized weight tiles when the policy converts, and the
 * row scales (BM floats). */
#define FD_GEMM_SMEM(BM, BN, STAGES, WRAW, WCONV) \
    ((STAGES) * ((BM) * 128 + (BN) * (WRAW)) + 2 * (BM) * 64 + ((WCONV) ? 2 * (BN) * 64 : 0) + (BM) * 4)
/* The SIMT path (f32 weights): 64 x 64 tiles, 256 threads, k-tiles of 16,
 * static shared memory. */
#define FD_GEMM_SIMT_BM 64
#define FD_GEMM_SIMT_BN 64
#define FD_GEMM_SIMT_THREADS 256

#endif
