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

/* The Hopper path (sm_90a: wgmma and TMA, ops/gemm/main_wgmma.cuh): BM = 128
 * rows of x by BN = 128 or 256 weight rows, k-tiles of 64 values (one
 * 128-byte row of f16 / bf16: the 128-byte swizzle's span), 384 threads:
 * warpgroup 0 produces (x converted, weights by TMA), warpgroups 1 and 2
 * multiply 64 rows each. Shared memory: STAGES slots of an x tile (BM x 128
 * bytes) and a weight tile (BN x 128 bytes), both 1024-byte aligned (the
 * swizzle pattern repeats every 8 rows of 128 bytes); then a full and an
 * empty barrier per slot, BM row scales and split-K's "arrived last" word
 * (16 bytes); 1024 bytes of slack to align the base. */
#define FD_GEMM_WG_BM 128
#define FD_GEMM_WG_BK 64
#define FD_GEMM_WG_THREADS 384
#define FD_GEMM_WG_STAGES(BN) ((BN) == 256 ? 4 : 6)
#define FD_GEMM_WG_SMEM(BN) \
    (FD_GEMM_WG_STAGES(BN) * (FD_GEMM_WG_BM * 128 + (BN) * 128) + FD_GEMM_WG_STAGES(BN) * 16 + FD_GEMM_WG_BM * 4 + 16 + \
     1024)
/* Split-K's workspace per (tile, split): every consumer thread's BN / 2
 * accumulators and the BM rows' partial sums of squares, in floats; and the
 * per-tile arrival counters ahead of them (u32; the last arrival sets its
 * counter back to 0). */
#define FD_GEMM_WG_PART(BN) (256 * ((BN) / 2) + FD_GEMM_WG_BM)
#define FD_GEMM_WG_COUNTERS 4096
/* The device parameters after the argument struct (at its size rounded up to
 * 64 bytes): the weight tensor maps (128 bytes each, 64-byte aligned), the
 * workspace address, BN and the split count. Offsets in bytes. */
#define FD_GEMM_WG_TAIL_TW0 0
#define FD_GEMM_WG_TAIL_TW1 128
#define FD_GEMM_WG_TAIL_WS 256
#define FD_GEMM_WG_TAIL_BN 264
#define FD_GEMM_WG_TAIL_SPLITS 268
#define FD_GEMM_WG_TAIL_BYTES 320

#endif
