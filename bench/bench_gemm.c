/* bench_gemm.c — GEMM (prefill) throughput per shape and weight dtype at
 * M = 512, against the dense f16 tensor-core peak measured in the same run,
 * printed as JSON.
 *
 * Shapes: Qwen2.5-0.5B's and 1.5B's products (QKV with bias, attention
 * output, gate + up as one product of N x K and as the fused SwiGLU of two
 * N/2 x K, down), y = x W^T with x (512, K) f32 and y (512, N) f32. Each case
 * rotates launches over enough weight copies that they span more than 200 MB
 * (the H200's L2 is 50 MB), records them into a graph once, replays it, and
 * reports the median over 9 replays of the time per launch, TFLOP/s (2 M N K
 * per product) and the fraction of the peak. The peak: FD_GEMM_PEAK, a
 * kernel of back-to-back mma.sync m16n8k16 on registers (8 chains per warp,
 * 8 warps per block, 8 blocks per multiprocessor), compiled and launched
 * through the same kernel system. That is mma.sync's peak; Hopper's wgmma
 * reaches more (H200: 989 TFLOP/s dense f16 nominal), and the JSON says both.
 * On sm_90 with tensor maps, f16 and bf16 run each product on both paths
 * ("path": "mma_sync", "wgmma" with its split count, and "wgmma_nosplit"
 * where the plan splits K), with the fraction of each measured peak
 * (FD_GEMM_PEAK_WG: back-to-back wgmma m64n256k16); "layers" sums each
 * model's four products of a layer (qkv, o, gate_up_swiglu, down) per dtype
 * and path: TFLOP/s of the layer's GEMMs at M tokens (a layer missing one of
 * them, skipped or not run, is left out). Dtypes: every one the library has a GEMM policy for
 * (fd_gemm_policy over the dtype list); those without a quantizer get
 * pseudo-random blocks with finite scales (bench_weight_bytes). A dtype whose
 * block does not divide a shape's K (256 for the super-block types) is
 * skipped there, and "skipped" says so. On the CPU (M = 8) each dtype runs at
 * the first shape it fits only.
 * Usage: bench_gemm [--quick] [--only DTYPE] [--m M] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "foundry/ops.h"

#define MAXC 160
#define NOMINAL_F16_DENSE 989e12   /* H200 / H100 SXM, wgmma, from NVIDIA's datasheet */

/* ---- the peak kernel */
#define PEAK_ARGS(IN, OUT, PARAM) OUT(y, FD_ACT) PARAM(uint32_t, iters)
FD_KERNEL_ARGS(peak_args, PEAK_ARGS)

static fd_status peak_dispatch(const void *p, fd_dispatch *d, fd_error *err)
{
    (void)p, (void)err;
    d->block[0] = 256;
    d->grid[0] = d->sms * 8;
    return FD_OK;
}

static fd_status peak_cpu(const fd_kernel *k, const void *p, fd_error *err)
{
    (void)k, (void)p;
    return fd_error_set(err, FD_ERR_UNSUPPORTED, "the tensor-core peak has no CPU twin");
}

static const fd_kernel FD_GEMM_PEAK = { .name = "gemm_peak", .args = peak_args_table, .max_block = 256,
                                        .dispatch = peak_dispatch, .cpu = peak_cpu,
                                        .cuda = "#include \"ops/gemm/peak.cuh\"\n" };

static fd_status peak_wg_dispatch(const void *p, fd_dispatch *d, fd_error *err)
{
    (void)p, (void)err;
    d->block[0] = 256;
    d->grid[0] = d->sms;
    return FD_OK;
}

static const fd_kernel FD_GEMM_PEAK_WG = { .name = "gemm_peak_wgmma", .args = peak_args_table, .max_block = 256,
                                           .flags = FD_KERNEL_SM90A, .dispatch = peak_wg_dispatch, .cpu = peak_cpu,
                                           .cuda = "#include \"ops/gemm/peak_wgmma.cuh\"\n" };
#include "bench.h"

const char *bench_name = "bench_gemm";

static fd_tensor *rnd(fd_foundry *fd, fd_dtype dt, int64_t rows, int64_t cols, float scale)
{
    size_t n = (size_t)(rows * cols);
    float *x = malloc(n * 4);
    void *q = malloc(n * 4);
    uint64_t s = 88172645463325252ull ^ (uint64_t)n;
    for (size_t i = 0; i < n; i++) {
        s ^= s << 13, s ^= s >> 7, s ^= s << 17;
        x[i] = ((float)((s >> 40) & 0xffff) / 32768.0f - 1.0f) * scale;
    }
    bench_weight_bytes(dt, x, q, n);
    fd_tensor *t;
    if (fd_tensor_alloc(fd, dt, 2, (int64_t[]){ rows, cols }, FD_INIT_COPY, q, &t)) die(fd, "alloc");
    free(x), free(q);
    return t;
}

typedef struct launch_ctx { const fd_kernel *k; const fd_gemm_args *a; } launch_ctx;

static fd_status launch_one(fd_foundry *fd, void *ctx, int c)
{
    const launch_ctx *x = ctx;
    return fd_run(fd, x->k, &x->a[c]);
}

/* Median seconds per launch over `copies` argument sets, replayed from a
 * graph on a GPU; one launch, once, on the CPU (its products are slow). */
static double time_launches(fd_foundry *fd, const fd_kernel *k, const fd_gemm_args *a, int copies, int quick)
{
    int gpu = fd_foundry_backend(fd) == FD_BACKEND_CUDA;
    launch_ctx x = { k, a };
    return bench_time_steps(fd, launch_one, &x, copies, gpu ? copies * (quick ? 2 : 4) : 1, gpu ? (quick ? 3 : 9) : 1);
}

/* TFLOP/s of a peak kernel (median of 5) doing `per_block` flops a block per
 * iteration, or 0 without a GPU. */
static double measure_peak(fd_foundry *fd, const fd_kernel *k, double per_block)
{
    if (fd_foundry_backend(fd) != FD_BACKEND_CUDA) return 0;
    fd_tensor *y;
    if (fd_tensor_alloc(fd, FD_F32, 2, (int64_t[]){ 1, 2 }, FD_INIT_ZEROS, NULL, &y)) die(fd, "alloc");
    peak_args a = { .y = y, .iters = 8192 };
    if (fd_run(fd, k, &a) || fd_foundry_sync(fd)) die(fd, "peak warm-up");
    double t[5];
    for (int r = 0; r < 5; r++) {
        double t0 = bench_now();
        if (fd_run(fd, k, &a) || fd_foundry_sync(fd)) die(fd, "peak");
        t[r] = bench_now() - t0;
    }
    float c[2];
    if (fd_tensor_read_f32(y, c, 2)) die(fd, "read");
    double blocks = c[1] / 6.0;   /* counted over the warm-up and five runs */
    (void)fd_tensor_free(y);
    return blocks * per_block * a.iters / bench_median(t, 5) / 1e12;
}

/* The four products of a layer, summed per (model, dtype, path). */
typedef struct { const char *model, *path; fd_dtype dt; double flops, secs; int products; } layer_t;

#define LAYERS 128
/* The sum of (model, path, dtype), made on first use. */
static layer_t *layer_of(layer_t *layers, int *n, const char *model, const char *path, fd_dtype dt)
{
    int i = 0;
    while (i < *n && (strcmp(layers[i].model, model) || layers[i].dt != dt || strcmp(layers[i].path, path))) i++;
    if (i == *n) {
        if (*n == LAYERS) die(NULL, "too many layer sums");
        layers[(*n)++] = (layer_t){ model, path, dt, 0, 0, 0 };
    }
    return &layers[i];
}

static const char *const paths[] = { "mma_sync", "wgmma", "wgmma_nosplit" };

typedef struct {
    const char *model, *name;
    uint32_t n, k;
    int swiglu;     /* two products of n / 2 rows each */
    int bias;
} shape_t;

static void usage(FILE *f)
{
    fprintf(f, "usage: bench_gemm [--quick] [--only DTYPE] [--m M]\n  DTYPE: one with a GEMM policy:");
    for (int t = 0; t < FD_DTYPE_COUNT; t++)
        if (fd_gemm_policy((fd_dtype)t)) fprintf(f, " %s", fd_dtype_name((fd_dtype)t));
    fprintf(f, "\n  M: rows of x (tokens), default 512 (the CPU: 8)\n");
}

int main(int argc, char **argv)
{
    int quick = 0;
    const char *only = NULL;
    uint32_t M = 512;
    for (int i = 1; i < argc; i++) {
        fd_dtype od;
        char *end;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) return usage(stdout), 0;
        else if (!strcmp(argv[i], "--quick")) quick = 1;
        else if (!strcmp(argv[i], "--only") && i + 1 < argc) {
            only = argv[++i];
            if (fd_dtype_parse(only, &od) || !fd_gemm_policy(od)) {
                fprintf(stderr, "bench_gemm: --only wants a dtype with a GEMM policy, got '%s' (--help lists them)\n",
                        only);
                return 2;
            }
        }
        else if (!strcmp(argv[i], "--m") && i + 1 < argc) {
            unsigned long v = strtoul(argv[++i], &end, 10);
            if (*end || !*argv[i] || !v || v > 65536) {
                fprintf(stderr, "bench_gemm: --m wants a number of rows from 1 to 65536, got '%s'\n", argv[i]);
                return 2;
            }
            M = (uint32_t)v;
        }
        else {
            fprintf(stderr, "bench_gemm: unknown argument '%s' (--help for the usage)\n", argv[i]);
            return 2;
        }
    }
    fd_foundry *fd;
    fd_error err = { 0 };
    if (fd_foundry_create(&(fd_options){ .backend = FD_BACKEND_AUTO }, &fd, &err)) {
        fprintf(stderr, "bench_gemm: %s\n", err.msg);
        return 1;
    }
    int gpu = fd_foundry_backend(fd) == FD_BACKEND_CUDA;
    const fd_family *fam;
    const fd_stage *unused;
    fd_gemm_choose(fd_foundry_arch(fd), fd_foundry_tensor_maps(fd), FD_F16, &FD_STAGE_GEMM, &fam, &unused);
    int hopper = fam == &FD_GEMM_WG_FAMILY;
    double peak = measure_peak(fd, &FD_GEMM_PEAK, 8 * 8 * 4096.0);
    double peak_wg = hopper ? measure_peak(fd, &FD_GEMM_PEAK_WG, 2 * 4 * 2.0 * 64 * 256 * 16) : 0;
    printf("{\n  \"device\": \"%s\",\n  \"m\": %u,\n  \"peak_mma_sync_f16_tflops\": %.1f,\n"
           "  \"peak_wgmma_f16_tflops\": %.1f,\n  \"nominal_dense_f16_tflops\": %.0f,\n  \"gemm\": [\n",
           fd_foundry_device_name(fd), M, peak, peak_wg, NOMINAL_F16_DENSE / 1e12);
    static layer_t layers[LAYERS];
    int nlayers = 0;
    static const shape_t shapes[] = {
        { "0.5B", "qkv", 1152, 896, 0, 1 },      { "0.5B", "o", 896, 896, 0, 0 },
        { "0.5B", "gate_up", 9728, 896, 0, 0 },  { "0.5B", "gate_up_swiglu", 9728, 896, 1, 0 },
        { "0.5B", "down", 896, 4864, 0, 0 },     { "1.5B", "qkv", 2048, 1536, 0, 1 },
        { "1.5B", "o", 1536, 1536, 0, 0 },       { "1.5B", "gate_up", 17920, 1536, 0, 0 },
        { "1.5B", "gate_up_swiglu", 17920, 1536, 1, 0 }, { "1.5B", "down", 1536, 8960, 0, 0 },
    };
    /* every dtype with a GEMM policy, in the dtype list's order */
    fd_dtype dts[FD_DTYPE_COUNT];
    size_t ndt = 0;
    for (int t = 0; t < FD_DTYPE_COUNT; t++)
        if (fd_gemm_policy((fd_dtype)t)) dts[ndt++] = (fd_dtype)t;
    size_t nshape = sizeof shapes / sizeof shapes[0];
    int printed = 0;
    static fd_gemm_args a[MAXC];
    /* the cases a dtype's block rules out, as JSON lines after the GEMM cases */
    static char skipped[16384];
    size_t sk = 0;
    for (size_t d = 0; d < ndt; d++) {
        int ran = 0;
        for (size_t s = 0; s < nshape && (gpu || !ran); s++) {   /* the CPU: one shape per dtype */
            const shape_t *sh = &shapes[s];
            if (only && strcmp(only, fd_dtype_name(dts[d]))) continue;
            if (dts[d] == FD_F32 && (quick || sh->swiglu)) continue;   /* the SIMT path: a few points */
            uint32_t np = sh->swiglu ? 2 : 1, N = sh->n / np, K = sh->k, m = gpu ? M : 8;
            uint64_t rb;
            fd_error why = { 0 };
            if (fd_dtype_row_bytes(dts[d], K, &rb, &why)) {
                if (sk < sizeof skipped)
                    sk += (size_t)snprintf(skipped + sk, sizeof skipped - sk,
                                           "%s    {\"model\": \"%s\", \"case\": \"%s\", \"dtype\": \"%s\", \"n\": %u, "
                                           "\"k\": %u, \"why\": \"%s\"}",
                                           sk ? ",\n" : "", sh->model, sh->name, fd_dtype_name(dts[d]), N, K, why.msg);
                continue;
            }
            ran = 1;
            /* the paths: mma.sync; on Hopper for f16 / bf16 wgmma, and wgmma without split-K where it splits */
            unsigned bn, sp;
            fd_gemm_wg_plan(m, (uint64_t)N * np, K, fd_foundry_multiprocessors(fd), &bn, &sp);
            int wg = hopper && (dts[d] == FD_F16 || dts[d] == FD_BF16);
            const fd_family *fams[] = { &FD_GEMM_FAMILY, &FD_GEMM_WG_FAMILY, &FD_GEMM_WG1_FAMILY };
            for (int pi = 0; pi < (wg ? (sp > 1 ? 3 : 2) : 1); pi++) {
                const fd_stage *main_ = sh->swiglu ? &FD_STAGE_GEMM2 : &FD_STAGE_GEMM;
                if (pi) main_ = sh->swiglu ? &FD_STAGE_GEMM2_WG : &FD_STAGE_GEMM_WG;
                fd_compound *c;
                if (fd_compound_build(&(fd_compound_desc){ .family = fams[pi], .stage = {
                                          [FD_GEMM_WEIGHTS] = fd_gemm_policy(dts[d]), [FD_GEMM_MAIN] = main_,
                                          [FD_GEMM_EPILOGUE] = sh->swiglu ? &FD_STAGE_GEMM_EPI_SWIGLU
                                                               : sh->bias ? &FD_STAGE_GEMM_EPI_BIAS : NULL } },
                                      &c, &err)) {
                    fprintf(stderr, "bench_gemm: %s\n", err.msg);
                    return 1;
                }
                fd_tensor *x = rnd(fd, FD_F32, m, K, 1), *y = rnd(fd, FD_F32, m, N, 1);
                fd_tensor *b = sh->bias ? rnd(fd, FD_F32, 1, N, 1) : NULL;
                fd_tensor *w0 = rnd(fd, dts[d], N, K, 0.05f);
                size_t wb = fd_tensor_bytes(w0) * np;
                int copies = gpu ? (int)((200u << 20) / wb + 1) : 1;
                if (copies > MAXC) copies = MAXC;
                for (int i = 0; i < copies; i++) {
                    a[i] = (fd_gemm_args){ .x = x, .w0 = i ? rnd(fd, dts[d], N, K, 0.05f) : w0, .b0 = b, .y0 = y,
                                           .M = m, .N = N, .K = K };
                    if (np == 2) a[i].w1 = rnd(fd, dts[d], N, K, 0.05f);
                    if (fd_tensor_set_readonly(a[i].w0, 1)) die(fd, "readonly");
                }
                double t = time_launches(fd, fd_compound_kernel(c), a, copies, quick);
                double flops = 2.0 * m * N * K * np, tf = flops / t / 1e12;
                printf("%s    {\"model\": \"%s\", \"case\": \"%s\", \"path\": \"%s\", \"kernel\": \"%s\", "
                       "\"dtype\": \"%s\", \"m\": %u, \"n\": %u, \"k\": %u, \"products\": %u, \"splits\": %u, "
                       "\"us\": %.2f, \"tflops\": %.1f, \"fraction_of_peak\": %.3f, \"fraction_of_wgmma_peak\": %.3f, "
                       "\"fraction_of_nominal\": %.3f, \"copies\": %d, \"weight_mb\": %.1f}",
                       printed++ ? ",\n" : "", sh->model, sh->name, paths[pi], fd_compound_name(c), fd_dtype_name(dts[d]),
                       m, N, K, np, pi == 1 ? sp : 1, t * 1e6, tf, peak > 0 ? tf / peak : 0,
                       peak_wg > 0 ? tf / peak_wg : 0, tf * 1e12 / NOMINAL_F16_DENSE, copies, wb / 1e6);
                fflush(stdout);
                if (strcmp(sh->name, "gate_up") && pi != 2) {   /* a layer: qkv, o, gate_up_swiglu, down */
                    layer_t *l = layer_of(layers, &nlayers, sh->model, paths[pi], dts[d]);
                    l->flops += flops, l->secs += t, l->products++;
                }
                for (int i = 0; i < copies; i++) (void)fd_tensor_free(a[i].w0), (void)fd_tensor_free(a[i].w1);
                (void)fd_tensor_free(x), (void)fd_tensor_free(y), (void)fd_tensor_free(b);
                fd_compound_destroy(c);
            }
        }
    }
    printf("\n  ],\n  \"skipped\": [\n%s%s  ],\n  \"layers\": [\n", skipped, sk ? "\n" : "");
    for (int i = 0, first = 1; i < nlayers; i++)
        if (layers[i].products == 4) {   /* the CPU's, --quick's f32 and skipped ones are not whole */
            printf("%s    {\"model\": \"%s\", \"dtype\": \"%s\", \"path\": \"%s\", \"us\": %.2f, \"tflops\": %.1f}",
                   first ? "" : ",\n", layers[i].model, fd_dtype_name(layers[i].dt), layers[i].path,
                   layers[i].secs * 1e6, layers[i].flops / layers[i].secs / 1e12);
            first = 0;
        }
    printf("\n");
    printf("  ]\n}\n");
    fd_foundry_destroy(fd);
    return 0;
}
