/* test_tokens.c — the embedding lookup and the argmax: the CPU twins against
 * values computed here (every weight dtype, a bad id, ties, NaN, padding past
 * `valid`), their refusals; and, on a GPU, both against the CPU twin. Bounds:
 * exact — a row is copied (dequantized the same way on both sides) and an
 * index is an index. */
#include <time.h>
#include "check.h"
#include "gpu.h"
#include "foundry/ops.h"

static uint64_t seed;
static const fd_dtype dts[] = { FD_F32, FD_F16, FD_BF16, FD_Q8_0, FD_Q4_0, FD_Q4_1, FD_Q5_0, FD_Q5_1, FD_IQ4_NL,
                                FD_Q2_K, FD_Q3_K, FD_Q4_K, FD_Q5_K, FD_Q6_K, FD_IQ4_XS };
/* a row of d values, or of the next whole 256-value super-block for the super-block types */
static uint32_t dim_for(fd_dtype dt, uint32_t d) { return fd_dtype_block_elems(dt) == 256 ? (d + 255) / 256 * 256 : d; }

static fd_tensor *ids_tensor(fd_foundry *fd, const int32_t *v, int64_t n)
{
    fd_tensor *t = NULL;
    if (fd_tensor_alloc(fd, FD_I32, 1, &n, FD_INIT_COPY, v, &t)) fprintf(stderr, "alloc failed\n");
    return t;
}

static fd_tensor *zeros(fd_foundry *fd, fd_dtype dt, int64_t n)
{
    fd_tensor *t = NULL;
    if (fd_tensor_alloc(fd, dt, 1, &n, FD_INIT_ZEROS, NULL, &t)) fprintf(stderr, "alloc failed\n");
    return t;
}

static int32_t get_i32(fd_tensor *t)
{
    int32_t v = -12345;
    CHECK_OK(fd_tensor_read(t, &v, sizeof v), (fd_error *)NULL);
    return v;
}

static void test_cpu_embed(void)
{
    fd_foundry *fd = make_cpu();
    const uint32_t V = 50, T = 6;
    const int32_t ids[] = { 3, 0, 49, 50, -1, 3 };     /* 50 and -1 are outside [0, V) */
    for (size_t d = 0; d < sizeof dts / sizeof dts[0]; d++) {   /* every GPU weight dtype */
        const uint32_t D = dim_for(dts[d], 64);
        fd_tensor *w = rand_tensor(fd, dts[d], 2, (int64_t[]){ V, D }, &seed, 1);
        fd_tensor *id = ids_tensor(fd, ids, T), *y = zeros(fd, FD_F32, (int64_t)T * D), *flag = zeros(fd, FD_I32, 1);
        CHECK_OK(fd_run(fd, &FD_EMBED, &(fd_embed_args){ .ids = id, .table = w, .y = y, .flag = flag, .tokens = T,
                                                          .dim = D, .vocab = V }), (fd_error *)NULL);
        float *wv = read_f32(w), *yv = read_f32(y);
        int bad = 0;
        for (uint32_t t = 0; t < T; t++)
            for (uint32_t i = 0; i < D; i++)
                bad += yv[t * D + i] != (ids[t] >= 0 && ids[t] < (int32_t)V ? wv[(size_t)ids[t] * D + i] : 0.0f);
        CHECK_EQ(bad, 0);
        CHECK_EQ(get_i32(flag), 1);
        /* good ids only: flag stays 0 */
        fd_tensor *id2 = ids_tensor(fd, ids, 3), *y2 = zeros(fd, FD_F32, 3 * D), *f2 = zeros(fd, FD_I32, 1);
        CHECK_OK(fd_run(fd, &FD_EMBED, &(fd_embed_args){ .ids = id2, .table = w, .y = y2, .flag = f2, .tokens = 3,
                                                          .dim = D, .vocab = V }), (fd_error *)NULL);
        CHECK_EQ(get_i32(f2), 0);
        CHECK(fd_run(fd, &FD_EMBED, &(fd_embed_args){ .ids = id2, .table = w, .y = y2, .flag = f2, .tokens = 3,
                                                       .dim = D, .vocab = V + 1 }) == FD_ERR_INVALID);
        CHECK_CONTAINS(fd_foundry_error(fd), "table must be (vocab, dim)");
        fd_foundry_clear_error(fd);
        free(wv), free(yv);
        fd_tensor *all[] = { w, id, y, flag, id2, y2, f2 };
        for (size_t i = 0; i < 7; i++) (void)fd_tensor_free(all[i]);
    }
    fd_foundry_destroy(fd);
}

/* argmax of x over valid entries, as the kernel defines it */
static int32_t naive_argmax(const float *x, uint32_t valid)
{
    int32_t b = -1;
    for (uint32_t i = 0; i < valid; i++)
        if (x[i] == x[i] && (b < 0 || x[i] > x[b])) b = (int32_t)i;
    return b;
}

/* Logits with the features the argmax must get right, n values of which the first `valid` count. */
static float *logits(uint32_t n, uint32_t valid, int kind)
{
    float *x = malloc(n * sizeof *x);
    for (uint32_t i = 0; i < n; i++) x[i] = rng_uniform(&seed) * 10;
    if (kind == 1) {                                   /* the true max twice, NaN beside it, a larger one in padding */
        uint32_t a = (uint32_t)(rng_next(&seed) % (valid / 2)), b = valid / 2 + (uint32_t)(rng_next(&seed) % (valid / 2));
        x[a] = x[b] = 20;
        x[a ? a - 1 : 1] = NAN;
        x[valid / 3] = NAN;
        if (n > valid) x[valid + (n - valid) / 2] = 100;
    } else if (kind == 2) {                            /* all NaN */
        for (uint32_t i = 0; i < n; i++) x[i] = NAN;
    } else if (kind == 3) {                            /* all equal: index 0 */
        for (uint32_t i = 0; i < n; i++) x[i] = -INFINITY;
    }
    return x;
}

static void test_cpu_argmax(void)
{
    fd_foundry *fd = make_cpu();
    const uint32_t n = 1000, valid = 990;
    fd_tensor *y = zeros(fd, FD_I32, 1), *part = zeros(fd, FD_I32, 512), *count = zeros(fd, FD_I32, 1), *x;
    for (int kind = 0; kind < 4; kind++) {
        float *v = logits(n, valid, kind);
        CHECK_OK(fd_tensor_alloc(fd, FD_F32, 1, (int64_t[]){ n }, FD_INIT_COPY, v, &x), (fd_error *)NULL);
        CHECK_OK(fd_run(fd, &FD_ARGMAX, &(fd_argmax_args){ .x = x, .y = y, .part = part, .count = count, .n = n,
                                                            .valid = valid }), (fd_error *)NULL);
        int32_t want = kind == 2 ? -1 : kind == 3 ? 0 : naive_argmax(v, valid);
        CHECK_EQ(get_i32(y), want);
        if (kind == 1) CHECK(v[want] == 20.0f);
        free(v);
        (void)fd_tensor_free(x);
    }
    CHECK_OK(fd_tensor_alloc(fd, FD_F32, 1, (int64_t[]){ n }, FD_INIT_ZEROS, NULL, &x), (fd_error *)NULL);
    CHECK(fd_run(fd, &FD_ARGMAX, &(fd_argmax_args){ .x = x, .y = y, .part = part, .count = count, .n = n,
                                                     .valid = n + 1 }) == FD_ERR_INVALID);
    CHECK_CONTAINS(fd_foundry_error(fd), "valid must be in [1, n = 1000]");
    fd_tensor *all[] = { x, y, part, count };
    for (size_t i = 0; i < 4; i++) (void)fd_tensor_free(all[i]);
    fd_foundry_destroy(fd);
}

static void test_gpu_embed(void)
{
    fd_foundry *gpu = make_gpu();
    if (!gpu) SKIP("%s", gpu_why);
    fd_foundry *cpu = make_cpu();
    const uint32_t V = 1000, T = 9;
    const int32_t ids[] = { 3, 0, 999, 1000, -7, 3, 500, 2147483647, 17 };
    for (size_t d = 0; d < sizeof dts / sizeof dts[0]; d++) {
        const uint32_t D = dim_for(dts[d], 896);
        fd_tensor *w = rand_tensor(cpu, dts[d], 2, (int64_t[]){ V, D }, &seed, 1), *gw = clone_to(gpu, w);
        fd_tensor *id = ids_tensor(cpu, ids, T), *gid = ids_tensor(gpu, ids, T);
        fd_tensor *y = zeros(cpu, FD_F32, (int64_t)T * D), *gy = zeros(gpu, FD_F32, (int64_t)T * D);
        fd_tensor *f = zeros(cpu, FD_I32, 1), *gf = zeros(gpu, FD_I32, 1);
        CHECK_OK(fd_run(cpu, &FD_EMBED, &(fd_embed_args){ .ids = id, .table = w, .y = y, .flag = f, .tokens = T,
                                                           .dim = D, .vocab = V }), (fd_error *)NULL);
        fd_status st = fd_run(gpu, &FD_EMBED, &(fd_embed_args){ .ids = gid, .table = gw, .y = gy, .flag = gf,
                                                                .tokens = T, .dim = D, .vocab = V });
        if (st) fprintf(stderr, "gpu embed: %s\n", fd_foundry_error(gpu));
        CHECK_EQ(st, FD_OK);
        float *p = read_f32(y), *q = read_f32(gy);
        double e = rel_err(q, p, (size_t)T * D);
        printf("embed %-5s rel err %.3g flag %d\n", fd_dtype_name(dts[d]), e, get_i32(gf));
        CHECK(e == 0);
        CHECK_EQ(get_i32(gf), 1);
        free(p), free(q);
        fd_tensor *all[] = { w, gw, id, gid, y, gy, f, gf };
        for (size_t i = 0; i < 8; i++) (void)fd_tensor_free(all[i]);
    }
    fd_foundry_destroy(cpu);
    fd_foundry_destroy(gpu);
}

static void test_gpu_argmax(void)
{
    fd_foundry *gpu = make_gpu();
    if (!gpu) SKIP("%s", gpu_why);
    const uint32_t sizes[][2] = { { 151936, 151665 }, { 151936, 151936 }, { 1000, 3 }, { 1 << 20, 1000003 }, { 5, 5 } };
    fd_tensor *y = zeros(gpu, FD_I32, 1), *part = zeros(gpu, FD_I32, 512), *count = zeros(gpu, FD_I32, 1);
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
        for (int kind = 0; kind < 4; kind++)
            for (int rep = 0; rep < 2; rep++) {      /* twice: the ticket counter was left at zero */
                uint32_t n = sizes[s][0], valid = sizes[s][1];
                float *v = logits(n, valid, kind);
                fd_tensor *x;
                CHECK_OK(fd_tensor_alloc(gpu, FD_F32, 1, (int64_t[]){ n }, FD_INIT_COPY, v, &x), (fd_error *)NULL);
                fd_status st = fd_run(gpu, &FD_ARGMAX, &(fd_argmax_args){ .x = x, .y = y, .part = part,
                                                                          .count = count, .n = n, .valid = valid });
                if (st) fprintf(stderr, "gpu argmax: %s\n", fd_foundry_error(gpu));
                CHECK_EQ(st, FD_OK);
                int32_t want = naive_argmax(v, valid), got = get_i32(y);
                if (got != want) fprintf(stderr, "argmax n %u valid %u kind %d: %d, want %d\n", n, valid, kind, got, want);
                CHECK_EQ(got, want);
                free(v);
                (void)fd_tensor_free(x);
            }
    CHECK_EQ(get_i32(count), 0);
    fd_tensor *all[] = { y, part, count };
    for (size_t i = 0; i < 3; i++) (void)fd_tensor_free(all[i]);
    fd_foundry_destroy(gpu);
}

static void setup(void)
{
    seed = (uint64_t)time(NULL) * 2654435761u | 1;
    printf("seed %llu\n", (unsigned long long)seed);
}

TEST_MAIN(setup, test_cpu_embed, test_cpu_argmax, test_gpu_embed, test_gpu_argmax)
