/* bench_profile.c — what profiling costs fd_run on the host, printed as JSON.
 *
 * FD_ADD with n = 16 on the CPU backend (the kernel itself is a few
 * nanoseconds, so the figure is fd_run's own time) is run `calls` times in a
 * row, three ways: the library's fd_run with profiling off (the hook is one
 * branch), fd_run_nohook — the same src/kernel/run.c compiled a second time
 * with -DFD_NO_PROFILE_HOOK (CMakeLists.txt, target fd_run_nohook) — and
 * fd_run with profiling on (spans recorded, dropped by fd_profile_reset
 * after each batch). Each round times one batch of `batch` calls of each,
 * in an order that rotates from round to round, so that load from other
 * processes and drift hit the three alike; the figures are the medians over
 * rounds of ns per call and of the per-round ratio off / no hook (robust on
 * a busy machine), and the fastest batch of each. The bound: off
 * within 2% of no hook. Usage: bench_profile [--quick]. */
#include <stdio.h>
#include <string.h>
#include "bench.h"
#include "foundry/ops.h"
#include "foundry/profile.h"

const char *bench_name = "bench_profile";

/* src/kernel/run.c built with -DFD_NO_PROFILE_HOOK -Dfd_run=fd_run_nohook */
fd_status fd_run_nohook(fd_foundry *fd, const fd_kernel *k, const void *args);

typedef fd_status (*run_fn)(fd_foundry *fd, const fd_kernel *k, const void *args);

/* ns per call of `calls` runs. */
static double time_calls(fd_foundry *fd, run_fn run, const fd_add_args *a, long calls)
{
    double t0 = bench_now();
    for (long i = 0; i < calls; i++)
        if (run(fd, &FD_ADD, a)) die(fd, "run");
    return (bench_now() - t0) / (double)calls * 1e9;
}

#define MAX_ROUNDS 400

int main(int argc, char **argv)
{
    int quick = argc > 1 && !strcmp(argv[1], "--quick");
    long batch = 20000;
    int rounds = quick ? 40 : 300;
    fd_foundry *fd;
    fd_error err = { 0 };
    if (fd_foundry_create(&(fd_options){ .backend = FD_BACKEND_CPU }, &fd, &err)) {
        fprintf(stderr, "bench_profile: %s\n", err.msg);
        return 1;
    }
    int64_t n = 16;
    fd_tensor *x, *y, *z;
    if (fd_tensor_alloc(fd, FD_F32, 1, &n, FD_INIT_ONES, NULL, &x) ||
        fd_tensor_alloc(fd, FD_F32, 1, &n, FD_INIT_ONES, NULL, &y) ||
        fd_tensor_alloc(fd, FD_F32, 1, &n, FD_INIT_ZEROS, NULL, &z))
        die(fd, "alloc");
    fd_add_args a = { .a = x, .b = y, .y = z, .n = (uint32_t)n };
    static double t[3][MAX_ROUNDS], ratio[MAX_ROUNDS], best[3] = { 1e30, 1e30, 1e30 };
    enum { NOHOOK, OFF, ON };
    (void)time_calls(fd, fd_run, &a, batch * 5);            /* warm caches and branch predictors */
    (void)time_calls(fd, fd_run_nohook, &a, batch * 5);
    for (int r = 0; r < rounds; r++) {
        for (int j = 0; j < 3; j++) {
            int m = (r + j) % 3;
            if (m == ON && fd_profile_enable(fd, 1)) die(fd, "enable");
            t[m][r] = time_calls(fd, m == NOHOOK ? fd_run_nohook : fd_run, &a, batch);
            if (m == ON && (fd_profile_enable(fd, 0) || fd_profile_reset(fd))) die(fd, "reset");
            if (t[m][r] < best[m]) best[m] = t[m][r];
        }
        ratio[r] = t[OFF][r] / t[NOHOOK][r];
    }
    double h = bench_median(t[NOHOOK], rounds), o = bench_median(t[OFF], rounds), p = bench_median(t[ON], rounds);
    double q = bench_median(ratio, rounds);
    printf("{\n  \"kernel\": \"add\", \"n\": %lld, \"backend\": \"cpu\", \"calls_per_batch\": %ld, \"rounds\": %d,\n"
           "  \"ns_per_call\": {\"no_hook\": %.2f, \"profiling_off\": %.2f, \"profiling_on\": %.2f},\n"
           "  \"fastest_batch_ns_per_call\": {\"no_hook\": %.2f, \"profiling_off\": %.2f, \"profiling_on\": %.2f},\n"
           "  \"off_vs_no_hook\": %.4f,\n  \"off_within_2pct\": %s,\n  \"on_overhead_ns\": %.2f\n}\n",
           (long long)n, batch, rounds, h, o, p, best[NOHOOK], best[OFF], best[ON], q, q <= 1.02 ? "true" : "false",
           p - o);
    (void)fd_tensor_free(x), (void)fd_tensor_free(y), (void)fd_tensor_free(z);
    fd_foundry_destroy(fd);
    return 0;
}
