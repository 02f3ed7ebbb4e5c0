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

#endif
