/* quant_ld.cuh — the quantized dtypes' device storage types (one block
 * each; layouts: include/foundry/dtype.h) and their element loads: ld(p, i)
 * reads value i of a quantized row as float, bit for bit as the CPU's
 * dequantization (base/quant_legacy.c, quant_k.c, quant_iq4.c): the slow
 * path of reference kernels and tails, and the super-block types' GEMM
 * policy (ops/gemm/kquant_policy.cuh). No inline PTX: it needs the integer
 * typedefs, fd_h2f and the __f*_rn intrinsics before it (the prelude's, or
 * tools/cuemu/emu.h's, which runs it on the CPU).
 *
 * Layer: kernel (device code, included by prelude.cuh). */
#ifndef FD_QUANT_LD_CUH
#define FD_QUANT_LD_CUH
struct fd_q8_0 { u16 d; signed char qs[32]; };
struct fd_q4_0 { u16 d; unsigned char qs[16]; };
struct fd_q4_1 { u16 d, m; unsigned char qs[16]; };
struct fd_q5_0 { u16 d; unsigned char qh[4]; unsigned char qs[16]; };
struct fd_q5_1 { u16 d, m; unsigned char qh[4]; unsigned char qs[16]; };
struct fd_iq4_nl { u16 d; unsigned char qs[16]; };
/* 256-value super-blocks */
struct fd_q2_k { unsigned char scales[16]; unsigned char qs[64]; u16 d, dmin; };
struct fd_q3_k { unsigned char hmask[32]; unsigned char qs[64]; unsigned char scales[12]; u16 d; };
struct fd_q4_k { u16 d, dmin; unsigned char scales[12]; unsigned char qs[128]; };
struct fd_q5_k { u16 d, dmin; unsigned char scales[12]; unsigned char qh[32]; unsigned char qs[128]; };
struct fd_q6_k { unsigned char ql[128]; unsigned char qh[64]; signed char scales[16]; u16 d; };
struct fd_iq4_xs { u16 d, scales_h; unsigned char scales_l[4]; unsigned char qs[128]; };
/* element i of a quantized row (slow path: reference kernels and tails) */
__device__ __forceinline__ float ld(const fd_q8_0 *p, u64 i) { const fd_q8_0 *b = p + i / 32; return fd_h2f(b->d) * b->qs[i % 32]; }
__device__ __forceinline__ float ld(const fd_q4_0 *p, u64 i) {
  const fd_q4_0 *b = p + i / 32; u32 j = i % 32; u32 q = b->qs[j % 16];
  return fd_h2f(b->d) * ((float)(j < 16 ? (q & 15u) : (q >> 4)) - 8.0f); }
/* the legacy types' value j of a block: the nibble (Q4_0's layout), for Q5 its fifth bit
 * (bit j of qh, little-endian); with a min, d * q + m unfused as the CPU computes it */
__device__ __forceinline__ u32 fd_nib(const unsigned char *qs, u32 j) { return j < 16 ? qs[j] & 15u : qs[j - 16] >> 4; }
__device__ __forceinline__ u32 fd_qh(const unsigned char *qh, u32 j) { return (qh[j / 8] >> (j % 8) & 1u) << 4; }
__device__ __forceinline__ float ld(const fd_q4_1 *p, u64 i) {
  const fd_q4_1 *b = p + i / 32; return __fadd_rn(__fmul_rn(fd_h2f(b->d), (float)fd_nib(b->qs, i % 32)), fd_h2f(b->m)); }
__device__ __forceinline__ float ld(const fd_q5_0 *p, u64 i) {
  const fd_q5_0 *b = p + i / 32; u32 j = i % 32;
  return fd_h2f(b->d) * ((float)(fd_nib(b->qs, j) | fd_qh(b->qh, j)) - 16.0f); }
__device__ __forceinline__ float ld(const fd_q5_1 *p, u64 i) {
  const fd_q5_1 *b = p + i / 32; u32 j = i % 32;
  return __fadd_rn(__fmul_rn(fd_h2f(b->d), (float)(fd_nib(b->qs, j) | fd_qh(b->qh, j))), fd_h2f(b->m)); }
__device__ __forceinline__ float ld(const fd_iq4_nl *p, u64 i) {
  const fd_iq4_nl *b = p + i / 32; u32 n = fd_nib(b->qs, i % 32);   /* kvalues_iq4nl[n], four to a word */
  const u32 t[4] = { 0xBFAD9881u, 0xF6EADDCFu, 0x26190D01u, 0x71594535u };
  return fd_h2f(b->d) * (float)(signed char)(t[n >> 2] >> (8 * (n & 3)) & 0xFFu); }
/* The super-block types' value i, bit for bit as base/quant_k.c and
 * quant_iq4.c: the sub-block's scale (and min) formed first in f32, then
 * scale q (- min), unfused. */
#include "kernel/quant_k.cuh"
__device__ __forceinline__ float fd_q45_k_val(const unsigned char *blk, const unsigned char *qh, u32 i) {
  u32 s = i % 256 / 32, j = i % 32;
  int sc, m;
  fd_k_scale_min(blk + 4, s, sc, m);
  const unsigned char *qs = blk + (qh ? 48 : 16);
  u32 q = (qs[s / 2 * 32 + j] >> (4 * (s % 2)) & 15u) | (qh ? (qh[j] >> s & 1u) << 4 : 0u);
  float dl = __fmul_rn(fd_h2f(*(const u16 *)blk), (float)sc), ml = __fmul_rn(fd_h2f(*(const u16 *)(blk + 2)), (float)m);
  return __fsub_rn(__fmul_rn(dl, (float)q), ml); }
/* Q2_K / Q3_K value i: the 2-bit field (i % 128) / 32 of qs[(i / 128) 32 + i % 32] */
__device__ __forceinline__ u32 fd_q2_field(const unsigned char *qs, u32 i) { return qs[i / 128 * 32 + i % 32] >> (2 * (i % 128 / 32)) & 3u; }
__device__ __forceinline__ float ld(const fd_q2_k *p, u64 i) {
  const fd_q2_k *b = p + i / 256; u32 r = i % 256, sc = b->scales[r / 16];
  float dl = __fmul_rn(fd_h2f(b->d), (float)(sc & 15u)), ml = __fmul_rn(fd_h2f(b->dmin), (float)(sc >> 4));
  return __fsub_rn(__fmul_rn(dl, (float)fd_q2_field(b->qs, r)), ml); }
__device__ __forceinline__ float ld(const fd_q3_k *p, u64 i) {
  const fd_q3_k *b = p + i / 256; u32 r = i % 256;
  int q = (int)fd_q2_field(b->qs, r) - (b->hmask[r % 32] >> (r / 32) & 1u ? 0 : 4);
  return __fmul_rn(__fmul_rn(fd_h2f(b->d), (float)fd_q3k_scale(b->scales, r / 16)), (float)q); }
__device__ __forceinline__ float ld(const fd_q4_k *p, u64 i) { return fd_q45_k_val((const unsigned char *)(p + i / 256), 0, (u32)(i % 256)); }
__device__ __forceinline__ float ld(const fd_q5_k *p, u64 i) {
  const fd_q5_k *b = p + i / 256; return fd_q45_k_val((const unsigned char *)b, b->qh, (u32)(i % 256)); }
__device__ __forceinline__ float ld(const fd_q6_k *p, u64 i) {
  const fd_q6_k *b = p + i / 256; u32 r = i % 128, h = i % 256 / 128;
  int q = (int)((b->ql[h * 64 + r % 64] >> (4 * (r / 64)) & 15u) | (b->qh[h * 32 + r % 32] >> (2 * (r / 32)) & 3u) << 4);
  return __fmul_rn(__fmul_rn(fd_h2f(b->d), (float)b->scales[i % 256 / 16]), (float)(q - 32)); }
__device__ __forceinline__ float ld(const fd_iq4_xs *p, u64 i) {
  const fd_iq4_xs *b = p + i / 256; u32 s = i % 256 / 32, n = fd_nib(b->qs + 16 * s, i % 32);
  const u32 t[4] = { 0xBFAD9881u, 0xF6EADDCFu, 0x26190D01u, 0x71594535u };
  float dl = __fmul_rn(fd_h2f(b->d), (float)fd_iq4xs_scale((const unsigned char *)b, s));
  return __fmul_rn(dl, (float)(signed char)(t[n >> 2] >> (8 * (n & 3)) & 0xFFu)); }
#endif
