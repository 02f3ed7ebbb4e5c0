/* test_core.c — the foundry context, resource registry, tensors and pool on
 * the CPU backend: every misuse the core promises to catch returns a status
 * with a message and corrupts nothing; allocation failures leak nothing. */
#include "check.h"
#include "foundry/foundry.h"
#include "foundry/tensor.h"
#include "foundry/resource.h"
#include "base/mem.h"

static char last_log[1024];
static int log_count;
static void capture_log(void *user, fd_log_level lvl, const char *msg)
{
    (void)user, (void)lvl;
    snprintf(last_log, sizeof last_log, "%s", msg);
    log_count++;
}

static fd_foundry *cpu_foundry(void)
{
    fd_foundry *fd = NULL;
    fd_error e = { 0 };
    CHECK_OK(fd_foundry_create(&(fd_options){ .backend = FD_BACKEND_CPU, .pool_bytes = 1 << 20,
                                              .log = capture_log }, &fd, &e), &e);
    return fd;
}

static void test_foundry(void)
{
    fd_foundry *fd = cpu_foundry();
    CHECK(fd != NULL);
    CHECK_EQ(fd_foundry_backend(fd), FD_BACKEND_CPU);
    CHECK_EQ(fd_foundry_pdl(fd), 0);   /* nothing overlaps on the CPU */
    CHECK_STR(fd_foundry_error(fd), "");
    CHECK_EQ(fd_pool_capacity(fd), 1 << 20);
    CHECK_OK(fd_foundry_sync(fd), (fd_error *)NULL);
    fd_foundry_destroy(fd);
    fd_foundry_destroy(NULL);
    /* a bad option is refused with a message */
    fd_error e = { 0 };
    fd = (fd_foundry *)1;
    CHECK(fd_foundry_create(&(fd_options){ .backend = (fd_backend_kind)7 }, &fd, &e) == FD_ERR_INVALID);
    CHECK(fd == NULL);
    CHECK_CONTAINS(e.msg, "backend");
    /* auto always gives a foundry (CPU when there is no GPU) */
    fd_error e2 = { 0 };
    CHECK_OK(fd_foundry_create(&(fd_options){ .backend = FD_BACKEND_AUTO, .log = capture_log }, &fd, &e2), &e2);
    fd_foundry_destroy(fd);
}

static void test_cuda_request(void)
{
    /* asking for CUDA either works or fails clearly; it never falls back silently */
    fd_foundry *fd = NULL;
    fd_error e = { 0 };
    fd_status st = fd_foundry_create(&(fd_options){ .backend = FD_BACKEND_CUDA, .log = capture_log }, &fd, &e);
    if (st == FD_OK) {
        CHECK_EQ(fd_foundry_backend(fd), FD_BACKEND_CUDA);
        const char *pdl = getenv("FOUNDRY_PDL");
        if (pdl && !strcmp(pdl, "0")) CHECK_EQ(fd_foundry_pdl(fd), 0);   /* the switch is obeyed */
        fd_foundry_destroy(fd);
    } else {
        CHECK(fd == NULL);
        CHECK_CONTAINS(e.msg, "CUDA");
    }
}

typedef struct counter { int value; int *destroyed_order; int *ndestroyed; int id; } counter;
static int destroyed[8], ndestroyed;
static int fail_create;
static fd_status counter_create(fd_foundry *fd, void *o, const void *cfg, fd_error *err)
{
    (void)fd, (void)err;
    if (cfg) {
        ((counter *)o)->value = *(const int *)cfg;
        return FD_OK;
    }
    counter *c = o;
    if (fail_create) return FD_ERR_NOMEM;
    c->value = 42;
    return FD_OK;
}
static void counter_destroy_a(fd_foundry *fd, void *o) { (void)fd, (void)o; destroyed[ndestroyed++] = 1; }
static void counter_destroy_b(fd_foundry *fd, void *o) { (void)fd, (void)o; destroyed[ndestroyed++] = 2; }
static const fd_resource_type RES_A = { "a", sizeof(counter), counter_create, counter_destroy_a, 0 };
static const fd_resource_type RES_B = { "b", sizeof(counter), counter_create, counter_destroy_b, 0 };
static const fd_resource_type RES_CFG = { "configured", sizeof(counter), counter_create, counter_destroy_a, sizeof(int) };

static void test_resources(void)
{
    fd_foundry *fd = cpu_foundry();
    counter *a = NULL, *a2 = NULL, *b = NULL;
    CHECK(fd_resource_peek(fd, &RES_A) == NULL);
    fail_create = 1;
    CHECK(fd_resource(fd, &RES_A, (void **)&a) == FD_ERR_NOMEM);
    CHECK(a == NULL);
    CHECK_EQ(fd_resource_count(fd), 0);                 /* a failed create leaves nothing */
    CHECK_CONTAINS(fd_foundry_error(fd), "resource a");
    fd_foundry_clear_error(fd);
    fail_create = 0;
    CHECK_OK(fd_resource(fd, &RES_A, (void **)&a), (fd_error *)NULL);
    CHECK_OK(fd_resource(fd, &RES_B, (void **)&b), (fd_error *)NULL);
    CHECK_OK(fd_resource(fd, &RES_A, (void **)&a2), (fd_error *)NULL);
    CHECK(a == a2 && a != (counter *)b);
    CHECK_EQ(a->value, 42);
    CHECK_EQ(fd_resource_count(fd), 2);
    /* configured: equal configuration -> the same object; another -> refused, the first kept */
    counter *c1 = NULL, *c2 = NULL;
    int seven = 7, eight = 8;
    CHECK(fd_resource(fd, &RES_CFG, (void **)&c1) == FD_ERR_INVALID);   /* needs one */
    fd_foundry_clear_error(fd);
    CHECK_OK(fd_resource_get(fd, &RES_CFG, &seven, (void **)&c1), (fd_error *)NULL);
    CHECK_EQ(c1->value, 7);
    CHECK_OK(fd_resource_get(fd, &RES_CFG, &seven, (void **)&c2), (fd_error *)NULL);
    CHECK(c1 == c2);
    CHECK(fd_resource_get(fd, &RES_CFG, &eight, (void **)&c2) == FD_ERR_STATE);
    CHECK(c2 == NULL);
    CHECK_CONTAINS(fd_foundry_error(fd), "resource configured exists with another configuration");
    fd_foundry_clear_error(fd);
    CHECK_EQ(c1->value, 7);
    ndestroyed = 0;
    fd_resource_release(fd, &RES_CFG);                  /* released: a new configuration may follow */
    CHECK_EQ(ndestroyed, 1);
    CHECK_OK(fd_resource_get(fd, &RES_CFG, &eight, (void **)&c2), (fd_error *)NULL);
    CHECK_EQ(c2->value, 8);
    CHECK_EQ(fd_resource_count(fd), 3);
    fd_resource_release(fd, &RES_CFG);
    ndestroyed = 0;
    fd_foundry_destroy(fd);
    CHECK_EQ(ndestroyed, 2);
    CHECK_EQ(destroyed[0], 2);                          /* reverse creation order */
    CHECK_EQ(destroyed[1], 1);
}

static void test_tensor_basics(void)
{
    fd_foundry *fd = cpu_foundry();
    fd_tensor *t = NULL, *o = NULL, *z = NULL;
    float src[6] = { 1, 2, 3, 4, 5, 6 }, dst[6];
    CHECK_OK(fd_tensor_alloc(fd, FD_F32, 2, (int64_t[]){ 2, 3 }, FD_INIT_COPY, src, &t), (fd_error *)NULL);
    CHECK_EQ(fd_tensor_numel(t), 6);
    CHECK_EQ(fd_tensor_bytes(t), 24);
    CHECK_EQ(fd_tensor_dim(t, 1), 3);
    CHECK_EQ(fd_tensor_storage(t), FD_STORAGE_DEDICATED);
    CHECK_OK(fd_tensor_read(t, dst, sizeof dst), (fd_error *)NULL);
    CHECK(!memcmp(src, dst, sizeof dst));
    CHECK_OK(fd_tensor_alloc(fd, FD_F16, 1, (int64_t[]){ 5 }, FD_INIT_ONES, NULL, &o), (fd_error *)NULL);
    float of[5];
    CHECK_OK(fd_tensor_read_f32(o, of, 5), (fd_error *)NULL);
    CHECK_EQ(of[4], 1);
    CHECK_OK(fd_tensor_alloc(fd, FD_Q8_0, 2, (int64_t[]){ 2, 64 }, FD_INIT_ZEROS, NULL, &z), (fd_error *)NULL);
    CHECK_EQ(fd_tensor_bytes(z), 4 * 34);
    /* wrong sizes, read-only, bad shapes */
    CHECK(fd_tensor_write(t, src, 20) == FD_ERR_INVALID);
    CHECK_CONTAINS(fd_foundry_error(fd), "20 bytes");
    fd_foundry_clear_error(fd);
    CHECK_OK(fd_tensor_set_readonly(t, 1), (fd_error *)NULL);
    CHECK(fd_tensor_write(t, src, sizeof src) == FD_ERR_STATE);
    CHECK_CONTAINS(fd_foundry_error(fd), "read-only");
    fd_foundry_clear_error(fd);
    fd_tensor *bad = (fd_tensor *)1;
    CHECK(fd_tensor_alloc(fd, FD_Q8_0, 1, (int64_t[]){ 33 }, FD_INIT_ZEROS, NULL, &bad) == FD_ERR_INVALID);
    CHECK(bad == NULL);
    CHECK_CONTAINS(fd_foundry_error(fd), "multiple of 32");
    fd_foundry_clear_error(fd);
    CHECK(fd_tensor_alloc(fd, FD_F32, 4, (int64_t[]){ 1ll << 31, 1ll << 31, 1ll << 31, 4 }, FD_INIT_UNINIT,
                          NULL, &bad) == FD_ERR_RANGE);
    CHECK_CONTAINS(fd_foundry_error(fd), "overflow");
    fd_foundry_clear_error(fd);
    CHECK(fd_tensor_alloc(fd, FD_F32, 5, (int64_t[]){ 1, 1, 1, 1, 1 }, FD_INIT_UNINIT, NULL, &bad) == FD_ERR_INVALID);
    CHECK(fd_tensor_alloc(fd, FD_F32, 1, (int64_t[]){ 0 }, FD_INIT_UNINIT, NULL, &bad) == FD_ERR_INVALID);
    CHECK(fd_tensor_alloc(fd, FD_Q4_0, 1, (int64_t[]){ 32 }, FD_INIT_ONES, NULL, &bad) == FD_ERR_UNSUPPORTED);
    fd_foundry_clear_error(fd);
    CHECK_EQ(fd_foundry_live_tensors(fd), 3);
    CHECK_OK(fd_tensor_free(t), (fd_error *)NULL);
    CHECK_OK(fd_tensor_free(o), (fd_error *)NULL);
    CHECK_OK(fd_tensor_free(z), (fd_error *)NULL);
    CHECK_EQ(fd_foundry_live_tensors(fd), 0);
    fd_foundry_destroy(fd);
}

static void test_views(void)
{
    fd_foundry *fd = cpu_foundry();
    fd_tensor *t, *v, *vv, *bad = NULL;
    float src[12];
    for (int i = 0; i < 12; i++) src[i] = (float)i;
    CHECK_OK(fd_tensor_alloc(fd, FD_F32, 2, (int64_t[]){ 3, 4 }, FD_INIT_COPY, src, &t), (fd_error *)NULL);
    CHECK_OK(fd_tensor_view(t, 4, 2, (int64_t[]){ 2, 4 }, &v), (fd_error *)NULL);   /* rows 1..2 */
    CHECK_OK(fd_tensor_view(v, 5, 1, (int64_t[]){ 2 }, &vv), (fd_error *)NULL);     /* a view of a view */
    float got[2];
    CHECK_OK(fd_tensor_read(vv, got, sizeof got), (fd_error *)NULL);
    CHECK_EQ(got[0], 9);
    CHECK_EQ(got[1], 10);
    CHECK_OK(fd_tensor_write(vv, (float[]){ -1, -2 }, 8), (fd_error *)NULL);
    float all[12];
    CHECK_OK(fd_tensor_read(t, all, sizeof all), (fd_error *)NULL);
    CHECK_EQ(all[9], -1);
    CHECK_EQ(all[10], -2);
    CHECK_EQ(all[8], 8);
    CHECK(fd_tensor_view(v, 5, 1, (int64_t[]){ 4 }, &bad) == FD_ERR_RANGE);          /* outside its parent */
    CHECK_CONTAINS(fd_foundry_error(fd), "outside");
    fd_foundry_clear_error(fd);
    CHECK(fd_tensor_view(t, -1, 1, (int64_t[]){ 1 }, &bad) == FD_ERR_INVALID);
    CHECK(fd_tensor_free(v) == FD_ERR_STATE);                                        /* freeing a view */
    CHECK_CONTAINS(fd_foundry_error(fd), "view");
    fd_foundry_clear_error(fd);
    CHECK_EQ(fd_tensor_storage(vv), FD_STORAGE_VIEW);
    /* quantized views must start on a block */
    fd_tensor *q, *qv;
    CHECK_OK(fd_tensor_alloc(fd, FD_Q8_0, 2, (int64_t[]){ 2, 64 }, FD_INIT_ZEROS, NULL, &q), (fd_error *)NULL);
    CHECK(fd_tensor_view(q, 16, 1, (int64_t[]){ 32 }, &qv) == FD_ERR_INVALID);
    CHECK_OK(fd_tensor_view(q, 64, 1, (int64_t[]){ 64 }, &qv), (fd_error *)NULL);
    CHECK_EQ(fd_tensor_bytes(qv), 68);
    fd_foundry_clear_error(fd);
    CHECK_OK(fd_tensor_free(t), (fd_error *)NULL);    /* frees its views too (ASan checks) */
    CHECK_OK(fd_tensor_free(q), (fd_error *)NULL);
    fd_foundry_destroy(fd);
}

static void test_pool(void)
{
    fd_foundry *fd = cpu_foundry();
    fd_tensor *a, *b, *v, *big = NULL;
    CHECK_OK(fd_tensor_alloc_pooled(fd, FD_F32, 1, (int64_t[]){ 10 }, FD_INIT_ZEROS, NULL, &a), (fd_error *)NULL);
    CHECK_OK(fd_tensor_alloc_pooled(fd, FD_F32, 1, (int64_t[]){ 10 }, FD_INIT_ONES, NULL, &b), (fd_error *)NULL);
    CHECK_EQ(fd_tensor_storage(a), FD_STORAGE_POOLED);
    CHECK_EQ(fd_pool_used(fd), 256 + 40);               /* second allocation starts 256-aligned */
    CHECK_OK(fd_tensor_view(b, 2, 1, (int64_t[]){ 3 }, &v), (fd_error *)NULL);
    CHECK(fd_tensor_alloc_pooled(fd, FD_F32, 1, (int64_t[]){ 1 << 20 }, FD_INIT_UNINIT, NULL, &big) == FD_ERR_NOMEM);
    CHECK_CONTAINS(fd_foundry_error(fd), "pool");
    fd_foundry_clear_error(fd);
    size_t hw = fd_pool_high_water(fd);
    CHECK_OK(fd_pool_reset(fd), (fd_error *)NULL);
    CHECK_EQ(fd_pool_used(fd), 0);
    CHECK_EQ(fd_pool_high_water(fd), hw);
    float x[10];
    CHECK(fd_tensor_read(a, x, sizeof x) == FD_ERR_STATE);       /* use after reset */
    CHECK_CONTAINS(fd_foundry_error(fd), "fd_pool_reset");
    fd_foundry_clear_error(fd);
    CHECK(fd_tensor_write(b, x, sizeof x) == FD_ERR_STATE);
    CHECK(fd_tensor_read(v, x, 12) == FD_ERR_STATE);              /* its view too */
    fd_tensor *vv;
    CHECK(fd_tensor_view(b, 0, 1, (int64_t[]){ 2 }, &vv) == FD_ERR_STATE);
    fd_foundry_clear_error(fd);
    CHECK_OK(fd_tensor_free(a), (fd_error *)NULL);                 /* the handle can still be freed */
    /* b is left for fd_foundry_destroy, which frees handles quietly (pooled is no leak) */
    log_count = 0;
    fd_foundry_destroy(fd);
    CHECK_EQ(log_count, 0);
}

static void test_leak_report(void)
{
    fd_foundry *fd = cpu_foundry();
    fd_tensor *t;
    CHECK_OK(fd_tensor_alloc(fd, FD_F32, 1, (int64_t[]){ 4 }, FD_INIT_ZEROS, NULL, &t), (fd_error *)NULL);
    last_log[0] = 0;
    fd_foundry_destroy(fd);                                        /* frees it, and says so */
    CHECK_CONTAINS(last_log, "leak");
}

/* Make each allocation of a create/alloc/view/resource sequence fail in
 * turn: every failure is a clean FD_ERR_NOMEM and ASan finds no leak. */
static void test_fault_injection(void)
{
    int ok = 0;
    for (long n = 1; n < 50 && !ok; n++) {
        fd_foundry *fd = NULL;
        fd_error e = { 0 };
        fd_mem_fail_after(n, 0);
        fd_status st = fd_foundry_create(&(fd_options){ .backend = FD_BACKEND_CPU, .pool_bytes = 4096,
                                                        .log = capture_log }, &fd, &e);
        fd_tensor *t = NULL, *v = NULL;
        counter *c = NULL;
        if (st == FD_OK) st = fd_tensor_alloc(fd, FD_F32, 1, (int64_t[]){ 8 }, FD_INIT_ONES, NULL, &t);
        if (st == FD_OK) st = fd_tensor_view(t, 0, 1, (int64_t[]){ 4 }, &v);
        if (st == FD_OK) st = fd_resource(fd, &RES_A, (void **)&c);
        if (st == FD_OK) ok = 1;
        else CHECK_EQ(st, FD_ERR_NOMEM);
        fd_mem_fail_after(0, 0);
        if (t) (void)fd_tensor_free(t);
        fd_foundry_destroy(fd);
    }
    CHECK(ok);
}

TEST_MAIN(test_foundry, test_cuda_request, test_resources, test_tensor_basics, test_views, test_pool,
          test_leak_report, test_fault_injection)
