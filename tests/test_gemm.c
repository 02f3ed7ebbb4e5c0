/* test_gemm.c — compound GEMM kernels (prefill): the builder's refusals and
 * the generated source; every combination's CPU composition against an
 * independent computation at small sizes (no GPU); and on a GPU every
 * combination against the CPU composition for M in {1, 17, 512, 4096} at
 * Qwen2.5-0.5B's and 1.5B's shapes (each epilogue at the shapes it serves:
 * bias at QKV, store at the attention output, SwiGLU at gate + up, residual at
 * down), plus a ragged shape (M 33, N 1000, K 96) for the tile edges; and
 * allocation failures injected into a GEMM's CPU sequence.
 * Bounds. The tensor-core paths round x (after the input stage) to f16, or
 * to bf16 for bf16 weights, and quantized weights to f16 after dequantizing;
 * the CPU composition rounds the same values the same way, so GPU vs CPU
 * differs only by f32 (tensor-core) vs double accumulation:
 * ||gpu - cpu|| / ||cpu|| <= 2e-4 over the rows compared. For M >= 512 the CPU
 * composition runs on 24 rows (the first, the last and 22 random ones; a
 * row's outputs depend on its own x and r0 rows only), to keep the test near
 * a minute. The rounding itself, against unrounded double products (the CPU
 * test): <= 3e-3 for f16 and quantized weights, 1.5e-2 for bf16, 1e-6 for f32
 * (the SIMT path rounds nothing). */
#include <time.h>
#include "check.h"
#include "fault_util.h"
#include "gpu.h"
#include "foundry/ops.h"
#include "base/mem.h"

#define GEMM(in, w, m, e) &(fd_compound_desc){ .family = &FD_GEMM_FAMILY, .stage = { [FD_GEMM_INPUT] = (in), \
    [FD_GEMM_WEIGHTS] = (w), [FD_GEMM_MAIN] = (m), [FD_GEMM_EPILOGUE] = (e) } }

static uint64_t seed;

static void setup(void)
{
    seed = (uint64_t)time(NULL) * 0x9e3779b97f4a7c15ull | 1;
    printf("seed %llu\n", (unsigned long long)seed);
    (void)clone_to;
}

static void test_refusals(void)
{
    fd_compound *c = NULL;
    fd_error e = { 0 };
    CHECK(fd_compound_build(GEMM(NULL, fd_gemm_policy(FD_F16), &FD_STAGE_GEMM2, NULL), &c, &e) == FD_ERR_INVALID);
    CHECK(c == NULL);
    CHECK_CONTAINS(e.msg, "store needs 1 products");
    fd_error_clear(&e);
    CHECK(fd_compound_build(GEMM(NULL, fd_gemm_policy(FD_F16), &FD_STAGE_GEMM, &FD_STAGE_GEMM_EPI_SWIGLU), &c, &e) ==
          FD_ERR_INVALID);
    CHECK_CONTAINS(e.msg, "swiglu needs 2 products");
    fd_error_clear(&e);
    CHECK(fd_compound_build(GEMM(NULL, fd_gemm_policy(FD_F16), fd_gemm_policy(FD_F16), NULL), &c, &e) == FD_ERR_INVALID);
    CHECK_CONTAINS(e.msg, "f16 is not a main stage");
    fd_error_clear(&e);
    CHECK_OK(fd_compound_build(GEMM(&FD_STAGE_GEMM_INPUT_RMSNORM, fd_gemm_policy(FD_Q8_0), &FD_STAGE_GEMM2,
                                    &FD_STAGE_GEMM_EPI_SWIGLU), &c, &e), &e);
    CHECK_STR(fd_compound_name(c), "gemm_rmsnorm_q8_0_tile2_swiglu");
    fd_dtype dt[16];
    char *src = NULL;
    CHECK(fd_kernel_variant(fd_compound_kernel(c), 0, dt) && !fd_kernel_variant(fd_compound_kernel(c), 1, dt));
    CHECK_OK(fd_kernel_source(fd_compound_kernel(c), dt, &src, &e), &e);
    CHECK_CONTAINS(src, "#define FD_NOUT 2");
    CHECK_CONTAINS(src, "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32");
    CHECK_CONTAINS(src, "ldmatrix.sync.aligned.m8n8.x4");
    CHECK_CONTAINS(src, "cp.async.cg.shared.global");
    CHECK(!strstr(src, "#include"));
    const char *pol = strstr(src, "/* stage: weights q8_0 */"), *in = strstr(src, "/* stage: input rmsnorm */");
    CHECK(pol && in && pol < in);
    fd_kernel_source_free(src);
    CHECK(!(fd_compound_kernel(c)->flags & FD_KERNEL_INPLACE));
    fd_compound_destroy(c);
    CHECK_OK(fd_compound_build(GEMM(NULL, fd_gemm_policy(FD_BF16), &FD_STAGE_GEMM, &FD_STAGE_GEMM_EPI_RESIDUAL), &c, &e), &e);
    CHECK(fd_compound_kernel(c)->flags & FD_KERNEL_INPLACE);
    fd_kernel_variant(fd_compound_kernel(c), 0, dt);
    CHECK_OK(fd_kernel_source(fd_compound_kernel(c), dt, &src, &e), &e);
    CHECK_CONTAINS(src, "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32");
    fd_kernel_source_free(src);
    fd_compound_destroy(c);
    /* shapes: K a multiple of 32, outputs sized M x N */
    fd_foundry *cpu = make_cpu();
    CHECK_OK(fd_compound_build(GEMM(NULL, fd_gemm_policy(FD_F16), &FD_STAGE_GEMM, NULL), &c, &e), &e);
    fd_tensor *x = rand_tensor(cpu, FD_F32, 2, (int64_t[]){ 3, 40 }, &seed, 1);
    fd_tensor *w = rand_tensor(cpu, FD_F16, 2, (int64_t[]){ 8, 40 }, &seed, 1);
    fd_tensor *y = rand_tensor(cpu, FD_F32, 2, (int64_t[]){ 3, 8 }, &seed, 1);
    fd_tensor *y2 = rand_tensor(cpu, FD_F32, 2, (int64_t[]){ 3, 7 }, &seed, 1);
    CHECK(fd_run(cpu, fd_compound_kernel(c), &(fd_gemm_args){ .x = x, .w0 = w, .y0 = y, .M = 3, .N = 8, .K = 40 }) ==
          FD_ERR_INVALID);
    CHECK_CONTAINS(fd_foundry_error(cpu), "multiple of 32");
    fd_foundry_clear_error(cpu);
    fd_tensor *x2 = rand_tensor(cpu, FD_F32, 2, (int64_t[]){ 3, 32 }, &seed, 1);
    fd_tensor *w2 = rand_tensor(cpu, FD_F16, 2, (int64_t[]){ 8, 32 }, &seed, 1);
    CHECK(fd_run(cpu, fd_compound_kernel(c), &(fd_gemm_args){ .x = x2, .w0 = w2, .y0 = y2, .M = 3, .N = 8, .K = 32 }) ==
          FD_ERR_INVALID);
    CHECK_CONTAINS(fd_foundry_error(cpu), "y0 holds 21 values");
    fd_foundry_clear_error(cpu);
    CHECK_OK(fd_run(cpu, fd_compound_kernel(c), &(fd_gemm_args){ .x = x2, .w0 = w2, .y0 = y, .M = 3, .N = 8, .K = 32 }),
             (fd_error *)NULL);
    fd_tensor *t[] = { x, w, y, y2, x2, w2 };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) (void)fd_tensor_free(t[i]);
    fd_compound_destroy(c);
    fd_foundry_destroy(cpu);
}

/* ---- arguments from host arrays, the same bytes in any foundry */
static fd_tensor *from_host(fd_foundry *fd, fd_dtype dt, int64_t rows, int64_t cols, const float *v)
{
    size_t n = (size_t)(rows * cols);
    unsigned char *q = malloc(n * 4 + 64);
    test_blocks(dt, v, q, n);
    fd_tensor *t = NULL;
    if (fd_tensor_alloc(fd, dt, 2, (int64_t[]){ rows, cols }, FD_INIT_COPY, q, &t)) {
        fprintf(stderr, "alloc: %s\n", fd_foundry_error(fd));
        t = NULL;
    }
    free(q);
    return t;
}

static float *host_rand(size_t n, float scale)
{
    float *v = malloc(n * sizeof *v);
    for (size_t i = 0; i < n; i++) v[i] = rng_uniform(&seed) * scale;
    return v;
}

static const char *epi_name(const fd_compound *c) { return fd_compound_stage(c, FD_GEMM_EPILOGUE)->name; }

/* CPU: every combination against the mathematics written out here, unrounded. */
static void test_cpu_matrix(void)
{
    enum { M = 5, N = 24, K = 256 };   /* whole super-blocks for q4_k .. iq4_xs */
    fd_foundry *cpu = make_cpu();
    fd_compound_desc d;
    int count = 0;
    double worst[FD_DTYPE_COUNT] = { 0 };
    for (size_t i = 0; fd_compound_enumerate(i, &d); i++) {   /* the Hopper members share the twin */
        if (d.family != &FD_GEMM_FAMILY && d.family != &FD_GEMM_WG_FAMILY) continue;
        count++;
        fd_compound *c;
        fd_error e = { 0 };
        CHECK_OK(fd_compound_build(&d, &c, &e), &e);
        fd_dtype wt = fd_compound_stage(c, FD_GEMM_WEIGHTS)->dtype;
        int np = fd_compound_products(c), rms = fd_compound_stage(c, FD_GEMM_INPUT)->name[0] == 'r';
        const char *epi = epi_name(c);
        float *xh = host_rand(M * K, 1), *nwh = host_rand(K, 1), *bh = host_rand(N, 1), *rh = host_rand(M * N, 1);
        float *wh[2] = { host_rand(N * K, 1), host_rand(N * K, 1) };
        fd_gemm_args a = { .x = from_host(cpu, FD_F32, M, K, xh), .w0 = from_host(cpu, wt, N, K, wh[0]),
                           .y0 = from_host(cpu, FD_F32, M, N, rh), .M = M, .N = N, .K = K, .eps = 1e-6f };
        if (np == 2) a.w1 = from_host(cpu, wt, N, K, wh[1]);
        if (rms) a.norm_w = from_host(cpu, FD_F32, 1, K, nwh);
        if (!strcmp(epi, "bias")) a.b0 = from_host(cpu, FD_F32, 1, N, bh);
        if (!strcmp(epi, "residual")) a.r0 = a.y0;   /* in place */
        CHECK_OK(fd_run(cpu, fd_compound_kernel(c), &a), (fd_error *)NULL);
        float *y = read_f32(a.y0), want[M * N], w[2][N * K];
        for (int p = 0; p < np; p++) {   /* the weights as stored (quantized), in f32 */
            fd_tensor *t = p ? a.w1 : a.w0;
            unsigned char *raw = malloc(fd_tensor_bytes(t));
            CHECK_OK(fd_tensor_read(t, raw, fd_tensor_bytes(t)), (fd_error *)NULL);
            fd_dequantize_row(wt, raw, w[p], N * K);
            free(raw);
        }
        for (int m = 0; m < M; m++) {
            double ss = 0, xs[K];
            for (int k = 0; k < K; k++) ss += (double)xh[m * K + k] * xh[m * K + k];
            for (int k = 0; k < K; k++) xs[k] = rms ? xh[m * K + k] / sqrt(ss / K + 1e-6) * nwh[k] : xh[m * K + k];
            for (int n = 0; n < N; n++) {
                double v[2] = { 0, 0 };
                for (int p = 0; p < np; p++)
                    for (int k = 0; k < K; k++) v[p] += xs[k] * w[p][n * K + k];
                double t = v[0];
                if (!strcmp(epi, "bias")) t += bh[n];
                else if (!strcmp(epi, "residual")) t += rh[m * N + n];
                else if (!strcmp(epi, "swiglu")) t = t / (1 + exp(-t)) * v[1];
                want[m * N + n] = (float)t;
            }
        }
        double err = rel_err(y, want, M * N);
        if (err > worst[wt]) worst[wt] = err;
        double bound = wt == FD_F32 ? 1e-6 : wt == FD_BF16 ? 1.5e-2 : 3e-3;
        if (err > bound) fprintf(stderr, "%s: rel err %g > %g\n", fd_compound_name(c), err, bound);
        CHECK(err <= bound);
        free(y), free(xh), free(nwh), free(bh), free(rh), free(wh[0]), free(wh[1]);
        fd_tensor *t[] = { a.x, a.w0, a.w1, a.y0, a.norm_w, a.b0 };
        for (size_t j = 0; j < sizeof t / sizeof t[0]; j++) (void)fd_tensor_free(t[j]);
        fd_compound_destroy(c);
    }
    int np = 0;   /* 8 variants per weight policy: f32, f16, bf16, q8_0, q4_0, q4_1, q5_0, q5_1, q2_k .. q6_k, iq4_nl,
                   * iq4_xs */
    for (int t = 0; t < FD_DTYPE_COUNT; t++) np += fd_gemm_policy((fd_dtype)t) != NULL;
    CHECK_EQ(np, 15);
    CHECK_EQ(count, 8 * np + 16);   /* + the Hopper members: f16, bf16 */
    for (int t = 0; t < FD_DTYPE_COUNT; t++)
        if (fd_gemm_policy((fd_dtype)t))
            printf("CPU composition vs unrounded, %s: worst rel err %.2e\n", fd_dtype_name((fd_dtype)t), worst[t]);
    fd_foundry_destroy(cpu);
}

/* Allocation failures: for every N, the N-th host allocation of a GEMM's
 * whole CPU sequence (compound, tensors, the CPU composition's weights and
 * row scratch) fails; it must say FD_ERR_NOMEM with a message, leak nothing
 * (LeakSanitizer in the sanitizer build), and succeed once N passes its last
 * allocation. */
static fd_status fault_sequence(char *msg, size_t cap)
{
    fd_foundry *fd = NULL;
    fd_error err = { 0 };
    fd_compound *c = NULL;
    fd_tensor *x = NULL, *w0 = NULL, *w1 = NULL, *y = NULL, *nw = NULL;
    fd_status st = fd_foundry_create(&(fd_options){ .backend = FD_BACKEND_CPU }, &fd, &err);
    if (st == FD_OK)
        st = fd_compound_build(GEMM(&FD_STAGE_GEMM_INPUT_RMSNORM, fd_gemm_policy(FD_Q4_0), &FD_STAGE_GEMM2,
                                    &FD_STAGE_GEMM_EPI_SWIGLU), &c, &err);
    if (st == FD_OK) st = fd_tensor_alloc(fd, FD_F32, 2, (int64_t[]){ 3, 64 }, FD_INIT_ONES, NULL, &x);
    if (st == FD_OK) st = fd_tensor_alloc(fd, FD_Q4_0, 2, (int64_t[]){ 8, 64 }, FD_INIT_ZEROS, NULL, &w0);
    if (st == FD_OK) st = fd_tensor_alloc(fd, FD_Q4_0, 2, (int64_t[]){ 8, 64 }, FD_INIT_ZEROS, NULL, &w1);
    if (st == FD_OK) st = fd_tensor_alloc(fd, FD_F32, 2, (int64_t[]){ 3, 8 }, FD_INIT_ZEROS, NULL, &y);
    if (st == FD_OK) st = fd_tensor_alloc(fd, FD_F32, 1, (int64_t[]){ 64 }, FD_INIT_ONES, NULL, &nw);
    if (st == FD_OK)
        st = fd_run(fd, fd_compound_kernel(c), &(fd_gemm_args){ .x = x, .norm_w = nw, .w0 = w0, .w1 = w1, .y0 = y,
                                                                 .M = 3, .N = 8, .K = 64, .eps = 1e-6f });
    if (st != FD_OK) snprintf(msg, cap, "%s", err.msg[0] ? err.msg : fd_foundry_error(fd));
    fd_compound_destroy(c);
    if (fd) {
        fd_tensor *t[] = { x, w0, w1, y, nw };
        for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) (void)fd_tensor_free(t[i]);
    }
    fd_foundry_destroy(fd);
    return st;
}

static void test_cpu_faults(void)
{
    fault_walk("GEMM", fault_sequence);
    /* the CPU composition's own allocations say whose they are */
    fd_foundry *fd = make_cpu();
    fd_compound *c;
    CHECK_OK(fd_compound_build(GEMM(NULL, fd_gemm_policy(FD_F16), &FD_STAGE_GEMM, NULL), &c, NULL), (fd_error *)NULL);
    fd_tensor *x = rand_tensor(fd, FD_F32, 2, (int64_t[]){ 2, 32 }, &seed, 1);
    fd_tensor *w = rand_tensor(fd, FD_F16, 2, (int64_t[]){ 4, 32 }, &seed, 1);
    fd_tensor *y = rand_tensor(fd, FD_F32, 2, (int64_t[]){ 2, 4 }, &seed, 1);
    fd_mem_fail_after(1, 1);
    fd_status st = fd_run(fd, fd_compound_kernel(c), &(fd_gemm_args){ .x = x, .w0 = w, .y0 = y, .M = 2, .N = 4, .K = 32 });
    fd_mem_fail_after(0, 0);
    CHECK(st == FD_ERR_NOMEM);
    CHECK_CONTAINS(fd_foundry_error(fd), "gemm on the CPU");
    (void)fd_tensor_free(x), (void)fd_tensor_free(w), (void)fd_tensor_free(y);
    fd_compound_destroy(c);
    fd_foundry_destroy(fd);
}

/* ---- the Hopper path's rules (CPU) */
/* wgmma only on sm_90 with tensor maps and f16 / bf16 weights; split-K only
 * where the tiles are fewer than the multiprocessors, then at most one wave,
 * at least two k-tiles a split; BN 256 only where its tiles fill the device. */
static void test_wgmma_rules(void)
{
    const fd_family *fam;
    const fd_stage *m;
    static const int arches[] = { 80, 86, 89, 90, 100, 120 };
    for (size_t i = 0; i < sizeof arches / sizeof arches[0]; i++)
        for (int t = 0; t < FD_DTYPE_COUNT; t++)
            for (int maps = 0; maps < 2; maps++) {
                if (!fd_gemm_policy((fd_dtype)t)) continue;
                fd_gemm_choose(arches[i], maps, (fd_dtype)t, &FD_STAGE_GEMM2, &fam, &m);
                int hopper = arches[i] == 90 && maps && (t == FD_F16 || t == FD_BF16);
                CHECK(fam == (hopper ? &FD_GEMM_WG_FAMILY : &FD_GEMM_FAMILY));
                CHECK(m == (hopper ? &FD_STAGE_GEMM2_WG : &FD_STAGE_GEMM2));
            }
    fd_gemm_choose(90, 1, FD_F16, &FD_STAGE_GEMM, &fam, &m);
    CHECK(m == &FD_STAGE_GEMM_WG);
    static const uint32_t Ms[] = { 1, 17, 128, 512, 2048, 4096, 20000 };
    static const uint64_t cols[] = { 64, 896, 1152, 1536, 2048, 9728, 17920 };
    static const uint32_t Ks[] = { 32, 64, 96, 896, 1536, 4864, 8960 };
    static const unsigned smss[] = { 1, 78, 114, 132 };
    for (size_t a = 0; a < 7; a++)
        for (size_t b = 0; b < 7; b++)
            for (size_t k = 0; k < 7; k++)
                for (size_t s = 0; s < 4; s++) {
                    unsigned bn, sp, sms = smss[s];
                    fd_gemm_wg_plan(Ms[a], cols[b], Ks[k], sms, &bn, &sp);
                    uint64_t rows = (Ms[a] + 127) / 128, t256 = rows * ((cols[b] + 255) / 256);
                    uint64_t tiles = rows * ((cols[b] + bn - 1) / bn), nk = (Ks[k] + 63) / 64;
                    CHECK(bn == (t256 >= sms ? 256u : 128u));
                    CHECK(sp >= 1);
                    if (sp > 1) {
                        CHECK(tiles < sms);
                        CHECK(tiles * sp <= sms);
                        CHECK(2 * sp <= nk);
                    }
                    if (tiles >= sms) CHECK_EQ(sp, 1);
                }
    /* the shapes of issue 31 at M = 512 on 132 multiprocessors */
    static const struct { uint64_t cols; uint32_t K; unsigned bn, sp; } want[] = {
        { 1152, 896, 128, 3 }, { 896, 896, 128, 4 }, { 896, 4864, 128, 4 }, { 9728, 896, 256, 1 },
        { 2048, 1536, 128, 2 }, { 1536, 1536, 128, 2 }, { 1536, 8960, 128, 2 }, { 17920, 1536, 256, 1 },
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        unsigned bn, sp;
        fd_gemm_wg_plan(512, want[i].cols, want[i].K, 132, &bn, &sp);
        CHECK_EQ(bn, want[i].bn);
        CHECK_EQ(sp, want[i].sp);
    }
}

/* ---- GPU parity */
typedef struct {
    uint32_t K, nmax;       /* weight rows held: the largest N x P at this K */
    float *x, *nw;          /* (4096, K), (K) */
    fd_tensor *xg, *nwg, *wg, *wc;   /* x and norm_w on the GPU; the weights on both */
} pool;

enum { MMAX = 4096, SAMPLE = 24 };

/* The pool's weights in wt; none (NULL) where K is not whole blocks of wt (the super-block types' 256). */
static void pool_make(fd_foundry *gpu, fd_foundry *cpu, pool *pl, fd_dtype wt)
{
    pl->wg = pl->wc = NULL;
    if (pl->K % fd_dtype_block_elems(wt)) return;
    float *w = host_rand((size_t)pl->nmax * pl->K, 1);
    pl->wg = from_host(gpu, wt, pl->nmax, pl->K, w);
    pl->wc = from_host(cpu, wt, pl->nmax, pl->K, w);
    free(w);
}

/* Runs c at M x N x K over the pool on both sides; returns the relative error over the rows compared. */
static double gpu_case(fd_foundry *gpu, fd_foundry *cpu, const fd_compound *c, pool *pl, uint32_t M, uint32_t N)
{
    uint32_t K = pl->K;
    int np = fd_compound_products(c), rms = fd_compound_stage(c, FD_GEMM_INPUT)->name[0] == 'r';
    const char *epi = epi_name(c);
    float *bh = host_rand(N, 1), *rh = !strcmp(epi, "residual") ? host_rand((size_t)M * N, 1) : NULL;
    fd_gemm_args g = { .M = M, .N = N, .K = K, .eps = 1e-6f };
    CHECK_OK(fd_tensor_view(pl->xg, 0, 2, (int64_t[]){ M, K }, &g.x), (fd_error *)NULL);
    CHECK_OK(fd_tensor_view(pl->wg, 0, 2, (int64_t[]){ N, K }, &g.w0), (fd_error *)NULL);
    if (np == 2) CHECK_OK(fd_tensor_view(pl->wg, (int64_t)N * K, 2, (int64_t[]){ N, K }, &g.w1), (fd_error *)NULL);
    if (rms) g.norm_w = pl->nwg;
    if (!strcmp(epi, "bias")) g.b0 = from_host(gpu, FD_F32, 1, N, bh);
    CHECK_OK(fd_tensor_alloc(gpu, FD_F32, 2, (int64_t[]){ M, N }, FD_INIT_ZEROS, NULL, &g.y0), (fd_error *)NULL);
    if (rh) g.r0 = from_host(gpu, FD_F32, M, N, rh);
    fd_status s = fd_run(gpu, fd_compound_kernel(c), &g);
    if (s) fprintf(stderr, "%s: %s\n", fd_compound_name(c), fd_foundry_error(gpu));
    CHECK(s == FD_OK);
    float *yg = read_f32(g.y0);
    /* the rows the CPU computes */
    uint32_t R = M <= 32 ? M : SAMPLE, rows[SAMPLE > 32 ? SAMPLE : 32];
    for (uint32_t i = 0; i < R; i++) rows[i] = M <= 32 ? i : i == 0 ? 0 : i == 1 ? M - 1 : (uint32_t)(rng_next(&seed) % M);
    float *xs = malloc((size_t)R * K * sizeof *xs), *rs = rh ? malloc((size_t)R * N * sizeof *rs) : NULL;
    float *got = malloc((size_t)R * N * sizeof *got);
    for (uint32_t i = 0; i < R; i++) {
        memcpy(xs + (size_t)i * K, pl->x + (size_t)rows[i] * K, K * sizeof *xs);
        if (rs) memcpy(rs + (size_t)i * N, rh + (size_t)rows[i] * N, N * sizeof *rs);
        memcpy(got + (size_t)i * N, yg + (size_t)rows[i] * N, N * sizeof *got);
    }
    fd_gemm_args a = { .M = R, .N = N, .K = K, .eps = 1e-6f, .x = from_host(cpu, FD_F32, R, K, xs) };
    CHECK_OK(fd_tensor_view(pl->wc, 0, 2, (int64_t[]){ N, K }, &a.w0), (fd_error *)NULL);
    if (np == 2) CHECK_OK(fd_tensor_view(pl->wc, (int64_t)N * K, 2, (int64_t[]){ N, K }, &a.w1), (fd_error *)NULL);
    if (rms) a.norm_w = from_host(cpu, FD_F32, 1, K, pl->nw);
    if (g.b0) a.b0 = from_host(cpu, FD_F32, 1, N, bh);
    CHECK_OK(fd_tensor_alloc(cpu, FD_F32, 2, (int64_t[]){ R, N }, FD_INIT_ZEROS, NULL, &a.y0), (fd_error *)NULL);
    if (rs) a.r0 = from_host(cpu, FD_F32, R, N, rs);
    CHECK_OK(fd_run(cpu, fd_compound_kernel(c), &a), (fd_error *)NULL);
    float *want = read_f32(a.y0);
    double e = rel_err(got, want, (size_t)R * N);
    free(yg), free(xs), free(rs), free(got), free(want), free(bh), free(rh);
    fd_tensor *t[] = { g.b0, g.y0, g.r0, a.x, a.norm_w, a.b0, a.y0, a.r0 };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) (void)fd_tensor_free(t[i]);
    return e;
}

/* Every member of `fam` on the GPU against the CPU composition (see the
 * top of the file); the Hopper members add a ragged case at K = 256, where
 * the k-tiles split. */
static void gpu_matrix(fd_foundry *gpu, const fd_family *fam)
{
    fd_foundry *cpu = make_cpu();
    /* by K: the largest weight-row count a case takes there */
    pool pools[] = { { .K = 896, .nmax = 9728 }, { .K = 1536, .nmax = 17920 }, { .K = 4864, .nmax = 896 },
                     { .K = 8960, .nmax = 1536 }, { .K = 96, .nmax = 2000 }, { .K = 256, .nmax = 2000 } };
    enum { NP = sizeof pools / sizeof pools[0] };
    for (int i = 0; i < NP; i++) {
        pool *pl = &pools[i];
        pl->x = host_rand((size_t)MMAX * pl->K, 1);
        pl->nw = host_rand(pl->K, 1);
        pl->xg = from_host(gpu, FD_F32, MMAX, pl->K, pl->x);
        pl->nwg = from_host(gpu, FD_F32, 1, pl->K, pl->nw);
    }
    /* each epilogue at the shapes it serves: (N, pool) for the 0.5B, then the 1.5B */
    static const struct { const char *epi; uint32_t n[2]; int k[2]; } shapes[] = {
        { "bias", { 1152, 2048 }, { 0, 1 } }, { "store", { 896, 1536 }, { 0, 1 } },
        { "swiglu", { 4864, 8960 }, { 0, 1 } }, { "residual", { 896, 1536 }, { 2, 3 } },
    };
    static const uint32_t Ms[] = { 1, 17, 512, MMAX };
    double worst = 0;
    int cases = 0;
    for (int t = 0; t < FD_DTYPE_COUNT; t++) {
        if (!fd_gemm_policy((fd_dtype)t)) continue;
        for (int i = 0; i < NP; i++) pool_make(gpu, cpu, &pools[i], (fd_dtype)t);
        fd_compound_desc d;
        for (size_t ci = 0; fd_compound_enumerate(ci, &d); ci++) {
            if (d.family != fam || d.stage[FD_GEMM_WEIGHTS] != fd_gemm_policy((fd_dtype)t)) continue;
            fd_compound *c;
            CHECK_OK(fd_compound_build(&d, &c, NULL), (fd_error *)NULL);
            int si = 0;
            while (strcmp(shapes[si].epi, epi_name(c))) si++;
            for (int s = 0; s < 2; s++)
                for (int mi = 0; mi < 4; mi++) {
                    uint32_t N = shapes[si].n[s], M = Ms[mi];
                    pool *pl = &pools[shapes[si].k[s]];
                    if (!pl->wg) continue;   /* K = 896: not whole 256-value super-blocks */
                    double e = gpu_case(gpu, cpu, c, pl, M, N);
                    printf("%-34s M %4u N %5u K %4u rel err %.2e\n", fd_compound_name(c), M, N, pl->K, e);
                    CHECK(e <= 2e-4);
                    if (e > worst) worst = e;
                    cases++;
                }
            pool *rg = pools[4].wg ? &pools[4] : &pools[5];
            double e = gpu_case(gpu, cpu, c, rg, 33, 1000);   /* ragged edges */
            printf("%-34s M %4u N %5u K %4u rel err %.2e\n", fd_compound_name(c), 33, 1000, rg->K, e);
            CHECK(e <= 2e-4);
            cases++;
            if (fam == &FD_GEMM_WG_FAMILY && pools[5].wg) {
                e = gpu_case(gpu, cpu, c, &pools[5], 33, 1000);
                printf("%-34s M %4u N %5u K %4u rel err %.2e\n", fd_compound_name(c), 33, 1000, 256, e);
                CHECK(e <= 2e-4);
                cases++;
            }
            fd_compound_destroy(c);
        }
        for (int i = 0; i < NP; i++) (void)fd_tensor_free(pools[i].wg), (void)fd_tensor_free(pools[i].wc);
    }
    printf("GEMM parity (%s): %d cases, worst rel err %.2e (bound 2e-4)\n", fam->name, cases, worst);
    for (int i = 0; i < NP; i++) {
        free(pools[i].x), free(pools[i].nw);
        (void)fd_tensor_free(pools[i].xg), (void)fd_tensor_free(pools[i].nwg);
    }
    fd_foundry_destroy(cpu);
}

static void test_gpu_matrix(void)
{
    fd_foundry *gpu = make_gpu();
    if (!gpu) SKIP("%s", gpu_why);
    gpu_matrix(gpu, &FD_GEMM_FAMILY);
    fd_foundry_destroy(gpu);
}

/* The GPU's Hopper GEMM, or why not (into why). */
static fd_foundry *make_hopper(char *why, size_t cap)
{
    fd_foundry *gpu = make_gpu();
    if (!gpu) {
        snprintf(why, cap, "%s", gpu_why);
        return NULL;
    }
    const fd_family *fam;
    const fd_stage *m;
    fd_gemm_choose(fd_foundry_arch(gpu), fd_foundry_tensor_maps(gpu), FD_F16, &FD_STAGE_GEMM, &fam, &m);
    if (fam == &FD_GEMM_WG_FAMILY) return gpu;
    snprintf(why, cap, "the wgmma GEMM needs sm_90 with tensor maps; %s is sm_%d%s", fd_foundry_device_name(gpu),
             fd_foundry_arch(gpu), fd_foundry_tensor_maps(gpu) ? "" : " without tensor maps (FOUNDRY_TMA=0?)");
    fd_foundry_destroy(gpu);
    return NULL;
}

/* The Hopper members (wgmma, TMA, split-K where tiles are few) over the same matrix and bound. */
static void test_gpu_wgmma(void)
{
    char why[1200];
    fd_foundry *gpu = make_hopper(why, sizeof why);
    if (!gpu) SKIP("%s", why);
    gpu_matrix(gpu, &FD_GEMM_WG_FAMILY);
    fd_foundry_destroy(gpu);
}

/* The Hopper store product y = x W^T of f16 weights on `gpu`: x (M, K) and
 * w (N, K) from the host, y zeroed; run_hopper runs it, end_hopper frees it. */
typedef struct { fd_gemm_args a; fd_compound *c; } hopper_product;

static void start_hopper(fd_foundry *gpu, hopper_product *h, uint32_t M, uint32_t N, uint32_t K, const float *xh,
                         const float *wh)
{
    h->a = (fd_gemm_args){ .M = M, .N = N, .K = K, .x = from_host(gpu, FD_F32, M, K, xh),
                           .w0 = from_host(gpu, FD_F16, N, K, wh) };
    CHECK_OK(fd_tensor_alloc(gpu, FD_F32, 2, (int64_t[]){ M, N }, FD_INIT_ZEROS, NULL, &h->a.y0), (fd_error *)NULL);
    CHECK_OK(fd_compound_build(&(fd_compound_desc){ .family = &FD_GEMM_WG_FAMILY, .stage = {
                 [FD_GEMM_WEIGHTS] = fd_gemm_policy(FD_F16), [FD_GEMM_MAIN] = &FD_STAGE_GEMM_WG } }, &h->c, NULL),
             (fd_error *)NULL);
}

/* y as the host reads it (the caller frees it) */
static float *run_hopper(fd_foundry *gpu, hopper_product *h)
{
    CHECK_OK(fd_run(gpu, fd_compound_kernel(h->c), &h->a), (fd_error *)NULL);
    return read_f32(h->a.y0);
}

static void end_hopper(hopper_product *h)
{
    (void)fd_tensor_free(h->a.x), (void)fd_tensor_free(h->a.w0), (void)fd_tensor_free(h->a.y0);
    fd_compound_destroy(h->c);
}

/* A diagnostic for a first run: exact values through the Hopper tile. x[m, k]
 * = (m % 32) 64 + k and one-hot weights (row n picks input n % K) make y[m, n]
 * = x[m, n % K] exactly in f16, so a wrong swizzle, descriptor or fragment
 * shows which (row, input) landed where; the first mismatches are printed. */
static void test_gpu_wgmma_layout(void)
{
    char why[1200];
    fd_foundry *gpu = make_hopper(why, sizeof why);
    if (!gpu) SKIP("%s", why);
    enum { M = 160, N = 384, K = 128 };
    float *xh = malloc(sizeof(float) * M * K), *wh = calloc((size_t)N * K, sizeof(float));
    for (int m = 0; m < M; m++)
        for (int k = 0; k < K; k++) xh[m * K + k] = (float)((m % 32) * 64 + k % 64) * (k < 64 ? 1.0f : -1.0f);
    for (int n = 0; n < N; n++) wh[(size_t)n * K + n % K] = 1.0f;
    hopper_product h;
    start_hopper(gpu, &h, M, N, K, xh, wh);
    float *y = run_hopper(gpu, &h);
    int bad = 0;
    for (int m = 0; m < M; m++)
        for (int n = 0; n < N; n++) {
            float want = xh[m * K + n % K], got = y[(size_t)m * N + n];
            if (got == want) continue;
            if (bad++ < 8) {
                int v = (int)fabsf(got);
                printf("y[%d, %d] = %g, want %g (x row %% 32 = %d, input %d); got looks like row %% 32 = %d, input %d%s\n", m, n,
                       got, want, m % 32, n % K, v / 64, v % 64, got < 0 ? " (+64)" : "");
            }
        }
    printf("layout diagnostic: %d of %d outputs differ\n", bad, M * N);
    CHECK_EQ(bad, 0);
    free(y), free(xh), free(wh);
    end_hopper(&h);
    fd_foundry_destroy(gpu);
}

/* Split-K's fix-up sums the splits in split order whichever block arrives
 * last: three runs of a split product (down at 0.5B, M = 17: 7 tiles, 8
 * splits on 132 multiprocessors, as fd_gemm_wg_plan says) give the same bits,
 * and the counters are back at 0 after each (else a later run would finish a
 * tile early, on partial sums). */
static void test_gpu_wgmma_deterministic(void)
{
    char why[1200];
    fd_foundry *gpu = make_hopper(why, sizeof why);
    if (!gpu) SKIP("%s", why);
    enum { M = 17, N = 896, K = 4864 };
    unsigned bn, sp;
    fd_gemm_wg_plan(M, N, K, fd_foundry_multiprocessors(gpu), &bn, &sp);
    printf("M %d N %d K %d: BN %u, %u splits\n", M, N, K, bn, sp);
    CHECK(sp > 1);
    float *xh = host_rand((size_t)M * K, 1), *wh = host_rand((size_t)N * K, 1);
    hopper_product h;
    start_hopper(gpu, &h, M, N, K, xh, wh);
    float *first = NULL;
    for (int r = 0; r < 3; r++) {
        float *y = run_hopper(gpu, &h);
        if (!first) first = y;
        else {
            CHECK(!memcmp(first, y, sizeof(float) * M * N));
            free(y);
        }
    }
    free(first), free(xh), free(wh);
    end_hopper(&h);
    fd_foundry_destroy(gpu);
}

TEST_MAIN(setup, test_refusals, test_cpu_matrix, test_cpu_faults, test_wgmma_rules, test_gpu_matrix,
          test_gpu_wgmma_layout, test_gpu_wgmma, test_gpu_wgmma_deterministic)
