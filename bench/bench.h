/* bench.h — what the benchmarks share: the monotonic clock, the median of
 * repeated timings, and exiting with the foundry's message (a benchmark is a
 * program: it may exit). Header-only; each bench_*.c is its own program and
 * defines bench_name for its messages. */
#ifndef FD_BENCH_H
#define FD_BENCH_H

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "foundry/foundry.h"

/* Monotonic seconds. */
static inline double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static inline int bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The median of t[0..n) (sorted in place; the upper middle for even n). */
static inline double bench_median(double *t, int n)
{
    qsort(t, (size_t)n, sizeof *t, bench_cmp_double);
    return t[n / 2];
}

/* The program's name for messages; each benchmark defines it. */
extern const char *bench_name;

static inline void die(fd_foundry *fd, const char *what)
{
    fprintf(stderr, "%s: %s: %s\n", bench_name, what, fd ? fd_foundry_error(fd) : "");
    exit(1);
}

/* Median seconds per step of `fn` (which issues one step over argument
 * copy c), over `reps` batches of `per` steps cycling through `copies`. On
 * a GPU the batch is recorded once into a graph and replayed, as a decode
 * step is; elsewhere the steps are issued directly. */
typedef fd_status (*bench_step_fn)(fd_foundry *fd, void *ctx, int c);
static inline double bench_time_steps(fd_foundry *fd, bench_step_fn fn, void *ctx, int copies, int per, int reps)
{
    double t[16];
    fd_graph *g = NULL;
    if (reps > 16) reps = 16;
    for (int c = 0; c < copies; c++)
        if (fn(fd, ctx, c)) die(fd, "warm-up");
    if (fd_foundry_sync(fd)) die(fd, "sync");
    if (fd_foundry_backend(fd) == FD_BACKEND_CUDA) {
        if (fd_graph_begin(fd)) die(fd, "graph begin");
        for (int i = 0; i < per; i++)
            if (fn(fd, ctx, i % copies)) die(fd, "capture");
        if (fd_graph_end(fd, &g)) die(fd, "graph end");
        if (fd_graph_launch(fd, g) || fd_foundry_sync(fd)) die(fd, "graph warm-up");
    }
    for (int r = 0; r < reps; r++) {
        double t0 = bench_now();
        if (g) {
            if (fd_graph_launch(fd, g)) die(fd, "graph launch");
        } else {
            for (int i = 0; i < per; i++)
                if (fn(fd, ctx, i % copies)) die(fd, "run");
        }
        if (fd_foundry_sync(fd)) die(fd, "sync");
        t[r] = (bench_now() - t0) / per;
    }
    fd_graph_free(fd, g);
    return bench_median(t, reps);
}

#endif
