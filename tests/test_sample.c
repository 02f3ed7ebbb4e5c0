/* test_sample.c — the token sampler (FD_SAMPLE, fd_sample_ref) and Philox.
 *
 * CPU: Philox4x32-10 against Random123's known answers; on injected logits
 * (kept away from every threshold) the ids that can be drawn under top-k,
 * min-p, top-p and their combination equal a sort-based computation here;
 * penalties move exactly the window's tokens; temperature 0 is the argmax
 * (first on ties, NaN never); padding is never drawn; a seed gives the
 * same 200-token sequence, another seed a different one; a chi-square
 * test of 20,000 draws against the softmax (statistic < 85.4, the 0.999
 * quantile for 49 degrees of freedom); the kernel's CPU twin equals
 * fd_sample_ref and leaves its counts zero; allocation failure is
 * FD_ERR_NOMEM. GPU: Philox words and sampled ids equal the CPU's exactly
 * (V = 151936 and small V, every filter), in a captured graph replayed with
 * pos advanced on the device and written by the host; µs per call. */
#include <time.h>
#include "check.h"
#include "gpu.h"
#include "foundry/ops.h"
#include "base/mem.h"

static uint64_t seed;

static void test_philox_kat(void)
{
    static const struct { uint32_t ctr[4], key[2], out[4]; } kat[] = {
        { { 0, 0, 0, 0 }, { 0, 0 }, { 0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8 } },
        { { 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff }, { 0xffffffff, 0xffffffff },
          { 0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd } },
        { { 0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344 }, { 0xa4093822, 0x299f31d0 },
          { 0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1 } },
    };
    for (size_t i = 0; i < sizeof kat / sizeof kat[0]; i++) {
        uint32_t o[4];
        fd_philox4x32(kat[i].ctr, kat[i].key, o);
        for (int j = 0; j < 4; j++) CHECK_EQ(o[j], kat[i].out[j]);
    }
}

static fd_sampler plain(float t)
{
    fd_sampler s;
    fd_sampler_defaults(&s);
    s.temperature = t, s.top_k = 0, s.top_p = 1, s.min_p = 0, s.last_n = 0;
    return s;
}

static int32_t draw(const float *l, uint32_t n, uint32_t valid, const int32_t *hist, uint32_t cap, int32_t pos,
                    const fd_sampler *s)
{
    int32_t id = -1;
    CHECK_OK(fd_sample_ref(l, n, valid, hist, cap, pos, s, &id), (fd_error *)NULL);
    return id;
}

/* ---- the drawable set against a sort-based computation */
typedef struct { float l; uint32_t i; } ent;
static int by_logit_desc(const void *a, const void *b)
{
    const ent *x = a, *y = b;
    return x->l != y->l ? (x->l < y->l ? 1 : -1) : (x->i > y->i) - (x->i < y->i);
}

/* llama.cpp's penalties, written out here. */
static float penalised(float l, int c, const fd_sampler *s)
{
    if (!c) return l;
    l = l <= 0 ? l * s->repeat_penalty : l / s->repeat_penalty;
    return l - ((float)c * s->frequency_penalty + s->presence_penalty);
}

/* keep[i] = 1 where the filters leave token i (ties at a threshold all
 * kept); returns 0 if a threshold lies within `gap` of a decision without
 * a tie (the case is then regenerated). */
static int expected_set(const float *logits, uint32_t n, const int *counts, const fd_sampler *s, char *keep, double gap)
{
    ent *e = malloc(n * sizeof *e);
    for (uint32_t i = 0; i < n; i++) e[i] = (ent){ penalised(logits[i], counts[i], s), i };
    qsort(e, n, sizeof *e, by_logit_desc);
    double mx = e[0].l, *p = malloc(n * sizeof *p);
    uint32_t m = n;
    if (s->top_k > 0 && (uint32_t)s->top_k < n) {
        m = (uint32_t)s->top_k;
        if (e[m - 1].l != e[m].l && e[m - 1].l - e[m].l < gap) { free(e), free(p); return 0; }
        while (m < n && e[m].l == e[m - 1].l) m++;   /* ties at the threshold are kept */
    }
    uint32_t mk = 0;
    for (uint32_t j = 0; j < m; j++) {
        p[j] = exp(((double)e[j].l - mx) / s->temperature);
        if (s->min_p > 0 && fabs(p[j] - s->min_p) < gap) { free(e), free(p); return 0; }
        if (p[j] >= s->min_p) mk = j + 1;
    }
    double tot = 0, cum = 0;
    for (uint32_t j = 0; j < mk; j++) tot += p[j];
    uint32_t mp = mk;
    if (s->top_p < 1)
        for (uint32_t j = 0; j < mk; j++) {
            cum += p[j] / tot;
            if (fabs(cum - s->top_p) < gap) { free(e), free(p); return 0; }
            if (cum >= s->top_p) { mp = j + 1; break; }
        }
    while (mp < mk && e[mp].l == e[mp - 1].l) mp++;
    memset(keep, 0, n);
    for (uint32_t j = 0; j < mp; j++) keep[e[j].i] = 1;
    free(e), free(p);
    return 1;
}

static void mask_case(const fd_sampler *base, uint32_t n, int ties)
{
    float *l = malloc(n * sizeof *l);
    int32_t hist[16];
    int counts[512] = { 0 };
    char *keep = malloc(n), *seen = calloc(n, 1);
    fd_sampler s = *base;
    for (int tries = 0;; tries++) {
        for (uint32_t i = 0; i < n; i++) {
            l[i] = rng_uniform(&seed) * 3.0f;
            if (ties) l[i] = roundf(l[i] * 4) / 4;   /* many equal logits, ties at the thresholds */
        }
        memset(counts, 0, sizeof counts);
        for (int j = 0; j < 16; j++) hist[j] = (int32_t)(rng_next(&seed) % n), counts[hist[j]] += s.last_n ? 1 : 0;
        if (expected_set(l, n, counts, &s, keep, ties ? 1e-9 : 1e-3)) break;
        CHECK(tries < 1000);
    }
    for (int d = 0; d < 20000; d++) {
        s.seed = (uint64_t)d * 7919;
        int32_t id = draw(l, n, n, hist, 16, 15, &s);
        CHECK(id >= 0 && (uint32_t)id < n);
        if (id >= 0 && (uint32_t)id < n) seen[id] = 1;
    }
    int bad = 0, kept = 0;
    for (uint32_t i = 0; i < n; i++) bad += seen[i] != keep[i], kept += keep[i];
    if (bad) fprintf(stderr, "mask: top_k %d min_p %g top_p %g T %g: %d of %u differ (%d kept)\n", s.top_k,
                     (double)s.min_p, (double)s.top_p, (double)s.temperature, bad, n, kept);
    CHECK_EQ(bad, 0);
    free(l), free(keep), free(seen);
}

static void test_masks(void)
{
    fd_sampler s = plain(1.0f);
    s.top_k = 12;
    mask_case(&s, 200, 0);
    mask_case(&s, 200, 1);
    s = plain(1.0f), s.min_p = 0.2f;
    mask_case(&s, 200, 0);
    s = plain(0.7f), s.top_p = 0.6f;
    mask_case(&s, 200, 0);
    mask_case(&s, 200, 1);
    s = plain(0.8f), s.top_k = 30, s.min_p = 0.1f, s.top_p = 0.8f, s.last_n = 16;
    s.repeat_penalty = 1.3f, s.presence_penalty = 0.4f, s.frequency_penalty = 0.3f;
    mask_case(&s, 300, 0);
    s.temperature = 1.5f;
    mask_case(&s, 300, 1);
}

/* Greedy picks reveal the penalised logits: a window of positions
 * [lo, pos] penalises its tokens and nothing else. */
static void test_penalties(void)
{
    enum { N = 40, CAP = 100 };
    float l[N];
    int32_t hist[CAP];
    for (int c = 0; c < 300; c++) {
        fd_sampler s = plain(0);
        s.repeat_penalty = 1.0f + (float)(rng_next(&seed) % 100) / 50;
        s.presence_penalty = (float)(rng_next(&seed) % 100) / 100;
        s.frequency_penalty = (float)(rng_next(&seed) % 100) / 100;
        const int32_t lasts[] = { -1, 0, 1, 5, 30 };
        s.last_n = lasts[rng_next(&seed) % 5];
        int32_t pos = (int32_t)(rng_next(&seed) % CAP);
        for (int i = 0; i < N; i++) l[i] = rng_uniform(&seed) * 2;
        for (int j = 0; j < CAP; j++) hist[j] = (int32_t)(rng_next(&seed) % (N + 3)) - 1;  /* some out of range */
        int counts[N] = { 0 }, lo = s.last_n < 0 ? 0 : pos + 1 - s.last_n;
        for (int j = lo < 0 ? 0 : lo; s.last_n && j <= pos; j++)
            if (hist[j] >= 0 && hist[j] < N) counts[hist[j]]++;
        int best = 0;
        float bv = -INFINITY;
        for (int i = 0; i < N; i++) {
            float v = penalised(l[i], counts[i], &s);
            if (v > bv) bv = v, best = i;
        }
        CHECK_EQ(draw(l, N, N, hist, CAP, pos, &s), best);
    }
    /* the token at the position just before the window is not penalised */
    fd_sampler s = plain(0);
    s.presence_penalty = 5, s.last_n = 4;
    for (int i = 0; i < N; i++) l[i] = 0;
    l[7] = 1;
    for (int j = 0; j < CAP; j++) hist[j] = 1;
    hist[5] = 7;
    CHECK_EQ(draw(l, N, N, hist, CAP, 9, &s), 7);   /* window [6, 9] */
    CHECK_EQ(draw(l, N, N, hist, CAP, 8, &s), 0);   /* window [5, 8] holds 7 */
    s.last_n = -1;
    CHECK_EQ(draw(l, N, N, hist, CAP, 99, &s), 0);
    s.last_n = 0;
    CHECK_EQ(draw(l, N, N, hist, CAP, 8, &s), 7);
}

static void test_greedy_padding(void)
{
    float l[20];
    for (int i = 0; i < 20; i++) l[i] = (float)i / 100;
    l[0] = NAN, l[5] = 3, l[9] = 3, l[12] = NAN;
    fd_sampler s = plain(0);
    CHECK_EQ(draw(l, 20, 20, NULL, 0, 0, &s), 5);
    s = plain(0.9f), s.top_k = 1;
    CHECK_EQ(draw(l, 20, 20, NULL, 0, 0, &s), 5);
    l[17] = 1e9f, l[19] = INFINITY;   /* padding: ids >= 16 */
    s = plain(0);
    CHECK_EQ(draw(l, 20, 16, NULL, 0, 0, &s), 5);
    s = plain(1.0f);
    int bad = 0;
    for (int d = 0; d < 2000; d++) {
        s.seed = (uint64_t)d;
        int32_t id = draw(l, 20, 16, NULL, 0, d, &s);
        bad += id < 0 || id >= 16 || id == 0 || id == 12;
    }
    CHECK_EQ(bad, 0);
    for (int i = 0; i < 20; i++) l[i] = NAN;
    CHECK_EQ(draw(l, 20, 20, NULL, 0, 0, &s), 0);   /* no candidate: id 0 */
}

/* 200 steps, pos advancing, each step's id recorded in hist. */
static void sequence(uint64_t sd, int32_t *out)
{
    enum { N = 500, STEPS = 200, CAP = 260 };
    static float l[N];
    int32_t hist[CAP] = { 0 };
    fd_sampler s;
    fd_sampler_defaults(&s);
    s.seed = sd, s.repeat_penalty = 1.1f;
    uint64_t r = 12345;   /* the same logits for both seeds */
    for (int32_t pos = 0; pos < STEPS; pos++) {
        for (int i = 0; i < N; i++) l[i] = rng_uniform(&r) * 4;
        out[pos] = draw(l, N, N, hist, CAP, pos, &s);
        hist[pos + 1] = out[pos];
    }
}

static void test_seeds(void)
{
    int32_t a[200], b[200], c[200];
    sequence(42, a), sequence(42, b), sequence(43, c);
    int same = 0, diff = 0;
    for (int i = 0; i < 200; i++) same += a[i] == b[i], diff += a[i] != c[i];
    CHECK_EQ(same, 200);
    CHECK(diff > 20);
}

static void test_chi_square(void)
{
    enum { N = 50, DRAWS = 20000 };
    float l[N];
    double p[N], tot = 0, stat = 0;
    int cnt[N] = { 0 };
    uint64_t r = 777;
    for (int i = 0; i < N; i++) l[i] = rng_uniform(&r) * 2, tot += p[i] = exp(l[i]);
    fd_sampler s = plain(1.0f);
    s.seed = 2026;
    for (int d = 0; d < DRAWS; d++) {
        int32_t id = draw(l, N, N, NULL, 0, d, &s);
        if (id >= 0 && id < N) cnt[id]++;
    }
    for (int i = 0; i < N; i++) {
        double e = DRAWS * p[i] / tot;
        stat += (cnt[i] - e) * (cnt[i] - e) / e;
    }
    printf("chi-square %.1f (49 dof, 0.999 quantile 85.4)\n", stat);
    CHECK(stat < 85.4);
}

/* The kernel on the CPU foundry: its twin equals fd_sample_ref, leaves
 * counts zero; misuse is named. */
typedef struct { fd_tensor *logits, *hist, *pos, *ids, *counts; } tensors;
static tensors make_tensors(fd_foundry *fd, const float *l, uint32_t n, const int32_t *hist, uint32_t cap, int32_t pos)
{
    tensors t = { 0 };
    CHECK_OK(fd_tensor_alloc(fd, FD_F32, 1, (int64_t[]){ n }, FD_INIT_COPY, l, &t.logits), (fd_error *)NULL);
    CHECK_OK(fd_tensor_alloc(fd, FD_I32, 1, (int64_t[]){ cap }, FD_INIT_COPY, hist, &t.hist), (fd_error *)NULL);
    CHECK_OK(fd_tensor_alloc(fd, FD_I32, 1, (int64_t[]){ 1 }, FD_INIT_COPY, &pos, &t.pos), (fd_error *)NULL);
    CHECK_OK(fd_tensor_alloc(fd, FD_I32, 1, (int64_t[]){ 1 }, FD_INIT_ZEROS, NULL, &t.ids), (fd_error *)NULL);
    CHECK_OK(fd_tensor_alloc(fd, FD_I32, 1, (int64_t[]){ (int64_t)fd_sample_scratch_ints(n) }, FD_INIT_ZEROS, NULL,
                             &t.counts),
             (fd_error *)NULL);
    return t;
}
static void free_tensors(tensors *t)
{
    (void)fd_tensor_free(t->logits), (void)fd_tensor_free(t->hist), (void)fd_tensor_free(t->pos);
    (void)fd_tensor_free(t->ids), (void)fd_tensor_free(t->counts);
}
static fd_sample_args args_of(const tensors *t, uint32_t n, uint32_t valid, uint32_t cap, const fd_sampler *s)
{
    fd_sample_args a = { .logits = t->logits, .hist = t->hist, .pos = t->pos, .ids = t->ids, .counts = t->counts,
                         .n = n, .valid = valid, .cap = cap };
    fd_sample_set(&a, s);
    return a;
}
static int32_t read_id(fd_tensor *ids)
{
    int32_t id = -1;
    CHECK_OK(fd_tensor_read(ids, &id, 4), (fd_error *)NULL);
    return id;
}
/* the scratch's first n ints zero: on the CPU all of it is (n counts), on
 * the GPU its header and the grid pass's top-p histograms must be */
enum { GPU_ZERO = 16 + 3072 };
static int counts_zero(fd_tensor *c, uint32_t n)
{
    int32_t *v = malloc((size_t)fd_tensor_numel(c) * 4);
    int z = fd_tensor_read(c, v, (size_t)fd_tensor_numel(c) * 4) == FD_OK;
    for (uint32_t i = 0; z && i < n; i++) z = v[i] == 0;
    free(v);
    return z;
}

static void test_cpu_kernel(void)
{
    enum { N = 1000, CAP = 128 };
    fd_foundry *fd = make_cpu();
    float l[N];
    int32_t hist[CAP];
    for (int i = 0; i < N; i++) l[i] = rng_uniform(&seed) * 5;
    for (int j = 0; j < CAP; j++) hist[j] = (int32_t)(rng_next(&seed) % 60);
    tensors t = make_tensors(fd, l, N, hist, CAP, 100);
    fd_sampler s;
    fd_sampler_defaults(&s);
    s.repeat_penalty = 1.2f, s.frequency_penalty = 0.1f;
    for (int c = 0; c < 50; c++) {
        s.seed = rng_next(&seed);
        fd_sample_args a = args_of(&t, N, N - 3, CAP, &s);
        CHECK_OK(fd_run(fd, &FD_SAMPLE, &a), (fd_error *)NULL);
        CHECK_EQ(read_id(t.ids), draw(l, N, N - 3, hist, CAP, 100, &s));
    }
    CHECK(counts_zero(t.counts, N));
    fd_sample_args a = args_of(&t, N, N, CAP + 1, &s);
    CHECK(fd_run(fd, &FD_SAMPLE, &a) == FD_ERR_INVALID);
    CHECK_CONTAINS(fd_foundry_error(fd), "cap = 129");
    fd_foundry_clear_error(fd);
    fd_tensor *small = NULL;   /* the scratch of the old single-block sampler (n ints) is too small now */
    CHECK_OK(fd_tensor_alloc(fd, FD_I32, 1, (int64_t[]){ N }, FD_INIT_ZEROS, NULL, &small), (fd_error *)NULL);
    a = args_of(&t, N, N, CAP, &s);
    a.counts = small;
    CHECK(fd_run(fd, &FD_SAMPLE, &a) == FD_ERR_INVALID);
    CHECK_CONTAINS(fd_foundry_error(fd), "fd_sample_scratch_ints(n) = 7088");
    fd_foundry_clear_error(fd);
    (void)fd_tensor_free(small);
    for (long f = 1; f <= 4; f++) {   /* each of fd_sample_ref's allocations fails in turn */
        int32_t id = 5;
        fd_mem_fail_after(f, 0);
        CHECK(fd_sample_ref(l, N, N, hist, CAP, 100, &s, &id) == FD_ERR_NOMEM);
        fd_mem_fail_after(0, 0);
        CHECK_EQ(id, -1);
    }
    int32_t id = 5;
    fd_mem_fail_after(5, 0);
    CHECK_OK(fd_sample_ref(l, N, N, hist, CAP, 100, &s, &id), (fd_error *)NULL);
    fd_mem_fail_after(0, 0);
    CHECK(id >= 0);
    free_tensors(&t);
    fd_foundry_destroy(fd);
}

/* ---- GPU against CPU */
static void test_gpu_philox(void)
{
    fd_foundry *gpu = make_gpu();
    if (!gpu) SKIP("%s", gpu_why);
    fd_foundry *cpu = make_cpu();
    uint32_t n = 100000;
    fd_tensor *a, *b;
    CHECK_OK(fd_tensor_alloc(cpu, FD_I32, 1, (int64_t[]){ 4 * n }, FD_INIT_ZEROS, NULL, &a), (fd_error *)NULL);
    CHECK_OK(fd_tensor_alloc(gpu, FD_I32, 1, (int64_t[]){ 4 * n }, FD_INIT_ZEROS, NULL, &b), (fd_error *)NULL);
    fd_philox_args pa = { .y = a, .n = n, .ctr1 = 77, .key = 0x123456789abcdefull };
    CHECK_OK(fd_run(cpu, &FD_PHILOX, &pa), (fd_error *)NULL);
    pa.y = b;
    CHECK_OK(fd_run(gpu, &FD_PHILOX, &pa), (fd_error *)NULL);
    int32_t *x = malloc(16ull * n), *y = malloc(16ull * n);
    CHECK_OK(fd_tensor_read(a, x, 16ull * n), (fd_error *)NULL);
    CHECK_OK(fd_tensor_read(b, y, 16ull * n), (fd_error *)NULL);
    CHECK(memcmp(x, y, 16ull * n) == 0);
    free(x), free(y);
    (void)fd_tensor_free(a), (void)fd_tensor_free(b);
    fd_foundry_destroy(cpu);
    fd_foundry_destroy(gpu);
}

/* LM-like logits: a broad body and a few high ones; `ties` rounds them to
 * quarters; sometimes a NaN. */
static void make_logits(float *l, uint32_t n, int ties)
{
    for (uint32_t i = 0; i < n; i++) {
        float u = rng_uniform(&seed) + rng_uniform(&seed) + rng_uniform(&seed);
        l[i] = u * 3 - 2;
        if (rng_next(&seed) % 2000 == 0) l[i] += 12 + rng_uniform(&seed) * 4;
        if (ties) l[i] = roundf(l[i] * 4) / 4;
    }
    if (rng_next(&seed) % 4 == 0) l[rng_next(&seed) % n] = NAN;
}

static void random_sampler(fd_sampler *s)
{
    static const float temps[] = { 0, 0.3f, 0.8f, 1.0f, 1.7f }, tps[] = { 1, 0.95f, 0.5f, 0.1f },
                       mps[] = { 0, 0.05f, 0.3f, 0 };
    static const int32_t ks[] = { 0, 1, 5, 40, 1000, 0 }, lasts[] = { -1, 0, 64, 7 };
    fd_sampler_defaults(s);
    s->temperature = temps[rng_next(&seed) % 5], s->top_k = ks[rng_next(&seed) % 6];
    s->top_p = tps[rng_next(&seed) % 4], s->min_p = mps[rng_next(&seed) % 4];
    s->last_n = lasts[rng_next(&seed) % 4];
    if (rng_next(&seed) % 2) {
        s->repeat_penalty = 1.0f + (float)(rng_next(&seed) % 50) / 50;
        s->presence_penalty = (float)(rng_next(&seed) % 10) / 10;
        s->frequency_penalty = (float)(rng_next(&seed) % 10) / 10;
    }
    s->seed = rng_next(&seed);
}

static void test_gpu_parity(void)
{
    fd_foundry *gpu = make_gpu();
    if (!gpu) SKIP("%s", gpu_why);
    fd_foundry *cpu = make_cpu();
    const uint32_t ns[] = { 151936, 1000, 50 };
    const uint32_t CAP = 2048;
    int32_t *hist = malloc(CAP * 4);
    int cases = 0, bad = 0;
    for (size_t v = 0; v < 3; v++) {
        uint32_t n = ns[v];
        float *l = malloc(n * 4);
        for (int c = 0; c < 40; c++) {
            make_logits(l, n, c % 3 == 0);
            int32_t pos = (int32_t)(rng_next(&seed) % CAP);
            for (uint32_t j = 0; j < CAP; j++)
                hist[j] = (int32_t)(j % 5 == 0 ? rng_next(&seed) % 20 : rng_next(&seed) % n);
            tensors tg = make_tensors(gpu, l, n, hist, CAP, pos);
            uint32_t valid = c % 2 ? n : n - n / 10;
            for (int k = 0; k < 10; k++) {
                fd_sampler s;
                random_sampler(&s);
                /* fixed: no filter, min-p alone, top-p alone and top-p with min-p (the grid pass), a tiny
                 * top_p with min_p 1 (the list) */
                static const struct { int k; float p, mp; } fx[5] = { { 0, 1, 0 }, { 0, 1, 0.05f },
                    { 40, 1e-6f, 1 }, { 0, 0.9f, 0 }, { 0, 0.95f, 0.05f } };
                if (k >= 5) s.temperature = 0.8f, s.top_k = fx[k - 5].k, s.top_p = fx[k - 5].p, s.min_p = fx[k - 5].mp;
                int32_t want = draw(l, n, valid, hist, CAP, pos, &s);
                fd_sample_args a = args_of(&tg, n, valid, CAP, &s);
                CHECK_OK(fd_run(gpu, &FD_SAMPLE, &a), (fd_error *)NULL);
                int32_t got = read_id(tg.ids);
                cases++;
                if (got != want) {
                    bad++;
                    fprintf(stderr, "V %u pos %d T %g k %d p %g minp %g rep %g last %d: gpu %d cpu %d\n", n, pos,
                            (double)s.temperature, s.top_k, (double)s.top_p, (double)s.min_p,
                            (double)s.repeat_penalty, s.last_n, got, want);
                }
            }
            CHECK(counts_zero(tg.counts, GPU_ZERO));
            free_tensors(&tg);
        }
        free(l);
    }
    printf("gpu sample parity: %d of %d cases differ\n", bad, cases);
    CHECK_EQ(bad, 0);
    free(hist);
    fd_foundry_destroy(cpu);
    fd_foundry_destroy(gpu);
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* A captured step (sample, then advance) replayed: pos advanced on the
 * device, then written by the host between replays; µs per call. */
static void test_gpu_graph(void)
{
    fd_foundry *gpu = make_gpu();
    if (!gpu) SKIP("%s", gpu_why);
    enum { CAP = 1024, REPLAYS = 24 };
    uint32_t n = 151936;
    float *l = malloc(n * 4);
    int32_t hist[CAP] = { 0 }, want[CAP] = { 0 }, got[CAP];
    make_logits(l, n, 0);
    for (int j = 0; j < 10; j++) hist[j] = want[j] = (int32_t)(rng_next(&seed) % n);
    tensors t = make_tensors(gpu, l, n, hist, CAP, 9);
    fd_sampler s;
    fd_sampler_defaults(&s);
    s.seed = 99, s.repeat_penalty = 1.3f, s.temperature = 1.2f, s.top_k = 0, s.min_p = 0.02f;
    fd_sample_args a = args_of(&t, n, n, CAP, &s);
    fd_step_advance_args adv = { .ids = t.ids, .hist = t.hist, .pos = t.pos, .cap = CAP };
    /* compile outside the capture, then reset pos and hist */
    CHECK_OK(fd_run(gpu, &FD_SAMPLE, &a), (fd_error *)NULL);
    CHECK_OK(fd_run(gpu, &FD_STEP_ADVANCE, &adv), (fd_error *)NULL);
    CHECK_OK(fd_foundry_sync(gpu), (fd_error *)NULL);
    int32_t p9 = 9;
    CHECK_OK(fd_tensor_write(t.pos, &p9, 4), (fd_error *)NULL);
    CHECK_OK(fd_tensor_write(t.hist, hist, sizeof hist), (fd_error *)NULL);
    CHECK_OK(fd_tensor_flush(t.pos), (fd_error *)NULL);
    CHECK_OK(fd_tensor_flush(t.hist), (fd_error *)NULL);
    fd_graph *g = NULL;
    CHECK_OK(fd_graph_begin(gpu), (fd_error *)NULL);
    CHECK_OK(fd_run(gpu, &FD_SAMPLE, &a), (fd_error *)NULL);
    CHECK_OK(fd_run(gpu, &FD_STEP_ADVANCE, &adv), (fd_error *)NULL);
    CHECK_OK(fd_graph_end(gpu, &g), (fd_error *)NULL);
    if (!g) SKIP("no graph");
    /* pos advanced on the device: positions 9 .. 9 + REPLAYS - 1 */
    for (int r = 0; r < REPLAYS; r++) CHECK_OK(fd_graph_launch(gpu, g), (fd_error *)NULL);
    int32_t pos = 9;
    for (int r = 0; r < REPLAYS; r++, pos++) want[pos + 1] = draw(l, n, n, want, CAP, pos, &s);
    /* then the host sets pos before each replay */
    for (int r = 0; r < REPLAYS; r++) {
        int32_t p = 100 + 17 * r;
        CHECK_OK(fd_foundry_sync(gpu), (fd_error *)NULL);
        CHECK_OK(fd_tensor_write(t.pos, &p, 4), (fd_error *)NULL);
        CHECK_OK(fd_tensor_flush(t.pos), (fd_error *)NULL);
        CHECK_OK(fd_graph_launch(gpu, g), (fd_error *)NULL);
        want[p + 1] = draw(l, n, n, want, CAP, p, &s);
    }
    CHECK_OK(fd_tensor_read(t.hist, got, sizeof got), (fd_error *)NULL);
    int bad = 0;
    for (int j = 0; j < CAP; j++) bad += got[j] != want[j];
    printf("graph: %d replays advancing pos on the device, %d with pos from the host: %d ids differ\n", REPLAYS,
           REPLAYS, bad);
    CHECK_EQ(bad, 0);
    CHECK(counts_zero(t.counts, GPU_ZERO));
    fd_graph_free(gpu, g);
    /* timing: one call and a sync, median of 100 */
    for (int cfg = 0; cfg < 4; cfg++) {
        fd_sampler_defaults(&s);
        if (cfg == 1) s.top_k = 0;                  /* min-p and top-p over all V */
        if (cfg == 2) s.top_k = 0, s.min_p = 0, s.top_p = 1;   /* nothing prunes: the one-pass draw */
        if (cfg == 3) s.top_k = 0, s.min_p = 0;     /* top-p alone: every token on the list for one block */
        a = args_of(&t, n, n, CAP, &s);
        double us[100];
        for (int i = 0; i < 100; i++) {
            double t0 = now_us();
            CHECK_OK(fd_run(gpu, &FD_SAMPLE, &a), (fd_error *)NULL);
            CHECK_OK(fd_foundry_sync(gpu), (fd_error *)NULL);
            us[i] = now_us() - t0;
        }
        qsort(us, 100, sizeof us[0], cmp_d);
        /* back to back in one graph: the device time of a call */
        fd_graph *gb = NULL;
        CHECK_OK(fd_graph_begin(gpu), (fd_error *)NULL);
        for (int i = 0; i < 100; i++) CHECK_OK(fd_run(gpu, &FD_SAMPLE, &a), (fd_error *)NULL);
        CHECK_OK(fd_graph_end(gpu, &gb), (fd_error *)NULL);
        double best = 1e30;
        for (int r = 0; gb && r < 5; r++) {
            double t0 = now_us();
            CHECK_OK(fd_graph_launch(gpu, gb), (fd_error *)NULL);
            CHECK_OK(fd_foundry_sync(gpu), (fd_error *)NULL);
            double t = (now_us() - t0) / 100;
            best = t < best ? t : best;
        }
        fd_graph_free(gpu, gb);
        printf("sample V %u (%s): median %.1f us per call with launch and sync; %.1f us per call in a graph of 100\n",
               n, cfg == 0 ? "defaults" : cfg == 1 ? "top_k off" : cfg == 2 ? "no filters" : "top_p only", us[50],
               best);
    }
    free_tensors(&t);
    free(l);
    fd_foundry_destroy(gpu);
}

static void setup(void)
{
    seed = (uint64_t)time(NULL) * 2654435761u | 1;
    printf("seed %llu\n", (unsigned long long)seed);
}

TEST_MAIN(setup, test_philox_kat, test_masks, test_penalties, test_greedy_padding, test_seeds, test_chi_square,
          test_cpu_kernel, test_gpu_philox, test_gpu_parity, test_gpu_graph)
