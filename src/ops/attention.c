/* attention.c — attention against the KV cache: decode (one query token,
 * fixed splits combined in the same launch, graph-replayable) and prefill (a
 * chunk of T queries, causal, flash-attention style tiles).
 *
 * Layer: ops. Legend: H query heads, KV kv heads, G = H / KV, hd head_dim, C
 * cache capacity, T tokens, S splits.  q, y: (T, H*hd) f32 (T = 1 for
 * decode); kc, vc: (NP, KV, P, hd) f16 | bf16, the paged cache read through
 * the page table pages (include/foundry/ops.h, FD_KV_PAGE); pos: (1) i32
 * (device); part: (H, S, hd+4) f32; count: (H, 17) i32. Query head h reads kv head h / G; a decode
 * block serves one query head, or from 16,384 positions on a kv head's query heads (up to 8 of them,
 * attn_decode.cuh AD_MAXG) together. Device code
 * in attn_decode.cuh, attn_prefill.cuh (SIMT) and attn_prefill_mma.cuh (tensor
 * cores, head_dim 64 and 128; fd_attn_prefill_kernel chooses) (shared helpers in attn_common.cuh);
 * the CPU twins share attend_ref below (f32 inputs; scores in f32 lanes
 * summed in double, the softmax and the values in double), threaded over
 * (row, head) pairs. */
#include <math.h>
#include <omp.h>
#include "ops/ops.h"
#include "ops/ref.h"
#include "base/mem.h"
#include "backend/cpu/simd.h"

#define MAX_SPLITS 256   /* attn_decode.cuh: two merge levels of AD_SET (32) records cover 256 splits */
#define COUNT 17         /* decode tickets a block row: one a set of 32 splits and the sets' (attn_decode.cuh AD_COUNT; 9 used) */

uint64_t fd_attn_decode_part_floats(uint32_t heads, uint32_t head_dim, uint32_t splits)
{
    return (uint64_t)splits * heads * (head_dim + 4);
}

/* COUNT tickets a block row (<= H rows) */
uint64_t fd_attn_decode_count_ints(uint32_t heads) { return (uint64_t)heads * COUNT; }

/* Three blocks per SM once the cache is long (attn_decode.cuh bounds its
 * registers to 168 a thread so that three fit): there a split reads its k
 * and v rows once for every query head of its kv head (the grouped mode),
 * so the launch is a stream over the cache and wants enough loads in flight
 * to cover the memory latency. A full cache gives each split SPLIT_SHARE
 * positions or more: a block's four warps one pass each (a 4,096-position
 * cache: 32 splits, the per-query-head kernel's measured 3.6 us at 128
 * positions, where 109 splits took 10). The grid is H x S blocks whatever
 * the mode, the splits past the length returning at once: at most
 * GRID_MAX. */
#define GRID_MAX 1536
#define SPLIT_SHARE 128
uint32_t fd_attn_decode_splits(uint32_t heads, uint32_t kv_heads, uint32_t ctx, unsigned sms)
{
    uint64_t want = kv_heads ? (3ull * (sms ? sms : 1) + kv_heads - 1) / kv_heads : 1;
    uint64_t cap = ((uint64_t)ctx + SPLIT_SHARE - 1) / SPLIT_SHARE;
    if (want > cap) want = cap;
    if (heads && want > GRID_MAX / heads) want = GRID_MAX / heads;
    return want < 1 ? 1 : want > MAX_SPLITS ? MAX_SPLITS : (uint32_t)want;
}

uint32_t fd_attn_decode_head_splits(uint32_t heads, uint32_t splits, unsigned sms)
{
    uint64_t want = heads ? 3ull * (sms ? sms : 1) / heads : 1;
    return want < 1 ? 1 : want > splits ? splits : (uint32_t)want;
}

/* ---- shared shape checks */
/* A warp pass covers 32 dimensions; attn_decode.cuh holds a q row of
 * AD_MAXHD = 256 floats per head in shared memory. */
const char *fd_attn_head_dim_rule(uint32_t hd)
{
    return hd && hd % 32 == 0 && hd <= 256 ? NULL : "a multiple of 32 up to 256";
}

static int aligned16(const fd_tensor *t) { return t->offset % 16 == 0; }

/* The device code's tiles of positions lie in one page each (a decode warp
 * pass, a prefill tile: attn_decode.cuh, attn_prefill.cuh). */
_Static_assert(FD_KV_PAGE % 32 == 0, "a page holds whole 32-position tiles");

static fd_status check_heads(uint32_t heads, uint32_t kv_heads, uint32_t hd, uint32_t ctx, fd_error *err)
{
    if (!heads || !kv_heads || heads % kv_heads)
        return fd_error_set(err, FD_ERR_INVALID, "heads (%u) must be a positive multiple of kv_heads (%u)", heads,
                            kv_heads);
    const char *rule = fd_attn_head_dim_rule(hd);
    if (rule) return fd_error_set(err, FD_ERR_INVALID, "head_dim must be %s, is %u", rule, hd);
    if (!ctx) return fd_error_set(err, FD_ERR_INVALID, "ctx must be positive");
    return FD_OK;
}

static fd_status check_cache(const fd_tensor *kc, const fd_tensor *vc, const fd_tensor *pages, const fd_tensor *pos,
                             uint32_t kv_heads, uint32_t hd, uint32_t ctx, fd_error *err)
{
    FD_TRY(fd_kv_check(err, kc, vc, pages, kv_heads, hd, ctx));
    if (pos->numel < 1) return fd_error_set(err, FD_ERR_INVALID, "pos must hold one value");
    return FD_OK;
}

/* ---- the CPU side */
/* Row p of a kv head's cache (hd values) as f32 into r. */
static void kv_row(const fd_tensor *t, size_t at, uint32_t hd, float *r)
{
    const uint16_t *p = (const uint16_t *)fd_tensor_data(t) + at;
    if (t->dtype == FD_F16) fd_cpu_f16_to_f32(p, r, hd);
    else fd_dequantize_row(FD_BF16, p, r, hd);
}

/* y[0, hd) = softmax(scale * q . k_p) . v_p over positions p < n of kv head j
 * (of KV), rows found through the page table; w: n floats and r: hd floats
 * of scratch. y = 0 when n <= 0. Scores by fd_cpu_dot_f32 (f32 lanes summed
 * in double); the weighted sum of values position by position in double. */
static void attend_ref(const float *q, const fd_tensor *kc, const fd_tensor *vc, const int32_t *pages, uint32_t KV,
                       uint32_t j, int64_t n, uint32_t hd, float scale, float *y, float *w, float *r)
{
    double mx = -INFINITY, sum = 0, acc[256] = { 0 };
    for (int64_t p = 0; p < n; p++) {
        kv_row(kc, fd_kv_row(pages, KV, j, (uint32_t)p) * hd, hd, r);
        w[p] = (float)(fd_cpu_dot_f32(q, r, hd) * scale);
        if (w[p] > mx) mx = w[p];
    }
    for (int64_t p = 0; p < n; p++) sum += (w[p] = (float)exp((double)w[p] - mx));
    for (int64_t p = 0; p < n; p++) {
        kv_row(vc, fd_kv_row(pages, KV, j, (uint32_t)p) * hd, hd, r);
        for (uint32_t d = 0; d < hd; d++) acc[d] += (double)w[p] * r[d];
    }
    for (uint32_t d = 0; d < hd; d++) y[d] = n > 0 ? (float)(acc[d] / sum) : 0.0f;
}

/* Query rows t < T at positions start + t, each over [0, min(start+t, C-1)];
 * the (row, head) pairs shared by the foundry's threads. */
static fd_status attend_rows(const float *q, const fd_tensor *kc, const fd_tensor *vc, const fd_tensor *pages,
                             float *y, int64_t start, uint32_t T, uint32_t H, uint32_t KV, uint32_t hd, uint32_t ctx,
                             float scale, fd_error *err)
{
    const int32_t *tab;
    FD_TRY(fd_kv_table_ref(err, kc, pages, KV, hd, ctx, &tab));
    int64_t reach = start + T < (int64_t)ctx ? start + T : ctx;
    int nth = fd_ref_threads(kc, (uint64_t)T * H * hd * (uint64_t)(reach > 0 ? reach : 1));
    size_t per = (size_t)ctx + hd;
    float *w = fd_malloc((size_t)nth * per * sizeof *w);
    if (!w) return fd_error_set(err, FD_ERR_NOMEM, "attention reference: no scratch for %u scores", ctx);
    uint32_t G = H / KV;
#pragma omp parallel for num_threads(nth) schedule(dynamic)
    for (int64_t i = 0; i < (int64_t)T * H; i++) {
        uint32_t t = (uint32_t)(i / H), h = (uint32_t)(i % H);
        int64_t last = start + t < (int64_t)ctx - 1 ? start + t : (int64_t)ctx - 1;
        size_t o = ((size_t)t * H + h) * hd;
        float *ws = w + (size_t)omp_get_thread_num() * per;
        attend_ref(q + o, kc, vc, tab, KV, h / G, last + 1, hd, scale, y + o, ws, ws + ctx);
    }
    fd_free(w);
    return FD_OK;
}

/* ---- decode */
static fd_status decode_check(const void *p, fd_error *err)
{
    const fd_attn_decode_args *a = p;
    FD_TRY(check_heads(a->heads, a->kv_heads, a->head_dim, a->ctx, err));
    FD_TRY(check_cache(a->kc, a->vc, a->pages, a->pos, a->kv_heads, a->head_dim, a->ctx, err));
    if (!a->splits || a->splits > MAX_SPLITS)
        return fd_error_set(err, FD_ERR_INVALID, "splits must be in [1, %d], is %u", MAX_SPLITS, a->splits);
    if (a->head_splits > a->splits)
        return fd_error_set(err, FD_ERR_INVALID, "head_splits (%u) must be at most splits (%u)", a->head_splits,
                            a->splits);
    int64_t n = (int64_t)a->heads * a->head_dim;
    if (a->q->numel != n || a->y->numel != n)
        return fd_error_set(err, FD_ERR_INVALID, "q and y must hold H x hd = %u x %u values", a->heads, a->head_dim);
    uint64_t need = fd_attn_decode_part_floats(a->heads, a->head_dim, a->splits);
    if ((uint64_t)a->part->numel < need)
        return fd_error_set(err, FD_ERR_INVALID, "part holds %lld floats, needs S x H x (hd + 4) = %llu",
                            (long long)a->part->numel, (unsigned long long)need);
    if ((uint64_t)a->count->numel < fd_attn_decode_count_ints(a->heads))
        return fd_error_set(err, FD_ERR_INVALID, "count must hold %d values per query head (%u)", COUNT, a->heads);
    if (!aligned16(a->q) || !aligned16(a->y) || !aligned16(a->part))
        return fd_error_set(err, FD_ERR_INVALID, "q, y and part must start 16-byte aligned");
    return FD_OK;
}

static fd_status decode_dispatch(const void *p, fd_dispatch *d, fd_error *err)
{
    (void)err;
    const fd_attn_decode_args *a = p;
    d->block[0] = 128;          /* 4 warps (attn_decode.cuh AD_WARPS) */
    d->grid[0] = a->heads;      /* a block row a query head; the device groups them at long contexts */
    d->grid[1] = a->splits;     /* fixed: the share of each split is computed from pos on the device */
    return FD_OK;
}

static fd_status decode_cpu(const fd_kernel *k, const void *p, fd_error *err)
{
    (void)k;
    const fd_attn_decode_args *a = p;
    int64_t pos = *(const int32_t *)fd_tensor_data(a->pos);
    if (pos < -1) pos = -1;     /* n = min(pos + 1, C) <= 0: zero output, as on the device */
    return attend_rows(fd_tensor_data(a->q), a->kc, a->vc, a->pages, fd_tensor_data(a->y), pos, 1, a->heads,
                       a->kv_heads, a->head_dim, a->ctx, a->scale, err);
}

static uint64_t decode_bytes(const void *p)
{
    const fd_attn_decode_args *a = p;   /* the whole cache: a bound (the launch reads n positions of it) */
    return (uint64_t)a->kc->bytes + a->vc->bytes + 8ull * a->heads * a->head_dim;
}

const fd_kernel FD_ATTN_DECODE = {
    .name = "attn_decode", .args = fd_attn_decode_args_table, .flags = FD_KERNEL_PDL, .max_block = 128,
    .check = decode_check, .dispatch = decode_dispatch, .cpu = decode_cpu, .bytes = decode_bytes,
    .cuda = FD_KV_PAGE_CUDA "#include \"ops/attn_decode.cuh\"\n",
};

/* ---- prefill */
static fd_status prefill_check(const void *p, fd_error *err)
{
    const fd_attn_prefill_args *a = p;
    FD_TRY(check_heads(a->heads, a->kv_heads, a->head_dim, a->ctx, err));
    FD_TRY(check_cache(a->kc, a->vc, a->pages, a->pos, a->kv_heads, a->head_dim, a->ctx, err));
    int64_t n = (int64_t)a->tokens * a->heads * a->head_dim;
    if (!a->tokens || a->q->numel != n || a->y->numel != n)
        return fd_error_set(err, FD_ERR_INVALID, "q and y must hold T x H x hd = %u x %u x %u values", a->tokens,
                            a->heads, a->head_dim);
    if (!aligned16(a->y)) return fd_error_set(err, FD_ERR_INVALID, "y must start 16-byte aligned");
    return FD_OK;
}

/* 128 threads; a block per `bq` queries of a head */
static fd_status prefill_grid(const void *p, fd_dispatch *d, unsigned bq)
{
    const fd_attn_prefill_args *a = p;
    d->block[0] = 128;
    d->grid[0] = (a->tokens + bq - 1) / bq;
    d->grid[1] = a->heads;
    return FD_OK;
}

static fd_status prefill_dispatch(const void *p, fd_dispatch *d, fd_error *err)
{
    (void)err;
    return prefill_grid(p, d, 16);   /* 4 warps x 4 queries (attn_prefill.cuh) */
}

static fd_status prefill_cpu(const fd_kernel *k, const void *p, fd_error *err)
{
    (void)k;
    const fd_attn_prefill_args *a = p;
    int64_t start = *(const int32_t *)fd_tensor_data(a->pos);
    return attend_rows(fd_tensor_data(a->q), a->kc, a->vc, a->pages, fd_tensor_data(a->y), start, a->tokens,
                       a->heads, a->kv_heads, a->head_dim, a->ctx, a->scale, err);
}

static uint64_t prefill_bytes(const void *p)
{
    const fd_attn_prefill_args *a = p;
    return (uint64_t)a->kc->bytes + a->vc->bytes + 8ull * a->tokens * a->heads * a->head_dim;
}

const fd_kernel FD_ATTN_PREFILL = {
    .name = "attn_prefill", .args = fd_attn_prefill_args_table, .flags = FD_KERNEL_PDL, .max_block = 128,
    .check = prefill_check, .dispatch = prefill_dispatch, .cpu = prefill_cpu, .bytes = prefill_bytes,
    .cuda = FD_KV_PAGE_CUDA "#include \"ops/attn_prefill.cuh\"\n",
};

/* ---- prefill on the tensor cores (attn_prefill_mma.cuh): head_dim 64 or
 * 128, 64 queries a block; the same CPU twin (its results differ from the
 * SIMT kernel's by the rounding of q and of the weights to the cache's type) */
static int mma_head_dim(uint32_t hd) { return hd == 64 || hd == 128; }

static fd_status prefill_mma_check(const void *p, fd_error *err)
{
    const fd_attn_prefill_args *a = p;
    FD_TRY(prefill_check(p, err));
    if (!mma_head_dim(a->head_dim))
        return fd_error_set(err, FD_ERR_INVALID, "attn_prefill_mma takes head_dim 64 or 128, not %u (attn_prefill "
                            "takes the others)", a->head_dim);
    if (a->q->offset % 8) return fd_error_set(err, FD_ERR_INVALID, "q must start 8-byte aligned");
    return FD_OK;
}

static fd_status prefill_mma_dispatch(const void *p, fd_dispatch *d, fd_error *err)
{
    (void)err;
    return prefill_grid(p, d, 64);   /* 4 warps x 16 queries (attn_prefill_mma.cuh) */
}

const fd_kernel FD_ATTN_PREFILL_MMA = {
    .name = "attn_prefill_mma", .args = fd_attn_prefill_args_table, .flags = FD_KERNEL_PDL, .max_block = 128,
    .check = prefill_mma_check, .dispatch = prefill_mma_dispatch, .cpu = prefill_cpu, .bytes = prefill_bytes,
    .cuda = FD_KV_PAGE_CUDA "#include \"ops/attn_prefill_mma.cuh\"\n",
};

const fd_kernel *fd_attn_prefill_kernel(uint32_t head_dim)
{
    return mma_head_dim(head_dim) ? &FD_ATTN_PREFILL_MMA : &FD_ATTN_PREFILL;
}
