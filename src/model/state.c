/* state.c — one sequence's device state: the KV cache (one allocation,
 * viewed per layer, paged: include/foundry/ops.h) and its page table, the
 * position, the current token and the token history in device memory, the
 * flag the kernels raise, the activations and the workspaces (see device.h
 * for the invariants), and its settings (attention splits, prefill chunk).
 * One sequence owns its pages: NP = ceil(C / P) of them and the identity
 * table, so memory holds what the unpaged cache held, in page order, while
 * every kernel addresses it through the table.
 *
 * Layer: model. The KV cache belongs to the state, not to the weights, so
 * several sequences can share one model. */
#include <stdlib.h>
#include <string.h>
#include "base/mem.h"
#include "core/internal.h"
#include "model/device.h"
#include "model/persist.h"

/* A count the environment forces (its first number, 1..256), else 0. */
static uint32_t env_splits(const char *name)
{
    const char *e = getenv(name);
    unsigned long v = e ? strtoul(e, NULL, 10) : 0;
    return v >= 1 && v <= 256 ? (uint32_t)v : 0;
}

/* FOUNDRY_ATTN_SPLITS overrides the choice: the GPU scripts time the candidates with it (bench/bench_attention.c
 * reads the same list). */
uint32_t fd_state_splits(const fd_weights *w, uint32_t ctx)
{
    uint32_t v = env_splits("FOUNDRY_ATTN_SPLITS");
    return v ? v : fd_attn_decode_splits(w->hp.n_heads, w->hp.n_kv_heads, ctx, fd_foundry_multiprocessors(w->fd));
}

/* FOUNDRY_ATTN_HEAD_SPLITS overrides it (at most splits); FOUNDRY_ATTN_SPLITS alone forces both modes' count. */
uint32_t fd_state_head_splits(const fd_weights *w, uint32_t splits)
{
    uint32_t v = env_splits("FOUNDRY_ATTN_HEAD_SPLITS");
    if (v) return v < splits ? v : splits;
    if (env_splits("FOUNDRY_ATTN_SPLITS")) return splits;
    return fd_attn_decode_head_splits(w->hp.n_heads, splits, fd_foundry_multiprocessors(w->fd));
}

static int chunk_ok(unsigned long v)
{
    return v >= FD_PREFILL_CHUNK_STEP && v <= FD_PREFILL_CHUNK_MAX && v % FD_PREFILL_CHUNK_STEP == 0;
}

/* FOUNDRY_PREFILL_CHUNK sets a new state's chunk (tools/gpu/chunk.sh times the candidates with it); a value out
 * of range is refused rather than ignored, so a sweep never times the default under another name. Empty: unset. */
static fd_status env_chunk(fd_foundry *fd, uint32_t *out)
{
    const char *e = getenv("FOUNDRY_PREFILL_CHUNK");
    *out = FD_PREFILL_CHUNK;
    if (!e || !*e) return FD_OK;
    char *end;
    unsigned long v = strtoul(e, &end, 10);
    if (end == e || *end || !chunk_ok(v))
        return fd_fail(fd, FD_ERR_INVALID, "FOUNDRY_PREFILL_CHUNK=%s: the prefill chunk is a multiple of %d tokens "
                       "from %d to %d", e, FD_PREFILL_CHUNK_STEP, FD_PREFILL_CHUNK_STEP, FD_PREFILL_CHUNK_MAX);
    *out = (uint32_t)v;
    return FD_OK;
}

fd_status fd_state_set_prefill_chunk(fd_state *s, uint32_t tokens)
{
    if (!chunk_ok(tokens))
        return fd_fail(s->fd, FD_ERR_INVALID, "prefill chunk of %u tokens: a multiple of %d from %d to %d", tokens,
                       FD_PREFILL_CHUNK_STEP, FD_PREFILL_CHUNK_STEP, FD_PREFILL_CHUNK_MAX);
    s->prefill_chunk = tokens;
    s->pool_noted = 0;
    return FD_OK;
}

uint32_t fd_state_prefill_chunk(const fd_state *s) { return s->prefill_chunk; }

void fd_state_destroy(fd_state *s)
{
    if (!s) return;
    fd_graph_free(s->fd, s->graph[0]);
    fd_graph_free(s->fd, s->graph[1]);
    fd_persist_destroy(s->persist);
    fd_state_free_chunk(s);
    fd_tensor *t[] = { s->kv, s->pages, s->pos, s->ids, s->hist, s->flag, s->h, s->q, s->att, s->act, s->logits,
                       s->part, s->count, s->amax_part, s->amax_count, s->counts, s->y };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) (void)fd_tensor_free(t[i]);
    fd_free(s->kc);
    fd_free(s->vc);
    fd_free(s);
}

static fd_status vec(fd_foundry *fd, fd_dtype dt, int64_t n, fd_tensor **out)
{
    return fd_tensor_alloc(fd, dt, 1, &n, FD_INIT_ZEROS, NULL, out);
}

fd_status fd_state_create(fd_foundry *fd, const fd_weights *w, uint32_t ctx, fd_state **out)
{
    *out = NULL;
    const fd_model_hparams *hp = &w->hp;
    if (!ctx) ctx = w->ctx;
    if (ctx > (1u << 24)) return fd_fail(fd, FD_ERR_RANGE, "a context of %u tokens is more than supported (16M)", ctx);
    uint32_t chunk;
    FD_TRY(env_chunk(fd, &chunk));
    fd_state *s = fd_calloc(1, sizeof *s);
    if (!s) return fd_fail(fd, FD_ERR_NOMEM, "state: out of memory");
    s->fd = fd;
    s->prefill_chunk = chunk;
    s->w = w;
    s->ctx = ctx;
    s->split_for[0] = fd_state_splits(w, ctx < FD_SHORT_CTX ? ctx : FD_SHORT_CTX);
    s->split_for[1] = s->splits = fd_state_splits(w, ctx);   /* the workspace holds the larger */
    for (int b = 0; b < 2; b++) s->head_split_for[b] = fd_state_head_splits(w, s->split_for[b]);
    s->head_splits = s->head_split_for[1];
    uint32_t L = hp->n_layers, KV = hp->n_kv_heads, hd = hp->head_dim, hq = hp->n_heads * hd;
    s->kc = fd_calloc(L, sizeof *s->kc);
    s->vc = fd_calloc(L, sizeof *s->vc);
    s->hist_top = -1;
    uint32_t np = fd_kv_pages(ctx);
    int32_t *ident = fd_malloc((size_t)np * sizeof *ident);
    fd_status st = s->kc && s->vc && ident ? FD_OK : fd_fail(fd, FD_ERR_NOMEM, "state: out of memory");
    for (uint32_t i = 0; st == FD_OK && i < np; i++) ident[i] = (int32_t)i;   /* the sequence owns pages 0..NP-1 */
    if (st == FD_OK) st = fd_tensor_alloc(fd, FD_I32, 1, (int64_t[]){ np }, FD_INIT_COPY, ident, &s->pages);
    fd_free(ident);
    /* (2 L, NP, KV, P, hd) as (2 L, NP, KV P, hd): a layer's K or V is (NP, KV, P, hd) */
    int64_t rows = (int64_t)KV * FD_KV_PAGE, kvdims[4] = { 2 * (int64_t)L, np, rows, hd }, one[3] = { np, rows, hd };
    if (st == FD_OK) st = fd_tensor_alloc(fd, FD_F16, 4, kvdims, FD_INIT_ZEROS, NULL, &s->kv);
    for (uint32_t l = 0; st == FD_OK && l < L; l++) {
        int64_t per = (int64_t)np * KV * FD_KV_PAGE * hd;
        st = fd_tensor_view(s->kv, 2 * l * per, 3, one, &s->kc[l]);
        if (st == FD_OK) st = fd_tensor_view(s->kv, (2 * l + 1) * per, 3, one, &s->vc[l]);
    }
    if (st == FD_OK) st = vec(fd, FD_I32, 1, &s->pos);
    if (st == FD_OK) st = vec(fd, FD_I32, 1, &s->ids);
    if (st == FD_OK) st = vec(fd, FD_I32, (int64_t)ctx + 1, &s->hist);
    if (st == FD_OK) st = vec(fd, FD_I32, 1, &s->flag);
    if (st == FD_OK) st = vec(fd, FD_F32, hp->hidden, &s->h);
    if (st == FD_OK) st = vec(fd, FD_F32, hq, &s->q);
    if (st == FD_OK) st = vec(fd, FD_F32, hq, &s->att);
    if (st == FD_OK) st = vec(fd, FD_F32, (int64_t)hq + 2ll * KV * hd, &s->y);
    if (st == FD_OK) st = vec(fd, FD_F32, hp->ffn, &s->act);
    if (st == FD_OK) st = vec(fd, FD_F32, hp->vocab, &s->logits);
    if (st == FD_OK)
        st = vec(fd, FD_F32, (int64_t)fd_attn_decode_part_floats(hp->n_heads, hd, s->splits), &s->part);
    if (st == FD_OK) st = vec(fd, FD_I32, (int64_t)fd_attn_decode_count_ints(hp->n_heads), &s->count);
    if (st == FD_OK) st = vec(fd, FD_I32, 512, &s->amax_part);
    if (st == FD_OK) st = vec(fd, FD_I32, 1, &s->amax_count);
    if (st != FD_OK) {
        fd_state_destroy(s);
        return st;
    }
    *out = s;
    return FD_OK;
}

uint32_t fd_state_ctx(const fd_state *s) { return s->ctx; }
uint32_t fd_state_pos(const fd_state *s) { return s->pos_host; }

fd_status fd_state_rewind(fd_state *s, uint32_t pos)
{
    if (pos > s->pos_host)
        return fd_fail(s->fd, FD_ERR_RANGE, "rewind to %u: the cache holds only %u tokens", pos, s->pos_host);
    int32_t p = (int32_t)pos;
    FD_TRY(fd_tensor_write(s->pos, &p, sizeof p));
    s->pos_host = pos;
    s->hist_top = -1;   /* hist[pos] may differ from what decode last left there */
    return FD_OK;
}
