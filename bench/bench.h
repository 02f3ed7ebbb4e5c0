/* bench.h — what the benchmarks share: the monotonic clock, the median of
 * repeated timings, weight bytes of any dtype, and exiting with the
 * foundry's message (a benchmark is a program: it may exit). Header-only;
 * each bench_*.c is its own program and defines bench_name for its
 * messages. */
#ifndef FD_BENCH_H
#define FD_BENCH_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

/* The bytes of n values of `dt` (n whole blocks) in dst
 * (n / fd_dtype_block_elems(dt) * fd_dtype_block_bytes(dt) bytes). A dtype
 * with a quantizer stores x (n f32 values). One without (QREAD: read from
 * files, never written; x is not read and may be NULL) gets pseudo-random
 * blocks, each drawn again until the library's dequantization of it gives
 * finite values of at most 16 in magnitude, so that no f16 scale or min is a
 * NaN or an infinity (which would make a timing meaningless) and the GEMM's
 * f16 operands do not overflow; BENCH_POOL distinct blocks, repeated over
 * the tensor (a kernel's speed does not depend on the values). */
#define BENCH_POOL 1024
static inline void bench_weight_bytes(fd_dtype dt, const float *x, void *dst, size_t n)
{
    if (fd_dtype_can_write(dt)) {
        fd_quantize_row(dt, x, dst, n);
        return;
    }
    size_t be = fd_dtype_block_elems(dt), bb = fd_dtype_block_bytes(dt), nb = n / be;
    unsigned char *q = dst;
    float *v = malloc(be * sizeof *v);
    if (!v) die(NULL, "out of memory");
    uint64_t s = 0x9E3779B97F4A7C15ull ^ (uint64_t)dt;
    for (size_t b = 0; b < nb && b < BENCH_POOL; b++) {
        for (int ok = 0; !ok;) {
            for (size_t i = 0; i < bb; i++) {
                s ^= s << 13, s ^= s >> 7, s ^= s << 17;
                q[b * bb + i] = (unsigned char)(s >> 24);
            }
            fd_dequantize_row(dt, q + b * bb, v, be);
            ok = 1;
            for (size_t i = 0; i < be; i++) ok &= v[i] >= -16.0f && v[i] <= 16.0f;   /* false for a NaN */
        }
    }
    for (size_t b = BENCH_POOL; b < nb; b++) memcpy(q + b * bb, q + (b % BENCH_POOL) * bb, bb);
    free(v);
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
