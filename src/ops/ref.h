/* ref.h — CPU references written once and shared by the declared kernels
 * and the stages of the families: the matrix-vector product, RMSNorm, and
 * the GEMV shape check.
 *
 * Layer: ops (internal). */
#ifndef FD_OPS_REF_H
#define FD_OPS_REF_H

#include "core/internal.h"

/* Threads a CPU twin uses for `work` multiply-adds on t's foundry: its
 * backend's worker count (--threads), or 1 below about 2^15 of them, where
 * waking the workers costs more than they save. */
int fd_ref_threads(const fd_tensor *t, uint64_t work);

/* w: (rows, cols) any weight dtype; x: (cols) f32; y: (rows) f32, may not alias x.
 * Rows are shared by the foundry's threads. Float weights: f32 lanes
 * (backend/cpu/simd.h) summed in double, reading the row as stored.
 * Quantized: each row dequantized to f32 and accumulated in double;
 * FD_ERR_NOMEM (and y untouched) when its row scratch cannot be allocated. */
fd_status fd_gemv_ref(const fd_tensor *w, const float *x, float *y, uint32_t rows, uint32_t cols, fd_error *err);

/* y = x * (1 / sqrt(mean(x^2) + eps)) * w over n values, in double; y may be x. */
void fd_rmsnorm_ref(const float *x, const float *w, float *y, uint32_t n, float eps);

/* The rotate-half pair (lo, hi) = (x[i], x[i + hd/2]) turned by
 * angle = (float)pos * inv[i], in place; sin and cos correctly rounded. */
void fd_rope_pair_ref(float *lo, float *hi, float angle);

/* w is (rows, cols), x holds cols values, y (unless NULL) holds rows; quantized w needs
 * cols % 32 == 0. `wname` names the weight in the message. */
fd_status fd_gemv_check_shapes(const char *wname, const fd_tensor *w, const fd_tensor *x, const fd_tensor *y,
                               uint32_t rows, uint32_t cols, fd_error *err);

#endif
