/* quant_staging.cuh — what every quantized weight policy shares: cp.async staging of
 * 32-block chunks, the interleaved layout of x, byte-to-float tricks.
 *
 * Layer: ops (device code of the GEMV family; see ops/gemv/family.c). */
#include "ops/gemv/layout.cuh"
/* Starts copying `bytes` at src into the staging buffer `buf` with cp.async:
 * the 16-byte-aligned window around them, so the data begins at buf + (src & 15).
 * A 16-byte granule holding a valid byte never crosses a page, so reading the
 * window's edges is safe. One commit group per call. */
__device__ __forceinline__ void fd_stage_async(unsigned char *buf, const unsigned char *src, u32 bytes, u32 lane) {
  u64 a = (u64)src & ~15ull, e = ((u64)src + bytes + 15) & ~15ull, g, sa;
  u32 n = (u32)(e - a) / 16;   /* at most 70 granules: a chunk is at most 32 * 34 bytes */
  asm volatile("cvta.to.global.u64 %0, %1;" : "=l"(g) : "l"(a));
  asm volatile("cvta.to.shared.u64 %0, %1;" : "=l"(sa) : "l"((u64)buf));
  _Pragma("unroll") for (u32 k = 0; k < 3; k++) {
    u32 i = lane + 32 * k;
    if (i < n) fd_cp16_at((u32)sa + 16 * i, g + 16ull * i);
  }
  fd_cp_commit();
}
__device__ __forceinline__ u64 fd_row_stride(const fd_q8_0 *, u32 cols) { return cols / 32; }
__device__ __forceinline__ u64 fd_row_stride(const fd_q4_0 *, u32 cols) { return cols / 32; }
#define FD_STAGE_BYTES FD_GEMV_STAGE_BYTES   /* per warp: two buffers */
#define FD_X_DIRECT 0
#define FD_WHOLE_SLICE 1   /* a small GEMV may stage its rows whole: fd_dot_smem */
#define FD_MIN_BLOCKS 6    /* at most 40 registers, none spilled: six 256-thread blocks per multiprocessor */
/* x for 32 lanes that each take one block of a 32-block chunk: x[i] with
 * i = 1024 c + 32 l + 4 k + e (chunk c, lane l, float4 k) is float4 k * 32 + l
 * of chunk c, so lane l's k-th float4 and its neighbours' are consecutive. */
__device__ __forceinline__ u32 fd_xs_index(u32 i) {
  return (i & ~1023u) + ((((i >> 2) & 7u) * 32u + ((i >> 5) & 31u)) << 2) + (i & 3u); }
__device__ __forceinline__ u32 fd_xs_floats(u32 cols) { return (cols + FD_GEMV_XS_ROUND - 1) & ~(FD_GEMV_XS_ROUND - 1u); }
/* Word k of the bytes starting at `s` (2-byte aligned) in shared memory;
 * reads one word past them. */
__device__ __forceinline__ u32 fd_stage_word(const unsigned char *s, u32 k) {
  u32 off = (u32)(u64)s & 3u;   /* pointer arithmetic, not an integer cast, keeps loads in shared space */
  const u32 *w = (const u32 *)(s - off);
  return __funnelshift_r(w[k], w[k + 1], off * 8u); }
/* 2^23 + byte k of w, exactly: the float whose low mantissa byte is that
 * byte. A byte permute and a subtraction replace an int-to-float
 * conversion, whose pipe bounded the q8_0 GEMV. */
__device__ __forceinline__ float fd_u8_f(u32 w, u32 k) { return __uint_as_float(__byte_perm(w, 0x4B000000u, 0x7540u | k)); }
/* byte k of w (a nibble, 0..15) minus 8 */
__device__ __forceinline__ float fd_nib_f(u32 w, u32 k) { return fd_u8_f(w, k) - 8388616.0f; }
/* byte k of w minus 128: the int8 that byte xor 0x80 is */
__device__ __forceinline__ float fd_s8_f(u32 w, u32 k) { return fd_u8_f(w, k) - 8388736.0f; }
/* A row group's state: buffer `cur` holds the first of `ahead` (0..2)
 * chunks in flight. */
struct fd_pipe { u32 cur, ahead; };
