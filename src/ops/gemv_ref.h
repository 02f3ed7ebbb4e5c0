/* gemv_ref.h — the CPU reference matrix-vector product and the shape check
 * shared by the plain GEMV and every compound GEMV.
 *
 * Layer: ops (internal). */
#ifndef FD_OPS_GEMV_REF_H
#define FD_OPS_GEMV_REF_H

#include "core/internal.h"

/* w: (rows, cols) any weight dtype; x: (cols) f32; y: (rows) f32, may not alias x.
 * Accumulates in double, row by row (OpenMP over rows). */
void fd_gemv_ref(const fd_tensor *w, const float *x, float *y, uint32_t rows, uint32_t cols);

/* w is (rows, cols), x holds cols values, y holds rows; quantized w needs
 * cols % 32 == 0. `wname` names the weight in the message. */
fd_status fd_gemv_check_shapes(const char *wname, const fd_tensor *w, const fd_tensor *x, const fd_tensor *y,
                               uint32_t rows, uint32_t cols, fd_error *err);

#endif
