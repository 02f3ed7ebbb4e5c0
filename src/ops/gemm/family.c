/* family.c — the GEMM family of compound kernels (prefill: y = x W^T for a
 * whole prompt): its kinds of stage, shape check, dispatch, bytes moved, the
 * CPU composition of the stages' CPU functions, and the list of every valid
 * stage combination (stages in stages.c, device code in the .cuh files).
 *
 * Layer: ops. Legend: M rows of x (tokens), N outputs per row (weight rows),
 * K inputs; P products per output (2 for SwiGLU: gate and up rows in one
 * tile), so a tile spans N * P weight rows in columns.
 * Launch: f16 / bf16 / q8_0 / q4_0 weights on the tensor cores, in one of two
 * tiles chosen per shape (ops/gemm/layout.cuh): 128 x 128 with 256 threads
 * or 64 x 64 with 128; grid (column tiles, row tiles); dynamic shared memory
 * FD_GEMM_SMEM of the policy's ring. The choice: 128 x 128 when it makes at
 * least one tile per multiprocessor, else 64 x 64 (more blocks; each reads
 * more of x from L2 per product, so it loses once there are enough big
 * ones). f32
 * weights: the SIMT path, 64 x 64 tiles of 256 threads. */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include "ops/ops.h"
#include "ops/gemm/layout.cuh"
#include "base/mem.h"

static int products(const fd_gemm_args *a) { return a->w1 ? 2 : 1; }

static fd_status numel_is(const char *name, const fd_tensor *t, uint64_t n, const char *what, fd_error *err)
{
    if (t && (uint64_t)t->numel != n)
        return fd_error_set(err, FD_ERR_INVALID, "%s holds %lld values, %s = %llu", name, (long long)t->numel, what,
                            (unsigned long long)n);
    return FD_OK;
}

static fd_status gemm_check(const void *p, fd_error *err)
{
    const fd_gemm_args *a = p;
    if (!a->M || !a->N || !a->K)
        return fd_error_set(err, FD_ERR_INVALID, "M, N and K must be positive (%u x %u x %u)", a->M, a->N, a->K);
    if (a->K % FD_GEMM_BK)
        return fd_error_set(err, FD_ERR_INVALID, "the GEMM needs K a multiple of %d (its k-tile); K = %u", FD_GEMM_BK, a->K);
    const fd_tensor *w[2] = { a->w0, a->w1 };
    for (int i = 0; i < products(a); i++) {
        if (w[i]->ndim != 2 || w[i]->dims[0] != a->N || w[i]->dims[1] != a->K)
            return fd_error_set(err, FD_ERR_INVALID, "w%d must be (%u, %u), is %dD (%lld, %lld)", i, a->N, a->K,
                                w[i]->ndim, (long long)w[i]->dims[0], (long long)(w[i]->ndim > 1 ? w[i]->dims[1] : 1));
        if (w[i]->dtype != a->w0->dtype)
            return fd_error_set(err, FD_ERR_INVALID, "w1 is %s, w0 %s: one policy reads both",
                                fd_dtype_name(w[i]->dtype), fd_dtype_name(a->w0->dtype));
    }
    uint64_t mk = (uint64_t)a->M * a->K, mn = (uint64_t)a->M * a->N;
    FD_TRY(numel_is("x", a->x, mk, "M x K", err));
    FD_TRY(numel_is("y0", a->y0, mn, "M x N", err));
    FD_TRY(numel_is("r0", a->r0, mn, "M x N", err));
    FD_TRY(numel_is("b0", a->b0, a->N, "N", err));
    return numel_is("norm_w", a->norm_w, a->K, "K", err);
}

static fd_status gemm_dispatch(const void *p, fd_dispatch *d, fd_error *err)
{
    (void)err;
    const fd_gemm_args *a = p;
    fd_dtype dt = a->w0->dtype;
    uint64_t cols = (uint64_t)a->N * products(a);
    if (dt == FD_F32) {
        d->block[0] = FD_GEMM_SIMT_THREADS;
        d->grid[0] = (unsigned)((cols + FD_GEMM_SIMT_BN - 1) / FD_GEMM_SIMT_BN);
        d->grid[1] = (a->M + FD_GEMM_SIMT_BM - 1) / FD_GEMM_SIMT_BM;
        return FD_OK;
    }
    int quant = fd_dtype_is_quant(dt);
    unsigned st = quant ? FD_GEMM_STAGES_QUANT : FD_GEMM_STAGES_FLOAT;
    unsigned wraw = dt == FD_Q8_0 ? FD_GEMM_WRAW_Q8_0 : dt == FD_Q4_0 ? FD_GEMM_WRAW_Q4_0 : FD_GEMM_WRAW_FLOAT;
    unsigned big = FD_GEMM_SMEM(FD_GEMM_BIG_BM, FD_GEMM_BIG_BN, st, wraw, quant);
    unsigned small = FD_GEMM_SMEM(FD_GEMM_SMALL_BM, FD_GEMM_SMALL_BN, st, wraw, quant);
    uint64_t tb = (uint64_t)((a->M + FD_GEMM_BIG_BM - 1) / FD_GEMM_BIG_BM) * ((cols + FD_GEMM_BIG_BN - 1) / FD_GEMM_BIG_BN);
    /* measured on an H200 at M = 512 (docs/PERF_NOTES.md): 128 x 128 wins once
     * there are at least as many of its tiles as multiprocessors (gate + up,
     * 304 tiles: 143 against 120 TFLOP/s); below, 64 x 64 (QKV 2048 x 1536, 64
     * big tiles: 118 against 80) */
    int use_big = tb >= d->sms;
    unsigned bm = use_big ? FD_GEMM_BIG_BM : FD_GEMM_SMALL_BM, bn = use_big ? FD_GEMM_BIG_BN : FD_GEMM_SMALL_BN;
    d->block[0] = use_big ? FD_GEMM_BIG_THREADS : FD_GEMM_SMALL_THREADS;
    d->grid[0] = (unsigned)((cols + bn - 1) / bn);
    d->grid[1] = (a->M + bm - 1) / bm;
    d->shared_bytes = use_big ? big : small;
    return FD_OK;
}

static uint64_t gemm_bytes(const void *p)
{
    const fd_gemm_args *a = p;
    uint64_t mn = 4ull * a->M * a->N;
    uint64_t n = a->w0->bytes + (a->w1 ? a->w1->bytes : 0) + 4ull * a->M * a->K + mn;
    if (a->r0) n += mn;
    if (a->b0) n += 4ull * a->N;
    if (a->norm_w) n += 4ull * a->K;
    return n;
}

/* Values as the device's operand type holds them: f16 for f16 and quantized
 * weights (dequantized in f32, then rounded once), bf16 for bf16, f32 as is. */
static void round_operand(fd_dtype wt, float *v, size_t n)
{
    if (wt == FD_F32) return;
    if (wt == FD_BF16)
        for (size_t i = 0; i < n; i++) v[i] = fd_bf16_to_f32(fd_f32_to_bf16(v[i]));
    else
        for (size_t i = 0; i < n; i++) v[i] = fd_f16_to_f32(fd_f32_to_f16(v[i]));
}

/* CPU: the weights dequantized and rounded to the operand type once; then
 * row by row (OpenMP over rows): the input stage stages the row, rounded
 * like the device's; the products accumulate in double and take the row's
 * scale; the epilogue stores the row. */
static fd_status gemm_cpu(const fd_compound *c, const void *p, fd_error *err)
{
    const fd_gemm_args *a = p;
    int np = products(a);
    fd_dtype wt = a->w0->dtype;
    size_t nk = (size_t)a->N * a->K;
    int par = (uint64_t)a->M * nk > 1u << 16, nth = par ? omp_get_max_threads() : 1;
    float *w = fd_malloc((size_t)np * nk * sizeof *w);
    float *tmp = fd_malloc((size_t)nth * (a->K + 2 * (size_t)a->N) * sizeof *tmp);
    fd_status st = w && tmp ? FD_OK : fd_error_set(err, FD_ERR_NOMEM, "gemm on the CPU: out of memory");
    const fd_tensor *wi[2] = { a->w0, a->w1 };
    for (int i = 0; i < np && st == FD_OK; i++) {
        fd_dequantize_row(wt, fd_tensor_data(wi[i]), w + i * nk, nk);
        round_operand(wt, w + i * nk, nk);
    }
    const fd_stage *in = fd_compound_stage(c, FD_GEMM_INPUT), *epi = fd_compound_stage(c, FD_GEMM_EPILOGUE);
    if (st == FD_OK) {
        fd_status bad = FD_OK;
#pragma omp parallel num_threads(nth) if (par)
        {
            float *xs = tmp + (size_t)omp_get_thread_num() * (a->K + 2 * (size_t)a->N), *v = xs + a->K;
#pragma omp for
            for (int64_t m = 0; m < (int64_t)a->M; m++) {
                fd_gemm_io io = { (uint32_t)m, xs, 1.0f, { v, v + a->N } };
                fd_status s = in->cpu(a, &io);
                round_operand(wt, xs, a->K);
                for (int i = 0; i < np; i++)
                    for (uint32_t n = 0; n < a->N; n++) {
                        const float *row = w + i * nk + (size_t)n * a->K;
                        double acc = 0;
                        for (uint32_t k = 0; k < a->K; k++) acc += (double)row[k] * xs[k];
                        v[(size_t)i * a->N + n] = (float)(acc * io.scale);
                    }
                if (s == FD_OK) s = epi->cpu(a, &io);
                if (s != FD_OK) {
#pragma omp critical
                    bad = s;
                }
            }
        }
        if (bad != FD_OK) st = fd_error_set(err, bad, "gemm on the CPU: a stage failed");
    }
    fd_free(w);
    fd_free(tmp);
    return st;
}

static int gemm_defines(const fd_compound *c, char *buf, size_t cap)
{
    int n = snprintf(buf, cap, "#define FD_NOUT %d\n", fd_compound_products(c));
    return n < 0 || (size_t)n >= cap ? -1 : n;
}

/* Every valid combination: 5 policies x (tile: store, bias, residual; tile2:
 * swiglu) x 2 inputs. */
static int gemm_enumerate(size_t i, fd_compound_desc *d)
{
    static const fd_stage *const mains[][2] = {
        { &FD_STAGE_GEMM, &FD_STAGE_GEMM_EPI_NONE }, { &FD_STAGE_GEMM, &FD_STAGE_GEMM_EPI_BIAS },
        { &FD_STAGE_GEMM, &FD_STAGE_GEMM_EPI_RESIDUAL }, { &FD_STAGE_GEMM2, &FD_STAGE_GEMM_EPI_SWIGLU },
    };
    static const fd_stage *const inputs[] = { &FD_STAGE_GEMM_INPUT_PLAIN, &FD_STAGE_GEMM_INPUT_RMSNORM };
    const fd_stage *pol[FD_DTYPE_COUNT];
    size_t np = 0, nm = sizeof mains / sizeof mains[0];
    for (int t = 0; t < FD_DTYPE_COUNT; t++)
        if (fd_gemm_policy((fd_dtype)t)) pol[np++] = fd_gemm_policy((fd_dtype)t);
    if (i >= nm * np * 2) return 0;
    *d = (fd_compound_desc){ NULL, &FD_GEMM_FAMILY, { [FD_GEMM_INPUT] = inputs[i / nm / np],
                             [FD_GEMM_WEIGHTS] = pol[(i / nm) % np], [FD_GEMM_MAIN] = mains[i % nm][0],
                             [FD_GEMM_EPILOGUE] = mains[i % nm][1] } };
    return 1;
}

static const fd_stage_kind kinds[FD_GEMM_KINDS] = {
    [FD_GEMM_INPUT] = { "input", 0, &FD_STAGE_GEMM_INPUT_PLAIN },
    [FD_GEMM_WEIGHTS] = { "weights", 1, NULL },
    [FD_GEMM_MAIN] = { "main", 1, NULL },
    [FD_GEMM_EPILOGUE] = { "epilogue", 0, &FD_STAGE_GEMM_EPI_NONE },
};
/* the policy first: it says the operand type and the ring the main builds */
static const int order[FD_GEMM_KINDS] = { FD_GEMM_WEIGHTS, FD_GEMM_INPUT, FD_GEMM_EPILOGUE, FD_GEMM_MAIN };

const fd_family FD_GEMM_FAMILY = {
    .name = "gemm", .args = fd_gemm_args_table, .kinds = kinds, .nkinds = FD_GEMM_KINDS, .order = order,
    .dtype_kind = FD_GEMM_WEIGHTS, .max_block = 256, .check = gemm_check, .dispatch = gemm_dispatch,
    .bytes = gemm_bytes, .cpu = gemm_cpu, .defines = gemm_defines, .enumerate = gemm_enumerate,
};
