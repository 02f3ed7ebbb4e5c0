/* test_qk_norm.c — FD_QKV_ROWS_NORM (Qwen3's per-head RMSNorm of q and k
 * before RoPE, then the cache write): its CPU twin against an independent
 * computation in double from q/k/v rows in natural head order (the test
 * permutes them into the QKV family's order with fd_qkv_source_row, as the
 * upload does), the end-of-cache flag, and on a GPU the compiled kernel
 * against the CPU twin at Qwen3-0.6B's head shape (16 heads x 128, kv 8) and a
 * small one, over a chunk of tokens and a single one (decode).
 * Bounds: q vs double 1e-5 relative; cached k, v rows 1e-3 (f16, one
 * rounding); GPU vs CPU: q 1e-5 (sqrtf and sin/cos agree to an ulp or two),
 * k/v rows 1e-3. The cache is paged: logical page i is page NP - 1 - i of a
 * pool two pages larger than the context needs (kv_at reads through it). */
#include <time.h>
#include "check.h"
#include "gpu.h"
#include "foundry/ops.h"

static uint64_t seed;

typedef struct shape { uint32_t T, H, KV, hd, C; } shape;

typedef struct host {
    shape s;
    float *y;          /* (T, (H + 2 KV) hd), natural order [q heads; k heads; v heads] */
    float *qn, *kn;    /* (hd) */
    float inv[256];
} host;

static void host_make(host *h, shape s)
{
    uint32_t R = (s.H + 2 * s.KV) * s.hd;
    h->s = s;
    h->y = malloc((size_t)s.T * R * 4), h->qn = malloc(s.hd * 4), h->kn = malloc(s.hd * 4);
    for (size_t i = 0; i < (size_t)s.T * R; i++) h->y[i] = 3 * rng_uniform(&seed);   /* far from unit RMS */
    for (uint32_t i = 0; i < s.hd; i++) h->qn[i] = 1 + 0.5f * rng_uniform(&seed), h->kn[i] = 0.5f + rng_uniform(&seed);
    fd_rope_inv_freq(h->inv, s.hd, 1000000.0);
}

static void host_free(host *h) { free(h->y), free(h->qn), free(h->kn); }

static fd_tensor *vec(fd_foundry *fd, fd_dtype dt, int64_t n, const void *v)
{
    fd_tensor *t = NULL;
    CHECK_OK(fd_tensor_alloc(fd, dt, 1, &n, v ? FD_INIT_COPY : FD_INIT_ZEROS, v, &t), (fd_error *)NULL);
    return t;
}

/* Pages of the cache's pool, and the element of (position p, kv head g, dim i) through the reversed table. */
static uint32_t pool_pages(const shape *s) { return fd_kv_pages(s->C) + 2; }
static size_t kv_at(const shape *s, uint32_t g, uint32_t p, uint32_t i)
{
    size_t page = pool_pages(s) - 1 - p / FD_KV_PAGE;
    return ((page * s->KV + g) * FD_KV_PAGE + p % FD_KV_PAGE) * s->hd + i;
}

static void args_make(fd_foundry *fd, const host *h, int32_t pos, fd_qkv_rows_norm_args *a)
{
    shape s = h->s;
    uint32_t R = (s.H + 2 * s.KV) * s.hd;
    float *yp = malloc((size_t)s.T * R * 4);
    for (uint32_t t = 0; t < s.T; t++)
        for (uint32_t i = 0; i < R; i++) yp[(size_t)t * R + i] = h->y[(size_t)t * R + fd_qkv_source_row(i, s.H, s.KV, s.hd)];
    uint32_t n = fd_kv_pages(s.C);
    int64_t pool = (int64_t)pool_pages(&s) * s.KV * FD_KV_PAGE * s.hd;
    int32_t *tab = malloc(n * sizeof *tab);
    for (uint32_t i = 0; i < n; i++) tab[i] = (int32_t)(pool_pages(&s) - 1 - i);
    *a = (fd_qkv_rows_norm_args){ .y = vec(fd, FD_F32, (int64_t)s.T * R, yp), .pos = vec(fd, FD_I32, 1, &pos),
                                  .pages = vec(fd, FD_I32, n, tab),
                                  .inv_freq = vec(fd, FD_F32, s.hd / 2, h->inv), .q_norm = vec(fd, FD_F32, s.hd, h->qn),
                                  .k_norm = vec(fd, FD_F32, s.hd, h->kn), .q = vec(fd, FD_F32, (int64_t)s.T * s.H * s.hd, NULL),
                                  .kc = vec(fd, FD_F16, pool, NULL), .vc = vec(fd, FD_F16, pool, NULL),
                                  .flag = vec(fd, FD_I32, 1, NULL),
                                  .tokens = s.T, .heads = s.H, .kv_heads = s.KV, .head_dim = s.hd, .ctx = s.C, .eps = 1e-6f };
    free(yp), free(tab);
}

static void args_free(fd_qkv_rows_norm_args *a)
{
    fd_tensor *t[] = { a->y, a->pos, a->inv_freq, a->q_norm, a->k_norm, a->q, a->kc, a->vc, a->flag, a->pages };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) (void)fd_tensor_free(t[i]);
}

static void test_cpu_against_independent(void)
{
    fd_foundry *cpu = make_cpu();
    const shape shapes[] = { { 3, 4, 2, 128, 40 }, { 1, 6, 3, 64, 40 } };
    const int32_t starts[] = { 0, 5, 38 };   /* 38 with 3 tokens runs past the cache of 40 */
    for (size_t si = 0; si < 2; si++) {
        shape s = shapes[si];
        host h;
        host_make(&h, s);
        uint32_t R = (s.H + 2 * s.KV) * s.hd;
        for (size_t pi = 0; pi < 3; pi++) {
            fd_qkv_rows_norm_args a;
            args_make(cpu, &h, starts[pi], &a);
            CHECK_OK(fd_run(cpu, &FD_QKV_ROWS_NORM, &a), (fd_error *)NULL);
            float *q = read_f32(a.q), *kc = read_f32(a.kc), *vc = read_f32(a.vc);
            double worst_q = 0, worst_kv = 0;
            int past = 0;
            for (uint32_t t = 0; t < s.T; t++) {
                int32_t P = starts[pi] + (int32_t)t;
                const float *y = h.y + (size_t)t * R;
                for (uint32_t hh = 0; hh < s.H + s.KV; hh++) {
                    double ss = 0, v[256];
                    for (uint32_t i = 0; i < s.hd; i++) ss += (double)y[hh * s.hd + i] * y[hh * s.hd + i];
                    double r = 1 / sqrt(ss / s.hd + 1e-6);
                    const float *w = hh < s.H ? h.qn : h.kn;
                    for (uint32_t i = 0; i < s.hd; i++) v[i] = y[hh * s.hd + i] * r * w[i];
                    for (uint32_t i = 0; i < s.hd / 2; i++) {
                        double ang = (double)((float)P * h.inv[i]), lo = v[i], hi = v[i + s.hd / 2];
                        v[i] = lo * cos(ang) - hi * sin(ang);
                        v[i + s.hd / 2] = hi * cos(ang) + lo * sin(ang);
                    }
                    for (uint32_t i = 0; i < s.hd; i++) {
                        if (hh < s.H) {
                            worst_q = fmax(worst_q, fabs(q[((size_t)t * s.H + hh) * s.hd + i] - v[i]) / (fabs(v[i]) + 1));
                        } else if (P < (int32_t)s.C) {
                            size_t o = kv_at(&s, hh - s.H, (uint32_t)P, i);
                            double vv = y[(s.H + s.KV + hh - s.H) * s.hd + i];
                            worst_kv = fmax(worst_kv, fabs(kc[o] - v[i]) / (fabs(v[i]) + 1));
                            worst_kv = fmax(worst_kv, fabs(vc[o] - vv) / (fabs(vv) + 1));
                        }
                    }
                }
                past |= P >= (int32_t)s.C;
            }
            int32_t flag;
            CHECK_OK(fd_tensor_read(a.flag, &flag, 4), (fd_error *)NULL);
            CHECK_EQ(flag, past);
            CHECK(worst_q <= 1e-5);
            CHECK(worst_kv <= 1e-3);
            free(q), free(kc), free(vc);
            args_free(&a);
        }
        host_free(&h);
    }
    fd_foundry_destroy(cpu);
}

static void test_refusals(void)
{
    fd_foundry *cpu = make_cpu();
    host h;
    host_make(&h, (shape){ 1, 4, 2, 16, 8 });
    fd_qkv_rows_norm_args a;
    args_make(cpu, &h, 0, &a);
    fd_tensor *qn = a.q_norm;
    a.q_norm = a.inv_freq;   /* hd / 2 values, not hd */
    CHECK(fd_run(cpu, &FD_QKV_ROWS_NORM, &a) == FD_ERR_INVALID);
    CHECK_CONTAINS(fd_foundry_error(cpu), "q_norm and k_norm must hold head_dim");
    fd_foundry_clear_error(cpu);
    a.q_norm = qn;
    a.eps = 0;
    CHECK(fd_run(cpu, &FD_QKV_ROWS_NORM, &a) == FD_ERR_INVALID);
    fd_foundry_clear_error(cpu);
    args_free(&a);
    host_free(&h);
    fd_foundry_destroy(cpu);
}

/* The launch shape, checked where no GPU is: one block per token for both
 * kernels. The norm kernel's dispatch once read the rows kernel's struct and
 * took a pointer's low half for the grid; only a device noticed. */
static void test_dispatch(void)
{
    fd_foundry *cpu = make_cpu();
    host h;
    host_make(&h, (shape){ 7, 4, 2, 16, 8 });
    fd_qkv_rows_norm_args a;
    args_make(cpu, &h, 0, &a);
    fd_qkv_rows_args r = { a.y, a.pos, a.inv_freq, a.pages, a.q, a.kc, a.vc, a.flag, a.tokens, a.heads,
                           a.kv_heads, a.head_dim, a.ctx };
    fd_dispatch dn = { .sms = 132 }, dr = { .sms = 132 };
    CHECK_OK(FD_QKV_ROWS_NORM.dispatch(&a, &dn, NULL), (fd_error *)NULL);
    CHECK_OK(FD_QKV_ROWS.dispatch(&r, &dr, NULL), (fd_error *)NULL);
    CHECK_EQ(dn.grid[0], 7u);
    CHECK_EQ(dr.grid[0], 7u);
    CHECK(dn.block[0] <= FD_QKV_ROWS_NORM.max_block);
    args_free(&a);
    host_free(&h);
    fd_foundry_destroy(cpu);
}

static void test_gpu_parity(void)
{
    fd_foundry *gpu = make_gpu();
    if (!gpu) SKIP("%s", gpu_why);
    fd_foundry *cpu = make_cpu();
    const shape shapes[] = { { 37, 16, 8, 128, 4096 }, { 1, 16, 8, 128, 4096 }, { 5, 4, 2, 64, 64 } };
    const int32_t starts[] = { 0, 1000, 62 };
    for (size_t si = 0; si < 3; si++) {
        shape s = shapes[si];
        host h;
        host_make(&h, s);
        double worst_q = 0, worst_kv = 0;
        for (size_t pi = 0; pi < 3; pi++) {
            fd_qkv_rows_norm_args a, g;
            args_make(cpu, &h, starts[pi], &a);
            args_make(gpu, &h, starts[pi], &g);
            CHECK_OK(fd_run(cpu, &FD_QKV_ROWS_NORM, &a), (fd_error *)NULL);
            if (fd_run(gpu, &FD_QKV_ROWS_NORM, &g) != FD_OK) {   /* say what the device said */
                check_failures++;
                fprintf(stderr, "%s:%d: qkv_rows_norm on the GPU: %s\n", __FILE__, __LINE__, fd_foundry_error(gpu));
                args_free(&a), args_free(&g);
                continue;
            }
            float *q1 = read_f32(a.q), *q2 = read_f32(g.q), *k1 = read_f32(a.kc), *k2 = read_f32(g.kc);
            float *v1 = read_f32(a.vc), *v2 = read_f32(g.vc);
            worst_q = fmax(worst_q, rel_err(q2, q1, (size_t)s.T * s.H * s.hd));
            worst_kv = fmax(worst_kv, rel_err(k2, k1, (size_t)fd_tensor_numel(a.kc)));
            worst_kv = fmax(worst_kv, rel_err(v2, v1, (size_t)fd_tensor_numel(a.vc)));
            int32_t f1, f2;
            CHECK_OK(fd_tensor_read(a.flag, &f1, 4), (fd_error *)NULL);
            CHECK_OK(fd_tensor_read(g.flag, &f2, 4), (fd_error *)NULL);
            CHECK_EQ(f1, f2);
            free(q1), free(q2), free(k1), free(k2), free(v1), free(v2);
            args_free(&a), args_free(&g);
        }
        printf("qkv_rows_norm T %u H %u KV %u hd %u: q rel err %.2e, k/v %.2e\n", s.T, s.H, s.KV, s.hd, worst_q, worst_kv);
        CHECK(worst_q <= 1e-5);
        CHECK(worst_kv <= 1e-3);
        host_free(&h);
    }
    fd_foundry_destroy(cpu);
    fd_foundry_destroy(gpu);
}

static void setup(void)
{
    seed = (uint64_t)time(NULL) * 0x9e3779b97f4a7c15ull | 1;
    printf("seed %llu\n", (unsigned long long)seed);
}

TEST_MAIN(setup, test_cpu_against_independent, test_refusals, test_dispatch, test_gpu_parity)
