/* float_policy.cuh — the float weight policy, for the policy_<dtype>.cuh file that
 * includes it after defining FD_W (the storage type), FD_VPE (values per
 * 16-byte vector) and FD_DOT (its vector product).
 *
 * Layer: ops (device code of the GEMV family; see ops/gemv/family.c). */
/* A row group's first two batches are staged by fd_row_begin with cp.async
 * before the kernel waits for its predecessor; the rest are loaded straight
 * into registers. Every thread issues its (up to) four loads of a batch
 * before it uses any, so a row costs one memory round trip per batch. */
#include "ops/gemv/float_vectors.cuh"
/* Starts copying this thread's first two batches (of its first row, then
 * the next batch of that row or the first of `next`) into its slots of the
 * warp's staging: lane-interleaved, so reading them back is conflict-free. */
__device__ __forceinline__ void fd_row_begin(const void *row, const void *next, u32 cols, u32 t, u32 tpr,
                                             unsigned char *stage, fd_pipe &pipe) {
  u32 nv = cols / FD_VPE;
  if (cols % FD_VPE) return;
  for (; pipe.ahead < 2; pipe.ahead++) {
    u32 v = t + pipe.ahead * 4 * tpr;
    const FD_W *r = (const FD_W *)(v < nv ? row : next);
    if (v >= nv) v = t;
    if (!r || v >= nv || (((u64)r) & 15)) return;
    unsigned char *buf = stage + ((pipe.cur + pipe.ahead) & 1) * (FD_STAGE_BYTES / 2) + 16 * (t & 31);
    _Pragma("unroll") for (int k = 0; k < 4; k++)
      if (v + k * tpr < nv) fd_cp16(buf + 512 * k, r + (u64)FD_VPE * (v + k * tpr));
    fd_cp_commit();
  }
}
__device__ __forceinline__ float fd_dot_row(const FD_W *row, const void *next, const float *xs, u32 cols, u32 t, u32 tpr,
                                           unsigned char *stage, fd_pipe &pipe) {
  float acc = 0.0f;
  if ((((u64)row) & 15) == 0 && (cols % FD_VPE) == 0) {
    u32 nv = cols / FD_VPE;
    for (u32 v = t; v < nv; v += 4 * tpr) {
      fd_v4 q[4];
      const unsigned char *buf = stage + pipe.cur * (FD_STAGE_BYTES / 2) + 16 * (t & 31);
      if (pipe.ahead > 1) asm volatile("cp.async.wait_group 1;" ::: "memory");
      else if (pipe.ahead) asm volatile("cp.async.wait_group 0;" ::: "memory");
      _Pragma("unroll") for (int k = 0; k < 4; k++)
        if (v + k * tpr < nv)
          q[k] = pipe.ahead ? *(const fd_v4 *)(buf + 512 * k) : ld_v4s(row + (u64)FD_VPE * (v + k * tpr));
      if (pipe.ahead) pipe.ahead--, pipe.cur ^= 1;
      _Pragma("unroll") for (int k = 0; k < 4; k++)
        if (v + k * tpr < nv) acc = FD_DOT(q[k], xs + FD_VPE * (v + k * tpr), acc);
    }
  } else {
    for (u32 c = t; c < cols; c += tpr) acc += ld(row, c) * xs[c];
  }
  (void)next; return acc;
}
/* A row held whole in shared memory (the persistent kernel's weight ring,
 * ops/persist/gemv_range.cuh): lane t of the row group takes vectors
 * t, t + tpr, ... (consecutive lanes, consecutive 16 bytes: no bank
 * conflict); an unaligned row goes a value at a time. */
__device__ __forceinline__ float fd_dot_smem(const unsigned char *row, fd_xin xs, u32 cols, u32 t, u32 tpr) {
  float acc = 0.0f;
  if ((((u64)row) & 15) == 0 && (cols % FD_VPE) == 0) {
    const u32 nv = cols / FD_VPE;
    _Pragma("unroll 4") for (u32 v = t; v < nv; v += tpr) acc = FD_DOT(*(const fd_v4 *)(row + 16 * v), xs + FD_VPE * v, acc);
  } else {
    for (u32 c = t; c < cols; c += tpr) acc += ld((const FD_W *)row, c) * xs[c];
  }
  return acc;
}
