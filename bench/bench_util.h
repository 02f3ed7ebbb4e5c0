/* bench_util.h — what every benchmark program shares: a monotonic clock,
 * a comparison for sorting times (medians), and exiting with the foundry's
 * message (a benchmark is a program: it may exit). */
#ifndef FD_BENCH_UTIL_H
#define FD_BENCH_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "foundry/foundry.h"

static inline double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static inline int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The program's name for messages; each benchmark defines it. */
extern const char *bench_name;

static inline void die(fd_foundry *fd, const char *what)
{
    fprintf(stderr, "%s: %s: %s\n", bench_name, what, fd ? fd_foundry_error(fd) : "");
    exit(1);
}

#endif
