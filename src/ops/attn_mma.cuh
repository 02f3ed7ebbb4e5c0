/* attn_mma.cuh — the tensor-core helpers of the prefill attention
 * (attn_prefill_mma.cuh): mma.sync m16n8k16 with f32 accumulators on the
 * cache's 16-bit type (f16 or bf16, chosen by overload on a null pointer of
 * it, as attn_common.cuh does), f32 pairs packed to that type, and ldmatrix
 * .x4.trans. PTX written out (NVRTC has no toolkit headers); tools/cuemu
 * has a twin of this file that computes the same on the CPU.
 *
 * Layer: ops (device code of ops/attention.c).
 *
 * Fragments (lane l, g = l / 4, q = l % 4; PTX ISA, "mma.m16n8k16"):
 *   a (16 x 16, row): a[0] = (g, 2q..2q+1), a[1] = (g+8, 2q..), a[2] = (g, 2q+8..),
 *                     a[3] = (g+8, 2q+8..)
 *   b (16 x 8, col):  b[0] = (k 2q..2q+1, n g), b[1] = (k 2q+8.., n g)
 *   c (16 x 8, f32):  c[0..1] = (g, 2q..2q+1), c[2..3] = (g+8, 2q..2q+1) */
__device__ __forceinline__ u32 fd_tc_pack2(const fd_f16 *, float lo, float hi) {
  u32 r; asm("cvt.rn.f16x2.f32 %0, %1, %2;" : "=r"(r) : "f"(hi), "f"(lo)); return r; }
__device__ __forceinline__ u32 fd_tc_pack2(const fd_bf16 *, float lo, float hi) {
  u32 r; asm("cvt.rn.bf16x2.f32 %0, %1, %2;" : "=r"(r) : "f"(hi), "f"(lo)); return r; }
__device__ __forceinline__ void fd_tc_mma(const fd_f16 *, float *c, const u32 *a, const u32 *b) {
  asm("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};"
      : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1])); }
__device__ __forceinline__ void fd_tc_mma(const fd_bf16 *, float *c, const u32 *a, const u32 *b) {
  asm("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};"
      : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1])); }
/* Four 8 x 8 matrices of 16-bit values, transposed: lanes 8i..8i+7 give the
 * (16-byte aligned) rows of matrix i in shared memory; r[i] is this lane's
 * pair of matrix i, (row 2q, column g) and (row 2q + 1, column g). */
__device__ __forceinline__ void fd_tc_ldsm4_trans(const void *row, u32 *r) {
  u64 a; asm("cvta.to.shared.u64 %0, %1;" : "=l"(a) : "l"((u64)row));
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3]) : "r"((u32)a)); }
