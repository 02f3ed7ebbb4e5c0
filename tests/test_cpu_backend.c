/* test_cpu_backend.c — the CPU backend's own parts: the vectorised dots and
 * the GEMM register tile against double sums (odd lengths, so the tails
 * run), f16 rounding against the scalar conversion, the thread count option
 * (refused out of range), and the twins giving the same bits whatever the
 * thread count (each output is one thread's work).
 * Bounds: |dot - double| <= 1e-6 x sum |x w| (f32 lanes over <= 1000 terms). */
#include <math.h>
#include <string.h>
#include "check.h"
#include "foundry/ops.h"
#include "backend/cpu/simd.h"

static uint64_t seed = 7;

static float frand(void)
{
    seed = seed * 6364136223846793005ull + 1442695040888963407ull;
    return (float)((double)(seed >> 40) / (double)(1ull << 24) - 0.5);
}

static void test_dots(void)
{
    enum { N = 1000 };
    static float x[N], w[N];
    static uint16_t h[N], b[N];
    for (int i = 0; i < N; i++) {
        x[i] = frand(), w[i] = frand();
        h[i] = fd_f32_to_f16(w[i]), b[i] = fd_f32_to_bf16(w[i]);
    }
    static const size_t lens[] = { 0, 1, 7, 8, 31, 32, 33, 200, 999, 1000 };
    for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++) {
        size_t n = lens[li];
        double want[3] = { 0, 0, 0 }, mag[3] = { 0, 0, 0 };
        for (size_t i = 0; i < n; i++) {
            double t[3] = { (double)x[i] * w[i], (double)x[i] * fd_f16_to_f32(h[i]), (double)x[i] * fd_bf16_to_f32(b[i]) };
            for (int k = 0; k < 3; k++) want[k] += t[k], mag[k] += fabs(t[k]);
        }
        double got[3] = { fd_cpu_dot_f32(x, w, n), fd_cpu_dot_f16(x, h, n), fd_cpu_dot_bf16(x, b, n) };
        for (int k = 0; k < 3; k++) {
            if (fabs(got[k] - want[k]) > 1e-6 * mag[k] + 1e-30)
                fprintf(stderr, "dot %d, n %zu: %.9g against %.9g\n", k, n, got[k], want[k]);
            CHECK(fabs(got[k] - want[k]) <= 1e-6 * mag[k] + 1e-30);
        }
    }
    /* f16 conversions of whole rows against the scalar ones (tails included) */
    float y[37], v[37];
    fd_cpu_f16_to_f32(h, y, 37);
    for (int i = 0; i < 37; i++) CHECK(y[i] == fd_f16_to_f32(h[i]));
    for (int i = 0; i < 37; i++) v[i] = x[i] * 1000.0f;
    v[3] = 70000.0f;   /* overflows f16: inf both ways */
    fd_cpu_round_f16(v, 37);
    for (int i = 0; i < 37; i++) CHECK(v[i] == fd_f16_to_f32(fd_f32_to_f16(i == 3 ? 70000.0f : x[i] * 1000.0f)));
    /* the register tile, rows repeated as at an edge */
    const float *xr[4] = { x, x + 96, x + 192, x + 192 }, *wr[3] = { w, w + 96, w + 96 };
    float out[4][3];
    fd_cpu_tile4x3(xr, wr, 96, out);
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 3; j++) {
            double s = 0, m = 0;
            for (int k = 0; k < 96; k++) s += (double)xr[i][k] * wr[j][k], m += fabs((double)xr[i][k] * wr[j][k]);
            CHECK(fabs(out[i][j] - s) <= 1e-6 * m);
        }
}

static void test_threads_option(void)
{
    fd_foundry *fd = NULL;
    fd_error err = { 0 };
    CHECK(fd_foundry_create(&(fd_options){ .backend = FD_BACKEND_CPU, .threads = -1 }, &fd, &err) == FD_ERR_INVALID);
    CHECK(fd == NULL);
    CHECK_CONTAINS(err.msg, "threads");
}

/* A GEMM (ragged M and N) and a GEMV on 1 and on 3 threads: the same bits. */
static void run_twins(int threads, float *gemm_out, float *gemv_out)
{
    enum { M = 70, N = 50, K = 96 };
    fd_foundry *fd;
    CHECK_OK(fd_foundry_create(&(fd_options){ .backend = FD_BACKEND_CPU, .threads = threads }, &fd, NULL),
             (fd_error *)NULL);
    uint64_t keep = seed;
    seed = 11;
    float x[M * K], w[N * K];
    uint16_t wh[N * K];
    for (int i = 0; i < M * K; i++) x[i] = frand();
    for (int i = 0; i < N * K; i++) w[i] = frand(), wh[i] = fd_f32_to_f16(w[i]);
    seed = keep;
    fd_tensor *tx, *tw, *ty, *tv, *tg;
    CHECK_OK(fd_tensor_alloc(fd, FD_F32, 2, (int64_t[]){ M, K }, FD_INIT_COPY, x, &tx), (fd_error *)NULL);
    CHECK_OK(fd_tensor_alloc(fd, FD_F16, 2, (int64_t[]){ N, K }, FD_INIT_COPY, wh, &tw), (fd_error *)NULL);
    CHECK_OK(fd_tensor_alloc(fd, FD_F32, 2, (int64_t[]){ M, N }, FD_INIT_ZEROS, NULL, &ty), (fd_error *)NULL);
    CHECK_OK(fd_tensor_view(tx, 0, 1, (int64_t[]){ K }, &tv), (fd_error *)NULL);
    CHECK_OK(fd_tensor_alloc(fd, FD_F32, 1, (int64_t[]){ N }, FD_INIT_ZEROS, NULL, &tg), (fd_error *)NULL);
    fd_compound *c;
    CHECK_OK(fd_compound_build(&(fd_compound_desc){ .family = &FD_GEMM_FAMILY, .stage = {
                 [FD_GEMM_WEIGHTS] = fd_gemm_policy(FD_F16), [FD_GEMM_MAIN] = &FD_STAGE_GEMM } }, &c, NULL),
             (fd_error *)NULL);
    CHECK_OK(fd_run(fd, fd_compound_kernel(c), &(fd_gemm_args){ .x = tx, .w0 = tw, .y0 = ty, .M = M, .N = N, .K = K }),
             (fd_error *)NULL);
    CHECK_OK(fd_run(fd, &FD_GEMV, &(fd_gemv_plain_args){ .x = tv, .w = tw, .y = tg, .rows = N, .cols = K }),
             (fd_error *)NULL);
    CHECK_OK(fd_tensor_read(ty, gemm_out, sizeof(float) * M * N), (fd_error *)NULL);
    CHECK_OK(fd_tensor_read(tg, gemv_out, sizeof(float) * N), (fd_error *)NULL);
    /* the GEMM's first row against double sums of the f16-rounded operands (x rounded like the device's) */
    for (int n = 0; n < N; n++) {
        double s = 0, m = 0;
        for (int k = 0; k < K; k++) {
            double t = (double)fd_f16_to_f32(fd_f32_to_f16(x[k])) * fd_f16_to_f32(wh[n * K + k]);
            s += t, m += fabs(t);
        }
        CHECK(fabs(gemm_out[n] - s) <= 1e-6 * m);
    }
    fd_compound_destroy(c);
    fd_tensor *t[] = { tx, tw, ty, tg };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) (void)fd_tensor_free(t[i]);
    fd_foundry_destroy(fd);
}

static void test_same_bits_any_threads(void)
{
    static float g1[70 * 50], g3[70 * 50], v1[50], v3[50];
    run_twins(1, g1, v1);
    run_twins(3, g3, v3);
    CHECK(!memcmp(g1, g3, sizeof g1));
    CHECK(!memcmp(v1, v3, sizeof v1));
}

TEST_MAIN(test_dots, test_threads_option, test_same_bits_any_threads)
