/* tile.cuh — the mma.sync tile's maps, without PTX (so tools/cuemu runs them
 * as they are): the tile column to weight row map (a SwiGLU tile interleaves
 * gate and up rows in groups of 8, so one thread holds both products of an
 * output) and the operand tiles' swizzle.
 *
 * Layer: ops (device code of the GEMM family; see ops/gemm/family.c). */
/* Tile column c of column block bx (BN columns): product *p, output row n. */
__device__ __forceinline__ u32 fd_gemm_col(u32 bx, u32 BN, u32 c, u32 *p) {
#if FD_NOUT == 2
  *p = (c >> 3) & 1u;
  return bx * (BN / 2) + (c >> 4) * 8 + (c & 7u);
#else
  *p = 0;
  return bx * BN + c;
#endif
}
/* Byte offset of 16-byte chunk c (0..3) of row r in an operand tile of
 * 64-byte rows (32 halves): the chunk index xor bits 1..2 of the row, so
 * ldmatrix's eight rows of one chunk fall in eight different bank groups. */
__device__ __forceinline__ u32 fd_tile_off(u32 r, u32 c) { return r * 64 + ((c ^ ((r >> 1) & 3u)) << 4); }
