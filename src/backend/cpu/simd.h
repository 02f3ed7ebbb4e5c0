/* simd.h — the CPU backend's vectorised inner loops: dot products of an f32
 * vector with f32 / f16 / bf16 rows, the GEMM's register tile, and f16
 * conversions of whole rows. Each has an AVX2 + FMA (+ F16C) body chosen at
 * run time (the binary is built without -march, so it travels) and a
 * portable body the compiler vectorises where it can (NEON, SSE2).
 *
 * Layer: backend (internal). Accumulation: f32 lanes (32 partial sums for a
 * dot, one 8-lane sum per output of a tile), summed in double at the end, so
 * a dot of K terms carries about K / 32 roundings per lane. */
#ifndef FD_BACKEND_CPU_SIMD_H
#define FD_BACKEND_CPU_SIMD_H

#include <stddef.h>
#include <stdint.h>

/* x . w over n values (any n). */
double fd_cpu_dot_f32(const float *x, const float *w, size_t n);
double fd_cpu_dot_f16(const float *x, const uint16_t *w, size_t n);
double fd_cpu_dot_bf16(const float *x, const uint16_t *w, size_t n);

/* y[n] = f32 of the f16 values h[n]. */
void fd_cpu_f16_to_f32(const uint16_t *h, float *y, size_t n);
/* v[n] rounded to f16 (round to nearest even) and back, in place. */
void fd_cpu_round_f16(float *v, size_t n);

/* The GEMM's register tile: out[i][j] = x[i] . w[j] for 4 rows of x and 3
 * of w, each k values (k % 8 == 0); rows may repeat (edges). */
void fd_cpu_tile4x3(const float *const x[4], const float *const w[3], size_t k, float out[4][3]);

#endif
