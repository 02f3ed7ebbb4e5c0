/* ref.c — CPU references shared by kernels and stages (see ref.h). The
 * matrix-vector product reads float rows as stored with vectorised dots (f32
 * lanes, about K / 32 roundings each, summed in double) and dequantizes
 * quantized rows to f32 one at a time (per thread), accumulating in double,
 * so the reference's own rounding stays far below any bound a test states.
 *
 * Layer: ops. */
#include <math.h>
#include <omp.h>
#include "ops/ref.h"
#include "base/mem.h"
#include "backend/cpu/simd.h"

int fd_ref_threads(const fd_tensor *t, uint64_t work)
{
    int n = t->fd->be->threads;
    return work < 1u << 15 || n < 1 ? 1 : n;
}

/* Float rows: no scratch, no conversion of a whole row first. */
static void gemv_float(const fd_tensor *w, const float *x, float *y, uint32_t rows, uint32_t cols)
{
    const unsigned char *base = fd_tensor_data(w);
    size_t rb = (size_t)cols * fd_dtype_block_bytes(w->dtype);
    fd_dtype dt = w->dtype;
#pragma omp parallel for num_threads(fd_ref_threads(w, (uint64_t)rows * cols)) schedule(static)
    for (int64_t r = 0; r < (int64_t)rows; r++) {
        const void *row = base + (size_t)r * rb;
        y[r] = (float)(dt == FD_F16 ? fd_cpu_dot_f16(x, row, cols) : dt == FD_BF16 ? fd_cpu_dot_bf16(x, row, cols)
                                                                                 : fd_cpu_dot_f32(x, row, cols));
    }
}

fd_status fd_gemv_ref(const fd_tensor *w, const float *x, float *y, uint32_t rows, uint32_t cols, fd_error *err)
{
    if (fd_dtype_is_float(w->dtype)) {
        gemv_float(w, x, y, rows, cols);
        return FD_OK;
    }
    const unsigned char *base = fd_tensor_data(w);
    size_t rb = (size_t)cols / fd_dtype_block_elems(w->dtype) * fd_dtype_block_bytes(w->dtype);
    int nth = fd_ref_threads(w, (uint64_t)rows * cols), par = nth > 1;
    /* every thread's scratch row, allocated here: fault injection counts on this thread */
    float *tmp = fd_malloc((size_t)nth * cols * sizeof *tmp);
    if (!tmp) return fd_error_set(err, FD_ERR_NOMEM, "gemv reference: no scratch for %d x %u floats", nth, cols);
#pragma omp parallel num_threads(nth) if (par)
    {
        float *row = tmp + (size_t)omp_get_thread_num() * cols;
#pragma omp for
        for (int64_t r = 0; r < (int64_t)rows; r++) {
            fd_dequantize_row(w->dtype, base + (size_t)r * rb, row, cols);
            double acc = 0;
            for (uint32_t c = 0; c < cols; c++) acc += (double)row[c] * x[c];
            y[r] = (float)acc;
        }
    }
    fd_free(tmp);
    return FD_OK;
}

void fd_rmsnorm_ref(const float *x, const float *w, float *y, uint32_t n, float eps)
{
    double ss = 0;
    for (uint32_t i = 0; i < n; i++) ss += (double)x[i] * x[i];
    float scale = (float)(1.0 / sqrt(ss / n + eps));
    for (uint32_t i = 0; i < n; i++) y[i] = x[i] * scale * w[i];
}

void fd_rope_inv_freq(float *inv, uint32_t head_dim, double theta)
{
    for (uint32_t i = 0; i < head_dim / 2; i++) {
        float e = (float)(2 * i) / (float)head_dim;
        inv[i] = 1.0f / (float)pow(theta, (double)e);
    }
}

void fd_rope_pair_ref(float *lo, float *hi, float angle)
{
    float c = (float)cos((double)angle), s = (float)sin((double)angle), l = *lo, h = *hi;
    *lo = l * c - h * s;
    *hi = h * c + l * s;
}

fd_status fd_gemv_check_shapes(const char *wname, const fd_tensor *w, const fd_tensor *x, const fd_tensor *y,
                               uint32_t rows, uint32_t cols, fd_error *err)
{
    if (!rows || !cols) return fd_error_set(err, FD_ERR_INVALID, "rows and cols must be positive (%u x %u)", rows, cols);
    if (fd_dtype_is_quant(w->dtype) && cols % fd_dtype_block_elems(w->dtype))
        return fd_error_set(err, FD_ERR_INVALID, "%s is %s, which needs cols a multiple of %zu; cols = %u",
                            wname, fd_dtype_name(w->dtype), fd_dtype_block_elems(w->dtype), cols);
    if (w->ndim != 2 || w->dims[0] != rows || w->dims[1] != cols)
        return fd_error_set(err, FD_ERR_INVALID, "%s must be (%u, %u), is %dD (%lld, %lld)", wname, rows, cols,
                            w->ndim, (long long)w->dims[0], (long long)(w->ndim > 1 ? w->dims[1] : 1));
    if (x->numel != cols) return fd_error_set(err, FD_ERR_INVALID, "x holds %lld values, cols = %u", (long long)x->numel, cols);
    if (y && y->numel != rows) return fd_error_set(err, FD_ERR_INVALID, "y holds %lld values, rows = %u", (long long)y->numel, rows);
    return FD_OK;
}
