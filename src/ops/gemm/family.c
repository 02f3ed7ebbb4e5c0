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
#include "backend/cpu/simd.h"
#include "ops/ref.h"
#include "ops/gemm/gemm_int.h"

static int products(const fd_gemm_args *a) { return a->w1 ? 2 : 1; }

static fd_status numel_is(const char *name, const fd_tensor *t, uint64_t n, const char *what, fd_error *err)
{
    if (t && (uint64_t)t->numel != n)
        return fd_error_set(err, FD_ERR_INVALID, "%s holds %lld values, %s = %llu", name, (long long)t->numel, what,
                            (unsigned long long)n);
    return FD_OK;
}

_Static_assert(FD_GEMM_BK == 32, "fd_gemm_k_rule's phrase names the k-tile");
const char *fd_gemm_k_rule(uint32_t K) { return K && K % FD_GEMM_BK == 0 ? NULL : "a multiple of 32"; }

fd_status fd_gemm_check(const void *p, fd_error *err)
{
    const fd_gemm_args *a = p;
    if (!a->M || !a->N || !a->K)
        return fd_error_set(err, FD_ERR_INVALID, "M, N and K must be positive (%u x %u x %u)", a->M, a->N, a->K);
    if (fd_gemm_k_rule(a->K))
        return fd_error_set(err, FD_ERR_INVALID, "the GEMM needs K %s (its k-tile); K = %u", fd_gemm_k_rule(a->K), a->K);
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
    /* the policy's FD_GEMM_WRAW: q8_0 and q5_0 blocks take 48 bytes, the other quantized ones 32 */
    unsigned wraw = !quant ? FD_GEMM_WRAW_FLOAT : dt == FD_Q8_0 ? FD_GEMM_WRAW_Q8_0 : dt == FD_Q5_0 ? FD_GEMM_WRAW_Q5_0
                                                : FD_GEMM_WRAW_Q4_0;
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

uint64_t fd_gemm_bytes(const void *p)
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
        fd_cpu_round_f16(v, n);
}

/* The CPU composition's blocking: MB rows of x staged at once (the weights
 * are converted once per block, so their conversion is paid M / MB times),
 * and NB weight rows per thread tile (a multiple of the register tile's 3),
 * converted into the thread's scratch and multiplied by every staged row. */
#define MB 64
#define NB 24

/* Weight row n of w as f32 operands in `buf` (or in place for f32). */
static const float *weight_row(const fd_tensor *w, uint32_t n, uint32_t K, float *buf)
{
    const unsigned char *base = fd_tensor_data(w);
    size_t rb = (size_t)K / fd_dtype_block_elems(w->dtype) * fd_dtype_block_bytes(w->dtype);
    const void *row = base + (size_t)n * rb;
    if (w->dtype == FD_F32) return row;
    if (w->dtype == FD_F16) fd_cpu_f16_to_f32(row, buf, K);
    else {
        fd_dequantize_row(w->dtype, row, buf, K);
        if (fd_dtype_is_quant(w->dtype)) fd_cpu_round_f16(buf, K);
    }
    return buf;
}

/* One thread tile: products of weight rows [n0, n0 + nb) of w (product p)
 * with the mb staged rows xs (mb, K), scaled per row, into
 * v (mb, np, N). wbuf: NB x K floats of the thread's own. */
static void tile_products(const fd_tensor *w, int p, int np, uint32_t n0, uint32_t nb, uint32_t N, uint32_t K,
                          const float *xs, const float *scale, uint32_t mb, float *v, float *wbuf)
{
    const float *wr[NB];
    for (uint32_t j = 0; j < nb; j++) wr[j] = weight_row(w, n0 + j, K, wbuf + (size_t)j * K);
    for (uint32_t i = 0; i < mb; i += 4)
        for (uint32_t j = 0; j < nb; j += 3) {
            /* edges repeat the last row; their results are not stored */
            const float *xr[4], *wt[3];
            for (uint32_t ii = 0; ii < 4; ii++) xr[ii] = xs + (size_t)(i + ii < mb ? i + ii : mb - 1) * K;
            for (uint32_t jj = 0; jj < 3; jj++) wt[jj] = wr[j + jj < nb ? j + jj : nb - 1];
            float out[4][3];
            fd_cpu_tile4x3(xr, wt, K, out);
            for (uint32_t ii = 0; ii < 4 && i + ii < mb; ii++)
                for (uint32_t jj = 0; jj < 3 && j + jj < nb; jj++)
                    v[((size_t)(i + ii) * np + p) * N + n0 + j + jj] = out[ii][jj] * scale[i + ii];
        }
}

/* CPU: blocks of MB rows: the input stage stages each row (rounded like the
 * device's operands) and its scale; thread tiles of NB weight rows,
 * converted once per block, multiply every staged row (f32 lanes, summed
 * per output: fd_cpu_tile4x3); the epilogue stores each row. Threads share
 * the tiles, then the rows. */
fd_status fd_gemm_cpu(const fd_compound *c, const void *p, fd_error *err)
{
    const fd_gemm_args *a = p;
    int np = products(a);
    fd_dtype wt = a->w0->dtype;
    uint32_t K = a->K, N = a->N, ntn = (N + NB - 1) / NB;
    int nth = fd_ref_threads(a->x, (uint64_t)a->M * N * K * np);
    size_t mbk = (size_t)MB * K;
    float *xs = fd_malloc((mbk + MB + (size_t)MB * np * N + (size_t)nth * NB * K) * sizeof *xs);
    if (!xs) return fd_error_set(err, FD_ERR_NOMEM, "gemm on the CPU: out of memory");
    float *scale = xs + mbk, *v = scale + MB, *wbuf = v + (size_t)MB * np * N;
    const fd_stage *in = fd_compound_stage(c, FD_GEMM_INPUT), *epi = fd_compound_stage(c, FD_GEMM_EPILOGUE);
    const fd_tensor *wi[2] = { a->w0, a->w1 };
    fd_status bad = FD_OK;
    for (uint32_t m0 = 0; m0 < a->M && bad == FD_OK; m0 += MB) {
        uint32_t mb = a->M - m0 < MB ? a->M - m0 : MB;
#pragma omp parallel num_threads(nth)
        {
            fd_status s = FD_OK;
#pragma omp for
            for (int64_t i = 0; i < (int64_t)mb; i++) {
                fd_gemm_io io = { m0 + (uint32_t)i, xs + (size_t)i * K, 1.0f, { NULL, NULL } };
                fd_status r = in->cpu(a, &io);
                if (r != FD_OK) s = r;
                round_operand(wt, io.xs, K);
                scale[i] = io.scale;
            }
#pragma omp for schedule(dynamic)
            for (int64_t t = 0; t < (int64_t)np * ntn; t++) {
                uint32_t n0 = (uint32_t)(t % ntn) * NB, nb = N - n0 < NB ? N - n0 : NB;
                tile_products(wi[t / ntn], (int)(t / ntn), np, n0, nb, N, K, xs, scale, mb, v,
                              wbuf + (size_t)omp_get_thread_num() * NB * K);
            }
#pragma omp for
            for (int64_t i = 0; i < (int64_t)mb; i++) {
                float *vi = v + (size_t)i * np * N;
                fd_gemm_io io = { m0 + (uint32_t)i, xs + (size_t)i * K, scale[i], { vi, vi + N } };
                fd_status r = s == FD_OK ? epi->cpu(a, &io) : FD_OK;
                if (r != FD_OK) s = r;
            }
            if (s != FD_OK) {
#pragma omp critical
                bad = s;
            }
        }
    }
    fd_free(xs);
    return bad == FD_OK ? FD_OK : fd_error_set(err, bad, "gemm on the CPU: a stage failed");
}

int fd_gemm_defines(const fd_compound *c, char *buf, size_t cap)
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

const fd_stage_kind fd_gemm_kinds[FD_GEMM_KINDS] = {
    [FD_GEMM_INPUT] = { "input", 0, &FD_STAGE_GEMM_INPUT_PLAIN },
    [FD_GEMM_WEIGHTS] = { "weights", 1, NULL },
    [FD_GEMM_MAIN] = { "main", 1, NULL },
    [FD_GEMM_EPILOGUE] = { "epilogue", 0, &FD_STAGE_GEMM_EPI_NONE },
};
/* the policy first: it says the operand type and the ring the main builds */
const int fd_gemm_order[FD_GEMM_KINDS] = { FD_GEMM_WEIGHTS, FD_GEMM_INPUT, FD_GEMM_EPILOGUE, FD_GEMM_MAIN };

const fd_family FD_GEMM_FAMILY = {
    .name = "gemm", .args = fd_gemm_args_table, .kinds = fd_gemm_kinds, .nkinds = FD_GEMM_KINDS,
    .order = fd_gemm_order, .dtype_kind = FD_GEMM_WEIGHTS, .max_block = 256, .check = fd_gemm_check,
    .dispatch = gemm_dispatch, .bytes = fd_gemm_bytes, .cpu = fd_gemm_cpu, .defines = fd_gemm_defines, .enumerate = gemm_enumerate,
};
