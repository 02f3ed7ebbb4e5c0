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
#include <stdlib.h>
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

void fd_int8_residual_x(const float *x, uint32_t cols, const int8_t *q, const float *d, int8_t *r, float *dr, float *sr)
{
    for (uint32_t b = 0; b < cols / 32; b++) {
        float amax = 0.0f, sum = 0.0f;
        for (int i = 0; i < 32; i++) amax = fmaxf(amax, fabsf(x[32 * b + i]));
        float idr = (amax > 1e-30f ? 127.0f / amax : 0.0f) * 254.0f;   /* as the device: from amax, not from d */
        for (uint32_t i = 32 * b; i < 32 * b + 32; i++) {
            float v = nearbyintf(fmaf(-d[b], (float)q[i], x[i]) * idr);
            r[i] = (int8_t)(v < -127.0f ? -127.0f : v > 127.0f ? 127.0f : v);
            sum += (float)r[i];
        }
        dr[b] = d[b] / 254.0f;
        sr[b] = dr[b] * sum;
    }
}

int fd_int8_levels(void)
{
    static int levels;
    if (!levels) {
        const char *e = getenv("FOUNDRY_INT8_LEVELS");
        levels = e && e[0] == '1' && !e[1] ? 1 : 2;
    }
    return levels;
}

int fd_int8_threads(uint32_t rows, uint32_t cols)
{
    return (uint64_t)rows * cols > 1u << 16 ? omp_get_max_threads() : 1;
}

/* Q8_0 and Q4_0 rows straight from their blocks: the 32 int8 products of a
 * block summed exactly in an int, times the weight's and x's scales — what
 * the dequantized path below computes too (f16 scale x int8 is exact in f32),
 * without expanding the row; sums in double as the general path. On x86 with
 * AVX2 (chosen at run time: the binary travels) explicit bodies below do the
 * same in f32 lanes, as the device does. */
static double q8_0_row(const fd_block_q8_0 *b, const int8_t *q, const float *d, uint32_t nb)
{
    double acc = 0;
    for (uint32_t k = 0; k < nb; k++) {
        int dot = 0;
        for (int i = 0; i < 32; i++) dot += b[k].qs[i] * q[32 * k + i];
        acc += (double)fd_f16_to_f32(b[k].d) * d[k] * dot;
    }
    return acc;
}

/* value j is qs[j] & 15, value j + 16 is qs[j] >> 4; both offset by 8 */
static double q4_0_row(const fd_block_q4_0 *b, const int8_t *q, const float *d, uint32_t nb)
{
    double acc = 0;
    for (uint32_t k = 0; k < nb; k++) {
        const int8_t *x = q + 32 * k;
        int dot = 0;
        for (int j = 0; j < 16; j++) dot += ((b[k].qs[j] & 15) - 8) * x[j] + ((b[k].qs[j] >> 4) - 8) * x[j + 16];
        acc += (double)fd_f16_to_f32(b[k].d) * d[k] * dot;
    }
    return acc;
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
/* AVX2: a block's 32 products as llama.cpp's CPU path forms them — |w| (u8)
 * times x carrying w's sign (s8), pairs summed to s16 (at most 2 x 127 x 127:
 * x never holds -128) and to s32 — then scaled in f32 lanes. Q4_0's values
 * are its nibbles less 8 (-8..7). */
#define AVX2_ __attribute__((target("avx2,fma,f16c")))
AVX2_ static inline __m256 block_dot(__m256i w, __m256i x, float scale, __m256 acc)
{
    __m256i p16 = _mm256_maddubs_epi16(_mm256_sign_epi8(w, w), _mm256_sign_epi8(x, w));
    __m256i p32 = _mm256_madd_epi16(p16, _mm256_set1_epi16(1));
    return _mm256_fmadd_ps(_mm256_cvtepi32_ps(p32), _mm256_set1_ps(scale), acc);
}

AVX2_ static inline double lanes(__m256 v)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

AVX2_ static double q8_0_row_avx2(const fd_block_q8_0 *b, const int8_t *q, const float *d, uint32_t nb)
{
    __m256 acc = _mm256_setzero_ps();
    for (uint32_t k = 0; k < nb; k++)
        acc = block_dot(_mm256_loadu_si256((const __m256i *)b[k].qs), _mm256_loadu_si256((const __m256i *)(q + 32 * k)),
                        _cvtsh_ss(b[k].d) * d[k], acc);
    return lanes(acc);
}

AVX2_ static double q4_0_row_avx2(const fd_block_q4_0 *b, const int8_t *q, const float *d, uint32_t nb)
{
    __m256 acc = _mm256_setzero_ps();
    const __m128i low = _mm_set1_epi8(0x0f);
    for (uint32_t k = 0; k < nb; k++) {
        __m128i n = _mm_loadu_si128((const __m128i *)b[k].qs);   /* values j (low nibbles), j + 16 (high) */
        __m256i w = _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(n, 4), low), _mm_and_si128(n, low));
        w = _mm256_sub_epi8(w, _mm256_set1_epi8(8));
        acc = block_dot(w, _mm256_loadu_si256((const __m256i *)(q + 32 * k)), _cvtsh_ss(b[k].d) * d[k], acc);
    }
    return lanes(acc);
}
/* Every processor with AVX2 and FMA has F16C (clang's __builtin_cpu_supports does not know "f16c"). */
static int wide(void) { return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"); }
#else
#define q8_0_row_avx2 q8_0_row
#define q4_0_row_avx2 q4_0_row
static int wide(void) { return 0; }
#endif

static double quant_row(fd_dtype dt, const void *row, const int8_t *q, const float *d, uint32_t nb, int w)
{
    if (dt == FD_Q8_0) return w ? q8_0_row_avx2(row, q, d, nb) : q8_0_row(row, q, d, nb);
    return w ? q4_0_row_avx2(row, q, d, nb) : q4_0_row(row, q, d, nb);
}

void fd_int8_gemv_rows(fd_dtype dt, const void *w, const int8_t *q, const float *d, int levels, float *y,
                       uint32_t rows, uint32_t cols, float *scratch, int nth)
{
    const unsigned char *base = w;
    size_t rb = (size_t)cols / fd_dtype_block_elems(dt) * fd_dtype_block_bytes(dt);
    uint32_t nb = cols / 32;
    /* a row's levels one after the other: the row is read from memory once, the second time from cache */
    if (fd_int8_superblock(dt)) {   /* the device's sums per unit, s included: int8_kquant.c */
#pragma omp parallel for num_threads(nth) if (nth > 1)
        for (int64_t r = 0; r < (int64_t)rows; r++) {
            double acc = 0;
            for (int l = 0; l < levels; l++)
                acc += fd_int8_superblock_row(dt, base + (size_t)r * rb, q + (size_t)l * cols, d + 2 * l * nb,
                                              d + (2 * l + 1) * nb, cols);
            y[r] = (float)acc;
        }
        return;
    }
    if (dt == FD_Q8_0 || dt == FD_Q4_0) {
        int wd = wide();
#pragma omp parallel for num_threads(nth) if (nth > 1)
        for (int64_t r = 0; r < (int64_t)rows; r++) {
            double acc = 0;
            for (int l = 0; l < levels; l++)
                acc += quant_row(dt, base + (size_t)r * rb, q + (size_t)l * cols, d + 2 * l * nb, nb, wd);
            y[r] = (float)acc;
        }
        return;
    }
#pragma omp parallel num_threads(nth) if (nth > 1)
    {
        float *row = scratch + (size_t)omp_get_thread_num() * cols;
#pragma omp for
        for (int64_t r = 0; r < (int64_t)rows; r++) {
            fd_dequantize_row(dt, base + (size_t)r * rb, row, cols);
            double acc = 0;
            for (int l = 0; l < levels; l++) {
                const int8_t *ql = q + (size_t)l * cols;
                for (uint32_t b = 0; b < nb; b++) {
                    double blk = 0;   /* exact: 32 products of a shared-scale value and an int8 */
                    for (uint32_t i = 32 * b; i < 32 * b + 32; i++) blk += (double)row[i] * ql[i];
                    acc += blk * d[2 * l * nb + b];
                }
            }
            y[r] = (float)acc;
        }
    }
}
