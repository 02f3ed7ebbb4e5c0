/* bench_gemv.c — GEMV bandwidth per weight policy, fused vs unfused, and
 * elementwise add, printed as JSON.
 *
 * Each case rotates launches over enough weight copies that the working set
 * is well above the H100's 50 MB L2 (>= 400 MB), issues them back to back as
 * a decode step would, and reports the median over repeated batches of the
 * time per launch, the bytes one launch moves (weights + vectors), GB/s and
 * the fraction of the device's copy bandwidth, measured once at the start
 * (fd_device_copy_bandwidth: device-to-device copies far above L2). Fused vs unfused: SwiGLU fused (gate/up GEMV with
 * the SwiGLU epilogue) against two GEMVs and an elementwise SwiGLU; QKV with
 * the RMSNorm input stage and bias epilogue against RMSNorm + three GEMVs
 * with bias. Elementwise add moves three 128 MB vectors per launch, far
 * above L2 without rotation. The launch floor is a one-block kernel issued
 * the same way. Dtypes: every one the library has a GEMV policy for
 * (fd_gemv_policy over the dtype list); those without a quantizer get
 * pseudo-random blocks with finite scales (bench_weight_bytes). Quantized
 * policies run the int8 activation contract (x
 * rounded to int8 blocks, dp4a): each case says how it takes x ("x": "f32"
 * or "int8") and its fraction relative to the f16 policy's at the same
 * shape ("of_f16_fraction"; 0: f16 not measured there). Shapes: Qwen2.5 0.5B's, 1.5B's and 3B's
 * gate/up, down and lm_head; a dtype whose block does not divide a shape's
 * columns (256 for the super-block types) is skipped there, and "skipped"
 * says so. On the CPU each dtype runs at the first shape it fits only.
 * Usage: bench_gemv [--backend cpu|cuda] [--quick] [--only DTYPE|add]
 * [--shape ROWSxCOLS] (either: the GEMV cases of that dtype / shape only, or
 * with --only add the elementwise case only; no
 * fused cases; for profilers). FOUNDRY_PDL=0 turns programmatic dependent
 * launch off, for the comparison. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bench.h"
#include "foundry/ops.h"
#include "foundry/profile.h"

const char *bench_name = "bench_gemv";

/* A GEMV compound's description from its stages (NULL: the family's default). */
#define GEMV(in, w, m, e) &(fd_compound_desc){ .family = &FD_GEMV_FAMILY, .stage = { [FD_GEMV_INPUT] = (in), \
    [FD_GEMV_WEIGHTS] = (w), [FD_GEMV_MAIN] = (m), [FD_GEMV_EPILOGUE] = (e) } }

#define MAXC 64

static fd_tensor *rnd(fd_foundry *fd, fd_dtype dt, int64_t rows, int64_t cols)
{
    size_t n = (size_t)(rows * cols);
    float *x = fd_dtype_can_write(dt) ? malloc(n * 4) : NULL;   /* types without a quantizer need no values */
    void *q = malloc(n * 4);
    if (!q || (fd_dtype_can_write(dt) && !x)) die(fd, "out of memory");
    uint64_t s = 88172645463325252ull ^ (uint64_t)n;
    for (size_t i = 0; x && i < n; i++) {
        s ^= s << 13, s ^= s >> 7, s ^= s << 17;
        x[i] = (float)((s >> 40) & 0xffff) / 32768.0f - 1.0f;
    }
    bench_weight_bytes(dt, x, q, n);
    fd_tensor *t;
    int64_t dims[2] = { rows, cols };
    if (fd_tensor_alloc(fd, dt, cols == 1 ? 1 : 2, dims, FD_INIT_COPY, q, &t)) die(fd, "alloc");
    free(x), free(q);
    return t;
}

/* A weight: random and, as a loaded model's are, read-only (which lets
 * GEMVs read it before their predecessor ends). */
static fd_tensor *weight(fd_foundry *fd, fd_dtype dt, int64_t rows, int64_t cols)
{
    fd_tensor *t = rnd(fd, dt, rows, cols);
    if (fd_tensor_set_readonly(t, 1)) die(fd, "set_readonly");
    return t;
}

typedef bench_step_fn step_fn;

/* Median seconds per step: batches of copies x 8 steps, 9 of them (quick: x 2, 3). */
static double time_steps(fd_foundry *fd, step_fn fn, void *ctx, int copies, int quick)
{
    return bench_time_steps(fd, fn, ctx, copies, copies * (quick ? 2 : 8), quick ? 3 : 9);
}

typedef struct {
    fd_compound *c, *c2;
    fd_gemv_args a[MAXC];
    fd_gemv_args b[MAXC];        /* second weight set (unfused cases) */
    fd_tensor *mid[4];
    fd_tensor *norm_w, *x, *xn;
    uint32_t n;
} ctx_t;

static fd_status step_gemv(fd_foundry *fd, void *p, int c) { ctx_t *x = p; return fd_run(fd, fd_compound_kernel(x->c), &x->a[c]); }

static fd_status step_swiglu_unfused(fd_foundry *fd, void *p, int c)
{
    ctx_t *x = p;
    fd_gemv_args g = x->a[c], u = x->a[c];
    g.w1 = u.w1 = NULL, g.rows1 = u.rows1 = 0;
    g.y0 = x->mid[0];
    u.w0 = x->a[c].w1, u.y0 = x->mid[1];
    FD_TRY(fd_run(fd, fd_compound_kernel(x->c2), &g));
    FD_TRY(fd_run(fd, fd_compound_kernel(x->c2), &u));
    return fd_run(fd, &FD_SWIGLU, &(fd_swiglu_args){ .gate = x->mid[0], .up = x->mid[1], .y = x->a[c].y0, .n = x->n });
}

static fd_status step_qkv_unfused(fd_foundry *fd, void *p, int c)
{
    ctx_t *x = p;
    const fd_gemv_args *f = &x->a[c];
    FD_TRY(fd_run(fd, &FD_RMSNORM, &(fd_rmsnorm_args){ .x = f->x, .weight = f->norm_w, .y = x->xn, .rows = 1,
                                                      .dim = f->cols, .eps = 1e-6f }));
    for (int i = 0; i < 3; i++) {
        fd_gemv_args g = { .x = x->xn, .w0 = (&f->w0)[i], .b0 = (&f->b0)[i], .y0 = (&f->y0)[i], .cols = f->cols,
                           .rows0 = (&f->rows0)[i] };
        FD_TRY(fd_run(fd, fd_compound_kernel(x->c2), &g));
    }
    return FD_OK;
}

static fd_status step_ones(fd_foundry *fd, void *p, int c)
{
    (void)c;
    ctx_t *x = p;
    return fd_run(fd, &FD_ONES, &(fd_ones_args){ .y = x->mid[0], .n = x->n });
}

static fd_status step_add(fd_foundry *fd, void *p, int c)
{
    (void)c;
    ctx_t *x = p;
    return fd_run(fd, &FD_ADD, &(fd_add_args){ .a = x->mid[0], .b = x->mid[1], .y = x->mid[2], .n = x->n });
}

static int copies_for(size_t bytes) { size_t c = (400u << 20) / bytes + 1; return c > MAXC ? MAXC : (int)c; }

/* One GEMV case. `x`: how the products take the input (f32, or int8 blocks:
 * the quantized policies' int8 activation contract); f16_frac: the f16
 * policy's fraction of the copy bandwidth at this shape (0: not measured),
 * which the int8 path's is compared with. Returns this case's fraction. */
static double report(const char *name, const char *dtype, const char *x, uint32_t n, uint32_t k, double s, uint64_t bytes,
                     int copies, double copy_bw, double f16_frac)
{
    static int printed;
    double bw = bytes / s;
    printf("%s    {\"case\": \"%s\", \"dtype\": \"%s\", \"x\": \"%s\", \"rows\": %u, \"cols\": %u, \"us\": %.2f, "
           "\"bytes\": %llu, \"GBps\": %.1f, \"fraction_of_copy_bw\": %.3f, \"of_f16_fraction\": %.3f, \"copies\": %d}",
           printed++ ? ",\n" : "", name, dtype, x, n, k, s * 1e6, (unsigned long long)bytes, bw / 1e9, bw / copy_bw,
           f16_frac > 0 ? bw / copy_bw / f16_frac : 0.0, copies);
    return bw / copy_bw;
}

/* Qwen2.5 0.5B's gate/up, down and lm_head; then 1.5B's and 3B's */
static const struct { uint32_t n, k; } shapes[] = { { 4864, 896 }, { 896, 4864 }, { 151936, 896 },
                                                    { 8960, 1536 }, { 1536, 8960 }, { 151936, 1536 },
                                                    { 11008, 2048 }, { 2048, 11008 }, { 151936, 2048 } };
#define NSHAPE (sizeof shapes / sizeof shapes[0])

static void usage(FILE *f)
{
    fprintf(f, "usage: bench_gemv [--backend cpu|cuda] [--quick] [--only DTYPE|add] [--shape ROWSxCOLS]\n"
               "  DTYPE: one with a GEMV policy:");
    for (int t = 0; t < FD_DTYPE_COUNT; t++)
        if (fd_gemv_policy((fd_dtype)t)) fprintf(f, " %s", fd_dtype_name((fd_dtype)t));
    fprintf(f, "\n  ROWSxCOLS: one of the shapes:");
    for (size_t s = 0; s < NSHAPE; s++) fprintf(f, " %ux%u", shapes[s].n, shapes[s].k);
    fprintf(f, "\n");
}

int main(int argc, char **argv)
{
    fd_backend_kind kind = FD_BACKEND_AUTO;
    int quick = 0;
    const char *only = NULL;
    unsigned only_n = 0, only_k = 0;
    for (int i = 1; i < argc; i++) {
        fd_dtype od;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) return usage(stdout), 0;
        else if (!strcmp(argv[i], "--backend") && i + 1 < argc) {
            if (strcmp(argv[++i], "cpu") && strcmp(argv[i], "cuda")) {
                fprintf(stderr, "bench_gemv: --backend wants cpu or cuda, got '%s'\n", argv[i]);
                return 2;
            }
            kind = strcmp(argv[i], "cpu") ? FD_BACKEND_CUDA : FD_BACKEND_CPU;
        }
        else if (!strcmp(argv[i], "--only") && i + 1 < argc) {
            only = argv[++i];
            if (strcmp(only, "add") && (fd_dtype_parse(only, &od) || !fd_gemv_policy(od))) {
                fprintf(stderr, "bench_gemv: --only wants add or a dtype with a GEMV policy, got '%s' "
                                "(--help lists them)\n", only);
                return 2;
            }
        }
        else if (!strcmp(argv[i], "--shape") && i + 1 < argc) {
            size_t s = 0;
            if (sscanf(argv[++i], "%ux%u", &only_n, &only_k) == 2)
                while (s < NSHAPE && (shapes[s].n != only_n || shapes[s].k != only_k)) s++;
            if (s == NSHAPE || !only_n) {
                fprintf(stderr, "bench_gemv: --shape wants ROWSxCOLS of a benchmark shape, got '%s' "
                                "(--help lists them)\n", argv[i]);
                return 2;
            }
        }
        else if (!strcmp(argv[i], "--quick")) quick = 1;
        else {
            fprintf(stderr, "bench_gemv: unknown argument '%s' (--help for the usage)\n", argv[i]);
            return 2;
        }
    }
    fd_foundry *fd;
    fd_error err = { 0 };
    if (fd_foundry_create(&(fd_options){ .backend = kind }, &fd, &err)) {
        fprintf(stderr, "bench_gemv: %s\n", err.msg);
        return 1;
    }
    int gpu = fd_foundry_backend(fd) == FD_BACKEND_CUDA;
    double copy_bw = 0;
    if (fd_device_copy_bandwidth(fd, &copy_bw)) die(fd, "copy bandwidth");
    printf("{\n  \"device\": \"%s\",\n  \"copy_Bps\": %.0f,\n  \"programmatic_dependent_launch\": %s,\n"
           "  \"gemv\": [\n", fd_foundry_device_name(fd), copy_bw, fd_foundry_pdl(fd) ? "true" : "false");
    /* every dtype with a GEMV policy, in the dtype list's order */
    fd_dtype dts[FD_DTYPE_COUNT];
    int ran[FD_DTYPE_COUNT] = { 0 };
    size_t ndt = 0;
    for (int t = 0; t < FD_DTYPE_COUNT; t++)
        if (fd_gemv_policy((fd_dtype)t)) dts[ndt++] = (fd_dtype)t;
    /* the cases a dtype's block rules out, as JSON lines after the GEMV cases */
    static char skipped[16384];
    size_t sk = 0;
    for (size_t s = 0; s < NSHAPE; s++) {
        double f16_frac = 0;
        for (size_t d = 0; d < ndt; d++) {
            static ctx_t cx;
            if (only && strcmp(only, fd_dtype_name(dts[d]))) continue;
            if (only_n && (only_n != shapes[s].n || only_k != shapes[s].k)) continue;
            if (!gpu && ran[dts[d]]) continue;   /* the CPU: one shape per dtype */
            uint32_t N = shapes[s].n, K = shapes[s].k;
            uint64_t rb;
            fd_error why = { 0 };
            if (fd_dtype_row_bytes(dts[d], K, &rb, &why)) {
                if (sk < sizeof skipped)
                    sk += (size_t)snprintf(skipped + sk, sizeof skipped - sk,
                                           "%s    {\"dtype\": \"%s\", \"rows\": %u, \"cols\": %u, \"why\": \"%s\"}",
                                           sk ? ",\n" : "", fd_dtype_name(dts[d]), N, K, why.msg);
                continue;
            }
            ran[dts[d]] = 1;
            memset(&cx, 0, sizeof cx);
            if (fd_compound_build(GEMV(NULL, fd_gemv_policy(dts[d]), &FD_STAGE_GEMV, NULL), &cx.c, &err)) {
                fprintf(stderr, "bench_gemv: %s\n", err.msg);
                return 1;
            }
            fd_tensor *x = rnd(fd, FD_F32, K, 1), *y = rnd(fd, FD_F32, N, 1);
            fd_tensor *w0 = weight(fd, dts[d], N, K);
            int copies = gpu ? copies_for(fd_tensor_bytes(w0)) : 1;
            for (int c = 0; c < copies; c++)
                cx.a[c] = (fd_gemv_args){ .x = x, .w0 = c ? weight(fd, dts[d], N, K) : w0, .y0 = y, .cols = K, .rows0 = N };
            double t = time_steps(fd, step_gemv, &cx, copies, quick);
            uint64_t bytes = fd_compound_kernel(cx.c)->bytes(&cx.a[0]);
            double f = report("gemv", fd_dtype_name(dts[d]), fd_dtype_is_quant(dts[d]) ? "int8" : "f32", N, K, t, bytes,
                              copies, copy_bw, dts[d] == FD_F16 ? 0 : f16_frac);
            if (dts[d] == FD_F16) f16_frac = f;
            for (int c = 0; c < copies; c++) (void)fd_tensor_free(cx.a[c].w0);
            (void)fd_tensor_free(x), (void)fd_tensor_free(y);
            fd_compound_destroy(cx.c);
        }
    }
    printf("\n  ],\n  \"skipped\": [\n%s%s  ],\n", skipped, sk ? "\n" : "");
    /* the floor under any launch: a one-block kernel, issued the same way */
    {
        static ctx_t cx;
        memset(&cx, 0, sizeof cx);
        cx.n = 256;
        cx.mid[0] = rnd(fd, FD_F32, cx.n, 1);
        double t = time_steps(fd, step_ones, &cx, MAXC, quick);
        printf("  \"launch_floor_us\": %.2f,\n", t * 1e6);
        (void)fd_tensor_free(cx.mid[0]);
    }
    /* elementwise add far above L2: three 128 MB vectors per launch (4 MB on the CPU) */
    if (!only_n && (!only || !strcmp(only, "add"))) {
        static ctx_t cx;
        memset(&cx, 0, sizeof cx);
        cx.n = gpu ? 32u << 20 : 1u << 20;
        for (int i = 0; i < 3; i++) cx.mid[i] = rnd(fd, FD_F32, cx.n, 1);
        double t = time_steps(fd, step_add, &cx, 1, quick);
        uint64_t bytes = FD_ADD.bytes(&(fd_add_args){ .a = cx.mid[0], .b = cx.mid[1], .y = cx.mid[2], .n = cx.n });
        double bw = bytes / t;
        printf("  \"elementwise\": [\n    {\"case\": \"add\", \"dtype\": \"f32\", \"n\": %u, \"us\": %.2f, \"bytes\": %llu, "
               "\"GBps\": %.1f, \"fraction_of_copy_bw\": %.3f}\n  ],\n", cx.n, t * 1e6, (unsigned long long)bytes,
               bw / 1e9, bw / copy_bw);
        for (int i = 0; i < 3; i++) (void)fd_tensor_free(cx.mid[i]);
    }
    printf("  \"fused_vs_unfused\": [\n");
    const fd_dtype fdts[] = { FD_F16, FD_Q8_0 };
    for (int d = 0; d < (only || only_n ? 0 : 2); d++) {
        static ctx_t cx;
        memset(&cx, 0, sizeof cx);
        fd_dtype dt = fdts[d];
        const fd_stage *pol = fd_gemv_policy(dt);
        /* SwiGLU: gate/up 4864 x 896 */
        uint32_t N = 4864, K = 896;
        if (fd_compound_build(GEMV(NULL, pol, &FD_STAGE_GEMV2, &FD_STAGE_EPI_SWIGLU), &cx.c, &err) ||
            fd_compound_build(GEMV(NULL, pol, &FD_STAGE_GEMV, NULL), &cx.c2, &err))
            return 1;
        fd_tensor *x = rnd(fd, FD_F32, K, 1), *y = rnd(fd, FD_F32, N, 1);
        cx.mid[0] = rnd(fd, FD_F32, N, 1), cx.mid[1] = rnd(fd, FD_F32, N, 1);
        cx.n = N;
        int copies = gpu ? copies_for(2 * (size_t)N * K * (dt == FD_F16 ? 2 : 1)) : 1;
        for (int c = 0; c < copies; c++)
            cx.a[c] = (fd_gemv_args){ .x = x, .w0 = weight(fd, dt, N, K), .w1 = weight(fd, dt, N, K), .y0 = y, .cols = K,
                                      .rows0 = N, .rows1 = N };
        double tf = time_steps(fd, step_gemv, &cx, copies, quick);
        double tu = time_steps(fd, step_swiglu_unfused, &cx, copies, quick);
        printf("    {\"case\": \"swiglu_gate_up\", \"dtype\": \"%s\", \"rows\": %u, \"cols\": %u, \"fused_us\": %.2f, "
               "\"unfused_us\": %.2f, \"saving_us\": %.2f},\n", fd_dtype_name(dt), N, K, tf * 1e6, tu * 1e6, (tu - tf) * 1e6);
        for (int c = 0; c < copies; c++) (void)fd_tensor_free(cx.a[c].w0), (void)fd_tensor_free(cx.a[c].w1);
        (void)fd_tensor_free(x), (void)fd_tensor_free(y), (void)fd_tensor_free(cx.mid[0]), (void)fd_tensor_free(cx.mid[1]);
        fd_compound_destroy(cx.c), fd_compound_destroy(cx.c2);
        /* QKV with RMSNorm and bias: 896 -> 896, 128, 128 */
        memset(cx.a, 0, sizeof cx.a);
        if (fd_compound_build(GEMV(&FD_STAGE_INPUT_RMSNORM, pol, &FD_STAGE_GEMV3, &FD_STAGE_EPI_BIAS), &cx.c, &err) ||
            fd_compound_build(GEMV(NULL, pol, &FD_STAGE_GEMV, &FD_STAGE_EPI_BIAS), &cx.c2, &err))
            return 1;
        K = 896;
        fd_tensor *xq = rnd(fd, FD_F32, K, 1), *nw = rnd(fd, FD_F32, K, 1);
        cx.xn = rnd(fd, FD_F32, K, 1);
        fd_tensor *yq = rnd(fd, FD_F32, 896, 1), *yk = rnd(fd, FD_F32, 128, 1), *yv = rnd(fd, FD_F32, 128, 1);
        fd_tensor *bq = rnd(fd, FD_F32, 896, 1), *bk = rnd(fd, FD_F32, 128, 1), *bv = rnd(fd, FD_F32, 128, 1);
        copies = gpu ? copies_for(1152 * (size_t)K * (dt == FD_F16 ? 2 : 1)) : 1;
        for (int c = 0; c < copies; c++)
            cx.a[c] = (fd_gemv_args){ .x = xq, .norm_w = nw, .w0 = weight(fd, dt, 896, K), .w1 = weight(fd, dt, 128, K),
                                      .w2 = weight(fd, dt, 128, K), .b0 = bq, .b1 = bk, .b2 = bv, .y0 = yq, .y1 = yk,
                                      .y2 = yv, .cols = K, .rows0 = 896, .rows1 = 128, .rows2 = 128, .eps = 1e-6f };
        tf = time_steps(fd, step_gemv, &cx, copies, quick);
        tu = time_steps(fd, step_qkv_unfused, &cx, copies, quick);
        printf("    {\"case\": \"qkv_rmsnorm_bias\", \"dtype\": \"%s\", \"rows\": [896, 128, 128], \"cols\": %u, "
               "\"fused_us\": %.2f, \"unfused_us\": %.2f, \"saving_us\": %.2f}%s\n", fd_dtype_name(dt), K, tf * 1e6,
               tu * 1e6, (tu - tf) * 1e6, d == 1 ? "" : ",");
        for (int c = 0; c < copies; c++)
            (void)fd_tensor_free(cx.a[c].w0), (void)fd_tensor_free(cx.a[c].w1), (void)fd_tensor_free(cx.a[c].w2);
        fd_tensor *extra[] = { xq, nw, cx.xn, yq, yk, yv, bq, bk, bv };
        for (size_t e = 0; e < sizeof extra / sizeof extra[0]; e++) (void)fd_tensor_free(extra[e]);
        fd_compound_destroy(cx.c), fd_compound_destroy(cx.c2);
    }
    printf("  ]\n}\n");
    fd_foundry_destroy(fd);
    return 0;
}
