/* gpu.h — test helpers: a CPU foundry, and a CUDA foundry when a GPU is
 * present (NULL otherwise, with the reason, so GPU tests skip saying why). */
#ifndef FD_TEST_GPU_H
#define FD_TEST_GPU_H

#include "foundry/foundry.h"
#include "foundry/tensor.h"

static char gpu_why[1100];

static inline void quiet_log(void *u, fd_log_level l, const char *m)
{
    (void)u;
    if (l >= FD_LOG_WARN) fprintf(stderr, "foundry: %s\n", m);
}

static inline fd_foundry *make_cpu(void)
{
    fd_foundry *fd = NULL;
    fd_error e = { 0 };
    if (fd_foundry_create(&(fd_options){ .backend = FD_BACKEND_CPU, .log = quiet_log }, &fd, &e))
        fprintf(stderr, "cpu foundry: %s\n", e.msg);
    return fd;
}

static inline fd_foundry *make_gpu(void)
{
    fd_foundry *fd = NULL;
    fd_error e = { 0 };
    if (fd_foundry_create(&(fd_options){ .backend = FD_BACKEND_CUDA, .log = quiet_log }, &fd, &e)) {
        snprintf(gpu_why, sizeof gpu_why, "no GPU: %s", e.msg);
        return NULL;
    }
    return fd;
}

/* A test run once per backend: body(fd) on a CPU foundry, or on a GPU one
 * (the test skips, saying why, without a GPU). SKIP names the test. */
#define ON_CPU(body) do { fd_foundry *fd_ = make_cpu(); body(fd_); fd_foundry_destroy(fd_); } while (0)
#define ON_GPU(body) do { fd_foundry *fd_ = make_gpu(); if (!fd_) SKIP("%s", gpu_why); body(fd_); \
                          fd_foundry_destroy(fd_); } while (0)

/* The bytes of n values x in dtype dt: quantized where dt has a quantizer;
 * for the read-only types (no quantizer) blocks made from x's bits: quants
 * (and sub-block scales) from its mantissas, the scale x[0] / 16 and the min
 * x[1] of each block (finite, of x's size; a 256-value super-block's
 * x[0] / 256 and x[1] / 64 under its 6-bit scales), so tests read them back
 * as stored. */
static inline void test_blocks(fd_dtype dt, const float *x, unsigned char *q, size_t n)
{
    if (fd_dtype_can_write(dt)) {
        fd_quantize_row(dt, x, q, n);
        return;
    }
    size_t bb = fd_dtype_block_bytes(dt), be = fd_dtype_block_elems(dt);
    for (size_t b = 0; b < n / be; b++) {
        const float *v = x + b * be;
        for (size_t i = 0; i < bb; i++) {
            uint32_t u;
            memcpy(&u, &v[i % be], sizeof u);
            q[b * bb + i] = (unsigned char)((u >> 8) ^ (u >> 16) ^ (uint32_t)i * 37u);
        }
        uint16_t h[2] = { fd_f32_to_f16(v[0] / 16.0f), fd_f32_to_f16(v[1]) };
        if (be == 256) h[0] = fd_f32_to_f16(v[0] / 256.0f), h[1] = fd_f32_to_f16(v[1] / 64.0f);   /* 6-bit scales */
        int mins = dt == FD_Q4_1 || dt == FD_Q5_1 || dt == FD_Q2_K || dt == FD_Q4_K || dt == FD_Q5_K;
        size_t at = dt == FD_Q2_K ? 80 : dt == FD_Q3_K ? 108 : dt == FD_Q6_K ? 208 : 0;   /* where d (and dmin) sit */
        memcpy(q + b * bb + at, h, mins ? 4 : 2);
    }
}

/* A tensor of random values in [-scale, scale), stored as `dt`. */
static inline fd_tensor *rand_tensor(fd_foundry *fd, fd_dtype dt, int ndim, const int64_t *dims, uint64_t *seed, float scale)
{
    int64_t n = 1;
    for (int i = 0; i < ndim; i++) n *= dims[i];
    float *x = malloc((size_t)n * sizeof *x);
    unsigned char *q = malloc((size_t)n * 4 + 64);
    for (int64_t i = 0; i < n; i++) x[i] = rng_uniform(seed) * scale;
    test_blocks(dt, x, q, (size_t)n);
    fd_tensor *t = NULL;
    if (fd_tensor_alloc(fd, dt, ndim, dims, FD_INIT_COPY, q, &t)) fprintf(stderr, "alloc: %s\n", fd_foundry_error(fd));
    free(x);
    free(q);
    return t;
}

/* The same bytes in another foundry. */
static inline fd_tensor *clone_to(fd_foundry *dst, fd_tensor *src)
{
    size_t n = fd_tensor_bytes(src);
    void *buf = malloc(n);
    fd_tensor *t = NULL;
    int64_t dims[FD_MAX_DIMS];
    for (int i = 0; i < fd_tensor_ndim(src); i++) dims[i] = fd_tensor_dim(src, i);
    if (fd_tensor_read(src, buf, n) == FD_OK)
        if (fd_tensor_alloc(dst, fd_tensor_dtype(src), fd_tensor_ndim(src), dims, FD_INIT_COPY, buf, &t)) t = NULL;
    free(buf);
    return t;
}

static inline float *read_f32(fd_tensor *t)
{
    size_t n = (size_t)fd_tensor_numel(t);
    float *y = malloc(n * sizeof *y);
    if (fd_tensor_read_f32(t, y, n) != FD_OK) fprintf(stderr, "read: %s\n", fd_foundry_error(t ? NULL : NULL));
    return y;
}

#endif
