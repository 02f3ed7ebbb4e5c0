/* quant_staging.cuh — what every quantized weight policy shares: cp.async
 * staging of 32-block chunks, the launch's limits, the int8 x
 * (quant_x.cuh).
 *
 * Layer: ops (device code of the GEMV family; see ops/gemv/family.c). */
#include "ops/gemv/quant_x.cuh"
/* Starts copying `bytes` at src into the staging buffer `buf` with cp.async:
 * the 16-byte-aligned window around them, so the data begins at buf + (src & 15).
 * A 16-byte granule holding a valid byte never crosses a page, so reading the
 * window's edges is safe. One commit group per call. */
__device__ __forceinline__ void fd_stage_async(unsigned char *buf, const unsigned char *src, u32 bytes, u32 lane) {
  u64 a = (u64)src & ~15ull, e = ((u64)src + bytes + 15) & ~15ull, g, sa;
  u32 n = (u32)(e - a) / 16;   /* at most 70 granules: a chunk is at most 32 * 34 (or 4 * 210) bytes */
  asm volatile("cvta.to.global.u64 %0, %1;" : "=l"(g) : "l"(a));
  asm volatile("cvta.to.shared.u64 %0, %1;" : "=l"(sa) : "l"((u64)buf));
  _Pragma("unroll") for (u32 k = 0; k < 3; k++) {
    u32 i = lane + 32 * k;
    if (i < n) fd_cp16_at((u32)sa + 16 * i, g + 16ull * i);
  }
  fd_cp_commit();
}
__device__ __forceinline__ u64 fd_row_stride(const FD_W *, u32 cols) { return cols / FD_QK; }
#define FD_STAGE_BYTES FD_GEMV_STAGE_BYTES   /* per warp: two buffers */
#define FD_WHOLE_SLICE 1   /* a small GEMV may stage its rows whole: fd_dot_smem */
#define FD_MIN_BLOCKS 6    /* at most 40 registers, none spilled: six 256-thread blocks per multiprocessor */
/* A row group's state: buffer `cur` holds the first of `ahead` (0..2)
 * chunks in flight. */
struct fd_pipe { u32 cur, ahead; };
