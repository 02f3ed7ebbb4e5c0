/* family.c — the GEMV family of compound kernels: its kinds of stage, shape
 * check, dispatch, bytes moved, the CPU driver that composes the stages' CPU
 * functions, and the list of every valid stage combination (the stages are
 * in stages.c, their device code in the .cuh files beside them).
 *
 * Layer: ops. Legend: K = cols, N# = rows#, T = threads per row.
 * Launch: block (T, 256 / T): T threads share a row's product, 256 / T rows
 * per block. A small quantized GEMV takes a whole slice of rows per block,
 * one or two blocks per multiprocessor, its weights staged whole in shared
 * memory; any other a grid-stride loop over row groups with at most as many
 * blocks as are resident (float) or 8 per multiprocessor (quantized), its
 * rows streamed through per-warp staging. Dynamic shared memory: the input
 * (K floats, rounded up to the policy's layout), the slice or 8 warps x the
 * policy's staging (FD_GEMV_STAGE_BYTES or FD_GEMV_FLOAT_STAGE_BYTES), then
 * the cross-warp sums. Quantized policies multiply int8 weights by x
 * quantized to int8 blocks once per block (the int8 activation contract,
 * quant_x.cuh; its CPU twin int8_ref.c). The main stage marks the weights FD_EARLY (read
 * before it waits for its predecessor), so fd_run launches it overlapping
 * its predecessor only when they are read-only. */
#include <stdio.h>
#include <stdlib.h>
#include "ops/ops.h"
#include "ops/gemv/gemv.h"
#include "ops/gemv/layout.cuh"
#include "ops/gemv/int8_ref.h"
#include "base/mem.h"

static fd_tensor *const *w_of(const fd_gemv_args *a) { return &a->w0; }
static fd_tensor *const *y_of(const fd_gemv_args *a) { return &a->y0; }
static const uint32_t *rows_of(const fd_gemv_args *a) { return &a->rows0; }

/* Which products a launch computes follows from the arguments set: fd_run
 * refuses family arguments a compound's stages do not use. */
static int count_outputs(const fd_gemv_args *a)
{
    return a->w2 ? 3 : a->w1 ? 2 : 1;
}

static fd_gemv_view view_of(const fd_gemv_args *a)
{
    return (fd_gemv_view){ { a->w0, a->w1, a->w2 }, { a->rows0, a->rows1, a->rows2 }, a->cols, a->x, a->norm_w, a->eps };
}

static int view_products(const fd_gemv_view *v) { return v->w[2] ? 3 : v->w[1] ? 2 : 1; }

static uint32_t view_max_rows(const fd_gemv_view *v)
{
    uint32_t m = v->rows[0];
    for (int i = 1; i < 3; i++)
        if (v->w[i] && v->rows[i] > m) m = v->rows[i];
    return m;
}

static fd_status gemv_check(const void *p, fd_error *err)
{
    const fd_gemv_args *a = p;
    int n = count_outputs(a);
    for (int i = 0; i < n; i++) {
        char wn[4] = { 'w', (char)('0' + i), 0 };
        fd_tensor *y = y_of(a)[i] ? y_of(a)[i] : y_of(a)[0];   /* SwiGLU: one output for two products */
        if (!y_of(a)[i] && rows_of(a)[i] != rows_of(a)[0])
            return fd_error_set(err, FD_ERR_INVALID, "the paired products need equal rows (%u and %u)",
                                rows_of(a)[0], rows_of(a)[i]);
        FD_TRY(fd_gemv_check_shapes(wn, w_of(a)[i], a->x, y, rows_of(a)[i], a->cols, err));
    }
    if (a->norm_w && a->norm_w->numel != a->cols)
        return fd_error_set(err, FD_ERR_INVALID, "norm_w holds %lld values, cols = %u", (long long)a->norm_w->numel, a->cols);
    const fd_tensor *b[3] = { a->b0, a->b1, a->b2 };
    for (int i = 0; i < n; i++)
        if (b[i] && b[i]->numel != rows_of(a)[i])
            return fd_error_set(err, FD_ERR_INVALID, "b%d holds %lld values, rows%d = %u", i, (long long)b[i]->numel,
                                i, rows_of(a)[i]);
    if (a->r0 && a->r0->numel != a->rows0)
        return fd_error_set(err, FD_ERR_INVALID, "r0 holds %lld values, rows0 = %u", (long long)a->r0->numel, a->rows0);
    return FD_OK;
}

/* Shared bytes that hold n rows of rb bytes of each of nout products, each
 * copied as its 16-byte-aligned window (the device code's fd_gemv_slice). */
static uint64_t slice_bytes(int nout, uint32_t n, uint64_t rb)
{
    return (uint64_t)nout * ((n * rb + 31) & ~15ull);
}

/* 256-thread blocks a multiprocessor holds at once with `regs` registers
 * per thread (allocated in steps of 8; 0: unknown), at most `max`. */
static unsigned resident_blocks(unsigned regs, unsigned max)
{
    unsigned n = regs ? 65536u / (256u * ((regs + 7) & ~7u)) : max;
    return n < 1 ? 1 : n < max ? n : max;
}

/* A small quantized GEMV stages each block's whole slice of rows (see
 * GEMV_MAIN_CODE): two blocks per multiprocessor, each with at most
 * SLICE_MAX bytes of weights, so that this kernel's blocks and the next
 * one's are resident together and the next one's weights arrive while this
 * one computes. One block per multiprocessor instead where a block's weights
 * are less than twice the input it stages after the wait (wide rows: q8_0
 * 896 x 4864 measured 38.6% with one, 33% with two). Float policies stream:
 * their first batches, staged before the wait, already hold a whole row at
 * these shapes, and whole slices measured slower for them (f16 896 x 4864:
 * 55% against 63%). */
#define SLICE_MAX (48u << 10)

fd_status fd_gemv_view_dispatch(const fd_gemv_view *a, fd_dispatch *d, fd_error *err)
{
    uint64_t rb;
    FD_TRY(fd_dtype_row_bytes(a->w[0]->dtype, a->cols, &rb, err));
    int quant = fd_dtype_is_quant(a->w[0]->dtype), nout = view_products(a);
    uint32_t nmax = view_max_rows(a);
    /* the device code's layout, from the same constants (layout.cuh): x
     * (the policy's fd_xs_bytes: int8 blocks for quantized policies, f32 for
     * float ones), the weights (8 warps x FD_STAGE_BYTES when streamed), the
     * cross-warp sums. xs: the f32 input's floats, which every block reads. */
    unsigned round = quant ? FD_GEMV_XS_ROUND : FD_GEMV_FLOAT_XS_ROUND;
    unsigned xs = (a->cols + round - 1) & ~(round - 1);
    unsigned fixed = (quant ? FD_GEMV_XQ_BYTES(a->cols) : xs * 4) + FD_GEMV_RED_BYTES, stream = (quant ? FD_GEMV_STAGE_BYTES : FD_GEMV_FLOAT_STAGE_BYTES) * 8;
    unsigned t = 32;
    if (!nmax) {
        d->grid[0] = 0;   /* nothing to do */
        return FD_OK;
    }
    uint32_t S = (nmax + 2 * d->sms - 1) / (2 * d->sms);
    uint64_t slice = slice_bytes(nout, S, rb);
    if (slice < 2 * 4ull * xs) {
        S = (nmax + d->sms - 1) / d->sms;
        slice = slice_bytes(nout, S, rb);
    }
    if (quant && slice <= SLICE_MAX) {
        /* Threads per row: enough row groups for the block's S rows, no
         * more, and no more threads than a row has blocks */
        while (t < 256 && 256 / t > S && t < a->cols / 32) t *= 2;
        d->block[0] = t;
        d->block[1] = 256 / t;
        d->grid[0] = (nmax + S - 1) / S;
        /* never what streaming takes: that is how the device code knows */
        d->shared_bytes = fixed + (slice > stream ? (unsigned)slice : stream + 16);
    } else {
        /* Streamed. Threads per row, 32..256. Quantized rows: about two
         * 32-block chunks per warp. Float rows: doubled while a thread has
         * more than one batch of four 16-byte loads, but only while the
         * blocks still fit at once (four per multiprocessor): a second wave
         * cost more than the batch. */
        if (quant)
            while (t < 256 && a->cols / 32 / (t / 32) >= 128) t *= 2;
        else
            while (t < 256 && (rb + 16 * t - 1) / (16 * t) > 4 && (nmax + 128 / t - 1) / (128 / t) <= d->sms * 4)
                t *= 2;
        unsigned rpb = 256 / t;
        uint32_t groups = (nmax + rpb - 1) / rpb;
        /* A grid-stride loop over row groups. Float policies: as many blocks
         * as are resident at once, so there is no second wave (f16 151936 x
         * 896 measured 90% with eight per multiprocessor, 97% with six, the
         * resident count at 40 registers and 36 KB of shared memory each);
         * quantized ones: eight, which measured about 1% faster than six. */
        unsigned cap = d->sms * (quant ? 8 : resident_blocks(d->regs, 6));
        d->block[0] = t;
        d->block[1] = rpb;
        d->grid[0] = groups < cap ? groups : cap;
        d->shared_bytes = fixed + stream;
    }
    return FD_OK;   /* the weights are FD_EARLY (read before the wait): fd_run keeps them read-only or serial */
}

static fd_status gemv_dispatch(const void *p, fd_dispatch *d, fd_error *err)
{
    fd_gemv_view v = view_of(p);
    return fd_gemv_view_dispatch(&v, d, err);
}

static uint64_t gemv_bytes(const void *p)
{
    const fd_gemv_args *a = p;
    uint64_t n = 4ull * a->cols;
    fd_tensor *const *w = w_of(a);
    for (int i = 0; i < 3; i++)
        if (w[i]) n += w[i]->bytes + 4ull * rows_of(a)[i];
    if (a->norm_w) n += 4ull * a->cols;
    if (a->r0) n += 4ull * a->rows0;
    const fd_tensor *b[3] = { a->b0, a->b1, a->b2 };
    for (int i = 0; i < 3; i++)
        if (b[i]) n += 4ull * rows_of(a)[i];
    return n;
}

/* The int8 activation contract on the CPU (int8_ref.c): x quantized once
 * to its levels, then every row of w (rows, K) quantized dtype on each,
 * summed; y: (rows). */
static fd_status gemv_int8_ref(const fd_tensor *w, const float *x, float *y, uint32_t rows, uint32_t cols, fd_error *err)
{
    int nth = fd_int8_threads(rows, cols), levels = fd_int8_levels();
    uint32_t nb = cols / 32;
    int8_t *q = fd_malloc(2 * (size_t)cols);
    float *d = fd_malloc((size_t)nb * 4 * sizeof *d), *row = fd_malloc((size_t)nth * cols * sizeof *row);
    fd_status st = q && d && row ? FD_OK : fd_error_set(err, FD_ERR_NOMEM, "int8 gemv on the CPU: no scratch for %d x %u floats", nth, cols);
    if (st == FD_OK) {
        fd_int8_quantize_x(x, cols, q, d, d + nb);
        if (levels > 1) fd_int8_residual_x(x, cols, q, d, q + cols, d + 2 * nb, d + 3 * nb);
        fd_int8_gemv_rows(w->dtype, fd_tensor_data(w), q, d, levels, y, rows, cols, row, nth);
    }
    fd_free(q);
    fd_free(d);
    fd_free(row);
    return st;
}

fd_status fd_gemv_view_cpu(const fd_compound *c, const void *a, const fd_gemv_view *w, fd_error *err)
{
    int n = view_products(w);
    uint32_t m = view_max_rows(w);
    float *xs = fd_malloc((size_t)w->cols * sizeof *xs);
    float *v = fd_calloc(3 * (size_t)m, sizeof *v);
    fd_status st = xs && v ? FD_OK : fd_error_set(err, FD_ERR_NOMEM, "gemv on the CPU: out of memory");
    fd_gemv_io io = { fd_tensor_data(w->x), w->norm_w ? fd_tensor_data(w->norm_w) : NULL, w->eps, w->cols, xs, 0, NULL };
    if (st == FD_OK) st = fd_compound_stage(c, FD_GEMV_INPUT)->cpu(a, &io);
    for (int i = 0; i < n && st == FD_OK; i++)   /* quantized weights: the int8 activation contract's twin */
        st = fd_dtype_is_quant(w->w[i]->dtype) ? gemv_int8_ref(w->w[i], xs, v + (size_t)i * m, w->rows[i], w->cols, err)
                                               : fd_gemv_ref(w->w[i], xs, v + (size_t)i * m, w->rows[i], w->cols, err);
    const fd_stage *epi = fd_compound_stage(c, FD_GEMV_EPILOGUE);
    for (uint32_t j = 0; j < m && st == FD_OK; j++) {
        float vj[3] = { v[j], n > 1 ? v[m + j] : 0, n > 2 ? v[2 * (size_t)m + j] : 0 };
        io.j = j;
        io.v = vj;
        st = epi->cpu(a, &io);
    }
    fd_free(xs);
    fd_free(v);
    return st;
}

/* CPU: input stage -> xs; every product row by row (quantized weights on
 * int8 x, as the device: ops/gemv/int8_ref.c); the epilogue stores. */
static fd_status gemv_cpu(const fd_compound *c, const void *p, fd_error *err)
{
    fd_gemv_view v = view_of(p);
    return fd_gemv_view_cpu(c, p, &v, err);
}

int fd_gemv_defines(const fd_compound *c, char *buf, size_t cap)
{
    int n = snprintf(buf, cap, "#define FD_NOUT %d\n#define FD_X_LEVELS %d\n", fd_compound_products(c), fd_int8_levels());
    return n < 0 || (size_t)n >= cap ? -1 : n;
}

/* Every valid combination: 5 policies x (gemv: store, bias, silu, residual;
 * gemv2: store, bias, silu, swiglu; gemv3: store, bias, silu) x 2 inputs. */
static int gemv_enumerate(size_t i, fd_compound_desc *d)
{
    static const fd_stage *const mains[][2] = {
        { &FD_STAGE_GEMV, &FD_STAGE_EPI_NONE }, { &FD_STAGE_GEMV, &FD_STAGE_EPI_BIAS },
        { &FD_STAGE_GEMV, &FD_STAGE_EPI_SILU }, { &FD_STAGE_GEMV, &FD_STAGE_EPI_RESIDUAL },
        { &FD_STAGE_GEMV2, &FD_STAGE_EPI_NONE }, { &FD_STAGE_GEMV2, &FD_STAGE_EPI_BIAS },
        { &FD_STAGE_GEMV2, &FD_STAGE_EPI_SILU }, { &FD_STAGE_GEMV2, &FD_STAGE_EPI_SWIGLU },
        { &FD_STAGE_GEMV3, &FD_STAGE_EPI_NONE }, { &FD_STAGE_GEMV3, &FD_STAGE_EPI_BIAS },
        { &FD_STAGE_GEMV3, &FD_STAGE_EPI_SILU },
    };
    static const fd_stage *const inputs[] = { &FD_STAGE_INPUT_PLAIN, &FD_STAGE_INPUT_RMSNORM };
    const fd_stage *pol[FD_DTYPE_COUNT];
    size_t np = 0, nm = sizeof mains / sizeof mains[0];
    for (int t = 0; t < FD_DTYPE_COUNT; t++)
        if (fd_gemv_policy((fd_dtype)t)) pol[np++] = fd_gemv_policy((fd_dtype)t);
    if (i >= nm * np * 2) return 0;
    *d = (fd_compound_desc){ NULL, &FD_GEMV_FAMILY, { [FD_GEMV_INPUT] = inputs[i / nm / np],
                             [FD_GEMV_WEIGHTS] = pol[(i / nm) % np], [FD_GEMV_MAIN] = mains[i % nm][0],
                             [FD_GEMV_EPILOGUE] = mains[i % nm][1] } };
    return 1;
}

static const fd_stage_kind kinds[FD_GEMV_KINDS] = {
    [FD_GEMV_INPUT] = { "input", 0, &FD_STAGE_INPUT_PLAIN },
    [FD_GEMV_WEIGHTS] = { "weights", 1, NULL },
    [FD_GEMV_MAIN] = { "main", 1, NULL },
    [FD_GEMV_EPILOGUE] = { "epilogue", 0, &FD_STAGE_EPI_NONE },
};
/* the input first: the policy's fd_input stores the input's values in its layout (f32 or int8 blocks) */
static const int order[FD_GEMV_KINDS] = { FD_GEMV_INPUT, FD_GEMV_WEIGHTS, FD_GEMV_EPILOGUE, FD_GEMV_MAIN };

const fd_family FD_GEMV_FAMILY = {
    .name = "gemv", .args = fd_gemv_args_table, .kinds = kinds, .nkinds = FD_GEMV_KINDS, .order = order,
    .dtype_kind = FD_GEMV_WEIGHTS, .max_block = 256, .check = gemv_check, .dispatch = gemv_dispatch,
    .bytes = gemv_bytes, .cpu = gemv_cpu, .defines = fd_gemv_defines, .enumerate = gemv_enumerate,
};
