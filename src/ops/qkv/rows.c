/* rows.c — FD_QKV_ROWS: the QKV family's epilogue for a prefill chunk (see
 * rows.cuh): y (T, R) in the family's row order with R = (H + 2 KV) hd, the
 * bias already added by the GEMM -> q (T, H hd) rotated, k and v rows into
 * the paged f16 cache (NP, KV, P, hd) at positions pos .. pos + T - 1 through
 * the page table (include/foundry/ops.h, FD_KV_PAGE); a position past
 * the cache writes nothing and raises flag. Its CPU twin shares the
 * decode epilogue's arithmetic (fd_rope_pair_ref, f16 rounding).
 *
 * FD_QKV_ROWS_NORM is the same kernel with a per-head RMSNorm of q and k
 * before RoPE (rows.cuh compiled with FD_QK_NORM); one CPU twin serves both.
 *
 * Layer: ops. */
#include <math.h>
#include "ops/ops.h"

static fd_status rows_check(const void *p, fd_error *err)
{
    const fd_qkv_rows_args *a = p;
    uint64_t R = (uint64_t)(a->heads + 2 * a->kv_heads) * a->head_dim;
    if (!a->heads || !a->kv_heads || a->heads % a->kv_heads || !a->head_dim || a->head_dim % 2 || !a->tokens)
        return fd_error_set(err, FD_ERR_INVALID, "heads %u, kv_heads %u, head_dim %u, tokens %u", a->heads,
                            a->kv_heads, a->head_dim, a->tokens);
    if ((uint64_t)a->y->numel != R * a->tokens || (uint64_t)a->q->numel != (uint64_t)a->tokens * a->heads * a->head_dim ||
        a->pos->numel != 1 || a->flag->numel != 1 || a->inv_freq->numel != a->head_dim / 2)
        return fd_error_set(err, FD_ERR_INVALID, "y must be (tokens, (heads + 2 kv_heads) head_dim), q (tokens, heads "
                            "head_dim), pos and flag 1, inv_freq head_dim / 2");
    return fd_kv_check(err, a->kc, a->vc, a->pages, a->kv_heads, a->head_dim, a->ctx);
}

/* One block per token. Each kernel reads its own struct: the norm kernel's
 * has two more tensors before `tokens`, so a cast to the other struct read
 * a pointer's low half as the grid (every Qwen3 launch failed that way). */
static void rows_grid(uint32_t tokens, fd_dispatch *d)
{
    d->block[0] = 256;
    d->grid[0] = tokens;
}

static fd_status rows_dispatch(const void *p, fd_dispatch *d, fd_error *err)
{
    (void)err;
    rows_grid(((const fd_qkv_rows_args *)p)->tokens, d);
    return FD_OK;
}

static fd_status norm_dispatch(const void *p, fd_dispatch *d, fd_error *err)
{
    (void)err;
    rows_grid(((const fd_qkv_rows_norm_args *)p)->tokens, d);
    return FD_OK;
}

/* The rows of both kernels; qn, kn NULL: no q/k norm. */
typedef struct rows_view {
    const fd_tensor *y, *pos, *inv_freq, *pages, *qn, *kn, *q, *kc, *vc, *flag;
    uint32_t tokens, heads, kv_heads, head_dim, ctx;
    float eps;
} rows_view;

static fd_status rows_ref(const rows_view *a, fd_error *err)
{
    const int32_t *pages;
    FD_TRY(fd_kv_table_ref(err, a->kc, a->pages, a->kv_heads, a->head_dim, a->ctx, &pages));
    uint32_t half = a->head_dim / 2, pairs = (a->heads + a->kv_heads) * half, R = 2 * pairs + a->kv_heads * a->head_dim;
    const float *Y = fd_tensor_data(a->y), *inv = fd_tensor_data(a->inv_freq);
    const float *qn = a->qn ? fd_tensor_data(a->qn) : NULL, *kn = a->kn ? fd_tensor_data(a->kn) : NULL;
    float *Q = fd_tensor_data(a->q), rs[FD_QKV_NORM_MAX_HEADS];
    uint16_t *kc = fd_tensor_data(a->kc), *vc = fd_tensor_data(a->vc);
    int32_t start = *(const int32_t *)fd_tensor_data(a->pos);
    for (uint32_t t = 0; t < a->tokens; t++) {
        int32_t p = start + (int32_t)t;
        int fits = p >= 0 && (uint32_t)p < a->ctx;
        const float *y = Y + (size_t)t * R;
        float *q = Q + (size_t)t * a->heads * a->head_dim;
        for (uint32_t h = 0; qn && h < a->heads + a->kv_heads; h++) {   /* as rows.cuh sums: pair by pair */
            float ss = 0.0f;
            for (uint32_t i = 0; i < half; i++) {
                float lo = y[h * half + i], hi = y[pairs + h * half + i];
                ss += lo * lo + hi * hi;
            }
            rs[h] = 1.0f / sqrtf(ss / (float)a->head_dim + a->eps);
        }
        for (uint32_t j = 0; j < pairs; j++) {
            uint32_t h = j / half, i = j - h * half;
            float lo = y[j], hi = y[pairs + j];
            if (qn) {
                const float *w = h < a->heads ? qn : kn;
                lo = lo * rs[h] * w[i];
                hi = hi * rs[h] * w[i + half];
            }
            fd_rope_pair_ref(&lo, &hi, (float)p * inv[i]);
            if (h < a->heads) {
                q[h * a->head_dim + i] = lo;
                q[h * a->head_dim + i + half] = hi;
            } else if (fits) {
                size_t o = fd_kv_row(pages, a->kv_heads, h - a->heads, (uint32_t)p) * a->head_dim + i;
                kc[o] = fd_f32_to_f16(lo);
                kc[o + half] = fd_f32_to_f16(hi);
            }
        }
        for (uint32_t j = 0; fits && j < a->kv_heads * a->head_dim; j++) {
            uint32_t g = j / a->head_dim, d = j - g * a->head_dim;
            vc[fd_kv_row(pages, a->kv_heads, g, (uint32_t)p) * a->head_dim + d] = fd_f32_to_f16(y[2 * pairs + j]);
        }
        if (!fits) *(int32_t *)fd_tensor_data(a->flag) = 1;
    }
    return FD_OK;
}

static fd_status rows_cpu(const fd_kernel *k, const void *p, fd_error *err)
{
    (void)k;
    const fd_qkv_rows_args *a = p;
    return rows_ref(&(rows_view){ a->y, a->pos, a->inv_freq, a->pages, NULL, NULL, a->q, a->kc, a->vc, a->flag,
                                  a->tokens, a->heads, a->kv_heads, a->head_dim, a->ctx, 0 }, err);
}

static uint64_t rows_bytes(const void *p)
{
    const fd_qkv_rows_args *a = p;
    return 4ull * (uint64_t)a->y->numel + 4ull * (uint64_t)a->q->numel +
           4ull * a->tokens * a->kv_heads * a->head_dim;   /* y in, q out, k and v rows out (f16) */
}

const fd_kernel FD_QKV_ROWS = {
    .name = "qkv_rows", .args = fd_qkv_rows_args_table, .flags = FD_KERNEL_PDL, .max_block = 256,
    .check = rows_check, .dispatch = rows_dispatch, .cpu = rows_cpu, .bytes = rows_bytes,
    .cuda = FD_KV_PAGE_CUDA "#include \"ops/qkv/rows.cuh\"\n",
};

_Static_assert(FD_QKV_NORM_MAX_HEADS == 256, "fd_qkv_norm_heads_rule's phrase names the limit");
const char *fd_qkv_norm_heads_rule(uint32_t n) { return n <= FD_QKV_NORM_MAX_HEADS ? NULL : "at most 256"; }

static fd_status norm_check(const void *p, fd_error *err)
{
    const fd_qkv_rows_norm_args *a = p;
    FD_TRY(rows_check(&(fd_qkv_rows_args){ a->y, a->pos, a->inv_freq, a->pages, a->q, a->kc, a->vc, a->flag,
                                           a->tokens, a->heads, a->kv_heads, a->head_dim, a->ctx }, err));
    if (fd_qkv_norm_heads_rule(a->heads + a->kv_heads))
        return fd_error_set(err, FD_ERR_INVALID, "heads + kv_heads = %u: %s", a->heads + a->kv_heads,
                            fd_qkv_norm_heads_rule(a->heads + a->kv_heads));
    if (a->q_norm->numel != a->head_dim || a->k_norm->numel != a->head_dim)
        return fd_error_set(err, FD_ERR_INVALID, "q_norm and k_norm must hold head_dim = %u values", a->head_dim);
    if (!(a->eps > 0)) return fd_error_set(err, FD_ERR_INVALID, "eps %g must be positive", a->eps);
    return FD_OK;
}

static fd_status norm_cpu(const fd_kernel *k, const void *p, fd_error *err)
{
    (void)k;
    const fd_qkv_rows_norm_args *a = p;
    return rows_ref(&(rows_view){ a->y, a->pos, a->inv_freq, a->pages, a->q_norm, a->k_norm, a->q, a->kc, a->vc,
                                  a->flag, a->tokens, a->heads, a->kv_heads, a->head_dim, a->ctx, a->eps }, err);
}

static uint64_t norm_bytes(const void *p)
{
    const fd_qkv_rows_norm_args *a = p;
    return 4ull * (uint64_t)a->y->numel + 4ull * (uint64_t)a->q->numel + 4ull * a->tokens * a->kv_heads * a->head_dim +
           8ull * a->head_dim;
}

const fd_kernel FD_QKV_ROWS_NORM = {
    .name = "qkv_rows_norm", .args = fd_qkv_rows_norm_args_table, .flags = FD_KERNEL_PDL, .max_block = 256,
    .check = norm_check, .dispatch = norm_dispatch, .cpu = norm_cpu, .bytes = norm_bytes,
    .cuda = FD_KV_PAGE_CUDA "#define FD_QK_NORM 1\n#include \"ops/qkv/rows.cuh\"\n",
};
