/* rope_kv.c — RoPE on the queries and keys of a chunk, and the write of its
 * keys and values into the layer's KV cache (prefill, and decode with T = 1).
 *
 * Layer: ops. Legend: T tokens, H query heads, KV kv heads, hd head_dim, C
 * cache capacity.  q, qr: (T, H*hd) f32 (qr may be q); k, v: (T, KV*hd) f32;
 * inv_freq: (hd/2) f32; pos: (1) i32 (device), the first token's position;
 * kc, vc: (NP, KV, P, hd) f16 | bf16 addressed through the page table pages
 * (include/foundry/ops.h, FD_KV_PAGE); flag: (1) i32. Device code in rope_kv.cuh;
 * the rotation is fd_rope_pair there and fd_rope_pair_ref here (ref.c). */
#include "ops/ops.h"

static fd_status rope_check(const void *p, fd_error *err)
{
    const fd_rope_kv_args *a = p;
    uint32_t hd = a->head_dim;
    if (!a->tokens || !a->heads || !a->kv_heads || !a->ctx || !hd || hd % 2)
        return fd_error_set(err, FD_ERR_INVALID, "tokens, heads, kv_heads, ctx must be positive, head_dim even");
    int64_t nq = (int64_t)a->tokens * a->heads * hd, nk = (int64_t)a->tokens * a->kv_heads * hd;
    if (a->q->numel != nq || a->qr->numel != nq)
        return fd_error_set(err, FD_ERR_INVALID, "q and qr must hold T x H x hd = %u x %u x %u values", a->tokens,
                            a->heads, hd);
    if (a->k->numel != nk || a->v->numel != nk)
        return fd_error_set(err, FD_ERR_INVALID, "k and v must hold T x KV x hd = %u x %u x %u values", a->tokens,
                            a->kv_heads, hd);
    FD_TRY(fd_kv_check(err, a->kc, a->vc, a->pages, a->kv_heads, hd, a->ctx));
    if (a->inv_freq->numel != hd / 2)
        return fd_error_set(err, FD_ERR_INVALID, "inv_freq must hold hd / 2 = %u values", hd / 2);
    if (a->pos->numel < 1 || a->flag->numel < 1) return fd_error_set(err, FD_ERR_INVALID, "pos and flag hold one value");
    return FD_OK;
}

static fd_status rope_dispatch(const void *p, fd_dispatch *d, fd_error *err)
{
    (void)err;
    d->block[0] = 256;
    d->grid[0] = ((const fd_rope_kv_args *)p)->tokens;
    return FD_OK;
}

static void put(const fd_tensor *t, size_t i, float v)
{
    uint16_t *c = fd_tensor_data(t);
    c[i] = t->dtype == FD_F16 ? fd_f32_to_f16(v) : fd_f32_to_bf16(v);
}

static fd_status rope_cpu(const fd_kernel *k, const void *p, fd_error *err)
{
    (void)k;
    const fd_rope_kv_args *a = p;
    const int32_t *pages;
    FD_TRY(fd_kv_table_ref(err, a->kc, a->pages, a->kv_heads, a->head_dim, a->ctx, &pages));
    const float *q = fd_tensor_data(a->q), *kk = fd_tensor_data(a->k), *v = fd_tensor_data(a->v);
    const float *inv = fd_tensor_data(a->inv_freq);
    float *qr = fd_tensor_data(a->qr);
    uint32_t hd = a->head_dim, half = hd / 2;
    int64_t start = *(const int32_t *)fd_tensor_data(a->pos);
    for (uint32_t t = 0; t < a->tokens; t++) {
        int64_t P = start + t;
        float fp = (float)P;
        for (uint32_t h = 0; h < a->heads; h++)
            for (uint32_t d = 0; d < half; d++) {
                size_t o = ((size_t)t * a->heads + h) * hd + d;
                float lo = q[o], hi = q[o + half];
                fd_rope_pair_ref(&lo, &hi, fp * inv[d]);
                qr[o] = lo, qr[o + half] = hi;
            }
        if (P < 0 || P >= a->ctx) {
            *(int32_t *)fd_tensor_data(a->flag) = 1;
            continue;
        }
        for (uint32_t j = 0; j < a->kv_heads; j++) {
            size_t o = ((size_t)t * a->kv_heads + j) * hd, c = fd_kv_row(pages, a->kv_heads, j, (uint32_t)P) * hd;
            for (uint32_t d = 0; d < half; d++) {
                float lo = kk[o + d], hi = kk[o + d + half];
                fd_rope_pair_ref(&lo, &hi, fp * inv[d]);
                put(a->kc, c + d, lo), put(a->kc, c + d + half, hi);
            }
            for (uint32_t d = 0; d < hd; d++) put(a->vc, c + d, v[o + d]);
        }
    }
    return FD_OK;
}

static uint64_t rope_bytes(const void *p)
{
    const fd_rope_kv_args *a = p;
    return 8ull * a->tokens * a->heads * a->head_dim + 12ull * a->tokens * a->kv_heads * a->head_dim;
}

const fd_kernel FD_ROPE_KV = {
    .name = "rope_kv", .args = fd_rope_kv_args_table, .flags = FD_KERNEL_INPLACE | FD_KERNEL_PDL, .max_block = 256,
    .check = rope_check, .dispatch = rope_dispatch, .cpu = rope_cpu, .bytes = rope_bytes,
    .cuda = FD_KV_PAGE_CUDA "#include \"ops/rope_kv.cuh\"\n",
};
