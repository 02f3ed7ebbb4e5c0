/* test_qkv.c — the QKV family (RMSNorm + q/k/v + bias + RoPE + KV-cache
 * write in one kernel): its CPU composition against an independent
 * computation from the unpermuted weights (RoPE in double), the end-of-cache
 * flag, and on a GPU the compiled kernel against the CPU composition at
 * head_dim 64 (H 14, KV 2) and 128 (H 12, KV 2), positions up to 32767.
 * The cache is paged: its table maps logical page i to page NP - 1 - i of a
 * pool two pages larger than the context needs (cache_row reads through it).
 * Bounds: q vs the independent computation 1e-5 relative (f32 products vs
 * double); cached k, v rows: 1e-3 (stored as f16, one rounding); GPU vs CPU
 * composition: q 1e-5, k/v rows 1e-3 (f16 rounding of nearly equal values
 * can land one step apart); q8_0, q2_k, q4_k, q6_k (int8 x, test_compound.c says why) 2e-3. */
#include <time.h>
#include "check.h"
#include "gpu.h"
#include "foundry/ops.h"

static uint64_t seed;

typedef struct shape { uint32_t H, KV, hd, D, C; } shape;

/* Host data of one case: unpermuted weights (f32) and everything else. */
typedef struct host {
    shape s;
    float *W, *b, *x, *nw, inv[128];   /* W: ((H + 2 KV) hd, D) = [Wq; Wk; Wv]; b likewise */
} host;

static void host_make(host *h, shape s)
{
    uint32_t R = (s.H + 2 * s.KV) * s.hd;
    h->s = s;
    h->W = malloc((size_t)R * s.D * 4), h->b = malloc(R * 4), h->x = malloc(s.D * 4), h->nw = malloc(s.D * 4);
    for (size_t i = 0; i < (size_t)R * s.D; i++) h->W[i] = rng_uniform(&seed) * 0.1f;
    for (uint32_t i = 0; i < R; i++) h->b[i] = rng_uniform(&seed);
    for (uint32_t i = 0; i < s.D; i++) h->x[i] = rng_uniform(&seed), h->nw[i] = 1 + 0.5f * rng_uniform(&seed);
    fd_rope_inv_freq(h->inv, s.hd, 1000000.0);
}

static void host_free(host *h) { free(h->W), free(h->b), free(h->x), free(h->nw); }

static fd_tensor *make(fd_foundry *fd, fd_dtype dt, int64_t rows, int64_t cols, const float *v)
{
    void *q = malloc((size_t)(rows * cols) * 4 + 64);
    test_blocks(dt, v, q, (size_t)(rows * cols));
    fd_tensor *t = NULL;
    fd_status st = cols > 1 ? fd_tensor_alloc(fd, dt, 2, (int64_t[]){ rows, cols }, FD_INIT_COPY, q, &t)
                            : fd_tensor_alloc(fd, dt, 1, (int64_t[]){ rows }, FD_INIT_COPY, q, &t);
    CHECK_OK(st, (fd_error *)NULL);
    free(q);
    return t;
}

/* Pages of the cache's pool: two more than the context needs, left idle. */
static uint32_t pool_pages(const shape *s) { return fd_kv_pages(s->C) + 2; }

/* The family's arguments in foundry fd, weights permuted into w0/w1/w2. */
static void args_make(fd_foundry *fd, const host *h, fd_dtype wdt, int32_t pos, fd_qkv_args *a)
{
    shape s = h->s;
    uint32_t R = (s.H + 2 * s.KV) * s.hd, pairs = (s.H + s.KV) * s.hd / 2;
    float *Wp = malloc((size_t)R * s.D * 4), *bp = malloc(R * 4);
    for (uint32_t i = 0; i < R; i++) {
        uint32_t r = fd_qkv_source_row(i, s.H, s.KV, s.hd);
        memcpy(Wp + (size_t)i * s.D, h->W + (size_t)r * s.D, s.D * 4);
        bp[i] = h->b[r];
    }
    *a = (fd_qkv_args){ .cols = s.D, .rows0 = pairs, .rows1 = pairs, .rows2 = s.KV * s.hd, .eps = 1e-6f,
                        .heads = s.H, .kv_heads = s.KV, .head_dim = s.hd, .ctx = s.C };
    a->x = make(fd, FD_F32, s.D, 1, h->x);
    a->norm_w = make(fd, FD_F32, s.D, 1, h->nw);
    a->w0 = make(fd, wdt, pairs, s.D, Wp);
    a->w1 = make(fd, wdt, pairs, s.D, Wp + (size_t)pairs * s.D);
    a->w2 = make(fd, wdt, s.KV * s.hd, s.D, Wp + (size_t)2 * pairs * s.D);
    a->b0 = make(fd, FD_F32, pairs, 1, bp);
    a->b1 = make(fd, FD_F32, pairs, 1, bp + pairs);
    a->b2 = make(fd, FD_F32, s.KV * s.hd, 1, bp + 2 * pairs);
    a->inv_freq = make(fd, FD_F32, s.hd / 2, 1, h->inv);
    CHECK_OK(fd_tensor_alloc(fd, FD_I32, 1, (int64_t[]){ 1 }, FD_INIT_COPY, &pos, &a->pos), (fd_error *)NULL);
    CHECK_OK(fd_tensor_alloc(fd, FD_I32, 1, (int64_t[]){ 1 }, FD_INIT_ZEROS, NULL, &a->flag), (fd_error *)NULL);
    CHECK_OK(fd_tensor_alloc(fd, FD_F32, 1, (int64_t[]){ s.H * s.hd }, FD_INIT_ZEROS, NULL, &a->q), (fd_error *)NULL);
    uint32_t n = fd_kv_pages(s.C);
    int64_t cd[3] = { pool_pages(&s), (int64_t)s.KV * FD_KV_PAGE, s.hd };
    int32_t *tab = malloc(n * sizeof *tab);
    for (uint32_t i = 0; i < n; i++) tab[i] = (int32_t)(pool_pages(&s) - 1 - i);
    CHECK_OK(fd_tensor_alloc(fd, FD_I32, 1, (int64_t[]){ n }, FD_INIT_COPY, tab, &a->pages), (fd_error *)NULL);
    CHECK_OK(fd_tensor_alloc(fd, FD_F16, 3, cd, FD_INIT_ZEROS, NULL, &a->kc), (fd_error *)NULL);
    CHECK_OK(fd_tensor_alloc(fd, FD_F16, 3, cd, FD_INIT_ZEROS, NULL, &a->vc), (fd_error *)NULL);
    free(Wp), free(bp), free(tab);
}

static void args_free(fd_qkv_args *a)
{
    fd_tensor *t[] = { a->x, a->norm_w, a->w0, a->w1, a->w2, a->b0, a->b1, a->b2, a->pos, a->inv_freq,
                       a->q, a->kc, a->vc, a->flag, a->pages };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) (void)fd_tensor_free(t[i]);
}

static fd_compound *build(const fd_stage *pol)
{
    fd_compound *c = NULL;
    fd_error e = { 0 };
    CHECK_OK(fd_compound_build(&(fd_compound_desc){ .family = &FD_QKV_FAMILY, .stage = {
                 [FD_GEMV_INPUT] = &FD_STAGE_INPUT_RMSNORM, [FD_GEMV_WEIGHTS] = pol } }, &c, &e), &e);
    return c;
}

/* Row `p` of head g of an f32 copy of a cache, through args_make's table. */
static const float *cache_row(const float *cache, const shape *s, uint32_t g, uint32_t p)
{
    uint32_t page = pool_pages(s) - 1 - p / FD_KV_PAGE;
    return cache + (((size_t)page * s->KV + g) * FD_KV_PAGE + p % FD_KV_PAGE) * s->hd;
}

static void test_cpu_against_independent(void)
{
    fd_foundry *cpu = make_cpu();
    shape s = { 4, 2, 16, 64, 40 };
    host h;
    host_make(&h, s);
    fd_compound *c = build(fd_gemv_policy(FD_F32));
    const int32_t positions[] = { 0, 3, 39, 40, 1000 };
    for (size_t t = 0; t < sizeof positions / sizeof positions[0]; t++) {
        int32_t pos = positions[t];
        fd_qkv_args a;
        args_make(cpu, &h, FD_F32, pos, &a);
        CHECK_OK(fd_run(cpu, fd_compound_kernel(c), &a), (fd_error *)NULL);
        /* independent: xs = rmsnorm(x); y = W xs + b; RoPE per head in double */
        double ss = 0, y[(4 + 4) * 16];
        for (uint32_t i = 0; i < s.D; i++) ss += (double)h.x[i] * h.x[i];
        float scale = (float)(1 / sqrt(ss / s.D + 1e-6));
        for (uint32_t r = 0; r < (s.H + 2 * s.KV) * s.hd; r++) {
            double acc = 0;
            for (uint32_t i = 0; i < s.D; i++) acc += (double)h.W[(size_t)r * s.D + i] * (h.x[i] * scale * h.nw[i]);
            y[r] = acc + h.b[r];
        }
        for (uint32_t hh = 0; hh < s.H + s.KV; hh++)
            for (uint32_t i = 0; i < s.hd / 2; i++) {
                double ang = (double)((float)pos * h.inv[i]), lo = y[hh * s.hd + i], hi = y[hh * s.hd + i + s.hd / 2];
                y[hh * s.hd + i] = lo * cos(ang) - hi * sin(ang);
                y[hh * s.hd + i + s.hd / 2] = hi * cos(ang) + lo * sin(ang);
            }
        float *q = read_f32(a.q), *kc = read_f32(a.kc), *vc = read_f32(a.vc), want[64];
        for (uint32_t i = 0; i < s.H * s.hd; i++) want[i] = (float)y[i];
        CHECK(rel_err(q, want, s.H * s.hd) <= 1e-5);
        int32_t flag;
        CHECK_OK(fd_tensor_read(a.flag, &flag, 4), (fd_error *)NULL);
        CHECK_EQ(flag, pos >= (int32_t)s.C);
        if (pos < (int32_t)s.C) {
            for (uint32_t g = 0; g < s.KV; g++) {
                float wk[16], wv[16];
                for (uint32_t i = 0; i < s.hd; i++) {
                    wk[i] = (float)y[(s.H + g) * s.hd + i];
                    wv[i] = (float)y[(s.H + s.KV + g) * s.hd + i];
                }
                CHECK(rel_err(cache_row(kc, &s, g, (uint32_t)pos), wk, s.hd) <= 1e-3);
                CHECK(rel_err(cache_row(vc, &s, g, (uint32_t)pos), wv, s.hd) <= 1e-3);
            }
        } else {   /* nothing written past the cache: it is still all zeros */
            double n = 0;
            for (size_t i = 0; i < (size_t)fd_tensor_numel(a.kc); i++) n += fabs(kc[i]) + fabs(vc[i]);
            CHECK(n == 0);
        }
        free(q), free(kc), free(vc);
        args_free(&a);
    }
    fd_compound_destroy(c);
    host_free(&h);
    fd_foundry_destroy(cpu);
}

static void test_refusals(void)
{
    fd_foundry *cpu = make_cpu();
    shape s = { 4, 2, 16, 64, 40 };
    host h;
    host_make(&h, s);
    fd_compound *c = build(fd_gemv_policy(FD_F32));
    fd_qkv_args a;
    args_make(cpu, &h, FD_F32, 0, &a);
    a.heads = 5;   /* not a multiple of kv_heads */
    CHECK(fd_run(cpu, fd_compound_kernel(c), &a) == FD_ERR_INVALID);
    CHECK_CONTAINS(fd_foundry_error(cpu), "multiple of kv_heads");
    fd_foundry_clear_error(cpu);
    a.heads = 4;
    a.rows1 = a.rows0 - 1;
    CHECK(fd_run(cpu, fd_compound_kernel(c), &a) == FD_ERR_INVALID);
    fd_foundry_clear_error(cpu);
    args_free(&a);
    /* the GEMV's swiglu epilogue is not a QKV epilogue that fits a 3-product main */
    fd_compound *bad = NULL;
    fd_error e = { 0 };
    CHECK(fd_compound_build(&(fd_compound_desc){ .family = &FD_QKV_FAMILY, .stage = {
              [FD_GEMV_WEIGHTS] = fd_gemv_policy(FD_F16), [FD_GEMV_EPILOGUE] = &FD_STAGE_EPI_SWIGLU } }, &bad, &e)
          == FD_ERR_INVALID);
    CHECK(bad == NULL);
    fd_compound_destroy(c);
    host_free(&h);
    fd_foundry_destroy(cpu);
}

static void test_gpu_parity(void)
{
    fd_foundry *gpu = make_gpu();
    if (!gpu) SKIP("%s", gpu_why);
    fd_foundry *cpu = make_cpu();
    const shape shapes[] = { { 14, 2, 64, 896, 32768 }, { 12, 2, 128, 1536, 32768 } };
    const fd_dtype dts[] = { FD_F16, FD_Q8_0, FD_BF16, FD_Q2_K, FD_Q4_K, FD_Q6_K };   /* super-block types: D = 1536 only */
    const int32_t positions[] = { 0, 7, 1000, 32767, 32768 };
    for (size_t si = 0; si < 2; si++) {
        host h;
        host_make(&h, shapes[si]);
        shape s = shapes[si];
        for (size_t d = 0; d < sizeof dts / sizeof dts[0]; d++) {
            if (s.D % fd_dtype_block_elems(dts[d])) continue;
            int quant = fd_dtype_is_quant(dts[d]);
            fd_compound *c = build(fd_gemv_policy(dts[d]));
            double worst_q = 0, worst_kv = 0;
            for (size_t t = 0; t < sizeof positions / sizeof positions[0]; t++) {
                fd_qkv_args a, g;
                args_make(cpu, &h, dts[d], positions[t], &a);
                args_make(gpu, &h, dts[d], positions[t], &g);
                CHECK_OK(fd_run(cpu, fd_compound_kernel(c), &a), (fd_error *)NULL);
                CHECK_OK(fd_run(gpu, fd_compound_kernel(c), &g), (fd_error *)NULL);
                float *q1 = read_f32(a.q), *q2 = read_f32(g.q);
                worst_q = fmax(worst_q, rel_err(q2, q1, s.H * s.hd));
                int32_t f1, f2;
                CHECK_OK(fd_tensor_read(a.flag, &f1, 4), (fd_error *)NULL);
                CHECK_OK(fd_tensor_read(g.flag, &f2, 4), (fd_error *)NULL);
                CHECK_EQ(f1, positions[t] >= (int32_t)s.C);
                CHECK_EQ(f2, f1);
                if (positions[t] < (int32_t)s.C) {
                    float *k1 = read_f32(a.kc), *k2 = read_f32(g.kc), *v1 = read_f32(a.vc), *v2 = read_f32(g.vc);
                    for (uint32_t gg = 0; gg < s.KV; gg++) {
                        uint32_t p = (uint32_t)positions[t];
                        worst_kv = fmax(worst_kv, rel_err(cache_row(k2, &s, gg, p), cache_row(k1, &s, gg, p), s.hd));
                        worst_kv = fmax(worst_kv, rel_err(cache_row(v2, &s, gg, p), cache_row(v1, &s, gg, p), s.hd));
                    }
                    free(k1), free(k2), free(v1), free(v2);
                }
                free(q1), free(q2);
                args_free(&a), args_free(&g);
            }
            printf("qkv hd %u %-5s: q rel err %.2e, k/v rows %.2e\n", s.hd, fd_dtype_name(dts[d]), worst_q, worst_kv);
            /* q8_0: x rounded to int8 blocks on both sides, from RMSNorm outputs an ulp apart: a value
             * on a rounding boundary may land one step apart (test_compound.c) */
            CHECK(worst_q <= (quant ? 2e-3 : 1e-5));
            CHECK(worst_kv <= (quant ? 2e-3 : 1e-3));
            fd_compound_destroy(c);
        }
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

TEST_MAIN(setup, test_cpu_against_independent, test_refusals, test_gpu_parity)
