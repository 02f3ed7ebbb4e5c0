/* bench_cpu.c — the CPU backend's hot kernels at Qwen2.5-0.5B's shapes: the
 * decode GEMVs (gate + up with SwiGLU, lm_head) and the prefill GEMMs (gate
 * + up with SwiGLU, down + residual) for f16 and q8_0 weights, each timed
 * as the median of 5 runs after a warm-up, in GFLOP/s and weight GB/s, by
 * the wall clock and by processor time (the second is the fairer figure on
 * a machine shared with other work).
 *   bench_cpu [--threads N] [--m M]     (M: prefill rows, default 64) */
#include <string.h>
#include "bench.h"
#include "foundry/ops.h"
#include "foundry/tensor.h"
#include "foundry/compound.h"

const char *bench_name = "bench_cpu";

static fd_tensor *rand_tensor(fd_foundry *fd, fd_dtype dt, int64_t r, int64_t c, uint64_t *seed)
{
    float *h = malloc((size_t)(r * c) * sizeof *h);
    for (int64_t i = 0; i < r * c; i++) {
        *seed = *seed * 6364136223846793005ull + 1442695040888963407ull;
        h[i] = (float)((double)(*seed >> 40) / (double)(1ull << 24) - 0.5);
    }
    fd_tensor *t;
    uint64_t rb;
    if (fd_dtype_row_bytes(dt, (uint64_t)(r * c), &rb, NULL)) die(fd, "row bytes");
    void *q = malloc(rb);
    fd_quantize_row(dt, h, q, (size_t)(r * c));
    if (fd_tensor_alloc(fd, dt, 2, (int64_t[]){ r, c }, FD_INIT_COPY, q, &t)) die(fd, "tensor");
    free(h), free(q);
    return t;
}

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double cpu_s;   /* the last time_run's median processor seconds (all threads) */

/* Median wall seconds of 5 runs after a warm-up; cpu_s: their median
 * processor time, which a machine shared with other work inflates less. */
static double time_run(fd_foundry *fd, const fd_kernel *k, const void *args)
{
    double t[5], c[5];
    if (fd_run(fd, k, args)) die(fd, "warm-up");
    for (int r = 0; r < 5; r++) {
        double t0 = bench_now(), c0 = cpu_now();
        if (fd_run(fd, k, args)) die(fd, "run");
        t[r] = bench_now() - t0;
        c[r] = cpu_now() - c0;
    }
    cpu_s = bench_median(c, 5);
    return bench_median(t, 5);
}

static void report(const char *name, fd_dtype dt, double s, double flops, double wbytes)
{
    printf("%-22s %-5s %9.3f ms %7.1f GFLOP/s %6.1f GB/s   cpu %9.3f ms %7.1f GFLOP/s per cpu-s\n", name,
           fd_dtype_name(dt), s * 1e3, flops / s / 1e9, wbytes / s / 1e9, cpu_s * 1e3, flops / cpu_s / 1e9);
}

int main(int argc, char **argv)
{
    int threads = 0;
    uint32_t M = 64;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--threads") && i + 1 < argc) threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--m") && i + 1 < argc) M = (uint32_t)atoi(argv[++i]);
    }
    fd_foundry *fd;
    fd_error err = { 0 };
    if (fd_foundry_create(&(fd_options){ .backend = FD_BACKEND_CPU, .threads = threads }, &fd, &err)) {
        fprintf(stderr, "bench_cpu: %s\n", err.msg);
        return 1;
    }
    const uint32_t D = 896, F = 4864, V = 151936;
    uint64_t seed = 1;
    static const fd_dtype dts[] = { FD_F16, FD_Q8_0 };
    for (int di = 0; di < 2; di++) {
        fd_dtype dt = dts[di];
        fd_tensor *gate = rand_tensor(fd, dt, F, D, &seed), *up = rand_tensor(fd, dt, F, D, &seed);
        fd_tensor *down = rand_tensor(fd, dt, D, F, &seed), *nw = rand_tensor(fd, FD_F32, 1, D, &seed);
        fd_tensor *x = rand_tensor(fd, FD_F32, 1, D, &seed), *act = rand_tensor(fd, FD_F32, 1, F, &seed);
        fd_tensor *xm = rand_tensor(fd, FD_F32, M, D, &seed), *am = rand_tensor(fd, FD_F32, M, F, &seed);
        fd_tensor *hm = rand_tensor(fd, FD_F32, M, D, &seed);
        fd_compound *g2, *g1, *m2, *m1;
        if (fd_compound_build(&(fd_compound_desc){ .family = &FD_GEMV_FAMILY, .stage = {
                [FD_GEMV_INPUT] = &FD_STAGE_INPUT_RMSNORM, [FD_GEMV_WEIGHTS] = fd_gemv_policy(dt),
                [FD_GEMV_MAIN] = &FD_STAGE_GEMV2, [FD_GEMV_EPILOGUE] = &FD_STAGE_EPI_SWIGLU } }, &g2, &err) ||
            fd_compound_build(&(fd_compound_desc){ .family = &FD_GEMV_FAMILY, .stage = {
                [FD_GEMV_INPUT] = &FD_STAGE_INPUT_RMSNORM, [FD_GEMV_WEIGHTS] = fd_gemv_policy(dt),
                [FD_GEMV_MAIN] = &FD_STAGE_GEMV } }, &g1, &err) ||
            fd_compound_build(&(fd_compound_desc){ .family = &FD_GEMM_FAMILY, .stage = {
                [FD_GEMM_INPUT] = &FD_STAGE_GEMM_INPUT_RMSNORM, [FD_GEMM_WEIGHTS] = fd_gemm_policy(dt),
                [FD_GEMM_MAIN] = &FD_STAGE_GEMM2, [FD_GEMM_EPILOGUE] = &FD_STAGE_GEMM_EPI_SWIGLU } }, &m2, &err) ||
            fd_compound_build(&(fd_compound_desc){ .family = &FD_GEMM_FAMILY, .stage = {
                [FD_GEMM_WEIGHTS] = fd_gemm_policy(dt), [FD_GEMM_MAIN] = &FD_STAGE_GEMM,
                [FD_GEMM_EPILOGUE] = &FD_STAGE_GEMM_EPI_RESIDUAL } }, &m1, &err)) {
            fprintf(stderr, "bench_cpu: %s\n", err.msg);
            return 1;
        }
        double wb = (double)fd_tensor_bytes(gate) * 2;
        double s = time_run(fd, fd_compound_kernel(g2), &(fd_gemv_args){ .x = x, .norm_w = nw, .eps = 1e-6f,
                            .w0 = gate, .w1 = up, .y0 = act, .cols = D, .rows0 = F, .rows1 = F });
        report("gemv gate+up swiglu", dt, s, 4.0 * F * D, wb);
        s = time_run(fd, fd_compound_kernel(m2), &(fd_gemm_args){ .x = xm, .norm_w = nw, .eps = 1e-6f, .w0 = gate,
                     .w1 = up, .y0 = am, .M = M, .N = F, .K = D });
        report("gemm gate+up swiglu", dt, s, 4.0 * M * F * D, wb);
        s = time_run(fd, fd_compound_kernel(m1), &(fd_gemm_args){ .x = am, .w0 = down, .r0 = hm, .y0 = hm, .M = M,
                     .N = D, .K = F });
        report("gemm down residual", dt, s, 2.0 * M * F * D, wb / 2);
        if (dt == FD_F16) {
            fd_tensor *head = rand_tensor(fd, dt, V, D, &seed), *logits;
            if (fd_tensor_alloc(fd, FD_F32, 1, (int64_t[]){ V }, FD_INIT_UNINIT, NULL, &logits)) die(fd, "logits");
            s = time_run(fd, fd_compound_kernel(g1), &(fd_gemv_args){ .x = x, .norm_w = nw, .eps = 1e-6f,
                         .w0 = head, .y0 = logits, .cols = D, .rows0 = V });
            report("gemv lm_head", dt, s, 2.0 * V * D, (double)fd_tensor_bytes(head));
            (void)fd_tensor_free(head), (void)fd_tensor_free(logits);
        }
        fd_compound_destroy(g2), fd_compound_destroy(g1), fd_compound_destroy(m2), fd_compound_destroy(m1);
        fd_tensor *t[] = { gate, up, down, nw, x, act, xm, am, hm };
        for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) (void)fd_tensor_free(t[i]);
    }
    fd_foundry_destroy(fd);
    return 0;
}
