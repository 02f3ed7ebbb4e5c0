/* family.c — the QKV family: the attention side of a decode step in one
 * kernel (RMSNorm, q/k/v products with bias, RoPE at the device position,
 * K and V written into the cache). It is built on the GEMV's stages: the
 * same kinds of stage and argument names, so the GEMV input, weight policy
 * and three-product main serve it as they are; its own is the epilogue,
 * which sees both halves of a rotate-half pair because the weights' rows
 * are laid out so (fd_qkv_source_row; the model's upload does it once).
 *
 * Layer: ops. Legend as in include/foundry/ops.h (FD_QKV_ARGS). */
#include <stdio.h>
#include "ops/ops.h"
#include "ops/gemv/gemv.h"

uint32_t fd_qkv_source_row(uint32_t i, uint32_t heads, uint32_t kv_heads, uint32_t head_dim)
{
    uint32_t half = head_dim / 2, pairs = (heads + kv_heads) * half;
    if (i >= 2 * pairs) return heads * head_dim + kv_heads * head_dim + (i - 2 * pairs);   /* v: as it is */
    uint32_t second = i >= pairs, p = second ? i - pairs : i, h = p / half;
    /* q heads first, then k heads, which follow Wq in the combined weight */
    return h * head_dim + (p - h * half) + (second ? half : 0);
}

static fd_gemv_view view_of(const fd_qkv_args *a)
{
    return (fd_gemv_view){ { a->w0, a->w1, a->w2 }, { a->rows0, a->rows1, a->rows2 }, a->cols, a->x, a->norm_w,
                           a->eps };
}

static fd_status numel_is(fd_error *err, const char *name, const fd_tensor *t, uint64_t n)
{
    if ((uint64_t)t->numel != n)
        return fd_error_set(err, FD_ERR_INVALID, "%s holds %lld values, needs %llu", name, (long long)t->numel,
                            (unsigned long long)n);
    return FD_OK;
}

static fd_status qkv_check(const void *p, fd_error *err)
{
    const fd_qkv_args *a = p;
    uint32_t H = a->heads, KV = a->kv_heads, hd = a->head_dim;
    if (!H || !KV || H % KV || !hd || hd % 2 || !a->ctx)
        return fd_error_set(err, FD_ERR_INVALID, "heads %u must be a positive multiple of kv_heads %u, head_dim %u "
                            "even, ctx %u positive", H, KV, hd, a->ctx);
    if (a->rows0 != (H + KV) * hd / 2 || a->rows1 != a->rows0 || a->rows2 != KV * hd)
        return fd_error_set(err, FD_ERR_INVALID, "rows %u, %u, %u: need (heads + kv_heads) * head_dim / 2 = %u twice "
                            "and kv_heads * head_dim = %u", a->rows0, a->rows1, a->rows2, (H + KV) * hd / 2, KV * hd);
    const fd_tensor *w[3] = { a->w0, a->w1, a->w2 };
    uint32_t rows[3] = { a->rows0, a->rows1, a->rows2 };
    for (int i = 0; i < 3; i++) {
        char wn[4] = { 'w', (char)('0' + i), 0 };
        FD_TRY(fd_gemv_check_shapes(wn, w[i], a->x, NULL, rows[i], a->cols, err));
    }
    if (a->norm_w) FD_TRY(numel_is(err, "norm_w", a->norm_w, a->cols));
    FD_TRY(numel_is(err, "b0", a->b0, a->rows0));
    FD_TRY(numel_is(err, "b1", a->b1, a->rows1));
    FD_TRY(numel_is(err, "b2", a->b2, a->rows2));
    FD_TRY(numel_is(err, "q", a->q, (uint64_t)H * hd));
    FD_TRY(fd_kv_check(err, a->kc, a->vc, a->pages, KV, hd, a->ctx));
    FD_TRY(numel_is(err, "pos", a->pos, 1));
    FD_TRY(numel_is(err, "flag", a->flag, 1));
    return numel_is(err, "inv_freq", a->inv_freq, hd / 2);
}

static fd_status qkv_dispatch(const void *p, fd_dispatch *d, fd_error *err)
{
    fd_gemv_view v = view_of(p);
    return fd_gemv_view_dispatch(&v, d, err);
}

static uint64_t qkv_bytes(const void *p)
{
    const fd_qkv_args *a = p;
    uint64_t n = a->w0->bytes + a->w1->bytes + a->w2->bytes + 4ull * a->cols;
    n += 4ull * (a->rows0 + a->rows1 + a->rows2);                  /* biases */
    n += 4ull * a->heads * a->head_dim + 4ull * a->kv_heads * a->head_dim;   /* q out, k and v rows (f16) */
    return n + (a->norm_w ? 4ull * a->cols : 0);
}

static fd_status qkv_cpu(const fd_compound *c, const void *p, fd_error *err)
{
    const fd_qkv_args *a = p;
    const int32_t *pages;
    FD_TRY(fd_kv_table_ref(err, a->kc, a->pages, a->kv_heads, a->head_dim, a->ctx, &pages));
    fd_gemv_view v = view_of(p);
    return fd_gemv_view_cpu(c, p, &v, err);
}

/* The epilogue's CPU twin, row by row as the device does it. */
static fd_status rope_kv_cpu(const void *p, void *io)
{
    const fd_qkv_args *a = p;
    const fd_gemv_io *s = io;
    const int32_t *pages = fd_tensor_data(a->pages);   /* checked once by the family's cpu (qkv_cpu) */
    uint32_t half = a->head_dim / 2, j = s->j, pos = (uint32_t)*(const int32_t *)fd_tensor_data(a->pos);
    int fits = pos < a->ctx;
    const float *b0 = fd_tensor_data(a->b0), *b1 = fd_tensor_data(a->b1), *b2 = fd_tensor_data(a->b2);
    const float *inv = fd_tensor_data(a->inv_freq);
    float *q = fd_tensor_data(a->q);
    uint16_t *kc = fd_tensor_data(a->kc), *vc = fd_tensor_data(a->vc);
    if (j < a->rows0) {
        uint32_t h = j / half, i = j - h * half;
        float lo = s->v[0] + b0[j], hi = s->v[1] + b1[j];
        fd_rope_pair_ref(&lo, &hi, (float)pos * inv[i]);
        if (h < a->heads) {
            q[h * a->head_dim + i] = lo;
            q[h * a->head_dim + i + half] = hi;
        } else if (fits) {
            size_t o = fd_kv_row(pages, a->kv_heads, h - a->heads, pos) * a->head_dim + i;
            kc[o] = fd_f32_to_f16(lo);
            kc[o + half] = fd_f32_to_f16(hi);
        }
    }
    if (j < a->rows2 && fits) {
        uint32_t g = j / a->head_dim, d = j - g * a->head_dim;
        vc[fd_kv_row(pages, a->kv_heads, g, pos) * a->head_dim + d] = fd_f32_to_f16(s->v[2] + b2[j]);
    }
    if (j == 0 && !fits) *(int32_t *)fd_tensor_data(a->flag) = 1;
    return FD_OK;
}

static const fd_stage_arg rope_kv_args[] = {
    { "b0", FD_ARG_IN, FD_ACT, FD_PT_TENSOR }, { "b1", FD_ARG_IN, FD_ACT, FD_PT_TENSOR },
    { "b2", FD_ARG_IN, FD_ACT, FD_PT_TENSOR }, { "pos", FD_ARG_IN, FD_IDS, FD_PT_TENSOR },
    { "inv_freq", FD_ARG_IN, FD_ACT, FD_PT_TENSOR }, { "pages", FD_ARG_IN, FD_IDS, FD_PT_TENSOR },
    { "q", FD_ARG_OUT, FD_ACT, FD_PT_TENSOR },
    { "kc", FD_ARG_OUT, FD_DT(F16), FD_PT_TENSOR }, { "vc", FD_ARG_OUT, FD_DT(F16), FD_PT_TENSOR },
    { "flag", FD_ARG_OUT, FD_IDS, FD_PT_TENSOR }, { "heads", FD_ARG_PARAM, 0, FD_PT_uint32_t },
    { "kv_heads", FD_ARG_PARAM, 0, FD_PT_uint32_t }, { "head_dim", FD_ARG_PARAM, 0, FD_PT_uint32_t },
    { "ctx", FD_ARG_PARAM, 0, FD_PT_uint32_t },
};
const fd_stage FD_STAGE_EPI_ROPE_KV = { "rope_kv", FD_GEMV_EPILOGUE, rope_kv_args,
                                        sizeof rope_kv_args / sizeof rope_kv_args[0],
                                        FD_KV_PAGE_CUDA "#include \"ops/qkv/epi_rope_kv.cuh\"\n", 0, 3, 0, FD_F32,
                                        rope_kv_cpu };

/* Every weight policy, with and without the RMSNorm input stage. */
static int qkv_enumerate(size_t i, fd_compound_desc *d)
{
    static const fd_stage *const inputs[] = { &FD_STAGE_INPUT_RMSNORM, &FD_STAGE_INPUT_PLAIN };
    const fd_stage *pol[FD_DTYPE_COUNT];
    size_t np = 0;
    for (int t = 0; t < FD_DTYPE_COUNT; t++)
        if (fd_gemv_policy((fd_dtype)t)) pol[np++] = fd_gemv_policy((fd_dtype)t);
    if (i >= np * 2) return 0;
    *d = (fd_compound_desc){ NULL, &FD_QKV_FAMILY, { [FD_GEMV_INPUT] = inputs[i / np], [FD_GEMV_WEIGHTS] = pol[i % np],
                             [FD_GEMV_MAIN] = &FD_STAGE_GEMV3, [FD_GEMV_EPILOGUE] = &FD_STAGE_EPI_ROPE_KV } };
    return 1;
}

static const fd_stage_kind kinds[FD_GEMV_KINDS] = {
    [FD_GEMV_INPUT] = { "input", 0, &FD_STAGE_INPUT_PLAIN },
    [FD_GEMV_WEIGHTS] = { "weights", 1, NULL },
    [FD_GEMV_MAIN] = { "main", 0, &FD_STAGE_GEMV3 },
    [FD_GEMV_EPILOGUE] = { "epilogue", 0, &FD_STAGE_EPI_ROPE_KV },
};
/* as the GEMV's: the input first, the policy's fd_input stores its values */
static const int order[FD_GEMV_KINDS] = { FD_GEMV_INPUT, FD_GEMV_WEIGHTS, FD_GEMV_EPILOGUE, FD_GEMV_MAIN };

const fd_family FD_QKV_FAMILY = {
    .name = "qkv", .args = fd_qkv_args_table, .kinds = kinds, .nkinds = FD_GEMV_KINDS, .order = order,
    .dtype_kind = FD_GEMV_WEIGHTS, .max_block = 256, .check = qkv_check, .dispatch = qkv_dispatch,
    .bytes = qkv_bytes, .cpu = qkv_cpu, .defines = fd_gemv_defines, .enumerate = qkv_enumerate,
};
