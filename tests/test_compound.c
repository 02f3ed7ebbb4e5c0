/* test_compound.c — compound GEMV kernels: the builder's refusals (named
 * stages), the generated source, every policy x main x epilogue x input
 * combination against an independent CPU computation, and — on a GPU — every
 * combination against the CPU composition at Qwen2.5-0.5B's shapes and at odd
 * sizes (quantized: 1001 rows, so that the last whole slice is short), plus
 * the compound f16 / q8_0 GEMV against the hand-written one.
 * Quantized policies multiply int8 weights by x rounded to int8 blocks (the
 * int8 activation contract): the CPU matrix rounds x the same way, written
 * out here, and test_int8_bound checks the contract's error bound against
 * the f32-activation product, with and without outlier channels.
 * Bounds: ||gpu - cpu|| / ||cpu|| <= 1e-5 (f32 accumulation vs double); for
 * quantized policies with the RMSNorm input 2e-3: the CPU's and the GPU's
 * normalised x differ by an ulp, so a value within an ulp of a rounding
 * boundary of the int8 grid may round the other way on one side, moving an
 * output by d_b |w_jk| (about 7e-4 of ||y|| at K = 896 for one such value). */
#include <time.h>
#include "check.h"
#include "gpu.h"
#include "foundry/ops.h"
#include "ops/gemv/int8_ref.h"

/* A GEMV compound's description from its stages (NULL: the family's default). */
#define GEMV(in, w, m, e) &(fd_compound_desc){ .family = &FD_GEMV_FAMILY, .stage = { [FD_GEMV_INPUT] = (in), \
    [FD_GEMV_WEIGHTS] = (w), [FD_GEMV_MAIN] = (m), [FD_GEMV_EPILOGUE] = (e) } }

static uint64_t seed;

static void test_refusals(void)
{
    fd_compound *c = NULL;
    fd_error e = { 0 };
    CHECK(fd_compound_build(GEMV(NULL, fd_gemv_policy(FD_F16), &FD_STAGE_GEMV, &FD_STAGE_EPI_SWIGLU), &c, &e) == FD_ERR_INVALID);
    CHECK(c == NULL);
    CHECK_CONTAINS(e.msg, "swiglu");
    CHECK_CONTAINS(e.msg, "gemv");
    fd_error_clear(&e);
    CHECK(fd_compound_build(GEMV(NULL, &FD_STAGE_GEMV, &FD_STAGE_GEMV, NULL), &c, &e) == FD_ERR_INVALID);
    CHECK_CONTAINS(e.msg, "gemv is not a weights stage");
    /* a stage declaring an argument unlike another stage's */
    static const fd_stage_arg bad_args[] = { { "w0", FD_ARG_IN, FD_DT(Q8_0), FD_PT_TENSOR } };
    fd_stage bad = FD_STAGE_EPI_NONE;
    bad.name = "badx";
    bad.args = bad_args;
    bad.nargs = 1;
    fd_error_clear(&e);
    CHECK(fd_compound_build(GEMV(NULL, fd_gemv_policy(FD_F16), &FD_STAGE_GEMV, &bad), &c, &e) == FD_ERR_INVALID);
    CHECK_CONTAINS(e.msg, "gemv and badx declare 'w0'");
    /* the generated source names its stages and includes snippets once */
    fd_error_clear(&e);
    CHECK_OK(fd_compound_build(GEMV(&FD_STAGE_INPUT_RMSNORM, fd_gemv_policy(FD_Q8_0), &FD_STAGE_GEMV2, &FD_STAGE_EPI_SWIGLU), &c, &e), &e);
    CHECK_STR(fd_compound_name(c), "gemv_rmsnorm_q8_0_gemv2_swiglu");
    fd_dtype dt[16];
    char *src = NULL;
    CHECK(fd_kernel_variant(fd_compound_kernel(c), 0, dt) && !fd_kernel_variant(fd_compound_kernel(c), 1, dt));
    CHECK_OK(fd_kernel_source(fd_compound_kernel(c), dt, &src, &e), &e);
    CHECK_CONTAINS(src, "#define FD_NOUT 2");
    CHECK_CONTAINS(src, "#define FD_NAME gemv_rmsnorm_q8_0_gemv2_swiglu\n");
    CHECK_CONTAINS(src, "fd_silu");
    /* math.cuh is included by the input and the epilogue stage, emitted once */
    const char *first = strstr(src, "/* ---- ops/math.cuh */");
    CHECK(first && !strstr(first + 1, "/* ---- ops/math.cuh */"));
    CHECK(!strstr(src, "#include"));   /* every include expanded */
    /* the input stage comes before the weight policy, whose fd_input stores the input's values in its layout
     * (int8 blocks for q8_0: the int8 activation contract) */
    const char *pol = strstr(src, "/* stage: weights q8_0 */"), *in = strstr(src, "/* stage: input rmsnorm */");
    CHECK(pol && in && in < pol);
    CHECK_CONTAINS(src, "fd_dp4a(");
    CHECK_CONTAINS(src, "__launch_bounds__(FD_MAX_BLOCK, FD_MIN_BLOCKS)");
    fd_kernel_source_free(src);
    /* the weights are read before the wait: marked FD_EARLY in the kernel's table (fd_run then needs them
     * read-only to overlap the predecessor); the input x is not */
    fd_arg_table at = fd_compound_kernel(c)->args(fd_compound_kernel(c));
    int early_w = 0, early_x = 0;
    for (size_t i = 0; i < at.n; i++) {
        if (at.args[i].name[0] == 'w') early_w += (at.args[i].dtypes & FD_EARLY) != 0;
        if (!strcmp(at.args[i].name, "x")) early_x = (at.args[i].dtypes & FD_EARLY) != 0;
    }
    CHECK_EQ(early_w, 2);
    CHECK_EQ(early_x, 0);
    /* the stages' kernel flags: every GEMV main waits for its predecessor itself */
    CHECK(fd_compound_kernel(c)->flags & FD_KERNEL_PDL);
    CHECK(!(fd_compound_kernel(c)->flags & FD_KERNEL_INPLACE));
    fd_compound_destroy(c);
    CHECK_OK(fd_compound_build(GEMV(NULL, fd_gemv_policy(FD_F32), &FD_STAGE_GEMV, &FD_STAGE_EPI_RESIDUAL), &c, &e), &e);
    CHECK(fd_compound_kernel(c)->flags & FD_KERNEL_INPLACE);
    CHECK(fd_compound_kernel(c)->flags & FD_KERNEL_PDL);
    fd_compound_destroy(c);
}

/* Random arguments for compound `c` at (rows[], cols) in foundry fd. */
static void make_args(fd_foundry *fd, const fd_compound *c, uint32_t cols, const uint32_t *rows, fd_gemv_args *a)
{
    memset(a, 0, sizeof *a);
    int n = fd_compound_products(c);
    fd_dtype wt = fd_compound_stage(c, FD_GEMV_WEIGHTS)->dtype;
    a->cols = cols;
    a->x = rand_tensor(fd, FD_F32, 1, (int64_t[]){ cols }, &seed, 1);
    fd_arg_table t = fd_compound_kernel(c)->args(fd_compound_kernel(c));
    for (size_t i = 0; i < t.n; i++) {
        const char *nm = t.args[i].name;
        int k = nm[strlen(nm) - 1] - '0';
        fd_tensor **slot = NULL;
        int64_t len = 0;
        if (!strcmp(nm, "norm_w")) slot = &a->norm_w, len = cols;
        else if (nm[0] == 'b' && nm[1] != 0) slot = &(&a->b0)[k], len = rows[k];
        else if (!strcmp(nm, "r0")) slot = &a->r0, len = rows[0];
        else if (nm[0] == 'y') slot = &(&a->y0)[k], len = rows[k];
        if (slot) *slot = rand_tensor(fd, FD_F32, 1, (int64_t[]){ len }, &seed, 1);
    }
    for (int i = 0; i < n; i++) {
        (&a->rows0)[i] = rows[i];
        (&a->w0)[i] = rand_tensor(fd, wt, 2, (int64_t[]){ rows[i], cols }, &seed, 1);
    }
    a->eps = 1e-6f;
}

static void free_args(fd_gemv_args *a)
{
    fd_tensor *t[] = { a->x, a->norm_w, a->w0, a->w1, a->w2, a->b0, a->b1, a->b2, a->r0, a->y0, a->y1, a->y2 };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) (void)fd_tensor_free(t[i]);
}

static fd_tensor *twin(fd_foundry *dst, fd_tensor *t) { return t ? clone_to(dst, t) : NULL; }

/* Runs c on cpu and gpu over the same inputs; returns the worst relative error over its outputs. */
static double compare(fd_foundry *cpu, fd_foundry *gpu, const fd_compound *c, uint32_t cols, const uint32_t *rows)
{
    fd_gemv_args a, g;
    make_args(cpu, c, cols, rows, &a);
    g = a;
    fd_tensor **src = &a.x, **dst = &g.x;
    for (int i = 0; i < 12; i++) dst[i] = twin(gpu, src[i]);
    fd_status s1 = fd_run(cpu, fd_compound_kernel(c), &a), s2 = fd_run(gpu, fd_compound_kernel(c), &g);
    if (s1 || s2) fprintf(stderr, "%s: %s %s\n", fd_compound_name(c), fd_foundry_error(cpu), fd_foundry_error(gpu));
    CHECK(s1 == FD_OK && s2 == FD_OK);
    double worst = 0;
    for (int i = 0; i < 3; i++) {
        if (!(&a.y0)[i]) continue;
        float *p = read_f32((&a.y0)[i]), *q = read_f32((&g.y0)[i]);
        double e = rel_err(q, p, (size_t)fd_tensor_numel((&a.y0)[i]));
        if (e > worst) worst = e;
        free(p), free(q);
    }
    free_args(&a);
    free_args(&g);
    return worst;
}

/* x rounded as the int8 activation contract does (quant_x.cuh), written out
 * independently of the twin: per block of 32, d = amax / 127, q = nearest
 * even of x * 127 / amax; then (two levels) the residual e = fma(-d, q, x) on
 * the step d / 254, r = nearest even of e * 254 * 127 / amax, within
 * -127..127; returns d q (+ d / 254 r). */
static void int8_round(const float *x, float *out, uint32_t K)
{
    for (uint32_t b = 0; b < K / 32; b++) {
        float amax = 0;
        for (uint32_t i = 32 * b; i < 32 * b + 32; i++) amax = fabsf(x[i]) > amax ? fabsf(x[i]) : amax;
        for (uint32_t i = 32 * b; i < 32 * b + 32; i++) {
            if (!(amax > 1e-30f)) { out[i] = 0.0f; continue; }
            float d = amax / 127.0f, q = nearbyintf(x[i] * (127.0f / amax));
            float r = fd_int8_levels() > 1 ? fminf(fmaxf(nearbyintf(fmaf(-d, q, x[i]) * (127.0f / amax * 254.0f)), -127), 127) : 0;
            out[i] = (float)((double)d * q + (double)(d / 254.0f) * r);
        }
    }
}

/* CPU: every combination against plain GEMVs and the epilogue written out here. */
static void test_cpu_matrix(void)
{
    fd_foundry *cpu = make_cpu();
        fd_compound_desc d;
    int n = 0;
    for (size_t i = 0; FD_GEMV_FAMILY.enumerate(i, &d); i++, n++) {
        fd_compound *c;
        fd_error e = { 0 };
        CHECK_OK(fd_compound_build(&d, &c, &e), &e);
        /* K: whole blocks of every policy (the super-block types' 256) */
        uint32_t rows[3] = { 40, 40, 24 }, K = fd_dtype_block_elems(fd_compound_stage(c, FD_GEMV_WEIGHTS)->dtype) == 256 ? 256 : 64;
        if (fd_compound_products(c) == 3) rows[0] = 48;
        fd_gemv_args a;
        make_args(cpu, c, K, rows, &a);
        CHECK_OK(fd_run(cpu, fd_compound_kernel(c), &a), (fd_error *)NULL);
        float *x = read_f32(a.x), xs[256];
        double ss = 0;
        for (uint32_t k = 0; k < K; k++) ss += (double)x[k] * x[k];
        float *nw = a.norm_w ? read_f32(a.norm_w) : NULL;
        for (uint32_t k = 0; k < K; k++) xs[k] = nw ? x[k] * (float)(1 / sqrt(ss / K + 1e-6)) * nw[k] : x[k];
        if (fd_dtype_is_quant(fd_compound_stage(c, FD_GEMV_WEIGHTS)->dtype)) int8_round(xs, xs, K);
        const char *epi = fd_compound_stage(c, FD_GEMV_EPILOGUE)->name;
        float v[3][48];
        for (int m = 0; m < fd_compound_products(c); m++) {
            float *w = read_f32((&a.w0)[m]);
            for (uint32_t j = 0; j < rows[m]; j++) {
                double s = 0;
                for (uint32_t k = 0; k < K; k++) s += (double)w[j * K + k] * xs[k];
                v[m][j] = (float)s;
            }
            free(w);
        }
        for (int m = 0; m < 3; m++) {
            if (!(&a.y0)[m]) continue;
            float *y = read_f32((&a.y0)[m]), want[48];
            float *b = (&a.b0)[m] ? read_f32((&a.b0)[m]) : NULL, *r = (m == 0 && a.r0) ? read_f32(a.r0) : NULL;
            for (uint32_t j = 0; j < rows[m]; j++) {
                float t = v[m][j];
                if (!strcmp(epi, "bias")) t += b[j];
                else if (!strcmp(epi, "silu")) t = t / (1 + expf(-t));
                else if (!strcmp(epi, "swiglu")) t = t / (1 + expf(-t)) * v[1][j];
                else if (!strcmp(epi, "residual")) t += r[j];
                want[j] = t;
            }
            double err = rel_err(y, want, rows[m]);
            if (err > 1e-6) fprintf(stderr, "%s output %d: rel err %g\n", fd_compound_name(c), m, err);
            CHECK(err <= 1e-6);
            free(y), free(b), free(r);
        }
        free(x), free(nw);
        free_args(&a);
        fd_compound_destroy(c);
    }
    int np = 0;   /* 11 main x epilogue pairs x 2 inputs per weight policy: one per FLOAT and QUANT dtype */
    for (int t = 0; t < FD_DTYPE_COUNT; t++) np += fd_dtype_is_float((fd_dtype)t) || fd_dtype_is_quant((fd_dtype)t);
    CHECK_EQ(np, 15);
    CHECK_EQ(n, 22 * np);
    /* quantized policies need cols a multiple of 32 and say so */
    fd_compound *c;
    CHECK_OK(fd_compound_build(GEMV(NULL, fd_gemv_policy(FD_Q4_0), &FD_STAGE_GEMV, NULL), &c, NULL), (fd_error *)NULL);
    fd_tensor *x = rand_tensor(cpu, FD_F32, 1, (int64_t[]){ 40 }, &seed, 1);
    fd_tensor *w = rand_tensor(cpu, FD_F32, 2, (int64_t[]){ 4, 40 }, &seed, 1);
    fd_tensor *y = rand_tensor(cpu, FD_F32, 1, (int64_t[]){ 4 }, &seed, 1);
    CHECK(fd_run(cpu, fd_compound_kernel(c), &(fd_gemv_args){ .x = x, .w0 = w, .y0 = y, .cols = 40, .rows0 = 4 }) == FD_ERR_INVALID);
    CHECK_CONTAINS(fd_foundry_error(cpu), "dtype f32");
    fd_foundry_clear_error(cpu);
    (void)fd_tensor_free(x), (void)fd_tensor_free(w), (void)fd_tensor_free(y);
    fd_compound_destroy(c);
    /* the super-block types need cols a multiple of 256 and say so */
    CHECK_OK(fd_compound_build(GEMV(NULL, fd_gemv_policy(FD_Q4_K), &FD_STAGE_GEMV, NULL), &c, NULL), (fd_error *)NULL);
    x = rand_tensor(cpu, FD_F32, 1, (int64_t[]){ 64 }, &seed, 1);
    w = rand_tensor(cpu, FD_Q4_K, 2, (int64_t[]){ 4, 256 }, &seed, 1);
    y = rand_tensor(cpu, FD_F32, 1, (int64_t[]){ 4 }, &seed, 1);
    CHECK(fd_run(cpu, fd_compound_kernel(c), &(fd_gemv_args){ .x = x, .w0 = w, .y0 = y, .cols = 64, .rows0 = 4 }) == FD_ERR_INVALID);
    CHECK_CONTAINS(fd_foundry_error(cpu), "w0 is q4_k, which needs cols a multiple of 256; cols = 64");
    fd_foundry_clear_error(cpu);
    (void)fd_tensor_free(x), (void)fd_tensor_free(w), (void)fd_tensor_free(y);
    fd_compound_destroy(c);
    fd_foundry_destroy(cpu);
}

static void test_gpu_matrix(void)
{
    fd_foundry *gpu = make_gpu();
    if (!gpu) SKIP("%s", gpu_why);
    fd_foundry *cpu = make_cpu();
        fd_compound_desc d;
    for (size_t i = 0; FD_GEMV_FAMILY.enumerate(i, &d); i++) {
        fd_compound *c;
        fd_error e = { 0 };
        CHECK_OK(fd_compound_build(&d, &c, &e), &e);
        int np = fd_compound_products(c);
        uint32_t qkv[3] = { 896, 128, 128 }, gu[3] = { 4864, 4864, 0 }, down[3] = { 896, 0, 0 }, odd[3] = { 37, 37, 19 };
        uint32_t ragged[3] = { 1001, 1001, 333 };
        /* the super-block types (256-value rows) at Llama-3.2-1B's hidden size 2048 in place of 896, 256 for 96 */
        int sb = fd_dtype_block_elems(fd_compound_stage(c, FD_GEMV_WEIGHTS)->dtype) == 256;
        uint32_t H = sb ? 2048 : 896;
        double e1 = compare(cpu, gpu, c, np == 1 ? 4864 : H, np == 3 ? qkv : np == 2 ? gu : down);
        double e2 = 0;
        if (!fd_dtype_is_quant(fd_compound_stage(c, FD_GEMV_WEIGHTS)->dtype)) e2 = compare(cpu, gpu, c, 101, odd);
        else e2 = compare(cpu, gpu, c, sb ? 256 : 96, ragged);   /* whole slices whose last one is short */
        if (np == 1 && !strcmp(fd_compound_stage(c, FD_GEMV_EPILOGUE)->name, "store") && fd_compound_stage(c, FD_GEMV_INPUT)->name[0] == 'x')
            e2 = fmax(e2, compare(cpu, gpu, c, H, (uint32_t[]){ 151936, 0, 0 }));
        printf("%-34s rel err %.2e %.2e\n", fd_compound_name(c), e1, e2);
        int flips = fd_dtype_is_quant(d.stage[FD_GEMV_WEIGHTS]->dtype) && d.stage[FD_GEMV_INPUT] == &FD_STAGE_INPUT_RMSNORM;
        CHECK(e1 <= (flips ? 2e-3 : 1e-5) && e2 <= (flips ? 2e-3 : 1e-5));
        fd_compound_destroy(c);
    }
    fd_foundry_destroy(cpu);
    fd_foundry_destroy(gpu);
}

/* The plan's own test: the compound f16 / q8_0 GEMV against the hand-written one, both on the GPU. */
static void test_gpu_vs_plain(void)
{
    fd_foundry *gpu = make_gpu();
    if (!gpu) SKIP("%s", gpu_why);
    const fd_dtype dts[] = { FD_F16, FD_Q8_0 };
    for (int d = 0; d < 2; d++) {
        fd_compound *c;
        CHECK_OK(fd_compound_build(GEMV(NULL, fd_gemv_policy(dts[d]), &FD_STAGE_GEMV, NULL), &c, NULL), (fd_error *)NULL);
        uint32_t N = 4864, K = 896;
        fd_tensor *w = rand_tensor(gpu, dts[d], 2, (int64_t[]){ N, K }, &seed, 1);
        fd_tensor *x = rand_tensor(gpu, FD_F32, 1, (int64_t[]){ K }, &seed, 1);
        fd_tensor *y1 = rand_tensor(gpu, FD_F32, 1, (int64_t[]){ N }, &seed, 1);
        fd_tensor *y2 = rand_tensor(gpu, FD_F32, 1, (int64_t[]){ N }, &seed, 1);
        CHECK_OK(fd_run(gpu, fd_compound_kernel(c), &(fd_gemv_args){ .x = x, .w0 = w, .y0 = y1, .cols = K, .rows0 = N }), (fd_error *)NULL);
        CHECK_OK(fd_run(gpu, &FD_GEMV, &(fd_gemv_plain_args){ .x = x, .w = w, .y = y2, .rows = N, .cols = K }), (fd_error *)NULL);
        float *p = read_f32(y1), *q = read_f32(y2);
        double e = rel_err(p, q, N);
        printf("compound vs hand-written %s: rel err %.2e\n", fd_dtype_name(dts[d]), e);
        /* the hand-written kernel multiplies f32 x; q8_0's compound rounds x to int8 blocks: uniform x
         * in [-1, 1] gives about 1 / (127 sqrt 12) / 0.58 = 4e-3 relative */
        CHECK(e <= (d ? 1e-2 : 1e-5));
        free(p), free(q);
        (void)fd_tensor_free(w), (void)fd_tensor_free(x), (void)fd_tensor_free(y1), (void)fd_tensor_free(y2);
        fd_compound_destroy(c);
    }
    fd_foundry_destroy(gpu);
}

/* Dependent GEMVs back to back, each reading the previous one's output:
 * programmatic dependent launch lets each start before its predecessor ends,
 * so a missing wait would read stale inputs. Issued directly and replayed
 * from a graph, against the same chain on the CPU. */
static void test_gpu_chain(void)
{
    enum { STEPS = 12, K = 896 };
    fd_foundry *gpu = make_gpu();
    if (!gpu) SKIP("%s", gpu_why);
    fd_foundry *cpu = make_cpu();
    fd_compound *c[2];
    const fd_stage *pol[2] = { fd_gemv_policy(FD_F16), fd_gemv_policy(FD_Q8_0) };
    for (int i = 0; i < 2; i++)
        CHECK_OK(fd_compound_build(GEMV(NULL, pol[i], &FD_STAGE_GEMV, &FD_STAGE_EPI_RESIDUAL), &c[i], NULL), (fd_error *)NULL);
    fd_tensor *w[STEPS], *wg[STEPS], *v[2], *vg[2];
    for (int s = 0; s < STEPS; s++) {
        w[s] = rand_tensor(cpu, pol[s & 1]->dtype, 2, (int64_t[]){ K, K }, &seed, 1.0f / 32);
        wg[s] = clone_to(gpu, w[s]);
        CHECK_OK(fd_tensor_set_readonly(wg[s], 1), (fd_error *)NULL);   /* so PDL reads them early */
    }
    for (int i = 0; i < 2; i++) {
        v[i] = rand_tensor(cpu, FD_F32, 1, (int64_t[]){ K }, &seed, 1);
        vg[i] = clone_to(gpu, v[i]);
    }
    /* v[(s+1)&1] = W_s v[s&1] + v[(s+1)&1]: each step reads the last one's output */
    for (int s = 0; s < STEPS; s++) {
        fd_gemv_args a = { .x = v[s & 1], .w0 = w[s], .r0 = v[(s + 1) & 1], .y0 = v[(s + 1) & 1], .cols = K, .rows0 = K };
        CHECK_OK(fd_run(cpu, fd_compound_kernel(c[s & 1]), &a), (fd_error *)NULL);
    }
    float *want = read_f32(v[STEPS & 1]);
    float *start[2] = { read_f32(vg[0]), read_f32(vg[1]) };
    for (int pass = 0; pass < 2; pass++) {
        fd_graph *g = NULL;
        for (int i = 0; i < 2; i++) CHECK_OK(fd_tensor_flush(vg[i]), (fd_error *)NULL);   /* no uploads while capturing */
        if (pass) CHECK_OK(fd_graph_begin(gpu), (fd_error *)NULL);
        for (int s = 0; s < STEPS; s++) {
            fd_gemv_args a = { .x = vg[s & 1], .w0 = wg[s], .r0 = vg[(s + 1) & 1], .y0 = vg[(s + 1) & 1], .cols = K,
                               .rows0 = K };
            CHECK_OK(fd_run(gpu, fd_compound_kernel(c[s & 1]), &a), (fd_error *)NULL);
        }
        if (pass) {
            CHECK_OK(fd_graph_end(gpu, &g), (fd_error *)NULL);   /* capturing ran nothing: vg still holds start */
            CHECK_OK(fd_graph_launch(gpu, g), (fd_error *)NULL);
        }
        float *got = read_f32(vg[STEPS & 1]);
        double e = rel_err(got, want, K);
        printf("chain of %d dependent GEMVs (%s): rel err %.2e\n", STEPS, pass ? "graph" : "direct", e);
        CHECK(e <= 2e-3);   /* the q8_0 steps' inputs differ by ulps between CPU and GPU: rare int8 flips */
        free(got);
        fd_graph_free(gpu, g);
        for (int i = 0; i < 2; i++) CHECK_OK(fd_tensor_write(vg[i], start[i], (size_t)K * 4), (fd_error *)NULL);
    }
    for (int s = 0; s < STEPS; s++) (void)fd_tensor_free(w[s]), (void)fd_tensor_free(wg[s]);
    for (int i = 0; i < 2; i++) (void)fd_tensor_free(v[i]), (void)fd_tensor_free(vg[i]), free(start[i]);
    free(want);
    fd_compound_destroy(c[0]), fd_compound_destroy(c[1]);
    fd_foundry_destroy(cpu);
    fd_foundry_destroy(gpu);
}

/* The int8 activation contract's error against the f32-activation product
 * (fd_gemv_ref's double sums of dequantized weights times f32 x), for q8_0,
 * q4_0 and the super-block types (q2_k .. q6_k, iq4_xs), with plain x and with outlier channels (three channels 100x
 * larger, as real models' activations have). Bound per output j (the kernel
 * bound DESIGN.md states): |y_int8 - y_f32| <= sum over blocks b of
 * (amax_b / 254) sum_{i in b} |w_ji| with one level, since each x is off by
 * at most half its block's step d_b = amax_b / 127; with two, half the
 * residual's step d_b / 254: amax_b / 64,516 (plus 1e-6 of sum |w x| for
 * the scales' own rounding). Per-block scales keep an outlier's coarse step
 * inside its own block of 32. */
static void test_int8_bound(void)
{
    enum { N = 64, K = 1024 };
    fd_foundry *cpu = make_cpu();
    const fd_dtype dts[] = { FD_Q8_0, FD_Q4_0, FD_Q2_K, FD_Q3_K, FD_Q4_K, FD_Q5_K, FD_Q6_K, FD_IQ4_XS };
    for (int d = 0; d < 8; d++)
        for (int outl = 0; outl < 2; outl++) {
            fd_compound *c;
            CHECK_OK(fd_compound_build(GEMV(NULL, fd_gemv_policy(dts[d]), &FD_STAGE_GEMV, NULL), &c, NULL), (fd_error *)NULL);
            float *xh = malloc(K * sizeof *xh), *y = NULL, *w = NULL;
            for (int i = 0; i < K; i++) xh[i] = rng_uniform(&seed);
            if (outl) xh[5] *= 100, xh[300] *= -100, xh[777] *= 100;
            fd_tensor *x, *y0, *wt = rand_tensor(cpu, dts[d], 2, (int64_t[]){ N, K }, &seed, 1);
            CHECK_OK(fd_tensor_alloc(cpu, FD_F32, 1, (int64_t[]){ K }, FD_INIT_COPY, xh, &x), (fd_error *)NULL);
            CHECK_OK(fd_tensor_alloc(cpu, FD_F32, 1, (int64_t[]){ N }, FD_INIT_ZEROS, NULL, &y0), (fd_error *)NULL);
            CHECK_OK(fd_run(cpu, fd_compound_kernel(c), &(fd_gemv_args){ .x = x, .w0 = wt, .y0 = y0, .cols = K, .rows0 = N }),
                     (fd_error *)NULL);
            y = read_f32(y0), w = read_f32(wt);
            double num = 0, den = 0, worst = 0;
            for (int j = 0; j < N; j++) {
                double f = 0, mag = 0, bound = 0;
                for (int b = 0; b < K / 32; b++) {
                    double amax = 0, l1 = 0;
                    for (int i = 32 * b; i < 32 * b + 32; i++) {
                        amax = fmax(amax, fabs(xh[i]));
                        l1 += fabs(w[j * K + i]);
                        f += (double)w[j * K + i] * xh[i];
                        mag += fabs((double)w[j * K + i] * xh[i]);
                    }
                    bound += amax / (fd_int8_levels() > 1 ? 64516 : 254) * l1;
                }
                double err = fabs(y[j] - f);
                worst = fmax(worst, err / (bound + 1e-6 * mag));
                num += err * err, den += f * f;
            }
            printf("int8 x %s%s, %d level(s): rel err %.2e vs f32 x, worst output at %.2f of its bound\n",
                   fd_dtype_name(dts[d]), outl ? " (outlier channels)" : "", fd_int8_levels(), sqrt(num / den), worst);
            CHECK(worst <= 1.0);
            /* one level, plain x: about 4e-3; outliers: the 93 ordinary values sharing a block with one are rounded
             * on the outlier's coarse step (100 / 127), about 1.3e-2 of an output the outliers dominate. Two
             * levels: 254 times less. */
            CHECK(sqrt(num / den) <= (outl ? 3e-2 : 1e-2) / (fd_int8_levels() > 1 ? 100 : 1));
            free(xh), free(y), free(w);
            (void)fd_tensor_free(x), (void)fd_tensor_free(y0), (void)fd_tensor_free(wt);
            fd_compound_destroy(c);
        }
    fd_foundry_destroy(cpu);
}

static void setup(void)
{
    seed = (uint64_t)time(NULL) * 0x9e3779b97f4a7c15ull | 1;
    printf("seed %llu\n", (unsigned long long)seed);
}

/* A GEMV whose weights the GEMV before it writes: they are not read-only, so
 * it must not read them early (the dispatch launches it without PDL). The
 * first GEMV is long (16 x 16 rows of 32768 inputs, one block per
 * multiprocessor at a time, so the second can be resident beside it) and its
 * output starts as zeros, so an early read would see zeros. */
static void test_gpu_written_weights(void)
{
    enum { N = 16, K1 = 32768 };
    fd_foundry *gpu = make_gpu();
    if (!gpu) SKIP("%s", gpu_why);
    fd_compound *c;
    CHECK_OK(fd_compound_build(GEMV(NULL, fd_gemv_policy(FD_F32), &FD_STAGE_GEMV, NULL), &c, NULL), (fd_error *)NULL);
    fd_tensor *w1 = rand_tensor(gpu, FD_F32, 2, (int64_t[]){ N * N, K1 }, &seed, 1.0f / 128);
    fd_tensor *x1 = rand_tensor(gpu, FD_F32, 1, (int64_t[]){ K1 }, &seed, 1);
    fd_tensor *x2 = rand_tensor(gpu, FD_F32, 1, (int64_t[]){ N }, &seed, 1);
    fd_tensor *y2 = rand_tensor(gpu, FD_F32, 1, (int64_t[]){ N }, &seed, 1), *w2, *w2v;
    CHECK_OK(fd_tensor_alloc(gpu, FD_F32, 1, (int64_t[]){ N * N }, FD_INIT_ZEROS, NULL, &w2), (fd_error *)NULL);
    CHECK_OK(fd_tensor_view(w2, 0, 2, (int64_t[]){ N, N }, &w2v), (fd_error *)NULL);
    CHECK_OK(fd_tensor_set_readonly(w1, 1), (fd_error *)NULL);   /* the first GEMV itself may overlap */
    fd_tensor *up[] = { w1, x1, x2, y2, w2 };   /* no upload between the two launches */
    for (size_t i = 0; i < sizeof up / sizeof up[0]; i++) CHECK_OK(fd_tensor_flush(up[i]), (fd_error *)NULL);
    CHECK_OK(fd_run(gpu, fd_compound_kernel(c), &(fd_gemv_args){ .x = x1, .w0 = w1, .y0 = w2, .cols = K1, .rows0 = N * N }),
             (fd_error *)NULL);
    CHECK_OK(fd_run(gpu, fd_compound_kernel(c), &(fd_gemv_args){ .x = x2, .w0 = w2v, .y0 = y2, .cols = N, .rows0 = N }),
             (fd_error *)NULL);
    float *w = read_f32(w2), *x = read_f32(x2), *got = read_f32(y2), want[N];
    for (int j = 0; j < N; j++) {
        double s = 0;
        for (int k = 0; k < N; k++) s += (double)w[j * N + k] * x[k];
        want[j] = (float)s;
    }
    double e = rel_err(got, want, N);
    printf("GEMV on weights its predecessor wrote: rel err %.2e\n", e);
    CHECK(e <= 1e-5);
    free(w), free(x), free(got);
    fd_tensor *t[] = { w1, x1, x2, y2, w2 };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) (void)fd_tensor_free(t[i]);
    fd_compound_destroy(c);
    fd_foundry_destroy(gpu);
}

TEST_MAIN(setup, test_refusals, test_cpu_matrix, test_int8_bound, test_gpu_matrix, test_gpu_vs_plain, test_gpu_chain,
          test_gpu_written_weights)
