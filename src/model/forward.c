/* forward.c — the forward pass over fd_run: the architecture's layer plan
 * (src/model/arch/) lowered to the decode step (one token against the
 * cache) and to prefill (chunks through the GEMM family), and greedy
 * decoding whose steps replay one captured graph.
 *
 * Layer: model. A step, all on the device and reading the position and the
 * token from device memory (device.h):
 *   embed(ids) -> h
 *   per layer: the plan's steps (Qwen2: qkv family (RMSNorm, q/k/v, bias,
 *              RoPE, K/V into the cache) -> attention over the cache ->
 *              o_proj + residual into h -> RMSNorm + gate/up + SwiGLU ->
 *              down + residual into h)
 *   [head: RMSNorm + lm_head -> logits] [argmax -> ids] advance(pos, hist)
 * The same code runs on the CPU, where fd_run calls each kernel's twin. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/mem.h"
#include "base/util.h"
#include "core/internal.h"
#include "foundry/profile.h"
#include "model/device.h"
#include "model/persist.h"

/* The width of a named activation (columns of its M rows). */
static uint32_t act_width(const fd_model_hparams *hp, fd_act_name n)
{
    return n == FD_ACT_H ? hp->hidden : n == FD_ACT_FF ? hp->ffn : hp->n_heads * hp->head_dim;
}

/* The decode step's activations (M = 1), by name. */
static fd_tensor *dec_act(fd_state *s, fd_act_name n)
{
    fd_tensor *const t[FD_ACT_COUNT] = { [FD_ACT_H] = s->h, [FD_ACT_Q] = s->q, [FD_ACT_ATT] = s->att, [FD_ACT_FF] = s->act };
    return t[n];
}

/* A plan step lowered to the decode step: M = 1, every launch reading the
 * position and the token from device memory (a captured graph replays it).
 * The QKV step is one kernel (QKV family: bias, RoPE, cache write) unless it
 * normalizes q and k per head, which needs a whole head: then a GEMV of the
 * q/k/v rows and FD_QKV_ROWS_NORM with T = 1. The launches as data: the
 * persistent kernel's members take the same (model/persist.c). */
int fd_decode_calls(fd_state *s, uint32_t l, const fd_plan_step *st, fd_dec_call *c)
{
    const fd_weights *w = s->w;
    const fd_model_hparams *hp = &w->hp;
    const fd_layer_w *L = &w->layer[l];
    uint32_t D = hp->hidden, hd = hp->head_dim, H = hp->n_heads, KV = hp->n_kv_heads;
    uint32_t pairs = (H + KV) * hd / 2, cols = act_width(hp, st->in), rows = act_width(hp, st->out);
    float eps = (float)hp->rms_eps;
    fd_tensor *in = dec_act(s, st->in), *out = dec_act(s, st->out), *norm = st->norm < FD_ROLE_COUNT ? L->t[st->norm] : NULL;
    memset(c, 0, 2 * sizeof *c);
    switch (st->op) {
    case FD_OP_QKV:
        if (fd_qkv_kind(st) == FD_KK_QKV_ROPE) {
            c[0].k = fd_weights_kernel(w, FD_KK_QKV_ROPE, L->qkv, 0);
            c[0].a.qkv = (fd_qkv_args){
                .x = in, .norm_w = norm, .w0 = L->w[0], .w1 = L->w[1], .w2 = L->w[2], .b0 = L->b[0], .b1 = L->b[1],
                .b2 = L->b[2], .pos = s->pos, .pages = s->pages, .inv_freq = L->inv_freq, .q = out, .kc = s->kc[l],
                .vc = s->vc[l],
                .flag = s->flag, .cols = D, .rows0 = pairs, .rows1 = pairs, .rows2 = KV * hd, .eps = eps, .heads = H,
                .kv_heads = KV, .head_dim = hd, .ctx = s->ctx };
            return 1;
        }
        c[0].k = fd_weights_kernel(w, FD_KK_NORM_STORE, L->qkv, 0);
        c[0].a.gemv = (fd_gemv_args){ .x = in, .norm_w = norm, .eps = eps, .w0 = L->qkv, .y0 = s->y, .cols = D,
                                      .rows0 = 2 * pairs + KV * hd };
        c[1].k = &FD_QKV_ROWS_NORM;
        c[1].a.rows = (fd_qkv_rows_norm_args){
            .y = s->y, .pos = s->pos, .pages = s->pages, .inv_freq = L->inv_freq, .q_norm = L->t[FD_ROLE_Q_NORM],
            .k_norm = L->t[FD_ROLE_K_NORM], .q = out, .kc = s->kc[l], .vc = s->vc[l], .flag = s->flag, .tokens = 1,
            .heads = H, .kv_heads = KV, .head_dim = hd, .ctx = s->ctx, .eps = eps };
        return 2;
    case FD_OP_ATTEND:   /* the decode attention's one call */
        c[0].k = &FD_ATTN_DECODE;
        c[0].a.attn = (fd_attn_decode_args){
            .q = in, .kc = s->kc[l], .vc = s->vc[l], .pos = s->pos, .pages = s->pages, .y = out, .part = s->part,
            .count = s->count,
            .heads = H, .kv_heads = KV, .head_dim = hd, .ctx = s->ctx, .splits = s->splits,
            .head_splits = s->head_splits, .scale = 1.0f / sqrtf((float)hd) };
        return 1;
    case FD_OP_PROJ_RES:
        c[0].k = fd_weights_kernel(w, FD_KK_PROJ_RES, L->t[st->w[0]], 0);
        c[0].a.gemv = (fd_gemv_args){ .x = in, .w0 = L->t[st->w[0]], .r0 = out, .y0 = out, .cols = cols, .rows0 = rows };
        return 1;
    case FD_OP_GLU:
        c[0].k = fd_weights_kernel(w, FD_KK_GLU, L->t[st->w[0]], 0);
        c[0].a.gemv = (fd_gemv_args){ .x = in, .norm_w = norm, .eps = eps, .w0 = L->t[st->w[0]], .w1 = L->t[st->w[1]],
                                      .y0 = out, .cols = cols, .rows0 = rows, .rows1 = rows };
        return 1;
    }
    return 0;
}

static fd_status lower_decode(fd_state *s, uint32_t l, const fd_plan_step *st)
{
    fd_dec_call c[2];
    int n = fd_decode_calls(s, l, st, c);
    if (!n) return fd_fail(s->fd, FD_ERR_INVALID, "layer plan: step op %d has no decode lowering", (int)st->op);
    for (int i = 0; i < n; i++) FD_TRY(fd_run(s->fd, c[i].k, &c[i].a));
    return FD_OK;
}

static fd_status layer_kernels(fd_state *s, uint32_t l)
{
    for (size_t i = 0; i < s->w->arch->n_steps; i++) FD_TRY(lower_decode(s, l, &s->w->arch->plan[i]));
    return FD_OK;
}

/* Opens the profiler scope "layer.L" (nothing when profiling is off). */
static fd_status layer_scope(fd_foundry *fd, uint32_t l)
{
    char name[24];
    snprintf(name, sizeof name, "layer.%u", l);
    return fd_scope_begin(fd, name);
}

/* Closes the innermost scope whatever `st` (so a failure leaves none open); returns st or the close's error. */
static fd_status scope_close(fd_foundry *fd, fd_status st)
{
    fd_status end = fd_scope_end(fd);
    return st != FD_OK ? st : end;
}

static fd_status run_layer(fd_state *s, uint32_t l)
{
    FD_TRY(layer_scope(s->fd, l));
    return scope_close(s->fd, layer_kernels(s, l));
}

void fd_decode_embed(fd_state *s, fd_dec_call *c)
{
    const fd_model_hparams *hp = &s->w->hp;
    memset(c, 0, sizeof *c);
    c->k = &FD_EMBED;
    c->a.embed = (fd_embed_args){ .ids = s->ids, .table = s->w->embd, .y = s->h, .flag = s->flag, .tokens = 1,
                                  .dim = hp->hidden, .vocab = hp->vocab };
}

void fd_decode_head(fd_state *s, fd_dec_call *c)
{
    const fd_weights *w = s->w;
    memset(c, 0, sizeof *c);
    c->k = fd_weights_kernel(w, FD_KK_NORM_STORE, w->head, 0);
    c->a.gemv = (fd_gemv_args){ .x = s->h, .norm_w = w->out_norm, .eps = (float)w->hp.rms_eps, .w0 = w->head,
                                .y0 = s->logits, .cols = w->hp.hidden, .rows0 = w->hp.vocab };
}

void fd_decode_argmax(fd_state *s, fd_tensor *part, fd_dec_call *c)
{
    memset(c, 0, sizeof *c);
    c->k = &FD_ARGMAX;
    c->a.argmax = (fd_argmax_args){ .x = s->logits, .y = s->ids, .part = part, .count = s->amax_count,
                                    .n = s->w->hp.vocab, .valid = s->w->vocab_valid };
}

void fd_decode_advance(fd_state *s, fd_dec_call *c)
{
    memset(c, 0, sizeof *c);
    c->k = &FD_STEP_ADVANCE;
    c->a.advance = (fd_step_advance_args){ .ids = s->ids, .hist = s->hist, .pos = s->pos, .cap = s->ctx + 1 };
}

/* Runs one of the calls above. */
static fd_status run_call(fd_state *s, void (*make)(fd_state *, fd_dec_call *))
{
    fd_dec_call c;
    make(s, &c);
    return fd_run(s->fd, c.k, &c.a);
}

/* The next token into ids: the argmax of the logits, or the sampler's draw. */
static fd_status choose(fd_state *s)
{
    const fd_weights *w = s->w;
    if (s->sampling) {
        fd_sample_args a = { .logits = s->logits, .hist = s->hist, .pos = s->pos, .ids = s->ids, .counts = s->counts,
                             .n = w->hp.vocab, .valid = w->vocab_valid, .cap = s->ctx + 1 };
        fd_sample_set(&a, &s->sampler);
        return fd_run(s->fd, &FD_SAMPLE, &a);
    }
    fd_dec_call c;
    fd_decode_argmax(s, s->amax_part, &c);
    return fd_run(s->fd, c.k, &c.a);
}

/* One step's kernels; `head`: the logits; `argmax`: choose the next token into ids. */
static fd_status run_step(fd_state *s, int head, int argmax)
{
    FD_TRY(run_call(s, fd_decode_embed));
    for (uint32_t l = 0; l < s->w->hp.n_layers; l++) FD_TRY(run_layer(s, l));
    if (head || argmax) FD_TRY(run_call(s, fd_decode_head));
    if (argmax) FD_TRY(choose(s));
    return run_call(s, fd_decode_advance);
}

/* Whether a graph of the step is captured (either context bucket): what changes the step makes it stale. */
static int captured(const fd_state *s) { return s->graph[0] || s->graph[1]; }

/* Turns the persistent step off for s, saying why in the log. */
static void persist_drop(fd_state *s, const char *why)
{
    fd_log(s->fd, FD_LOG_WARN, "persistent decode step off: %s; the per-kernel step runs", why);
    fd_persist_destroy(s->persist);
    s->persist = NULL;
    s->persist_off = 1;
}

/* 1 when this step runs as the persistent kernel (made the first time, and again when the state has turned
 * from greedy to sampling or back: a sampled step's list ends with the head). */
static int persist_ready(fd_state *s)
{
    if (!s->persistent || s->persist_off) return 0;
    if (s->persist && fd_persist_sampled(s->persist) == s->sampling) return 1;
    fd_persist_destroy(s->persist);
    s->persist = NULL;
    fd_error err = { 0 };
    if (fd_persist_create(s, &s->persist, &err) != FD_OK) {
        persist_drop(s, err.msg);
        return 0;
    }
    uint32_t blocks, threads, smem, ring[2];
    const char *name = fd_persist_describe(s->persist, &blocks, &threads, &smem, ring);
    fd_log(s->fd, FD_LOG_INFO, "persistent decode step: %s, %u blocks of %u threads, %u shared bytes (a weight ring "
           "of %u slots of %u bytes)%s", name, blocks, threads, smem, ring[1], ring[0],
           s->sampling ? "; the sampler and the advance run after it" : "");
    return 1;
}

/* One step's launches: the persistent kernel (then, for a sampled step, the sampler and the advance), or the
 * per-kernel step (head and argmax as asked). */
static fd_status step_launches(fd_state *s, int head, int argmax)
{
    if (persist_ready(s)) {
        fd_status st = fd_persist_launch(s->persist);
        if (st == FD_OK) s->persist_ran = 1;
        if (st == FD_OK && fd_persist_sampled(s->persist)) {
            if (argmax) FD_TRY(choose(s));
            return run_call(s, fd_decode_advance);
        }
        if (st != FD_ERR_UNAVAILABLE) return st;
        persist_drop(s, fd_foundry_error(s->fd));   /* the cooperative launch: not every block resident */
    }
    return run_step(s, head, argmax);
}

/* The persistent steps' watchdog: its error (the per-kernel step from then on), after the steps ran. */
static fd_status persist_checked(fd_state *s)
{
    if (!s->persist_ran || !s->persist) return FD_OK;
    s->persist_ran = 0;
    fd_status st = fd_persist_check(s->persist);
    if (st != FD_OK) {
        char why[sizeof ((fd_error *)0)->msg];
        snprintf(why, sizeof why, "%s", fd_foundry_error(s->fd));
        persist_drop(s, why);
        s->graph_stale = captured(s);
        (void)fd_fail(s->fd, st, "%s", why);
    }
    return st;
}

void fd_state_use_persistent(fd_state *s, int on)
{
    if (!!on == s->persistent) return;
    s->persistent = !!on;
    s->persist_off = 0;
    s->graph_stale = captured(s);
    s->warm = 0;   /* the first step runs eagerly (and makes the kernel) before a capture */
}

fd_status fd_state_persistent_timeline(fd_state *s, const char *path, FILE *summary)
{
    if (!s->persist) return fd_fail(s->fd, FD_ERR_STATE, "persistent timeline: no persistent step has run");
    fd_error e = { 0 };
    fd_status st = fd_persist_timeline(s->persist, path, summary, &e);
    return st == FD_OK ? FD_OK : fd_fail(s->fd, st, "%s", e.msg);
}

/* FD_ERR_RANGE when the kernels raised the flag (a position past the cache,
 * or a token id outside the vocabulary); clears it. */
static fd_status check_flag(fd_state *s)
{
    int32_t flag;
    FD_TRY(fd_tensor_read(s->flag, &flag, sizeof flag));
    if (!flag) return FD_OK;
    int32_t zero = 0;
    FD_TRY(fd_tensor_write(s->flag, &zero, sizeof zero));
    return fd_fail(s->fd, FD_ERR_RANGE, "a step went past the context of %u tokens or read a token id outside the "
                   "vocabulary of %u", s->ctx, s->w->hp.vocab);
}

static fd_status room(fd_state *s, size_t n)
{
    if (s->pos_host + n > s->ctx)
        return fd_fail(s->fd, FD_ERR_RANGE, "the context is full: %u of %u tokens used, %zu more asked for",
                       s->pos_host, s->ctx, n);
    return FD_OK;
}

static fd_status check_id(fd_state *s, int32_t id)
{
    if (id < 0 || (uint32_t)id >= s->w->hp.vocab)
        return fd_fail(s->fd, FD_ERR_INVALID, "token id %d is outside the vocabulary (0..%u)", id, s->w->hp.vocab - 1);
    return FD_OK;
}

static fd_status set_token(fd_state *s, int32_t id)
{
    FD_TRY(check_id(s, id));
    return fd_tensor_write(s->ids, &id, sizeof id);
}

/* hist[at .. at + n) = ids on the device: the tokens the host adds, alone
 * (device.h, invariant 3). */
static fd_status hist_put(fd_state *s, uint32_t at, const int32_t *ids, size_t n)
{
    return fd_tensor_write_range(s->hist, (size_t)at * sizeof *ids, ids, n * sizeof *ids);
}

fd_status fd_state_step(fd_state *s, int32_t id, float *logits)
{
    FD_TRY(room(s, 1));
    FD_TRY(set_token(s, id));
    FD_TRY(hist_put(s, s->pos_host, &id, 1));
    FD_TRY(step_launches(s, logits != NULL, 0));
    s->pos_host++;
    s->hist_top = -1;   /* the step chose nothing here: hist[pos_host] holds no choice the host knows */
    if (logits) FD_TRY(fd_tensor_read(s->logits, logits, (size_t)s->w->hp.vocab * sizeof *logits));
    FD_TRY(persist_checked(s));
    return check_flag(s);
}

/* Bytes of pooled activations one prefill token takes (chunk sizing): prefill_chunk's tensors, with `all` its
 * logits too. */
static uint64_t chunk_bytes_per_token(const fd_model_hparams *hp, int all)
{
    uint64_t hq = (uint64_t)hp->n_heads * hp->head_dim, R = hq + 2ull * hp->n_kv_heads * hp->head_dim;
    return 4 * (1 + hp->hidden + R + 2 * hq + hp->ffn + (all ? hp->vocab : 0)) + 4096;
}

/* Tokens per pass of an n-token prompt: the state's chunk (n if fewer), the pool grown once to a whole chunk
 * where it holds less; where the device has no room for that, what the pool holds (said once in the log). */
static size_t pass_tokens(fd_state *s, size_t n, int all)
{
    fd_foundry *fd = s->fd;
    uint64_t per = chunk_bytes_per_token(&s->w->hp, all);
    size_t want = n < s->prefill_chunk ? n : s->prefill_chunk;
    int short_of_room = want * per > fd_pool_capacity(fd) && fd_pool_reserve(fd, s->prefill_chunk * per) != FD_OK;
    size_t cap = fd_pool_capacity(fd) / per, chunk = want < cap ? want : cap;
    if (!chunk) chunk = 1;
    if (short_of_room) {
        if (!s->pool_noted)
            fd_log(fd, FD_LOG_NOTICE, "prefill: no room to grow the pool to %.1f MiB (%s); passes of %zu tokens, "
                   "not %u", s->prefill_chunk * per / 1048576.0, fd_foundry_error(fd), chunk, s->prefill_chunk);
        s->pool_noted = 1;
        fd_foundry_clear_error(fd);
    }
    return chunk;
}

/* A pooled tensor of the chunk, its handle kept in s so the next chunk (or fd_state_destroy) frees it: a server
 * prefills for days, and the foundry would otherwise hold every chunk's handles until it is destroyed. */
static fd_status pooled(fd_state *s, fd_dtype dt, int64_t rows, int64_t cols, fd_tensor **out)
{
    int64_t dims[2] = { rows, cols };
    if (s->n_chunk_t == (int)(sizeof s->chunk_t / sizeof s->chunk_t[0]))
        return fd_fail(s->fd, FD_ERR_STATE, "prefill: more than %d pooled tensors a chunk", s->n_chunk_t);
    FD_TRY(fd_tensor_alloc_pooled(s->fd, dt, cols ? 2 : 1, dims, FD_INIT_UNINIT, NULL, out));
    s->chunk_t[s->n_chunk_t++] = *out;
    return FD_OK;
}

void fd_state_free_chunk(fd_state *s)
{
    while (s->n_chunk_t) (void)fd_tensor_free(s->chunk_t[--s->n_chunk_t]);
}

/* A prefill chunk's activations (pooled; T rows each), by name, and the
 * q/k/v products' rows. */
typedef struct prefill_bufs { fd_tensor *act[FD_ACT_COUNT], *y; } prefill_bufs;

/* A plan step lowered to prefill: a chunk of T tokens at `start` through the
 * GEMM family; the QKV step is a GEMM (bias epilogue, or none when q/k are
 * normalized) then FD_QKV_ROWS or FD_QKV_ROWS_NORM. */
static fd_status lower_prefill(fd_state *s, uint32_t l, const fd_plan_step *st, const prefill_bufs *b, uint32_t T,
                               uint32_t start)
{
    const fd_weights *w = s->w;
    const fd_model_hparams *hp = &w->hp;
    const fd_layer_w *L = &w->layer[l];
    fd_foundry *fd = s->fd;
    uint32_t D = hp->hidden, hd = hp->head_dim, H = hp->n_heads, KV = hp->n_kv_heads;
    uint32_t R = (H + 2 * KV) * hd, cols = act_width(hp, st->in), rows = act_width(hp, st->out);
    float eps = (float)hp->rms_eps;
    fd_tensor *in = b->act[st->in], *out = b->act[st->out], *norm = st->norm < FD_ROLE_COUNT ? L->t[st->norm] : NULL;
    switch (st->op) {
    case FD_OP_QKV: {
        fd_kernel_kind k = fd_qkv_kind(st);
        FD_TRY(fd_run(fd, fd_weights_kernel(w, k, L->qkv, 1), &(fd_gemm_args){
            .x = in, .norm_w = norm, .w0 = L->qkv, .b0 = k == FD_KK_QKV_ROPE ? L->bqkv : NULL, .y0 = b->y, .M = T,
            .N = R, .K = D, .start = start, .eps = eps }));
        if (k == FD_KK_QKV_ROPE)
            return fd_run(fd, &FD_QKV_ROWS, &(fd_qkv_rows_args){
                .y = b->y, .pos = s->pos, .pages = s->pages, .inv_freq = L->inv_freq, .q = out, .kc = s->kc[l],
                .vc = s->vc[l],
                .flag = s->flag, .tokens = T, .heads = H, .kv_heads = KV, .head_dim = hd, .ctx = s->ctx });
        return fd_run(fd, &FD_QKV_ROWS_NORM, &(fd_qkv_rows_norm_args){
            .y = b->y, .pos = s->pos, .pages = s->pages, .inv_freq = L->inv_freq, .q_norm = L->t[FD_ROLE_Q_NORM],
            .k_norm = L->t[FD_ROLE_K_NORM], .q = out, .kc = s->kc[l], .vc = s->vc[l], .flag = s->flag, .tokens = T,
            .heads = H, .kv_heads = KV, .head_dim = hd, .ctx = s->ctx, .eps = eps });
    }
    case FD_OP_ATTEND:   /* the prefill attention's one call */
        return fd_run(fd, fd_attn_prefill_kernel(hd), &(fd_attn_prefill_args){
            .q = in, .kc = s->kc[l], .vc = s->vc[l], .pos = s->pos, .pages = s->pages, .y = out, .tokens = T, .heads = H,
            .kv_heads = KV,
            .head_dim = hd, .ctx = s->ctx, .scale = 1.0f / sqrtf((float)hd) });
    case FD_OP_PROJ_RES:
        return fd_run(fd, fd_weights_kernel(w, FD_KK_PROJ_RES, L->t[st->w[0]], 1), &(fd_gemm_args){
            .x = in, .w0 = L->t[st->w[0]], .r0 = out, .y0 = out, .M = T, .N = rows, .K = cols, .start = start });
    case FD_OP_GLU:
        return fd_run(fd, fd_weights_kernel(w, FD_KK_GLU, L->t[st->w[0]], 1), &(fd_gemm_args){
            .x = in, .norm_w = norm, .w0 = L->t[st->w[0]], .w1 = L->t[st->w[1]], .y0 = out, .M = T, .N = rows,
            .K = cols, .start = start, .eps = eps });
    }
    return fd_fail(fd, FD_ERR_INVALID, "layer plan: step op %d has no prefill lowering", (int)st->op);
}

/* T tokens at once through the GEMM family: embed, per layer RMSNorm + QKV
 * GEMM + RoPE/cache rows + attention over the cache + o_proj/residual +
 * RMSNorm/SwiGLU + down/residual; then the logits of the last token (into
 * s->logits) or of all (into `all`, T x V). Activations are pooled: the
 * foundry's pool is reset per chunk (the state is its only user). */
static fd_status prefill_chunk(fd_state *s, const int32_t *ids, uint32_t T, float *all)
{
    const fd_weights *w = s->w;
    const fd_model_hparams *hp = &w->hp;
    fd_foundry *fd = s->fd;
    uint32_t D = hp->hidden, hd = hp->head_dim, H = hp->n_heads, KV = hp->n_kv_heads, F = hp->ffn;
    uint32_t R = (H + 2 * KV) * hd, start = s->pos_host;
    float eps = (float)hp->rms_eps;
    fd_tensor *tid, *h, *y, *q, *att, *act, *last, *lt = NULL;
    fd_state_free_chunk(s);
    FD_TRY(fd_pool_reset(fd));
    FD_TRY(pooled(s, FD_I32, T, 0, &tid));
    FD_TRY(pooled(s, FD_F32, T, D, &h));
    FD_TRY(pooled(s, FD_F32, T, R, &y));
    FD_TRY(pooled(s, FD_F32, T, (int64_t)H * hd, &q));
    FD_TRY(pooled(s, FD_F32, T, (int64_t)H * hd, &att));
    FD_TRY(pooled(s, FD_F32, T, F, &act));
    FD_TRY(fd_tensor_write(tid, ids, (size_t)T * sizeof *ids));
    prefill_bufs bufs = { { [FD_ACT_H] = h, [FD_ACT_Q] = q, [FD_ACT_ATT] = att, [FD_ACT_FF] = act }, y };
    /* the device's pos already holds `start` (device.h, invariant 2) */
    FD_TRY(fd_run(fd, &FD_EMBED, &(fd_embed_args){ .ids = tid, .table = w->embd, .y = h, .flag = s->flag, .tokens = T,
                                                  .dim = D, .vocab = hp->vocab }));
    for (uint32_t l = 0; l < hp->n_layers; l++) {
        FD_TRY(layer_scope(fd, l));
        fd_status st = FD_OK;
        for (size_t i = 0; st == FD_OK && i < w->arch->n_steps; i++) st = lower_prefill(s, l, &w->arch->plan[i], &bufs, T, start);
        FD_TRY(scope_close(fd, st));
    }
    if (all) {
        FD_TRY(pooled(s, FD_F32, T, hp->vocab, &lt));
        FD_TRY(fd_run(fd, fd_weights_kernel(w, FD_KK_NORM_STORE, w->head, 1), &(fd_gemm_args){
            .x = h, .norm_w = w->out_norm, .w0 = w->head, .y0 = lt, .M = T, .N = hp->vocab, .K = D, .eps = eps }));
        FD_TRY(fd_tensor_read(lt, all, (size_t)T * hp->vocab * sizeof *all));
    } else {
        FD_TRY(fd_tensor_view(h, (int64_t)(T - 1) * D, 1, (int64_t[]){ D }, &last));
        FD_TRY(fd_run(fd, fd_weights_kernel(w, FD_KK_NORM_STORE, w->head, 0), &(fd_gemv_args){
            .x = last, .norm_w = w->out_norm, .eps = eps, .w0 = w->head, .y0 = s->logits, .cols = D,
            .rows0 = hp->vocab }));
    }
    FD_TRY(hist_put(s, start, ids, T));
    s->pos_host = start + T;
    s->hist_top = -1;
    int32_t p = (int32_t)s->pos_host;   /* the chunk's kernels read pos, none advances it */
    return fd_tensor_write(s->pos, &p, sizeof p);
}

fd_status fd_state_prefill(fd_state *s, const int32_t *ids, size_t n, float *logits, float *all_logits)
{
    size_t V = s->w->hp.vocab;
    FD_TRY(room(s, n));
    for (size_t i = 0; i < n; i++) FD_TRY(check_id(s, ids[i]));
    size_t chunk = pass_tokens(s, n, all_logits != NULL);
    for (size_t i = 0; i < n; i += chunk) {
        uint32_t T = (uint32_t)(n - i < chunk ? n - i : chunk);
        FD_TRY(prefill_chunk(s, ids + i, T, all_logits ? all_logits + i * V : NULL));
    }
    if (n && logits) FD_TRY(fd_tensor_read(s->logits, logits, V * sizeof *logits));
    return check_flag(s);
}

void fd_state_use_graph(fd_state *s, int on) { s->use_graph = on; }
double fd_state_issue_seconds(const fd_state *s) { return s->issue_s; }

void fd_state_set_sampler(fd_state *s, const fd_sampler *cfg)
{
    /* the argmax kernel where nothing but the largest logit matters; the
     * sampler (greedy itself at temperature 0) where penalties change it */
    int penalties = cfg && cfg->last_n != 0 &&
                    (cfg->repeat_penalty != 1.0f || cfg->presence_penalty != 0 || cfg->frequency_penalty != 0);
    int sampling = cfg && ((cfg->temperature > 0 && cfg->top_k != 1) || penalties);
    if (sampling == s->sampling && (!sampling || !memcmp(cfg, &s->sampler, sizeof *cfg))) return;
    s->sampling = sampling;
    if (sampling) s->sampler = *cfg;
    s->graph_stale = captured(s);
    s->warm = 0;   /* the new chooser's kernels run once eagerly (and compile) before a capture */
}

/* The step's launches captured into s->graph[b]. */
static fd_status capture(fd_state *s, int b)
{
    FD_TRY(fd_graph_begin(s->fd));
    fd_status st = step_launches(s, 1, 1);
    fd_graph *g = NULL;
    fd_status st2 = fd_graph_end(s->fd, &g);
    FD_TRY(st);
    FD_TRY(st2);
    s->graph[b] = g;
    return FD_OK;
}

/* One step that chooses its successor, the step at position p: the captured
 * graph of p's context bucket when there is one (capturing it the first
 * time, once every kernel has compiled), else the kernels eagerly. */
static fd_status choose_step(fd_state *s, uint32_t p)
{
    int b = p + 1 > FD_SHORT_CTX && s->split_for[1] != s->split_for[0];
    s->splits = s->split_for[b], s->head_splits = s->head_split_for[b];
    if (!s->use_graph || fd_foundry_backend(s->fd) != FD_BACKEND_CUDA || !s->warm || s->graph_stale) {
        if (s->graph_stale) {
            for (int i = 0; i < 2; i++) fd_graph_free(s->fd, s->graph[i]), s->graph[i] = NULL;
            s->graph_stale = 0;
        }
        FD_TRY(step_launches(s, 1, 1));
        s->warm = 1;
        return FD_OK;
    }
    fd_tensor *t[] = { s->ids, s->pos, s->hist, s->flag };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) FD_TRY(fd_tensor_flush(t[i]));
    if (!s->graph[b]) {
        fd_status st = capture(s, b);
        if (st != FD_OK && s->persist) {   /* a driver that cannot capture the cooperative launch */
            char why[sizeof ((fd_error *)0)->msg + 48];
            snprintf(why, sizeof why, "capturing its launch failed: %s", fd_foundry_error(s->fd));
            persist_drop(s, why);
            st = capture(s, b);
        }
        FD_TRY(st);
    }
    return fd_graph_launch(s->fd, s->graph[b]);
}

fd_status fd_state_decode(fd_state *s, int32_t last, size_t n, int32_t *out)
{
    if (!n) return FD_OK;
    FD_TRY(room(s, n));
    FD_TRY(set_token(s, last));
    uint32_t p0 = s->pos_host;
    if (s->hist_top != last) FD_TRY(hist_put(s, p0, &last, 1));   /* the sampler's penalties read it there */
    s->hist_top = -1;   /* until the choices are read back */
    if (s->sampling && !s->counts)
        FD_TRY(fd_tensor_alloc(s->fd, FD_I32, 1, (int64_t[]){ (int64_t)fd_sample_scratch_ints(s->w->hp.vocab) },
                              FD_INIT_ZEROS, NULL, &s->counts));
    double t0 = fd_now_seconds();
    for (size_t i = 0; i < n; i++) FD_TRY(choose_step(s, p0 + (uint32_t)i));
    s->issue_s = fd_now_seconds() - t0;
    s->pos_host += (uint32_t)n;
    /* the step at position p chose hist[p + 1]: read those n alone */
    FD_TRY(persist_checked(s));
    FD_TRY(fd_tensor_read_range(s->hist, ((size_t)p0 + 1) * sizeof *out, out, n * sizeof *out));
    s->hist_top = out[n - 1];
    return check_flag(s);
}

fd_status fd_state_warm(fd_state *s)
{
    if (fd_foundry_backend(s->fd) != FD_BACKEND_CUDA || s->ctx < 8) return FD_OK;
    if (s->pos_host) return fd_fail(s->fd, FD_ERR_STATE, "warm-up: the state holds %u tokens, not 0", s->pos_host);
    /* two prompt lengths, since the GEMM's tile depends on M (ops/gemm/family.c): the full chunk, rewound,
     * then the short one, kept for the decode steps */
    uint32_t room = s->ctx - 4, big = room < s->prefill_chunk ? room : s->prefill_chunk, small = room < 16 ? room : 16;
    int32_t *ids = fd_calloc(big, sizeof *ids), out[2];
    if (!ids) return FD_ERR_NOMEM;
    fd_sampler draw;
    fd_sampler_defaults(&draw);
    draw.repeat_penalty = 1.1f;   /* the penalty path too */
    fd_status st = FD_OK;
    if (big > small && (st = fd_state_prefill(s, ids, big, NULL, NULL)) == FD_OK) st = fd_state_rewind(s, 0);
    if (st == FD_OK) st = fd_state_prefill(s, ids, small, NULL, NULL);
    if (st == FD_OK) {
        fd_state_set_sampler(s, &draw);
        st = fd_state_decode(s, 0, 1, out);
        fd_state_set_sampler(s, NULL);
    }
    if (st == FD_OK) st = fd_state_decode(s, 0, 2, out);   /* eager, then the graph captured and replayed */
    fd_free(ids);
    return st == FD_OK ? fd_state_rewind(s, 0) : st;
}
