/* bench_profile.c — what profiling costs fd_run on the host, printed as JSON.
 *
 * FD_ADD with n = 16 on the CPU backend (the kernel itself is a few
 * nanoseconds, so the figure is fd_run's own time) is run `calls` times in a
 * row, three ways: the library's fd_run with profiling off (the hook is one
 * branch), fd_run_nohook — the same src/kernel/run.c compiled a second time
 * with -DFD_NO_PROFILE_HOOK (CMakeLists.txt, target fd_run_nohook) — and
 * fd_run with profiling on (spans recorded, then dropped by fd_profile_reset
 * between repeats). The three alternate within each repeat so drift hits
 * them alike; each figure is the median over repeats of ns per call. The
 * issue's bound: off within 2% of no hook. Usage: bench_profile [--quick]. */
#include <stdio.h>
#include <string.h>
#include "bench.h"
#include "foundry/ops.h"
#include "foundry/profile.h"

/* src/kernel/run.c built with -DFD_NO_PROFILE_HOOK -Dfd_run=fd_run_nohook */
fd_status fd_run_nohook(fd_foundry *fd, const fd_kernel *k, const void *args);

typedef fd_status (*run_fn)(fd_foundry *fd, const fd_kernel *k, const void *args);

static void die(fd_foundry *fd, const char *what)
{
    fprintf(stderr, "bench_profile: %s: %s\n", what, fd_foundry_error(fd));
    exit(1);
}

/* ns per call of `calls` runs. */
static double time_calls(fd_foundry *fd, run_fn run, const fd_add_args *a, long calls)
{
    double t0 = bench_now();
    for (long i = 0; i < calls; i++)
        if (run(fd, &FD_ADD, a)) die(fd, "run");
    return (bench_now() - t0) / (double)calls * 1e9;
}

int main(int argc, char **argv)
{
    int quick = argc > 1 && !strcmp(argv[1], "--quick");
    long calls = quick ? 200000 : 1000000;
    int reps = quick ? 5 : 15;
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
    double off[64], nohook[64], on[64];
    (void)time_calls(fd, fd_run, &a, calls / 10);           /* warm caches and branch predictors */
    (void)time_calls(fd, fd_run_nohook, &a, calls / 10);
    for (int r = 0; r < reps; r++) {
        off[r] = time_calls(fd, fd_run, &a, calls);
        nohook[r] = time_calls(fd, fd_run_nohook, &a, calls);
        if (fd_profile_enable(fd, 1)) die(fd, "enable");
        on[r] = time_calls(fd, fd_run, &a, calls);
        if (fd_profile_enable(fd, 0) || fd_profile_reset(fd)) die(fd, "reset");
    }
    double o = bench_median(off, reps), h = bench_median(nohook, reps), p = bench_median(on, reps);
    printf("{\n  \"kernel\": \"add\", \"n\": %lld, \"backend\": \"cpu\", \"calls_per_repeat\": %ld, \"repeats\": %d,\n"
           "  \"ns_per_call\": {\"no_hook\": %.2f, \"profiling_off\": %.2f, \"profiling_on\": %.2f},\n"
           "  \"off_vs_no_hook\": %.4f,\n  \"off_within_2pct\": %s,\n  \"on_overhead_ns\": %.2f\n}\n",
           (long long)n, calls, reps, h, o, p, o / h, o <= h * 1.02 ? "true" : "false", p - o);
    (void)fd_tensor_free(x), (void)fd_tensor_free(y), (void)fd_tensor_free(z);
    fd_foundry_destroy(fd);
    return 0;
}
