/* test_attention.c — RoPE + cache write, decode and prefill attention: the
 * CPU twins against straightforward computations written here (two-pass
 * softmax in double over the cache read back as f32), their refusals and
 * allocation failure; and, on a GPU, every kernel against its CPU twin on
 * fresh random inputs, plus decode replayed from a captured graph with pos
 * changed from the host between replays. The cache is paged (FD_KV_PAGE):
 * every test addresses it through a random permutation of a pool of pages
 * larger than the context needs; test_cpu_permuted (and test_gpu_permuted)
 * check that a permuted table gives exactly what the identity gives, for the
 * writers (the rows read back through the table) and the readers.
 * Bounds (||gpu - cpu|| / ||cpu||): attention 2e-5 — both sides read the
 * same f16/bf16 cache values and f32 queries, so only f32 accumulation over
 * up to 4096 positions and the base-2 exponent (ex2, 2 ulp) differ; RoPE's q
 * 1e-5 (sincosf vs double sin/cos, both rotating the same f32 angle); the
 * cache 1e-4 (f16) / 1e-3 (bf16): a value one ulp apart on the two sides may
 * round to neighbouring f16/bf16 values. */
#include <time.h>
#include "check.h"
#include "gpu.h"
#include "base/mem.h"
#include "foundry/ops.h"
#include "ops/ref.h"

static uint64_t seed;

static fd_tensor *zeros(fd_foundry *fd, fd_dtype dt, int ndim, const int64_t *dims)
{
    fd_tensor *t = NULL;
    if (fd_tensor_alloc(fd, dt, ndim, dims, FD_INIT_ZEROS, NULL, &t)) fprintf(stderr, "alloc failed\n");
    return t;
}

static fd_tensor *scalar_i32(fd_foundry *fd, int32_t v)
{
    fd_tensor *t = NULL;
    if (fd_tensor_alloc(fd, FD_I32, 1, (int64_t[]){ 1 }, FD_INIT_COPY, &v, &t)) fprintf(stderr, "alloc failed\n");
    return t;
}

static int32_t get_i32(fd_tensor *t)
{
    int32_t v = -12345;
    CHECK_OK(fd_tensor_read(t, &v, sizeof v), (fd_error *)NULL);
    return v;
}

/* how many values of an i32 tensor are not zero */
static int nonzero_i32(fd_tensor *t)
{
    size_t n = (size_t)fd_tensor_numel(t);
    int32_t *v = malloc(n * sizeof *v);
    int bad = 0;
    CHECK_OK(fd_tensor_read(t, v, n * sizeof *v), (fd_error *)NULL);
    for (size_t i = 0; i < n; i++) bad += v[i] != 0;
    free(v);
    return bad;
}

static void set_i32(fd_tensor *t, int32_t v) { CHECK_OK(fd_tensor_write(t, &v, sizeof v), (fd_error *)NULL); }

static void free_all(fd_tensor **t, size_t n)
{
    for (size_t i = 0; i < n; i++) (void)fd_tensor_free(t[i]);
}

/* ---- the paged cache */
#define PG FD_KV_PAGE
static uint32_t pool_of(uint32_t C) { return fd_kv_pages(C) + 3; }   /* pages no table entry names stay idle */

/* The first fd_kv_pages(C) entries of a random permutation of np pages
 * (shuffle), or the identity. */
static fd_tensor *page_table(fd_foundry *fd, uint32_t C, uint32_t np, int shuffle)
{
    int32_t *t = malloc(np * sizeof *t);
    for (uint32_t i = 0; i < np; i++) t[i] = (int32_t)i;
    for (uint32_t i = np - 1; shuffle && i > 0; i--) {
        seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
        uint32_t j = (uint32_t)(seed % (i + 1));
        int32_t x = t[i];
        t[i] = t[j], t[j] = x;
    }
    fd_tensor *out = NULL;
    if (fd_tensor_alloc(fd, FD_I32, 1, (int64_t[]){ fd_kv_pages(C) }, FD_INIT_COPY, t, &out))
        fprintf(stderr, "alloc failed\n");
    free(t);
    return out;
}

/* A cache of np pages of random values. */
static fd_tensor *rand_cache(fd_foundry *fd, fd_dtype dt, uint32_t np, uint32_t KV, uint32_t hd)
{
    return rand_tensor(fd, dt, 3, (int64_t[]){ np, (int64_t)KV * PG, hd }, &seed, 1);
}

/* The cache's positions [0, C) as (KV, C, hd) f32, read through the table. */
static float *logical(fd_tensor *cache, fd_tensor *pages, uint32_t KV, uint32_t C, uint32_t hd)
{
    float *all = read_f32(cache), *out = malloc((size_t)KV * C * hd * sizeof *out);
    int32_t *t = malloc((size_t)fd_tensor_numel(pages) * sizeof *t);
    CHECK_OK(fd_tensor_read(pages, t, (size_t)fd_tensor_numel(pages) * sizeof *t), (fd_error *)NULL);
    for (uint32_t j = 0; j < KV; j++)
        for (uint32_t p = 0; p < C; p++)
            memcpy(out + ((size_t)j * C + p) * hd, all + fd_kv_row(t, KV, j, p) * hd, hd * sizeof *out);
    free(all), free(t);
    return out;
}

/* The straightforward attention: query rows t < T at positions start + t,
 * head h over kv head h / (H / KV), positions [0, min(start + t, C - 1)]. */
static void naive_attention(const float *q, const float *kc, const float *vc, float *y, int64_t start, uint32_t T,
                            uint32_t H, uint32_t KV, uint32_t hd, uint32_t C, float scale)
{
    double *s = malloc(C * sizeof *s);
    for (uint32_t t = 0; t < T; t++)
        for (uint32_t h = 0; h < H; h++) {
            const float *qh = q + ((size_t)t * H + h) * hd;
            const float *K = kc + (size_t)(h / (H / KV)) * C * hd, *V = vc + (size_t)(h / (H / KV)) * C * hd;
            int64_t n = start + t + 1 < (int64_t)C ? start + t + 1 : C;
            double mx = -1e300, sum = 0;
            for (int64_t p = 0; p < n; p++) {
                double d = 0;
                for (uint32_t i = 0; i < hd; i++) d += (double)qh[i] * K[p * hd + i];
                s[p] = d * scale;
                if (s[p] > mx) mx = s[p];
            }
            for (int64_t p = 0; p < n; p++) sum += s[p] = exp(s[p] - mx);
            for (uint32_t i = 0; i < hd; i++) {
                double acc = 0;
                for (int64_t p = 0; p < n; p++) acc += s[p] * V[p * hd + i];
                y[((size_t)t * H + h) * hd + i] = n > 0 ? (float)(acc / sum) : 0.0f;
            }
        }
    free(s);
}

/* ---- CPU twins */
/* The cache holds x rounded to f16: the kernel rounds its float x, the test
 * its double x, so a value within float error of a rounding boundary may
 * round either way — one f16 step, and no more, is allowed. */
static int f16_of(float got, double x)
{
    double step = ldexp(1.0, (x != 0 && ilogb(x) > -14 ? ilogb(x) : -14) - 10);
    return fabs((double)got - x) <= step;
}

static void test_cpu_rope(void)
{
    fd_foundry *fd = make_cpu();
    const uint32_t T = 5, H = 4, KV = 2, hd = 8, C = 6;
    const int32_t start = 3;                       /* positions 3..7: 6 and 7 are past the cache */
    fd_tensor *q = rand_tensor(fd, FD_F32, 2, (int64_t[]){ T, H * hd }, &seed, 1);
    fd_tensor *k = rand_tensor(fd, FD_F32, 2, (int64_t[]){ T, KV * hd }, &seed, 1);
    fd_tensor *v = rand_tensor(fd, FD_F32, 2, (int64_t[]){ T, KV * hd }, &seed, 1);
    fd_tensor *kc = rand_cache(fd, FD_F16, pool_of(C), KV, hd), *vc = rand_cache(fd, FD_BF16, pool_of(C), KV, hd);
    fd_tensor *pages = page_table(fd, C, pool_of(C), 1);
    fd_tensor *pos = scalar_i32(fd, start), *flag = scalar_i32(fd, 0), *invt, *qr;
    float inv[4];
    fd_rope_inv_freq(inv, hd, 1e6);
    CHECK_OK(fd_tensor_alloc(fd, FD_F32, 1, (int64_t[]){ hd / 2 }, FD_INIT_COPY, inv, &invt), (fd_error *)NULL);
    qr = zeros(fd, FD_F32, 2, (int64_t[]){ T, H * hd });
    float *qv = read_f32(q), *kv = read_f32(k), *vv = read_f32(v);
    float *kc0 = logical(kc, pages, KV, C, hd), *vc0 = logical(vc, pages, KV, C, hd), *kr0 = read_f32(kc);
    fd_rope_kv_args a = { .q = q, .k = k, .v = v, .inv_freq = invt, .pos = pos, .pages = pages, .qr = qr, .kc = kc,
                          .vc = vc, .flag = flag, .tokens = T, .heads = H, .kv_heads = KV, .head_dim = hd, .ctx = C };
    CHECK_OK(fd_run(fd, &FD_ROPE_KV, &a), (fd_error *)NULL);
    float *got = read_f32(qr), *kc1 = logical(kc, pages, KV, C, hd), *vc1 = logical(vc, pages, KV, C, hd);
    float *kr1 = read_f32(kc);
    int moved = 0;   /* rows of the pool written: T - 2 tokens of KV heads, nothing elsewhere */
    for (size_t r = 0; r < (size_t)pool_of(C) * KV * PG; r++) moved += memcmp(kr0 + r * hd, kr1 + r * hd, hd * 4) != 0;
    CHECK_EQ(moved, (int)(KV * (C - start)));
    double worst = 0;
    int bad = 0;
    for (uint32_t t = 0; t < T; t++) {
        int P = start + (int)t;
        for (uint32_t h = 0; h < H + KV; h++)
            for (uint32_t i = 0; i < hd / 2; i++) {
                double ang = (double)((float)P * inv[i]), c = cos(ang), s = sin(ang);
                const float *x = h < H ? qv + ((size_t)t * H + h) * hd : kv + ((size_t)t * KV + h - H) * hd;
                double lo = x[i] * c - x[i + hd / 2] * s, hi = x[i + hd / 2] * c + x[i] * s;
                if (h < H) {
                    const float *g = got + ((size_t)t * H + h) * hd;
                    worst = fmax(worst, fmax(fabs(g[i] - lo), fabs(g[i + hd / 2] - hi)));
                } else if (P < (int)C) {
                    size_t o = ((size_t)(h - H) * C + P) * hd;   /* logical: (KV, C, hd) */
                    bad += !f16_of(kc1[o + i], lo) + !f16_of(kc1[o + i + hd / 2], hi);
                }
            }
        for (uint32_t j = 0; j < KV && P < (int)C; j++)
            for (uint32_t i = 0; i < hd; i++)
                bad += vc1[((size_t)j * C + P) * hd + i] !=
                       fd_bf16_to_f32(fd_f32_to_bf16(vv[((size_t)t * KV + j) * hd + i]));
    }
    CHECK(worst < 1e-6);
    CHECK_EQ(bad, 0);
    /* positions 0..2 untouched; nothing past the cache written */
    for (uint32_t j = 0; j < KV; j++)
        CHECK(!memcmp(kc0 + j * C * hd, kc1 + j * C * hd, 3 * hd * sizeof(float)) &&
              !memcmp(vc0 + j * C * hd, vc1 + j * C * hd, 3 * hd * sizeof(float)));
    CHECK_EQ(get_i32(flag), 1);
    /* in place: qr = q */
    set_i32(flag, 0);
    set_i32(pos, 0);
    a.qr = q;
    CHECK_OK(fd_run(fd, &FD_ROPE_KV, &a), (fd_error *)NULL);
    CHECK_EQ(get_i32(flag), 0);
    float *q2 = read_f32(q);
    CHECK(q2[0] == qv[0]);                          /* position 0: no turn */
    /* refusals: a table too short for the context, a cache of part of a page, a table naming no page */
    a.ctx = 2 * PG;
    CHECK(fd_run(fd, &FD_ROPE_KV, &a) == FD_ERR_INVALID);
    CHECK_CONTAINS(fd_foundry_error(fd), "pages holds 1 entries, a context of 128 needs 2");
    fd_foundry_clear_error(fd);
    a.ctx = C;
    fd_tensor *part = zeros(fd, FD_F16, 3, (int64_t[]){ KV, C, hd }), *bad_t = scalar_i32(fd, (int32_t)pool_of(C));
    a.kc = part;
    CHECK(fd_run(fd, &FD_ROPE_KV, &a) == FD_ERR_INVALID);
    CHECK_CONTAINS(fd_foundry_error(fd), "kc and vc must hold whole pages");
    fd_foundry_clear_error(fd);
    a.kc = kc, a.pages = bad_t;
    CHECK(fd_run(fd, &FD_ROPE_KV, &a) == FD_ERR_INVALID);
    CHECK_CONTAINS(fd_foundry_error(fd), "pages[0] = 4: the cache has 4 pages");
    free(qv), free(kv), free(vv), free(kc0), free(vc0), free(got), free(kc1), free(vc1), free(q2), free(kr0), free(kr1);
    free_all((fd_tensor *[]){ q, k, v, kc, vc, pos, flag, invt, qr, pages, part, bad_t }, 12);
    fd_foundry_destroy(fd);
}

static void test_cpu_attention(void)
{
    fd_foundry *fd = make_cpu();
    const uint32_t H = 6, KV = 2, hd = 32, C = 150, T = 9, S = 3;   /* 3 pages of a pool of 6 */
    const float scale = 1.0f / sqrtf((float)hd);
    fd_tensor *q = rand_tensor(fd, FD_F32, 2, (int64_t[]){ T, H * hd }, &seed, 2);
    fd_tensor *kc = rand_cache(fd, FD_F16, pool_of(C), KV, hd), *vc = rand_cache(fd, FD_BF16, pool_of(C), KV, hd);
    fd_tensor *pages = page_table(fd, C, pool_of(C), 1);
    fd_tensor *y = zeros(fd, FD_F32, 2, (int64_t[]){ T, H * hd }), *pos = scalar_i32(fd, 0);
    fd_tensor *part = zeros(fd, FD_F32, 1, (int64_t[]){ (int64_t)fd_attn_decode_part_floats(H, hd, S) });
    fd_tensor *count = zeros(fd, FD_I32, 1, (int64_t[]){ (int64_t)fd_attn_decode_count_ints(H) }), *q1, *y1;
    float *qv = read_f32(q), *kv = logical(kc, pages, KV, C, hd), *vv = logical(vc, pages, KV, C, hd);
    float *want = malloc((size_t)T * H * hd * 4);
    const int32_t starts[] = { 0, 60, 145 };       /* 60: across a page; 145: the last rows see the whole cache */
    for (int s = 0; s < 3; s++) {
        set_i32(pos, starts[s]);
        CHECK_OK(fd_run(fd, &FD_ATTN_PREFILL, &(fd_attn_prefill_args){ .q = q, .kc = kc, .vc = vc, .pos = pos,
                 .pages = pages, .y = y, .tokens = T, .heads = H, .kv_heads = KV, .head_dim = hd, .ctx = C, .scale = scale }),
                 (fd_error *)NULL);
        naive_attention(qv, kv, vv, want, starts[s], T, H, KV, hd, C, scale);
        float *got = read_f32(y);
        CHECK(rel_err(got, want, (size_t)T * H * hd) < 1e-6);
        free(got);
    }
    /* the tensor-core kernel takes head_dim 64 and 128 only, and says so; the chooser picks by head_dim */
    CHECK_EQ(fd_run(fd, &FD_ATTN_PREFILL_MMA, &(fd_attn_prefill_args){ .q = q, .kc = kc, .vc = vc, .pos = pos,
             .pages = pages, .y = y, .tokens = T, .heads = H, .kv_heads = KV, .head_dim = hd, .ctx = C,
             .scale = scale }), FD_ERR_INVALID);
    CHECK_CONTAINS(fd_foundry_error(fd), "attn_prefill_mma takes head_dim 64 or 128, not 32");
    fd_foundry_clear_error(fd);
    CHECK(fd_attn_prefill_kernel(64) == &FD_ATTN_PREFILL_MMA && fd_attn_prefill_kernel(128) == &FD_ATTN_PREFILL_MMA);
    CHECK(fd_attn_prefill_kernel(32) == &FD_ATTN_PREFILL && fd_attn_prefill_kernel(96) == &FD_ATTN_PREFILL);
    /* decode: row 0 of q at pos */
    CHECK_OK(fd_tensor_view(q, 0, 1, (int64_t[]){ H * hd }, &q1), (fd_error *)NULL);
    CHECK_OK(fd_tensor_view(y, 0, 1, (int64_t[]){ H * hd }, &y1), (fd_error *)NULL);
    fd_attn_decode_args d = { .q = q1, .kc = kc, .vc = vc, .pos = pos, .pages = pages, .y = y1, .part = part,
                              .count = count, .heads = H, .kv_heads = KV, .head_dim = hd, .ctx = C, .splits = S,
                              .scale = scale };
    const int32_t ps[] = { 0, 1, 64, 149, 300, -1 };
    for (int i = 0; i < 6; i++) {
        set_i32(pos, ps[i]);
        CHECK_OK(fd_run(fd, &FD_ATTN_DECODE, &d), (fd_error *)NULL);
        naive_attention(qv, kv, vv, want, ps[i], 1, H, KV, hd, C, scale);
        float *got = read_f32(y1);
        CHECK(ps[i] >= 0 ? rel_err(got, want, H * hd) < 1e-6 : got[0] == 0 && got[H * hd - 1] == 0);
        free(got);
    }
    /* refusals, each named */
    fd_attn_decode_args b = d;
    b.splits = 0;
    CHECK(fd_run(fd, &FD_ATTN_DECODE, &b) == FD_ERR_INVALID);
    CHECK_CONTAINS(fd_foundry_error(fd), "splits must be in [1, 256]");
    fd_foundry_clear_error(fd);
    b = d, b.splits = S + 1;
    CHECK(fd_run(fd, &FD_ATTN_DECODE, &b) == FD_ERR_INVALID);
    CHECK_CONTAINS(fd_foundry_error(fd), "part holds");
    fd_foundry_clear_error(fd);
    b = d, b.head_splits = S + 1;
    CHECK(fd_run(fd, &FD_ATTN_DECODE, &b) == FD_ERR_INVALID);
    CHECK_CONTAINS(fd_foundry_error(fd), "head_splits (");
    fd_foundry_clear_error(fd);
    fd_tensor *small = zeros(fd, FD_I32, 1, (int64_t[]){ (int64_t)fd_attn_decode_count_ints(H) - 1 });
    b = d, b.count = small;
    CHECK(fd_run(fd, &FD_ATTN_DECODE, &b) == FD_ERR_INVALID);
    CHECK_CONTAINS(fd_foundry_error(fd), "count must hold 17 values per query head (6)");
    fd_foundry_clear_error(fd);
    (void)fd_tensor_free(small);
    b = d, b.head_dim = 48;
    CHECK(fd_run(fd, &FD_ATTN_DECODE, &b) == FD_ERR_INVALID);
    CHECK_CONTAINS(fd_foundry_error(fd), "multiple of 32");
    fd_foundry_clear_error(fd);
    b = d, b.kv_heads = 4;
    CHECK(fd_run(fd, &FD_ATTN_DECODE, &b) == FD_ERR_INVALID);
    CHECK_CONTAINS(fd_foundry_error(fd), "multiple of kv_heads");
    fd_foundry_clear_error(fd);
    /* the scratch of the twin cannot be had: FD_ERR_NOMEM, said so */
    fd_mem_fail_after(1, 0);
    fd_status st = fd_run(fd, &FD_ATTN_DECODE, &d);
    fd_mem_fail_after(0, 0);
    CHECK(st == FD_ERR_NOMEM);
    CHECK_CONTAINS(fd_foundry_error(fd), "scratch");
    /* three blocks per SM over the kv heads, at most one split per 32 positions, at most 256 */
    CHECK(fd_attn_decode_splits(2, 2, 4096, 132) == 32 && fd_attn_decode_splits(2, 2, 65536, 132) == 198);
    CHECK(fd_attn_decode_splits(14, 2, 65536, 132) == 1536 / 14);   /* the grid's cap */
    CHECK(fd_attn_decode_splits(14, 2, 4096, 132) == 32);           /* 128 positions a split at capacity */
    CHECK(fd_attn_decode_splits(4, 4, 64, 132) == 1 && fd_attn_decode_splits(1, 1, 1u << 24, 132) == 256);
    CHECK(fd_attn_decode_splits(2, 2, 300, 0) == 2 && fd_attn_decode_splits(8, 8, 32, 132) == 1);
    /* a block a query head: H rows of splits about three blocks an SM, within [1, S] */
    CHECK(fd_attn_decode_head_splits(14, 34, 132) == 28 && fd_attn_decode_head_splits(14, 16, 132) == 16);
    CHECK(fd_attn_decode_head_splits(1024, 8, 132) == 1 && fd_attn_decode_head_splits(2, 256, 132) == 198);
    free(qv), free(kv), free(vv), free(want);
    free_all((fd_tensor *[]){ q, kc, vc, y, pos, part, count, pages }, 8);
    fd_foundry_destroy(fd);
}

/* ---- a permuted page table against the identity */
/* Bitwise equality of n floats read from two tensors. */
static int same_f32(fd_tensor *a, fd_tensor *b)
{
    float *x = read_f32(a), *y = read_f32(b);
    int eq = !memcmp(x, y, (size_t)fd_tensor_numel(a) * sizeof *x);
    free(x), free(y);
    return eq;
}

/* Two layouts of one logical cache, on `fd`: the identity table over exactly
 * the pages the context needs, and a random permutation of a larger pool.
 * Every kernel that touches the cache must give the same results with both,
 * bit for bit: what the writers (FD_ROPE_KV, FD_QKV_ROWS, FD_QKV_ROWS_NORM)
 * leave, read back through the tables, and what the readers (prefill and
 * decode attention) compute. */
static void permuted_equal(fd_foundry *fd)
{
    const uint32_t H = 8, KV = 2, hd = 64, C = 300, T = 70, S = 5, R = (H + 2 * KV) * hd;
    const int32_t start = 100;                     /* the chunk's positions 100..169: pages 1 and 2 */
    const float scale = 0.125f;
    uint32_t np[2] = { fd_kv_pages(C), pool_of(C) };
    fd_tensor *pg[2], *kc[2], *vc[2], *y[2], *qr[2];
    for (int i = 0; i < 2; i++) {
        pg[i] = page_table(fd, C, np[i], i);
        kc[i] = zeros(fd, FD_F16, 3, (int64_t[]){ np[i], (int64_t)KV * PG, hd });
        vc[i] = zeros(fd, FD_F16, 3, (int64_t[]){ np[i], (int64_t)KV * PG, hd });
        y[i] = zeros(fd, FD_F32, 2, (int64_t[]){ T, H * hd });
        qr[i] = zeros(fd, FD_F32, 2, (int64_t[]){ C, H * hd });
    }
    float inv[32];
    fd_rope_inv_freq(inv, hd, 1e6);
    fd_tensor *q = rand_tensor(fd, FD_F32, 2, (int64_t[]){ C, H * hd }, &seed, 1);
    fd_tensor *k = rand_tensor(fd, FD_F32, 2, (int64_t[]){ C, KV * hd }, &seed, 1);
    fd_tensor *v = rand_tensor(fd, FD_F32, 2, (int64_t[]){ C, KV * hd }, &seed, 1);
    fd_tensor *rows = rand_tensor(fd, FD_F32, 2, (int64_t[]){ T, R }, &seed, 1);
    fd_tensor *qn = rand_tensor(fd, FD_F32, 1, (int64_t[]){ hd }, &seed, 1);
    fd_tensor *kn = rand_tensor(fd, FD_F32, 1, (int64_t[]){ hd }, &seed, 1);
    fd_tensor *qt = rand_tensor(fd, FD_F32, 2, (int64_t[]){ T, H * hd }, &seed, 2), *q1, *y1[2], *it;
    fd_tensor *pos = scalar_i32(fd, 0), *flag = scalar_i32(fd, 0);
    int64_t nparts = (int64_t)fd_attn_decode_part_floats(H, hd, S);
    fd_tensor *part = zeros(fd, FD_F32, 1, &nparts), *count = zeros(fd, FD_I32, 1, (int64_t[]){ (int64_t)fd_attn_decode_count_ints(H) });
    CHECK_OK(fd_tensor_alloc(fd, FD_F32, 1, (int64_t[]){ hd / 2 }, FD_INIT_COPY, inv, &it), (fd_error *)NULL);
    CHECK_OK(fd_tensor_view(qt, 0, 1, (int64_t[]){ H * hd }, &q1), (fd_error *)NULL);
    for (int i = 0; i < 2; i++) CHECK_OK(fd_tensor_view(y[i], 0, 1, (int64_t[]){ H * hd }, &y1[i]), (fd_error *)NULL);
    float *lk[2], *lv[2];
    /* the whole context written by FD_ROPE_KV, then a chunk rewritten by each QKV rows kernel */
    for (int i = 0; i < 2; i++) {
        set_i32(pos, 0);
        CHECK_OK(fd_run(fd, &FD_ROPE_KV, &(fd_rope_kv_args){ .q = q, .k = k, .v = v, .inv_freq = it, .pos = pos,
                 .pages = pg[i], .qr = qr[i], .kc = kc[i], .vc = vc[i], .flag = flag, .tokens = C, .heads = H,
                 .kv_heads = KV, .head_dim = hd, .ctx = C }), (fd_error *)NULL);
        lk[i] = logical(kc[i], pg[i], KV, C, hd), lv[i] = logical(vc[i], pg[i], KV, C, hd);
    }
    CHECK(!memcmp(lk[0], lk[1], (size_t)KV * C * hd * 4) && !memcmp(lv[0], lv[1], (size_t)KV * C * hd * 4));
    for (int i = 0; i < 2; i++) free(lk[i]), free(lv[i]);
    for (int norm = 0; norm < 2; norm++) {
        for (int i = 0; i < 2; i++) {
            set_i32(pos, start);
            if (norm)
                CHECK_OK(fd_run(fd, &FD_QKV_ROWS_NORM, &(fd_qkv_rows_norm_args){ .y = rows, .pos = pos,
                         .inv_freq = it, .pages = pg[i], .q_norm = qn, .k_norm = kn, .q = y[i], .kc = kc[i],
                         .vc = vc[i], .flag = flag, .tokens = T, .heads = H, .kv_heads = KV, .head_dim = hd, .ctx = C,
                         .eps = 1e-6f }), (fd_error *)NULL);
            else
                CHECK_OK(fd_run(fd, &FD_QKV_ROWS, &(fd_qkv_rows_args){ .y = rows, .pos = pos, .inv_freq = it,
                         .pages = pg[i], .q = y[i], .kc = kc[i], .vc = vc[i], .flag = flag, .tokens = T, .heads = H,
                         .kv_heads = KV, .head_dim = hd, .ctx = C }), (fd_error *)NULL);
            lk[i] = logical(kc[i], pg[i], KV, C, hd), lv[i] = logical(vc[i], pg[i], KV, C, hd);
        }
        CHECK(!memcmp(lk[0], lk[1], (size_t)KV * C * hd * 4) && !memcmp(lv[0], lv[1], (size_t)KV * C * hd * 4));
        CHECK(same_f32(y[0], y[1]));
        for (int i = 0; i < 2; i++) free(lk[i]), free(lv[i]);
    }
    CHECK_EQ(get_i32(flag), 0);
    /* the readers */
    int prefill_eq, decode_eq = 1;
    for (int i = 0; i < 2; i++) {
        set_i32(pos, start);
        CHECK_OK(fd_run(fd, &FD_ATTN_PREFILL, &(fd_attn_prefill_args){ .q = qt, .kc = kc[i], .vc = vc[i], .pos = pos,
                 .pages = pg[i], .y = y[i], .tokens = T, .heads = H, .kv_heads = KV, .head_dim = hd, .ctx = C,
                 .scale = scale }), (fd_error *)NULL);
    }
    CHECK((prefill_eq = same_f32(y[0], y[1])));
    const int32_t ps[] = { 0, 63, 64, 170, 299 };
    for (int p = 0; p < 5; p++) {
        for (int i = 0; i < 2; i++) {
            set_i32(pos, ps[p]);
            CHECK_OK(fd_run(fd, &FD_ATTN_DECODE, &(fd_attn_decode_args){ .q = q1, .kc = kc[i], .vc = vc[i], .pos = pos,
                     .pages = pg[i], .y = y1[i], .part = part, .count = count, .heads = H, .kv_heads = KV,
                     .head_dim = hd, .ctx = C, .splits = S, .scale = scale }), (fd_error *)NULL);
        }
        decode_eq &= same_f32(y1[0], y1[1]);
    }
    CHECK(decode_eq);
    printf("permuted table == identity (%s): writers, prefill %s, decode %s\n",
           fd_foundry_backend(fd) == FD_BACKEND_CUDA ? "gpu" : "cpu", prefill_eq ? "equal" : "DIFFER",
           decode_eq ? "equal" : "DIFFER");
    free_all((fd_tensor *[]){ q, k, v, rows, qn, kn, qt, it, pos, flag, part, count, pg[0], pg[1], kc[0], kc[1],
                              vc[0], vc[1], y[0], y[1], qr[0], qr[1] }, 22);
}

static void test_cpu_permuted(void) { ON_CPU(permuted_equal); }

static void test_gpu_permuted(void) { ON_GPU(permuted_equal); }

/* ---- GPU against CPU */
static void decode_parity(fd_foundry *cpu, fd_foundry *gpu, fd_dtype kdt, uint32_t H, uint32_t KV, uint32_t hd,
                          uint32_t C, const int32_t *ps, int nps)
{
    const uint32_t splits[] = { 1, 7, 64, fd_attn_decode_splits(H, KV, C, 132), 256 };
    const float scale = 1.0f / sqrtf((float)hd);
    fd_tensor *q = rand_tensor(cpu, FD_F32, 1, (int64_t[]){ H * hd }, &seed, 2);
    fd_tensor *kc = rand_cache(cpu, kdt, pool_of(C), KV, hd), *vc = rand_cache(cpu, kdt, pool_of(C), KV, hd);
    fd_tensor *pages = page_table(cpu, C, pool_of(C), 1), *gpages = clone_to(gpu, pages);
    int64_t np = (int64_t)fd_attn_decode_part_floats(H, hd, 256);
    fd_tensor *gq = clone_to(gpu, q), *gk = clone_to(gpu, kc), *gv = clone_to(gpu, vc);
    fd_tensor *y = zeros(cpu, FD_F32, 1, (int64_t[]){ H * hd }), *gy = zeros(gpu, FD_F32, 1, (int64_t[]){ H * hd });
    fd_tensor *part = zeros(cpu, FD_F32, 1, &np), *gpart = zeros(gpu, FD_F32, 1, &np);
    fd_tensor *count = zeros(cpu, FD_I32, 1, (int64_t[]){ (int64_t)fd_attn_decode_count_ints(H) }),
              *gcount = zeros(gpu, FD_I32, 1, (int64_t[]){ (int64_t)fd_attn_decode_count_ints(H) });
    fd_tensor *pos = scalar_i32(cpu, 0), *gpos = scalar_i32(gpu, 0);
    double worst = 0;
    for (int i = 0; i < nps; i++) {
        set_i32(pos, ps[i]), set_i32(gpos, ps[i]);
        fd_attn_decode_args a = { .q = q, .kc = kc, .vc = vc, .pos = pos, .pages = pages, .y = y, .part = part,
                                  .count = count, .heads = H, .kv_heads = KV, .head_dim = hd, .ctx = C, .splits = 1,
                                  .scale = scale };
        CHECK_OK(fd_run(cpu, &FD_ATTN_DECODE, &a), (fd_error *)NULL);
        float *want = read_f32(y);
        for (size_t s = 0; s < sizeof splits / sizeof splits[0]; s++) {
            fd_attn_decode_args g = { .q = gq, .kc = gk, .vc = gv, .pos = gpos, .pages = gpages, .y = gy, .part = gpart,
                                      .count = gcount, .heads = H, .kv_heads = KV, .head_dim = hd, .ctx = C,
                                      .splits = splits[s], .scale = scale };
            if (s >= 2) g.head_splits = fd_attn_decode_head_splits(H, splits[s], 132);   /* fewer for a block a head */
            fd_status st = fd_run(gpu, &FD_ATTN_DECODE, &g);
            if (st) fprintf(stderr, "gpu decode: %s\n", fd_foundry_error(gpu));
            CHECK_EQ(st, FD_OK);
            float *got = read_f32(gy);
            double e = rel_err(got, want, H * hd);
            if (!(e <= 2e-5)) fprintf(stderr, "decode %s H %u KV %u hd %u pos %d splits %u: rel err %.3g\n",
                                      fd_dtype_name(kdt), H, KV, hd, ps[i], splits[s], e);
            worst = fmax(worst, e);
            CHECK(e <= 2e-5);
            free(got);
        }
        free(want);
    }
    CHECK_EQ(nonzero_i32(gcount), 0);   /* every launch left its tickets at zero */
    printf("decode %-4s H %2u KV %u hd %3u C %5u: worst rel err %.3g\n", fd_dtype_name(kdt), H, KV, hd, C, worst);
    free_all((fd_tensor *[]){ q, kc, vc, gq, gk, gv, y, gy, part, gpart, count, gcount, pos, gpos, pages, gpages }, 16);
}

static void test_gpu_decode(void)
{
    fd_foundry *gpu = make_gpu();
    if (!gpu) SKIP("%s", gpu_why);
    fd_foundry *cpu = make_cpu();
    const int32_t ps[] = { 0, 1, 17, 1000, 4095, 5000 };   /* 5000 >= C: the whole cache */
    decode_parity(cpu, gpu, FD_F16, 14, 2, 64, 4096, ps, 6);
    decode_parity(cpu, gpu, FD_F16, 12, 2, 128, 4096, ps, 6);
    decode_parity(cpu, gpu, FD_BF16, 14, 2, 64, 4096, ps, 3);
    const int32_t ps2[] = { 0, 63, 64, 300, 511 };
    decode_parity(cpu, gpu, FD_F16, 16, 2, 256, 512, ps2, 5);   /* G = 8, hd 256: one warp per position */
    decode_parity(cpu, gpu, FD_F16, 4, 4, 96, 512, ps2, 5);     /* G = 1, hd 96: lanes past hd idle */
    decode_parity(cpu, gpu, FD_BF16, 8, 1, 32, 512, ps2, 5);
    const int32_t ps3[] = { 543, 1055, 2047 };               /* 17 and 33 splits of 32 at 64 splits (sets of 16) */
    decode_parity(cpu, gpu, FD_F16, 20, 2, 256, 2048, ps3, 3);  /* G = 10: two head groups a kv head, hd 256 */
    decode_parity(cpu, gpu, FD_BF16, 7, 1, 128, 2048, ps3, 3);  /* G = 7, one kv head */
    fd_foundry_destroy(cpu);
    fd_foundry_destroy(gpu);
}

/* Decode captured once and replayed 8 times, pos written from the host
 * between replays: the graph reads pos from device memory. */
static void test_gpu_graph(void)
{
    fd_foundry *gpu = make_gpu();
    if (!gpu) SKIP("%s", gpu_why);
    fd_foundry *cpu = make_cpu();
    const uint32_t H = 14, KV = 2, hd = 64, C = 4096, S = fd_attn_decode_splits(H, KV, C, 132);
    const float scale = 0.125f;
    fd_tensor *q = rand_tensor(cpu, FD_F32, 1, (int64_t[]){ H * hd }, &seed, 2);
    fd_tensor *kc = rand_cache(cpu, FD_F16, pool_of(C), KV, hd), *vc = rand_cache(cpu, FD_F16, pool_of(C), KV, hd);
    fd_tensor *pages = page_table(cpu, C, pool_of(C), 1), *gpages = clone_to(gpu, pages);
    int64_t np = (int64_t)fd_attn_decode_part_floats(H, hd, S);
    fd_tensor *gq = clone_to(gpu, q), *gk = clone_to(gpu, kc), *gv = clone_to(gpu, vc);
    fd_tensor *y = zeros(cpu, FD_F32, 1, (int64_t[]){ H * hd }), *gy = zeros(gpu, FD_F32, 1, (int64_t[]){ H * hd });
    fd_tensor *part = zeros(cpu, FD_F32, 1, &np), *gpart = zeros(gpu, FD_F32, 1, &np);
    fd_tensor *count = zeros(cpu, FD_I32, 1, (int64_t[]){ (int64_t)fd_attn_decode_count_ints(H) }),
              *gcount = zeros(gpu, FD_I32, 1, (int64_t[]){ (int64_t)fd_attn_decode_count_ints(H) });
    fd_tensor *pos = scalar_i32(cpu, 0), *gpos = scalar_i32(gpu, 3);
    fd_attn_decode_args a = { .q = q, .kc = kc, .vc = vc, .pos = pos, .pages = pages, .y = y, .part = part,
                              .count = count, .heads = H, .kv_heads = KV, .head_dim = hd, .ctx = C, .splits = S,
                              .scale = scale };
    fd_attn_decode_args g = a;
    g.q = gq, g.kc = gk, g.vc = gv, g.pos = gpos, g.pages = gpages, g.y = gy, g.part = gpart, g.count = gcount;
    CHECK_OK(fd_run(gpu, &FD_ATTN_DECODE, &g), (fd_error *)NULL);   /* compiled before capture */
    CHECK_OK(fd_foundry_sync(gpu), (fd_error *)NULL);
    fd_graph *graph = NULL;
    CHECK_OK(fd_graph_begin(gpu), (fd_error *)NULL);
    CHECK_OK(fd_run(gpu, &FD_ATTN_DECODE, &g), (fd_error *)NULL);
    CHECK_OK(fd_graph_end(gpu, &graph), (fd_error *)NULL);
    double worst = 0;
    for (int step = 0; step < 8 && graph; step++) {
        int32_t p = 5 + step * 577;                 /* 5 .. 4044: the active splits change */
        set_i32(gpos, p);
        CHECK_OK(fd_tensor_flush(gpos), (fd_error *)NULL);
        CHECK_OK(fd_graph_launch(gpu, graph), (fd_error *)NULL);
        set_i32(pos, p);
        CHECK_OK(fd_run(cpu, &FD_ATTN_DECODE, &a), (fd_error *)NULL);
        float *got = read_f32(gy), *want = read_f32(y);
        double e = rel_err(got, want, H * hd);
        worst = fmax(worst, e);
        CHECK(e <= 2e-5);
        free(got), free(want);
    }
    CHECK_EQ(nonzero_i32(gcount), 0);
    printf("decode graph, 8 replays: worst rel err %.3g\n", worst);
    if (graph) fd_graph_free(gpu, graph);
    free_all((fd_tensor *[]){ q, kc, vc, gq, gk, gv, y, gy, part, gpart, count, gcount, pos, gpos, pages, gpages }, 16);
    fd_foundry_destroy(cpu);
    fd_foundry_destroy(gpu);
}

/* The GPU's prefill kernel k against the CPU twin. Bounds: the SIMT kernel
 * computes in f32 (2e-5); the tensor-core one rounds q and the softmax
 * weights to the cache's type (tools/cuemu measured 2.4e-4 with f16, 1.9e-3
 * with bf16). */
static void prefill_parity_k(fd_foundry *cpu, fd_foundry *gpu, const fd_kernel *k, fd_dtype kdt, uint32_t H,
                             uint32_t KV, uint32_t hd, uint32_t C, uint32_t T, int32_t start)
{
    const float scale = 1.0f / sqrtf((float)hd);
    fd_tensor *q = rand_tensor(cpu, FD_F32, 2, (int64_t[]){ T, H * hd }, &seed, 2);
    fd_tensor *kc = rand_cache(cpu, kdt, pool_of(C), KV, hd), *vc = rand_cache(cpu, kdt, pool_of(C), KV, hd);
    fd_tensor *pages = page_table(cpu, C, pool_of(C), 1), *gpages = clone_to(gpu, pages);
    fd_tensor *gq = clone_to(gpu, q), *gk = clone_to(gpu, kc), *gv = clone_to(gpu, vc);
    fd_tensor *y = zeros(cpu, FD_F32, 2, (int64_t[]){ T, H * hd }), *gy = zeros(gpu, FD_F32, 2, (int64_t[]){ T, H * hd });
    fd_tensor *pos = scalar_i32(cpu, start), *gpos = scalar_i32(gpu, start);
    fd_attn_prefill_args a = { .q = q, .kc = kc, .vc = vc, .pos = pos, .pages = pages, .y = y, .tokens = T,
                               .heads = H, .kv_heads = KV, .head_dim = hd, .ctx = C, .scale = scale };
    fd_attn_prefill_args g = a;
    g.q = gq, g.kc = gk, g.vc = gv, g.pos = gpos, g.pages = gpages, g.y = gy;
    CHECK_OK(fd_run(cpu, &FD_ATTN_PREFILL, &a), (fd_error *)NULL);
    fd_status st = fd_run(gpu, k, &g);
    if (st) fprintf(stderr, "gpu prefill: %s\n", fd_foundry_error(gpu));
    CHECK_EQ(st, FD_OK);
    float *got = read_f32(gy), *want = read_f32(y);
    double e = rel_err(got, want, (size_t)T * H * hd);
    double bound = k == &FD_ATTN_PREFILL ? 2e-5 : kdt == FD_BF16 ? 5e-3 : 1e-3;
    printf("%s %-4s H %2u KV %u hd %3u T %3u start %d: rel err %.3g (bound %.0e)\n", k->name, fd_dtype_name(kdt), H, KV,
           hd, T, start, e, bound);
    CHECK(e <= bound);
    free(got), free(want);
    free_all((fd_tensor *[]){ q, kc, vc, gq, gk, gv, y, gy, pos, gpos, pages, gpages }, 12);
}

/* both kernels where the tensor-core one takes the head_dim */
static void prefill_parity(fd_foundry *cpu, fd_foundry *gpu, fd_dtype kdt, uint32_t H, uint32_t KV, uint32_t hd,
                           uint32_t C, uint32_t T, int32_t start)
{
    prefill_parity_k(cpu, gpu, &FD_ATTN_PREFILL, kdt, H, KV, hd, C, T, start);
    if (fd_attn_prefill_kernel(hd) != &FD_ATTN_PREFILL)
        prefill_parity_k(cpu, gpu, fd_attn_prefill_kernel(hd), kdt, H, KV, hd, C, T, start);
}

static void test_gpu_prefill(void)
{
    fd_foundry *gpu = make_gpu();
    if (!gpu) SKIP("%s", gpu_why);
    fd_foundry *cpu = make_cpu();
    const uint32_t Ts[] = { 1, 7, 64, 300 };
    for (int s = 0; s < 2; s++)
        for (int i = 0; i < 4; i++) {
            prefill_parity(cpu, gpu, FD_F16, 14, 2, 64, 1024, Ts[i], s * 5);
            prefill_parity(cpu, gpu, FD_F16, 12, 2, 128, 1024, Ts[i], s * 5);
        }
    prefill_parity(cpu, gpu, FD_BF16, 14, 2, 64, 512, 33, 7);
    prefill_parity(cpu, gpu, FD_BF16, 8, 2, 128, 1024, 200, 100);
    prefill_parity(cpu, gpu, FD_F16, 16, 8, 128, 2048, 1000, 0);   /* many tiles of 64 queries */
    prefill_parity(cpu, gpu, FD_F16, 8, 2, 256, 512, 40, 3);   /* BK = 16 */
    prefill_parity(cpu, gpu, FD_F16, 6, 3, 96, 512, 21, 2);    /* BK = 32, 48 words a row */
    prefill_parity(cpu, gpu, FD_F16, 4, 2, 160, 512, 70, 30);  /* BK = 16 (was 25: tiles now stay in a page) */
    prefill_parity(cpu, gpu, FD_F16, 4, 2, 64, 64, 20, 50);    /* rows past the cache see all of it */
    fd_foundry_destroy(cpu);
    fd_foundry_destroy(gpu);
}

/* relative error over the cache rows [start, start + T) inside [0, C) of every kv head */
static double rows_err(const float *a, const float *b, uint32_t KV, uint32_t C, uint32_t hd, int32_t start, uint32_t T)
{
    double num = 0, den = 0;
    for (uint32_t j = 0; j < KV; j++)
        for (int64_t p = start; p < (int64_t)start + T && p < C; p++)
            for (uint32_t i = 0; i < hd; i++) {
                size_t o = ((size_t)j * C + (size_t)p) * hd + i;
                num += ((double)a[o] - b[o]) * ((double)a[o] - b[o]);
                den += (double)b[o] * b[o];
            }
    return den > 0 ? sqrt(num / den) : sqrt(num);
}

static void rope_parity(fd_foundry *cpu, fd_foundry *gpu, fd_dtype kdt, uint32_t T, uint32_t H, uint32_t KV,
                        uint32_t hd, uint32_t C, int32_t start, int inplace)
{
    float inv[128];
    fd_rope_inv_freq(inv, hd, 1e6);
    fd_tensor *q = rand_tensor(cpu, FD_F32, 2, (int64_t[]){ T, H * hd }, &seed, 1);
    fd_tensor *k = rand_tensor(cpu, FD_F32, 2, (int64_t[]){ T, KV * hd }, &seed, 1);
    fd_tensor *v = rand_tensor(cpu, FD_F32, 2, (int64_t[]){ T, KV * hd }, &seed, 1);
    fd_tensor *kc = rand_cache(cpu, kdt, pool_of(C), KV, hd), *vc = rand_cache(cpu, kdt, pool_of(C), KV, hd), *it;
    fd_tensor *pages = page_table(cpu, C, pool_of(C), 1);
    CHECK_OK(fd_tensor_alloc(cpu, FD_F32, 1, (int64_t[]){ hd / 2 }, FD_INIT_COPY, inv, &it), (fd_error *)NULL);
    fd_tensor *qr = zeros(cpu, FD_F32, 2, (int64_t[]){ T, H * hd });
    fd_tensor *pos = scalar_i32(cpu, start), *flag = scalar_i32(cpu, 0);
    fd_tensor *g[10];
    fd_tensor *c[10] = { q, k, v, it, pos, qr, kc, vc, flag, pages };
    for (int i = 0; i < 10; i++) g[i] = clone_to(gpu, c[i]);
    fd_rope_kv_args a = { .q = q, .k = k, .v = v, .inv_freq = it, .pos = pos, .pages = pages, .qr = qr, .kc = kc,
                          .vc = vc, .flag = flag, .tokens = T, .heads = H, .kv_heads = KV, .head_dim = hd, .ctx = C };
    fd_rope_kv_args b = { .q = g[0], .k = g[1], .v = g[2], .inv_freq = g[3], .pos = g[4], .pages = g[9],
                          .qr = inplace ? g[0] : g[5], .kc = g[6], .vc = g[7], .flag = g[8], .tokens = T,
                          .heads = H, .kv_heads = KV, .head_dim = hd, .ctx = C };
    CHECK_OK(fd_run(cpu, &FD_ROPE_KV, &a), (fd_error *)NULL);
    CHECK_OK(fd_run(gpu, &FD_ROPE_KV, &b), (fd_error *)NULL);
    float *p1 = read_f32(qr), *p2 = read_f32(b.qr);
    double eq = rel_err(p2, p1, (size_t)T * H * hd);
    free(p1), free(p2);
    size_t pool = (size_t)pool_of(C) * KV * PG * hd;
    p1 = logical(kc, pages, KV, C, hd), p2 = logical(g[6], g[9], KV, C, hd);
    double ek = rows_err(p2, p1, KV, C, hd, start, T);
    free(p1), free(p2);
    p1 = read_f32(kc), p2 = read_f32(g[6]);
    double ek_all = rel_err(p2, p1, pool);   /* the whole pool: nothing written outside the table's rows */
    free(p1), free(p2);
    p1 = read_f32(vc), p2 = read_f32(g[7]);
    double ev = rel_err(p2, p1, pool);
    free(p1), free(p2);
    double kb = kdt == FD_F16 ? 1e-4 : 1e-3;
    CHECK(ek_all <= ek || ek_all <= kb);   /* the rows not written are equal */
    printf("rope_kv %-4s T %3u hd %3u start %5d%s: q %.3g  kc %.3g  vc %.3g  flag %d\n", fd_dtype_name(kdt), T, hd,
           start, inplace ? " in place" : "", eq, ek, ev, get_i32(g[8]));
    CHECK(eq <= 1e-5);
    CHECK(ek <= kb);
    CHECK(ev == 0);   /* v is only rounded: the same on both sides */
    CHECK_EQ(get_i32(g[8]), get_i32(flag));
    free_all(c, 10);
    free_all(g, 10);
}

static void test_gpu_rope(void)
{
    fd_foundry *gpu = make_gpu();
    if (!gpu) SKIP("%s", gpu_why);
    fd_foundry *cpu = make_cpu();
    rope_parity(cpu, gpu, FD_F16, 64, 14, 2, 64, 32768, 0, 0);
    rope_parity(cpu, gpu, FD_F16, 300, 14, 2, 64, 32768, 32768 - 300, 1);
    rope_parity(cpu, gpu, FD_F16, 1, 12, 2, 128, 32768, 32767, 0);
    rope_parity(cpu, gpu, FD_BF16, 17, 12, 2, 128, 32768, 20000, 1);
    rope_parity(cpu, gpu, FD_F16, 20, 12, 2, 128, 32768, 32760, 0);   /* 12 tokens past the cache: flag */
    fd_foundry_destroy(cpu);
    fd_foundry_destroy(gpu);
}

static void setup(void)
{
    seed = (uint64_t)time(NULL) * 2654435761u | 1;
    printf("seed %llu\n", (unsigned long long)seed);
}

TEST_MAIN(setup, test_cpu_rope, test_cpu_attention, test_cpu_permuted, test_gpu_rope, test_gpu_decode, test_gpu_graph,
          test_gpu_prefill, test_gpu_permuted)
