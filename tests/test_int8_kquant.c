/* test_int8_kquant.c — the CPU twin of the super-block GEMV policies
 * (ops/gemv/int8_kquant.c: q2_k, q3_k, q4_k, q5_k, q6_k, iq4_xs on the
 * int8 activation contract) against an independent product: the row dequantized by
 * base/quant_k.c / quant_iq4.c (gguf-py's values bit for bit), times x's
 * int8 blocks d_b q_i, summed in double. Random blocks (random bytes: every
 * scale, min, quant and high bit; random f16 d and dmin), random x with an
 * outlier channel and a block of zeros.
 * Bound, per output: |twin - ref| <= 2^-23 sum_i |w_i d_b q_i|. The twin's
 * integer sums are exact and its scale products exact in double; the
 * reference's w_i = dl q - ml is rounded once to f32 (at most 2^-24 |w_i|
 * off), so twice that leaves room for double's own rounding. A wrong
 * packing (a nibble, a scale, a high bit, the min's sign) moves an output by
 * a fair part of sum_i |w_i d_b q_i|. */
#include <time.h>
#include "check.h"
#include "ops/gemv/int8_ref.h"

static uint64_t seed;

/* random blocks of dt for n values, finite f16 scales (and mins) in their places */
static void random_blocks(fd_dtype dt, unsigned char *w, size_t n)
{
    size_t bb = fd_dtype_block_bytes(dt), nb = n / fd_dtype_block_elems(dt);
    for (size_t i = 0; i < nb * bb; i++) w[i] = (unsigned char)(rng_next(&seed) >> 32);
    for (size_t b = 0; b < nb; b++) {
        uint16_t d = fd_f32_to_f16(rng_uniform(&seed) * 0.02f), dmin = fd_f32_to_f16(rng_uniform(&seed) * 0.02f);
        unsigned char *p = w + b * bb;
        size_t at = dt == FD_Q2_K ? 80 : dt == FD_Q3_K ? 108 : dt == FD_Q6_K ? 208 : 0;   /* where d (and dmin) sit */
        memcpy(p + at, &d, 2);
        if (dt == FD_Q2_K || dt == FD_Q4_K || dt == FD_Q5_K) memcpy(p + at + 2, &dmin, 2);
    }
}

static void test_twin(void)
{
    enum { R = 24, K = 2048 };
    const fd_dtype dts[] = { FD_Q2_K, FD_Q3_K, FD_Q4_K, FD_Q5_K, FD_Q6_K, FD_IQ4_XS };
    for (size_t t = 0; t < sizeof dts / sizeof dts[0]; t++)
        for (int outl = 0; outl < 2; outl++) {
            fd_dtype dt = dts[t];
            CHECK(fd_int8_superblock(dt));
            size_t rb = K / fd_dtype_block_elems(dt) * fd_dtype_block_bytes(dt);
            unsigned char *w = malloc(R * rb);
            float x[K], d[K / 16], y[R], row[K];
            int8_t q[K];
            random_blocks(dt, w, (size_t)R * K);
            for (int i = 0; i < K; i++) x[i] = rng_uniform(&seed);
            for (int i = 64; i < 96; i++) x[i] = 0;   /* d = 0 */
            if (outl) x[300] *= 100, x[1500] *= -100;
            fd_int8_quantize_x(x, K, q, d, d + K / 32);
            fd_int8_gemv_rows(dt, w, q, d, 1, y, R, K, row, 1);
            double worst = 0, num = 0, den = 0;
            for (int r = 0; r < R; r++) {
                fd_dequantize_row(dt, w + r * rb, row, K);
                double ref = 0, mag = 0;
                for (int i = 0; i < K; i++) {
                    double p = (double)row[i] * ((double)d[i / 32] * q[i]);
                    ref += p;
                    mag += fabs(p);
                }
                double err = fabs((double)y[r] - ref), bound = ldexp(mag, -23) + 1e-30;
                /* the twin's result is an f32: its own rounding, 2^-24 |y|, on top */
                bound += ldexp(fabs(ref), -24);
                if (err / bound > worst) worst = err / bound;
                num += err * err, den += ref * ref;
            }
            printf("%-6s%s: twin vs dequantized double rel err %.2e, worst output at %.3f of its bound\n",
                   fd_dtype_name(dt), outl ? " (outliers)" : "", sqrt(num / den), worst);
            CHECK(worst <= 1.0);
            CHECK(den > 0);
            free(w);
        }
    CHECK(!fd_int8_superblock(FD_Q8_0) && !fd_int8_superblock(FD_IQ4_NL));
}

static void setup(void)
{
    seed = (uint64_t)time(NULL) * 0x9e3779b97f4a7c15ull | 1;
    printf("seed %llu\n", (unsigned long long)seed);
}

TEST_MAIN(setup, test_twin)
