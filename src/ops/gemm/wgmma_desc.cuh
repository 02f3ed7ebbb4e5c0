/* wgmma_desc.cuh — what the Hopper GEMM's device code and its CPU emulation
 * (tools/cuemu/ops/gemm/wgmma.cuh) share, having no PTX: the tensor map's
 * storage and the shared-memory matrix descriptor's encoding, which the
 * emulator decodes bit by bit rather than trusting a copy.
 *
 * Layer: ops (device code of the GEMM family; see ops/gemm/wgmma.c). */
/* A CUtensorMap: 128 opaque bytes the driver encodes (cuTensorMapEncodeTiled),
 * read by TMA from the kernel's parameter space (64-byte aligned). */
struct __align__(64) fd_tmap { u64 v[16]; };
/* Shared-memory matrix descriptor of a K-major operand in the 128-byte
 * swizzle: rows of 64 16-bit values (128 bytes), 8-row groups 1024 bytes
 * apart (stride byte offset), leading byte offset unused (a k16 slice lies
 * within the swizzle's 128 bytes; 1 by convention), base offset 0 (tiles are
 * 1024-byte aligned). Bits: 0-13 address >> 4, 16-29 LBO >> 4, 32-45 SBO >> 4,
 * 62-63 swizzle mode (1 = 128 bytes). The k16 slice kk starts kk * 32 bytes
 * into the row: the hardware swizzles the address it forms, as TMA did. */
__device__ __forceinline__ u64 fd_wg_desc(u32 addr) {
  return (u64)((addr & 0x3FFFFu) >> 4) | (1ull << 16) | ((u64)(1024 >> 4) << 32) | (1ull << 62); }
