/* simd.c — the CPU backend's vectorised inner loops (see simd.h): an AVX2 +
 * FMA + F16C body per loop, compiled for that target alone and chosen when
 * the processor has it, and a portable body with the same lanes (8 or 32
 * independent f32 sums) that the compiler may vectorise for the machine it
 * targets.
 *
 * Layer: backend. */
#include "backend/cpu/simd.h"
#include "foundry/dtype.h"

#if defined(__x86_64__) || defined(__i386__)
#define FD_X86 1
#include <immintrin.h>
#define AVX2 __attribute__((target("avx2,fma,f16c")))

/* AVX2 and FMA imply F16C on every processor that has both (Haswell, Zen). */
static int have_avx2(void)
{
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

AVX2 static double hsum(__m256 a, __m256 b, __m256 c, __m256 d)
{
    __m256 s = _mm256_add_ps(_mm256_add_ps(a, b), _mm256_add_ps(c, d));
    __m256d lo = _mm256_cvtps_pd(_mm256_castps256_ps128(s)), hi = _mm256_cvtps_pd(_mm256_extractf128_ps(s, 1));
    __m256d t = _mm256_add_pd(lo, hi);
    __m128d u = _mm_add_pd(_mm256_castpd256_pd128(t), _mm256_extractf128_pd(t, 1));
    return _mm_cvtsd_f64(_mm_add_sd(u, _mm_unpackhi_pd(u, u)));
}

/* LOAD(p) gives 8 f32 lanes from w + p. */
#define DOT_AVX2(name, T, LOAD, SCALAR)                                                       \
    AVX2 static double name(const float *x, const T *w, size_t n)                             \
    {                                                                                         \
        __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;                           \
        size_t i = 0;                                                                         \
        for (; i + 32 <= n; i += 32) {                                                        \
            a0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i), LOAD(i), a0);                        \
            a1 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i + 8), LOAD(i + 8), a1);                \
            a2 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i + 16), LOAD(i + 16), a2);              \
            a3 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i + 24), LOAD(i + 24), a3);              \
        }                                                                                     \
        for (; i + 8 <= n; i += 8) a0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i), LOAD(i), a0); \
        double s = hsum(a0, a1, a2, a3);                                                      \
        for (; i < n; i++) s += (double)x[i] * SCALAR(w[i]);                                  \
        return s;                                                                             \
    }
#define LD_F32(i) _mm256_loadu_ps(w + (i))
#define LD_F16(i) _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(w + (i))))
#define LD_BF16(i) \
    _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(w + (i)))), 16))
#define SC_F32(v) (v)
DOT_AVX2(dot_f32_avx2, float, LD_F32, SC_F32)
DOT_AVX2(dot_f16_avx2, uint16_t, LD_F16, fd_f16_to_f32)
DOT_AVX2(dot_bf16_avx2, uint16_t, LD_BF16, fd_bf16_to_f32)

AVX2 static void f16_to_f32_avx2(const uint16_t *h, float *y, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(h + i))));
    for (; i < n; i++) y[i] = fd_f16_to_f32(h[i]);
}

AVX2 static void round_f16_avx2(float *v, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(v + i, _mm256_cvtph_ps(_mm256_cvtps_ph(_mm256_loadu_ps(v + i), _MM_FROUND_TO_NEAREST_INT)));
    for (; i < n; i++) v[i] = fd_f16_to_f32(fd_f32_to_f16(v[i]));
}

AVX2 static float hsum8(__m256 s)
{
    __m128 t = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
    t = _mm_add_ps(t, _mm_movehl_ps(t, t));
    return _mm_cvtss_f32(_mm_add_ss(t, _mm_movehdup_ps(t)));
}

/* 12 accumulators + 3 x rows in flight + one w row: the 16 registers. */
AVX2 static void tile4x3_avx2(const float *const x[4], const float *const w[3], size_t k, float out[4][3])
{
    __m256 acc[4][3];
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 3; j++) acc[i][j] = _mm256_setzero_ps();
    for (size_t p = 0; p < k; p += 8) {
        __m256 w0 = _mm256_loadu_ps(w[0] + p), w1 = _mm256_loadu_ps(w[1] + p), w2 = _mm256_loadu_ps(w[2] + p);
        for (int i = 0; i < 4; i++) {
            __m256 xv = _mm256_loadu_ps(x[i] + p);
            acc[i][0] = _mm256_fmadd_ps(xv, w0, acc[i][0]);
            acc[i][1] = _mm256_fmadd_ps(xv, w1, acc[i][1]);
            acc[i][2] = _mm256_fmadd_ps(xv, w2, acc[i][2]);
        }
    }
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 3; j++) out[i][j] = hsum8(acc[i][j]);
}
#else
#define FD_X86 0
static int have_avx2(void) { return 0; }
#endif

/* ---- portable bodies: 32 independent lanes, summed in double */
#define DOT_C(name, T, CONV)                                             \
    static double name(const float *x, const T *w, size_t n)             \
    {                                                                    \
        float a[32] = { 0 };                                             \
        size_t i = 0;                                                    \
        for (; i + 32 <= n; i += 32)                                     \
            for (int l = 0; l < 32; l++) a[l] += x[i + l] * CONV(w[i + l]); \
        double s = 0;                                                    \
        for (int l = 0; l < 32; l++) s += a[l];                          \
        for (; i < n; i++) s += (double)x[i] * CONV(w[i]);               \
        return s;                                                        \
    }
#define ID_(v) (v)
DOT_C(dot_f32_c, float, ID_)
DOT_C(dot_f16_c, uint16_t, fd_f16_to_f32)
DOT_C(dot_bf16_c, uint16_t, fd_bf16_to_f32)

static void tile4x3_c(const float *const x[4], const float *const w[3], size_t k, float out[4][3])
{
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 3; j++) {
            float a[8] = { 0 };
            for (size_t p = 0; p < k; p += 8)
                for (int l = 0; l < 8; l++) a[l] += x[i][p + l] * w[j][p + l];
            out[i][j] = ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));
        }
}

/* ---- the entry points: the AVX2 body where the processor has it */
#if FD_X86
#define PICK(fast, portable) (have_avx2() ? (fast) : (portable))
#else
#define PICK(fast, portable) (portable)
#endif

double fd_cpu_dot_f32(const float *x, const float *w, size_t n) { return PICK(dot_f32_avx2, dot_f32_c)(x, w, n); }
double fd_cpu_dot_f16(const float *x, const uint16_t *w, size_t n) { return PICK(dot_f16_avx2, dot_f16_c)(x, w, n); }
double fd_cpu_dot_bf16(const float *x, const uint16_t *w, size_t n)
{
    return PICK(dot_bf16_avx2, dot_bf16_c)(x, w, n);
}

void fd_cpu_f16_to_f32(const uint16_t *h, float *y, size_t n)
{
#if FD_X86
    if (have_avx2()) {
        f16_to_f32_avx2(h, y, n);
        return;
    }
#endif
    for (size_t i = 0; i < n; i++) y[i] = fd_f16_to_f32(h[i]);
}

void fd_cpu_round_f16(float *v, size_t n)
{
#if FD_X86
    if (have_avx2()) {
        round_f16_avx2(v, n);
        return;
    }
#endif
    for (size_t i = 0; i < n; i++) v[i] = fd_f16_to_f32(fd_f32_to_f16(v[i]));
}

void fd_cpu_tile4x3(const float *const x[4], const float *const w[3], size_t k, float out[4][3])
{
    PICK(tile4x3_avx2, tile4x3_c)(x, w, k, out);
}
