/* tokens.c — the model's two edges: the embedding lookup (token ids in) and
 * the greedy pick (argmax over the logits, a token id out).
 *
 * Layer: ops. Legend: T tokens, D hidden, V vocab, n logits.  ids: (T) i32;
 * table: (V, D) any weight dtype; y: (T, D) f32; flag: (1) i32. Argmax: x:
 * (n) f32, y: (1) i32, part: (2 * 256) i32, count: (1) i32. Device code in
 * embed.cuh and argmax.cuh. */
#include <math.h>
#include "ops/ops.h"
#include "base/mem.h"

#define ARGMAX_BLOCKS 256   /* the most blocks argmax.cuh reduces; part holds a pair per block */

/* ---- embed */
static fd_status embed_check(const void *p, fd_error *err)
{
    const fd_embed_args *a = p;
    if (!a->tokens || !a->dim || !a->vocab)
        return fd_error_set(err, FD_ERR_INVALID, "tokens, dim and vocab must be positive");
    if (a->ids->numel != a->tokens)
        return fd_error_set(err, FD_ERR_INVALID, "ids holds %lld values, tokens = %u", (long long)a->ids->numel,
                            a->tokens);
    const fd_tensor *w = a->table;
    if (w->ndim != 2 || w->dims[0] != a->vocab || w->dims[1] != a->dim)
        return fd_error_set(err, FD_ERR_INVALID, "table must be (vocab, dim) = (%u, %u)", a->vocab, a->dim);
    if (a->y->numel != (int64_t)a->tokens * a->dim)
        return fd_error_set(err, FD_ERR_INVALID, "y must hold tokens x dim = %u x %u values", a->tokens, a->dim);
    if (a->flag->numel < 1) return fd_error_set(err, FD_ERR_INVALID, "flag must hold one value");
    return FD_OK;
}

static fd_status embed_dispatch(const void *p, fd_dispatch *d, fd_error *err)
{
    (void)err;
    d->block[0] = 256;
    d->grid[0] = ((const fd_embed_args *)p)->tokens;
    return FD_OK;
}

static fd_status embed_cpu(const fd_kernel *k, const void *p, fd_error *err)
{
    (void)k, (void)err;
    const fd_embed_args *a = p;
    const int32_t *ids = fd_tensor_data(a->ids);
    const unsigned char *w = fd_tensor_data(a->table);
    size_t rb = (size_t)a->dim / fd_dtype_block_elems(a->table->dtype) * fd_dtype_block_bytes(a->table->dtype);
    float *y = fd_tensor_data(a->y);
    for (uint32_t t = 0; t < a->tokens; t++) {
        float *row = y + (size_t)t * a->dim;
        if (ids[t] < 0 || (uint32_t)ids[t] >= a->vocab) {
            memset(row, 0, (size_t)a->dim * sizeof *row);
            *(int32_t *)fd_tensor_data(a->flag) = 1;
        } else {
            fd_dequantize_row(a->table->dtype, w + (size_t)ids[t] * rb, row, a->dim);
        }
    }
    return FD_OK;
}

static uint64_t embed_bytes(const void *p)
{
    const fd_embed_args *a = p;
    uint64_t row = (uint64_t)a->dim / fd_dtype_block_elems(a->table->dtype) * fd_dtype_block_bytes(a->table->dtype);
    return (uint64_t)a->tokens * (row + 4ull * a->dim + 4);
}

const fd_kernel FD_EMBED = {
    .name = "embed", .args = fd_embed_args_table, .flags = FD_KERNEL_PDL, .max_block = 256,
    .check = embed_check, .dispatch = embed_dispatch, .cpu = embed_cpu, .bytes = embed_bytes,
    .cuda = "#include \"ops/embed.cuh\"\n",
};

/* ---- argmax */
static fd_status argmax_check(const void *p, fd_error *err)
{
    const fd_argmax_args *a = p;
    if (!a->valid || a->valid > a->n)
        return fd_error_set(err, FD_ERR_INVALID, "valid must be in [1, n = %u], is %u", a->n, a->valid);
    if (a->x->numel != a->n)
        return fd_error_set(err, FD_ERR_INVALID, "x holds %lld values, n = %u", (long long)a->x->numel, a->n);
    if (a->y->numel < 1 || a->count->numel < 1)
        return fd_error_set(err, FD_ERR_INVALID, "y and count must hold one value");
    if (a->part->numel < 2 * ARGMAX_BLOCKS)
        return fd_error_set(err, FD_ERR_INVALID, "part must hold 2 x %d values, holds %lld", ARGMAX_BLOCKS,
                            (long long)a->part->numel);
    return FD_OK;
}

static fd_status argmax_dispatch(const void *p, fd_dispatch *d, fd_error *err)
{
    (void)err;
    uint32_t b = (((const fd_argmax_args *)p)->valid + 2047) / 2048;   /* 8 values a thread */
    d->block[0] = 256;
    d->grid[0] = b > ARGMAX_BLOCKS ? ARGMAX_BLOCKS : b;
    return FD_OK;
}

static fd_status argmax_cpu(const fd_kernel *k, const void *p, fd_error *err)
{
    (void)k, (void)err;
    const fd_argmax_args *a = p;
    const float *x = fd_tensor_data(a->x);
    int32_t best = -1;
    for (uint32_t i = 0; i < a->valid; i++)
        if (!isnan(x[i]) && (best < 0 || x[i] > x[best])) best = (int32_t)i;
    *(int32_t *)fd_tensor_data(a->y) = best;
    return FD_OK;
}

static uint64_t argmax_bytes(const void *p) { return 4ull * ((const fd_argmax_args *)p)->valid + 4; }

const fd_kernel FD_ARGMAX = {
    .name = "argmax", .args = fd_argmax_args_table, .flags = FD_KERNEL_PDL, .max_block = 256,
    .check = argmax_check, .dispatch = argmax_dispatch, .cpu = argmax_cpu, .bytes = argmax_bytes,
    .cuda = "#include \"ops/argmax.cuh\"\n",
};
