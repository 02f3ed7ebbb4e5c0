/* cmd_selftest.c — `foundry selftest`, the default job until a model runs:
 * on the active backend (GPU if there is one), every GEMV policy at
 * Qwen2.5-0.5B's shapes through the compound kernels, checked against the
 * CPU reference and timed; prints a table and the verdict. --profile adds
 * the profiler's table (each check a scope), --trace FILE a Chrome trace. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cli/cli.h"
#include "foundry/ops.h"
#include "foundry/profile.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static float frand(uint64_t *s)
{
    *s ^= *s << 13, *s ^= *s >> 7, *s ^= *s << 17;
    return (float)((*s >> 11) * (1.0 / 9007199254740992.0)) * 2.0f - 1.0f;
}

static fd_status upload(fd_foundry *fd, fd_dtype dt, int ndim, const int64_t *dims, const float *x, fd_tensor **t)
{
    int64_t n = 1;
    for (int i = 0; i < ndim; i++) n *= dims[i];
    void *q = malloc((size_t)n * 4);
    if (!q) return FD_ERR_NOMEM;
    fd_quantize_row(dt, x, q, (size_t)n);
    fd_status st = fd_tensor_alloc(fd, dt, ndim, dims, FD_INIT_COPY, q, t);
    free(q);
    return st;
}

/* One policy at one shape on `fd`, against the plain CPU product. */
static int check_one(fd_foundry *fd, fd_foundry *cpu, fd_dtype dt, uint32_t N, uint32_t K, uint64_t *seed)
{
    float *w = malloc((size_t)N * K * 4), *x = malloc((size_t)K * 4), *y = malloc((size_t)N * 4),
          *ref = malloc((size_t)N * 4);
    fd_tensor *tw = NULL, *tx = NULL, *ty = NULL, *cw = NULL, *cx = NULL, *cy = NULL;
    fd_compound *c = NULL;
    fd_error err = { 0 };
    int ok = 0;
    for (size_t i = 0; i < (size_t)N * K; i++) w[i] = frand(seed);
    for (uint32_t i = 0; i < K; i++) x[i] = frand(seed);
    fd_status st = fd_compound_build(&(fd_compound_desc){ .family = &FD_GEMV_FAMILY, .stage = {
                                         [FD_GEMV_WEIGHTS] = fd_gemv_policy(dt), [FD_GEMV_MAIN] = &FD_STAGE_GEMV } },
                                     &c, &err);
    if (!st) st = upload(fd, dt, 2, (int64_t[]){ N, K }, w, &tw);
    if (!st) st = upload(fd, FD_F32, 1, (int64_t[]){ K }, x, &tx);
    if (!st) st = fd_tensor_alloc(fd, FD_F32, 1, (int64_t[]){ N }, FD_INIT_UNINIT, NULL, &ty);
    if (!st) st = upload(cpu, dt, 2, (int64_t[]){ N, K }, w, &cw);
    if (!st) st = upload(cpu, FD_F32, 1, (int64_t[]){ K }, x, &cx);
    if (!st) st = fd_tensor_alloc(cpu, FD_F32, 1, (int64_t[]){ N }, FD_INIT_UNINIT, NULL, &cy);
    if (!st) st = fd_run(cpu, &FD_GEMV, &(fd_gemv_plain_args){ .x = cx, .w = cw, .y = cy, .rows = N, .cols = K });
    fd_gemv_args a = { .x = tx, .w0 = tw, .y0 = ty, .cols = K, .rows0 = N };
    double t0 = 0, t1 = 0;
    int reps = 20;
    char scope[64];
    snprintf(scope, sizeof scope, "gemv.%s.%ux%u", fd_dtype_name(dt), N, K);
    if (!st) st = fd_run(fd, fd_compound_kernel(c), &a);             /* warm-up, compile */
    if (!st) st = fd_foundry_sync(fd);
    if (!st) st = fd_scope_begin(fd, scope);                          /* the timed runs */
    if (!st) {
        t0 = now();
        for (int r = 0; r < reps && !st; r++) st = fd_run(fd, fd_compound_kernel(c), &a);
        if (!st) st = fd_foundry_sync(fd);
        t1 = now();
    }
    if (!st) st = fd_scope_end(fd);
    if (!st) st = fd_tensor_read(ty, y, (size_t)N * 4);
    if (!st) st = fd_tensor_read(cy, ref, (size_t)N * 4);
    if (st) {
        fprintf(stderr, "selftest %s %ux%u: %s: %s %s\n", fd_dtype_name(dt), N, K, fd_status_name(st),
                err.msg[0] ? err.msg : fd_foundry_error(fd), fd_foundry_error(cpu));
    } else {
        double num = 0, den = 0;
        for (uint32_t i = 0; i < N; i++) num += (double)(y[i] - ref[i]) * (y[i] - ref[i]), den += (double)ref[i] * ref[i];
        double rel = den > 0 ? __builtin_sqrt(num / den) : 0, us = (t1 - t0) / reps * 1e6;
        double gbs = (double)fd_tensor_bytes(tw) / (us * 1e-6) / 1e9;
        ok = rel <= 1e-5;
        printf("  %-5s %6u x %-5u  rel err %.2e  %9.1f us  %7.1f GB/s  %s\n", fd_dtype_name(dt), N, K, rel, us, gbs,
               ok ? "ok" : "FAIL");
    }
    (void)fd_tensor_free(tw), (void)fd_tensor_free(tx), (void)fd_tensor_free(ty);
    (void)fd_tensor_free(cw), (void)fd_tensor_free(cx), (void)fd_tensor_free(cy);
    fd_compound_destroy(c);
    free(w), free(x), free(y), free(ref);
    return ok;
}

int cmd_selftest(int argc, char **argv)
{
    fd_backend_kind kind = FD_BACKEND_AUTO;
    int profile = 0;
    const char *trace = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: foundry selftest [--backend auto|cpu|cuda] [--profile] [--trace FILE.json]\n"
                   "  checks every GEMV weight policy at Qwen2.5-0.5B shapes against the CPU and times it\n"
                   "  --backend       where to run: auto (the GPU if there is one, default), cpu or cuda\n"
                   "  --profile       print the costliest kernels and scopes (profiling on)\n"
                   "  --trace FILE    write a Chrome trace (opens in ui.perfetto.dev); implies --profile\n");
            return 0;
        } else if (!strcmp(argv[i], "--profile")) {
            profile = 1;
        } else if (!strcmp(argv[i], "--trace")) {
            if (!(trace = cli_value("selftest", argc, argv, &i))) return 2;
            profile = 1;
        } else if (!strcmp(argv[i], "--backend")) {
            const char *b = cli_value("selftest", argc, argv, &i);
            if (!b) return 2;
            if (!strcmp(b, "cpu")) kind = FD_BACKEND_CPU;
            else if (!strcmp(b, "cuda")) kind = FD_BACKEND_CUDA;
            else if (!strcmp(b, "auto")) kind = FD_BACKEND_AUTO;
            else return cli_usage_error("selftest", "--backend '%s' is not auto, cpu or cuda", b);
        } else {
            return cli_unknown("selftest", argv[i]);
        }
    }
    fd_foundry *fd = NULL, *cpu = NULL;
    fd_error err = { 0 };
    fd_status st = fd_foundry_create(&(fd_options){ .backend = kind }, &fd, &err);
    if (st) return cli_fail("selftest", st, &err);
    st = fd_foundry_create(&(fd_options){ .backend = FD_BACKEND_CPU }, &cpu, &err);
    if (st) {
        fd_foundry_destroy(fd);
        return cli_fail("selftest", st, &err);
    }
    int gpu = fd_foundry_backend(fd) == FD_BACKEND_CUDA;
    if (profile && (st = fd_profile_enable(fd, 1)) != FD_OK) {
        cli_fail("selftest: --profile", st, NULL);
        profile = 0;
    }
    printf("foundry %s selftest on %s: compound GEMV vs the CPU reference (bound 1e-5)\n", FD_VERSION,
           fd_foundry_device_name(fd));
    static const struct { uint32_t n, k; } gpu_shapes[] = { { 896, 896 }, { 4864, 896 }, { 896, 4864 }, { 151936, 896 } },
                                           cpu_shapes[] = { { 896, 896 }, { 4864, 896 } };
    const fd_dtype dts[] = { FD_F32, FD_F16, FD_BF16, FD_Q8_0, FD_Q4_0 };
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    int good = 0, total = 0;
    for (size_t s = 0; s < (gpu ? 4u : 2u); s++)
        for (size_t d = 0; d < 5; d++, total++)
            good += check_one(fd, cpu, dts[d], gpu ? gpu_shapes[s].n : cpu_shapes[s].n,
                              gpu ? gpu_shapes[s].k : cpu_shapes[s].k, &seed);
    printf("%d of %d passed\n", good, total);
    if (profile && (st = fd_profile_write_table(fd, stdout, 10)) != FD_OK) {
        fprintf(stderr, "foundry selftest: profile: %s\n", fd_foundry_error(fd));
        good = -1;
    }
    if (trace && (st = fd_profile_write_trace(fd, trace)) != FD_OK) {
        fprintf(stderr, "foundry selftest: %s\n", fd_foundry_error(fd));
        good = -1;
    }
    fd_foundry_destroy(cpu);
    fd_foundry_destroy(fd);
    return good == total ? 0 : 1;
}
