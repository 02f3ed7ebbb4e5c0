/* int8_ref.c — the CPU twin of the int8 activation contract (see
 * int8_ref.h and quant_x.cuh): the quantized policies' CPU composition
 * (family.c's fd_gemv_int8_ref) runs here, so the CPU computes what the
 * device does — x rounded to int8 blocks — not the f32-activation product
 * (fd_gemv_ref), which stays the float policies' reference and the
 * yardstick the int8 bound is stated against.
 *
 * Layer: ops. */
#include <math.h>
#include <omp.h>
#include "ops/gemv/int8_ref.h"

void fd_int8_quantize_x(const float *x, uint32_t cols, int8_t *q, float *d, float *s)
{
    for (uint32_t b = 0; b < cols / 32; b++) {
        const float *v = x + 32 * b;
        float amax = 0.0f;
        for (int i = 0; i < 32; i++) amax = fmaxf(amax, fabsf(v[i]));
        float db = amax / 127.0f, id = amax > 1e-30f ? 127.0f / amax : 0.0f, sum = 0.0f;   /* finite */
        for (int i = 0; i < 32; i++) {
            q[32 * b + i] = (int8_t)nearbyintf(v[i] * id);   /* round to nearest even, as __float2int_rn */
            sum += (float)q[32 * b + i];
        }
        d[b] = db;
        s[b] = db * sum;
    }
}

int fd_int8_threads(uint32_t rows, uint32_t cols)
{
    return (uint64_t)rows * cols > 1u << 16 ? omp_get_max_threads() : 1;
}

void fd_int8_gemv_rows(fd_dtype dt, const void *w, const int8_t *q, const float *d, float *y, uint32_t rows,
                       uint32_t cols, float *scratch, int nth)
{
    const unsigned char *base = w;
    size_t rb = (size_t)cols / fd_dtype_block_elems(dt) * fd_dtype_block_bytes(dt);
#pragma omp parallel num_threads(nth) if (nth > 1)
    {
        float *row = scratch + (size_t)omp_get_thread_num() * cols;
#pragma omp for
        for (int64_t r = 0; r < (int64_t)rows; r++) {
            fd_dequantize_row(dt, base + (size_t)r * rb, row, cols);
            double acc = 0;
            for (uint32_t b = 0; b < cols / 32; b++) {
                double blk = 0;   /* exact: 32 products of a shared-scale value and an int8 */
                for (uint32_t i = 32 * b; i < 32 * b + 32; i++) blk += (double)row[i] * q[i];
                acc += blk * d[b];
            }
            y[r] = (float)acc;
        }
    }
}
