/* test_kernels.c — the kernel system and the first kernels: fd_run's
 * validation (every misuse named), the CPU kernels against values computed
 * here, and — where a GPU is present — every CUDA kernel against the CPU on
 * fresh random inputs. Bounds: ||gpu - cpu|| / ||cpu|| <= 1e-5 (f32
 * accumulation vs the double-accumulated reference over the same weights);
 * elementwise results exact. */
#include <time.h>
#include "check.h"
#include "gpu.h"
#include "foundry/ops.h"

static uint64_t seed;

static void test_validation(void)
{
    fd_foundry *fd = make_cpu();
    fd_tensor *a, *b, *y, *h, *w;
    a = rand_tensor(fd, FD_F32, 1, (int64_t[]){ 8 }, &seed, 1);
    b = rand_tensor(fd, FD_F32, 1, (int64_t[]){ 8 }, &seed, 1);
    y = rand_tensor(fd, FD_F32, 1, (int64_t[]){ 8 }, &seed, 1);
    h = rand_tensor(fd, FD_F16, 1, (int64_t[]){ 8 }, &seed, 1);
    w = rand_tensor(fd, FD_Q8_0, 2, (int64_t[]){ 8, 64 }, &seed, 1);
    CHECK(fd_run(fd, &FD_ADD, &(fd_add_args){ .a = a, .b = NULL, .y = y, .n = 8 }) == FD_ERR_INVALID);
    CHECK_CONTAINS(fd_foundry_error(fd), "'b' is NULL");
    fd_foundry_clear_error(fd);
    CHECK(fd_run(fd, &FD_ADD, &(fd_add_args){ .a = a, .b = h, .y = y, .n = 8 }) == FD_ERR_INVALID);
    CHECK_CONTAINS(fd_foundry_error(fd), "dtype f16");
    fd_foundry_clear_error(fd);
    CHECK(fd_run(fd, &FD_ADD, &(fd_add_args){ .a = a, .b = b, .y = y, .n = 9 }) == FD_ERR_INVALID);
    CHECK_CONTAINS(fd_foundry_error(fd), "n = 9");
    fd_foundry_clear_error(fd);
    CHECK_OK(fd_run(fd, &FD_ADD, &(fd_add_args){ .a = a, .b = b, .y = a, .n = 8 }), (fd_error *)NULL); /* in place */
    fd_tensor *x = rand_tensor(fd, FD_F32, 1, (int64_t[]){ 64 }, &seed, 1);
    CHECK(fd_run(fd, &FD_GEMV, &(fd_gemv_plain_args){ .x = x, .w = w, .y = x, .rows = 8, .cols = 64 }) == FD_ERR_INVALID);
    CHECK_CONTAINS(fd_foundry_error(fd), "overlaps");
    fd_foundry_clear_error(fd);
    CHECK(fd_run(fd, &FD_GEMV, &(fd_gemv_plain_args){ .x = x, .w = w, .y = y, .rows = 8, .cols = 32 }) == FD_ERR_INVALID);
    CHECK_CONTAINS(fd_foundry_error(fd), "must be (8, 32)");
    fd_foundry_clear_error(fd);
    CHECK_OK(fd_tensor_set_readonly(y, 1), (fd_error *)NULL);
    CHECK(fd_run(fd, &FD_GEMV, &(fd_gemv_plain_args){ .x = x, .w = w, .y = y, .rows = 8, .cols = 64 }) == FD_ERR_STATE);
    CHECK_CONTAINS(fd_foundry_error(fd), "read-only");
    fd_foundry_clear_error(fd);
    fd_tensor *p;
    CHECK_OK(fd_tensor_alloc_pooled(fd, FD_F32, 1, (int64_t[]){ 8 }, FD_INIT_ZEROS, NULL, &p), (fd_error *)NULL);
    CHECK_OK(fd_pool_reset(fd), (fd_error *)NULL);
    CHECK(fd_run(fd, &FD_GEMV, &(fd_gemv_plain_args){ .x = x, .w = w, .y = p, .rows = 8, .cols = 64 }) == FD_ERR_STATE);
    CHECK_CONTAINS(fd_foundry_error(fd), "fd_pool_reset");
    fd_foundry_clear_error(fd);
    fd_tensor *all[] = { a, b, y, h, w, x };
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) CHECK_OK(fd_tensor_free(all[i]), (fd_error *)NULL);
    fd_foundry_destroy(fd);
}

static void test_cpu_values(void)
{
    fd_foundry *fd = make_cpu();
    fd_tensor *a = rand_tensor(fd, FD_F32, 1, (int64_t[]){ 1000 }, &seed, 1);
    fd_tensor *b = rand_tensor(fd, FD_F32, 1, (int64_t[]){ 1000 }, &seed, 1);
    fd_tensor *y, *r, *ones;
    CHECK_OK(fd_tensor_alloc(fd, FD_F32, 1, (int64_t[]){ 1000 }, FD_INIT_UNINIT, NULL, &y), (fd_error *)NULL);
    CHECK_OK(fd_run(fd, &FD_ADD, &(fd_add_args){ .a = a, .b = b, .y = y, .n = 1000 }), (fd_error *)NULL);
    float *av = read_f32(a), *bv = read_f32(b), *yv = read_f32(y);
    int bad = 0;
    for (int i = 0; i < 1000; i++) bad += yv[i] != av[i] + bv[i];
    CHECK_EQ(bad, 0);
    CHECK_OK(fd_tensor_alloc(fd, FD_I32, 1, (int64_t[]){ 7 }, FD_INIT_UNINIT, NULL, &r), (fd_error *)NULL);
    CHECK_OK(fd_run(fd, &FD_ARANGE, &(fd_arange_args){ .y = r, .n = 7, .start = 3, .step = 2 }), (fd_error *)NULL);
    int32_t rv[7];
    CHECK_OK(fd_tensor_read(r, rv, sizeof rv), (fd_error *)NULL);
    CHECK_EQ(rv[6], 15);
    CHECK_OK(fd_tensor_alloc(fd, FD_BF16, 1, (int64_t[]){ 5 }, FD_INIT_ZEROS, NULL, &ones), (fd_error *)NULL);
    CHECK_OK(fd_run(fd, &FD_ONES, &(fd_ones_args){ .y = ones, .n = 5 }), (fd_error *)NULL);
    float ov[5];
    CHECK_OK(fd_tensor_read_f32(ones, ov, 5), (fd_error *)NULL);
    CHECK_EQ(ov[0] + ov[4], 2);
    /* GEMV on the CPU against a product computed here over the dequantized weights */
    const fd_dtype dts[] = { FD_F32, FD_F16, FD_BF16, FD_Q8_0, FD_Q4_0 };
    for (size_t d = 0; d < 5; d++) {
        uint32_t N = 37, K = 96;
        fd_tensor *w = rand_tensor(fd, dts[d], 2, (int64_t[]){ N, K }, &seed, 1);
        fd_tensor *x = rand_tensor(fd, FD_F32, 1, (int64_t[]){ K }, &seed, 1), *gy;
        CHECK_OK(fd_tensor_alloc(fd, FD_F32, 1, (int64_t[]){ N }, FD_INIT_UNINIT, NULL, &gy), (fd_error *)NULL);
        CHECK_OK(fd_run(fd, &FD_GEMV, &(fd_gemv_plain_args){ .x = x, .w = w, .y = gy, .rows = N, .cols = K }),
                 (fd_error *)NULL);
        float *wv = read_f32(w), *xv = read_f32(x), *got = read_f32(gy), want[37];
        for (uint32_t i = 0; i < N; i++) {
            double s = 0;
            for (uint32_t k = 0; k < K; k++) s += (double)wv[i * K + k] * xv[k];
            want[i] = (float)s;
        }
        CHECK(rel_err(got, want, N) < 1e-6);
        free(wv), free(xv), free(got);
        (void)fd_tensor_free(w), (void)fd_tensor_free(x), (void)fd_tensor_free(gy);
    }
    free(av), free(bv), free(yv);
    fd_tensor *all[] = { a, b, y, r, ones };
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) CHECK_OK(fd_tensor_free(all[i]), (fd_error *)NULL);
    fd_foundry_destroy(fd);
}

/* GPU against CPU, fresh random inputs. */
static void gemv_parity(fd_foundry *cpu, fd_foundry *gpu, fd_dtype dt, uint32_t N, uint32_t K)
{
    fd_tensor *w = rand_tensor(cpu, dt, 2, (int64_t[]){ N, K }, &seed, 1);
    fd_tensor *x = rand_tensor(cpu, FD_F32, 1, (int64_t[]){ K }, &seed, 1), *y, *gy;
    fd_tensor *gw = clone_to(gpu, w), *gx = clone_to(gpu, x);
    CHECK_OK(fd_tensor_alloc(cpu, FD_F32, 1, (int64_t[]){ N }, FD_INIT_UNINIT, NULL, &y), (fd_error *)NULL);
    CHECK_OK(fd_tensor_alloc(gpu, FD_F32, 1, (int64_t[]){ N }, FD_INIT_UNINIT, NULL, &gy), (fd_error *)NULL);
    CHECK_OK(fd_run(cpu, &FD_GEMV, &(fd_gemv_plain_args){ .x = x, .w = w, .y = y, .rows = N, .cols = K }), (fd_error *)NULL);
    fd_status st = fd_run(gpu, &FD_GEMV, &(fd_gemv_plain_args){ .x = gx, .w = gw, .y = gy, .rows = N, .cols = K });
    if (st) fprintf(stderr, "gpu gemv: %s\n", fd_foundry_error(gpu));
    CHECK_EQ(st, FD_OK);
    float *a = read_f32(gy), *b = read_f32(y);
    double e = rel_err(a, b, N);
    printf("gemv %-5s %6u x %-6u rel err %.3g\n", fd_dtype_name(dt), N, K, e);
    CHECK(e <= 1e-5);
    free(a), free(b);
    (void)fd_tensor_free(w), (void)fd_tensor_free(x), (void)fd_tensor_free(y);
    (void)fd_tensor_free(gw), (void)fd_tensor_free(gx), (void)fd_tensor_free(gy);
}

/* Plain kernels flagged FD_KERNEL_PDL_AUTO get an entry point that waits
 * for their predecessor before the body; the others do not. */
static void test_pdl_auto_source(void)
{
    fd_dtype dt[8];
    char *src = NULL;
    CHECK(fd_kernel_variant(&FD_ADD, 0, dt));
    CHECK_OK(fd_kernel_source(&FD_ADD, dt, &src, NULL), (fd_error *)NULL);
    CHECK_CONTAINS(src, "#define FD_PDL_AUTO 1");
    CHECK_CONTAINS(src, "fd_pdl_wait(); fd_pdl_launch(); fd_body(a);");
    fd_kernel_source_free(src);
    CHECK(fd_kernel_variant(&FD_GEMV, 0, dt));
    CHECK_OK(fd_kernel_source(&FD_GEMV, dt, &src, NULL), (fd_error *)NULL);
    CHECK_CONTAINS(src, "#define FD_PDL_AUTO 0");
    fd_kernel_source_free(src);
    CHECK(FD_ADD.flags & FD_KERNEL_PDL_AUTO);
    CHECK(!(FD_GEMV.flags & (FD_KERNEL_PDL_AUTO | FD_KERNEL_PDL)));
}

static void test_gpu_parity(void)
{
    fd_foundry *gpu = make_gpu();
    if (!gpu) SKIP("%s", gpu_why);
    fd_foundry *cpu = make_cpu();
    const fd_dtype dts[] = { FD_F32, FD_F16, FD_BF16, FD_Q8_0, FD_Q4_0 };
    for (size_t d = 0; d < 5; d++) {
        gemv_parity(cpu, gpu, dts[d], 896, 896);
        gemv_parity(cpu, gpu, dts[d], 4864, 896);
        gemv_parity(cpu, gpu, dts[d], 896, 4864);
        if (!fd_dtype_is_quant(dts[d])) gemv_parity(cpu, gpu, dts[d], 37, 101);  /* odd sizes */
    }
    /* elementwise kernels, odd length (vector body and scalar tail) */
    uint32_t n = 100003;
    fd_tensor *a = rand_tensor(cpu, FD_F32, 1, (int64_t[]){ n }, &seed, 1);
    fd_tensor *b = rand_tensor(cpu, FD_F32, 1, (int64_t[]){ n }, &seed, 1), *y, *gy, *r, *gr, *o, *go;
    fd_tensor *ga = clone_to(gpu, a), *gb = clone_to(gpu, b);
    CHECK_OK(fd_tensor_alloc(cpu, FD_F32, 1, (int64_t[]){ n }, FD_INIT_UNINIT, NULL, &y), (fd_error *)NULL);
    CHECK_OK(fd_tensor_alloc(gpu, FD_F32, 1, (int64_t[]){ n }, FD_INIT_UNINIT, NULL, &gy), (fd_error *)NULL);
    CHECK_OK(fd_run(cpu, &FD_ADD, &(fd_add_args){ .a = a, .b = b, .y = y, .n = n }), (fd_error *)NULL);
    CHECK_OK(fd_run(gpu, &FD_ADD, &(fd_add_args){ .a = ga, .b = gb, .y = gy, .n = n }), (fd_error *)NULL);
    float *p = read_f32(y), *q = read_f32(gy);
    CHECK(rel_err(q, p, n) == 0);
    free(p), free(q);
    CHECK_OK(fd_tensor_alloc(cpu, FD_F32, 1, (int64_t[]){ 1000 }, FD_INIT_UNINIT, NULL, &r), (fd_error *)NULL);
    CHECK_OK(fd_tensor_alloc(gpu, FD_F32, 1, (int64_t[]){ 1000 }, FD_INIT_UNINIT, NULL, &gr), (fd_error *)NULL);
    CHECK_OK(fd_run(cpu, &FD_ARANGE, &(fd_arange_args){ .y = r, .n = 1000, .start = -5, .step = 0.5f }), (fd_error *)NULL);
    CHECK_OK(fd_run(gpu, &FD_ARANGE, &(fd_arange_args){ .y = gr, .n = 1000, .start = -5, .step = 0.5f }), (fd_error *)NULL);
    p = read_f32(r), q = read_f32(gr);
    CHECK(rel_err(q, p, 1000) == 0);
    free(p), free(q);
    CHECK_OK(fd_tensor_alloc(cpu, FD_F16, 1, (int64_t[]){ 999 }, FD_INIT_ZEROS, NULL, &o), (fd_error *)NULL);
    CHECK_OK(fd_tensor_alloc(gpu, FD_F16, 1, (int64_t[]){ 999 }, FD_INIT_ZEROS, NULL, &go), (fd_error *)NULL);
    CHECK_OK(fd_run(cpu, &FD_ONES, &(fd_ones_args){ .y = o, .n = 999 }), (fd_error *)NULL);
    CHECK_OK(fd_run(gpu, &FD_ONES, &(fd_ones_args){ .y = go, .n = 999 }), (fd_error *)NULL);
    p = read_f32(o), q = read_f32(go);
    CHECK(rel_err(q, p, 999) == 0 && q[998] == 1.0f);
    free(p), free(q);
    fd_tensor *all[] = { a, b, y, gy, r, gr, o, go, ga, gb };
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) CHECK_OK(fd_tensor_free(all[i]), (fd_error *)NULL);
    fd_foundry_destroy(cpu);
    fd_foundry_destroy(gpu);
}

static void setup(void)
{
    seed = (uint64_t)time(NULL) * 2654435761u | 1;
    printf("seed %llu\n", (unsigned long long)seed);
}

/* fd_tensor_write_range / read_range on `fd` in each state of the host copy:
 * the device newer (a kernel wrote the tensor: the range goes up alone), the
 * host copy dirty (the range joins it), equal (both updated); the token
 * history's use. Values checked against a host model of the tensor. */
static void ranges(fd_foundry *fd)
{
    const uint32_t n = 1000;
    fd_tensor *t = NULL;
    int32_t model[1000], got[1000];
    CHECK_OK(fd_tensor_alloc(fd, FD_I32, 1, (int64_t[]){ n }, FD_INIT_ZEROS, NULL, &t), (fd_error *)NULL);
    CHECK_OK(fd_run(fd, &FD_ARANGE, &(fd_arange_args){ .y = t, .n = n, .start = 0, .step = 1 }), (fd_error *)NULL);
    for (uint32_t i = 0; i < n; i++) model[i] = (int32_t)i;
    int32_t a[3] = { -1, -2, -3 }, b[2] = { 77, 78 }, c[4];
    CHECK_OK(fd_tensor_write_range(t, 10 * 4, a, sizeof a), (fd_error *)NULL);          /* the device newer */
    memcpy(model + 10, a, sizeof a);
    CHECK_OK(fd_tensor_read_range(t, 9 * 4, c, sizeof c), (fd_error *)NULL);
    CHECK(!memcmp(c, model + 9, sizeof c));
    CHECK_OK(fd_tensor_read(t, got, sizeof got), (fd_error *)NULL);
    CHECK(!memcmp(got, model, sizeof got));
    CHECK_OK(fd_tensor_write_range(t, 500 * 4, b, sizeof b), (fd_error *)NULL);         /* the host copy equal */
    memcpy(model + 500, b, sizeof b);
    CHECK_OK(fd_tensor_read(t, got, sizeof got), (fd_error *)NULL);
    CHECK(!memcmp(got, model, sizeof got));
    model[0] = 5;
    CHECK_OK(fd_tensor_write(t, model, sizeof model), (fd_error *)NULL);                /* the host copy dirty */
    CHECK_OK(fd_tensor_write_range(t, 998 * 4, a, 8), (fd_error *)NULL);
    memcpy(model + 998, a, 8);
    CHECK_OK(fd_tensor_read_range(t, 996 * 4, c, sizeof c), (fd_error *)NULL);
    CHECK(!memcmp(c, model + 996, sizeof c));
    CHECK_OK(fd_tensor_flush(t), (fd_error *)NULL);
    CHECK_OK(fd_tensor_read(t, got, sizeof got), (fd_error *)NULL);
    CHECK(!memcmp(got, model, sizeof got));
    /* refusals: outside the tensor, read-only */
    CHECK(fd_tensor_write_range(t, 999 * 4, a, 8) == FD_ERR_INVALID);
    CHECK_CONTAINS(fd_foundry_error(fd), "outside the tensor");
    fd_foundry_clear_error(fd);
    CHECK(fd_tensor_read_range(t, 4001, c, 0) == FD_ERR_INVALID);
    fd_foundry_clear_error(fd);
    CHECK_OK(fd_foundry_sync(fd), (fd_error *)NULL);
    CHECK_OK(fd_tensor_set_readonly(t, 1), (fd_error *)NULL);
    CHECK(fd_tensor_write_range(t, 0, a, 4) == FD_ERR_STATE);
    fd_foundry_clear_error(fd);
    (void)fd_tensor_free(t);
}

static void test_ranges(void) { ON_CPU(ranges); }

static void test_gpu_ranges(void) { ON_GPU(ranges); }

TEST_MAIN(setup, test_validation, test_cpu_values, test_pdl_auto_source, test_gpu_parity, test_ranges, test_gpu_ranges)
