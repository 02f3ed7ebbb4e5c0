/* session.c — a generation session (generate.h): the conversation's tokens,
 * feeding with prefix reuse, and the generation loop with its stop
 * conditions and UTF-8-safe streaming.
 *
 * Layer: generate. Invariants:
 *   1. tok[0..ntok) is the conversation; the cache holds tok[0..pos) with
 *      pos = fd_state_pos(st) = ntok - 1 once fed: the last token is
 *      `pending`, run by the next decode (it chooses what follows it).
 *   2. text[0..ntext) is what this generate produced as text and has not
 *      streamed yet; it is held back while it could be the start of a stop
 *      string, so a stop string never reaches the callback. */
#include <signal.h>
#include <string.h>
#include "base/util.h"
#include "base/mem.h"
#include "base/sbuf.h"
#include "core/internal.h"
#include "foundry/generate.h"
#include "foundry/tokenizer.h"

#define CHUNK 8     /* tokens decoded per device round trip */
/* Prompt tokens per prefill call, where a cancel is seen: on a GPU the
 * state's pass (fd_state_prefill_chunk), so slicing costs no throughput; on
 * the CPU a 512-token pass can take many seconds, and its rows gain nothing
 * from size. */
#define SLICE_CPU 32

struct fd_session {
    fd_foundry *fd;
    const fd_model *model;
    const fd_tokenizer *tok_;
    fd_state *st;
    int32_t *tok;
    size_t ntok, cap;
    volatile sig_atomic_t cancel;
};

fd_status fd_session_create(fd_foundry *fd, const fd_model *m, const fd_weights *w, const fd_session_options *o,
                            fd_session **out)
{
    *out = NULL;
    fd_session *s = fd_calloc(1, sizeof *s);
    if (!s) return FD_ERR_NOMEM;
    s->fd = fd;
    s->model = m;
    s->tok_ = fd_model_describe(m)->tokenizer;
    fd_status st = fd_state_create(fd, w, o ? o->ctx : 0, &s->st);
    if (st == FD_OK) {
        s->cap = (size_t)fd_state_ctx(s->st) + 1;
        if (!(s->tok = fd_malloc(s->cap * sizeof *s->tok))) st = FD_ERR_NOMEM;
    }
    if (st != FD_OK) {
        fd_session_destroy(s);
        return st;
    }
    fd_state_use_graph(s->st, !(o && o->no_graph));
    fd_state_use_persistent(s->st, o && o->persistent);
    if ((st = fd_state_warm(s->st)) != FD_OK) {   /* the kernels load now, not inside the first prompt */
        fd_session_destroy(s);
        return st;
    }
    *out = s;
    return FD_OK;
}

void fd_session_destroy(fd_session *s)
{
    if (!s) return;
    fd_state_destroy(s->st);
    fd_free(s->tok);
    fd_free(s);
}

const int32_t *fd_session_tokens(const fd_session *s, size_t *n)
{
    *n = s->ntok;
    return s->tok;
}

void fd_session_cancel(fd_session *s) { s->cancel = 1; }
uint32_t fd_session_ctx(const fd_session *s) { return fd_state_ctx(s->st); }
const fd_tokenizer *fd_session_tokenizer(const fd_session *s) { return s->tok_; }
const char *fd_session_error(const fd_session *s) { return fd_foundry_error(s->fd); }

fd_status fd_session_reset(fd_session *s)
{
    s->ntok = 0;
    return fd_state_rewind(s->st, 0);
}

/* A cancel is honoured once: the feed or generate that sees it clears it. */
static int take_cancel(fd_session *s)
{
    if (!s->cancel) return 0;
    s->cancel = 0;
    return 1;
}

fd_status fd_session_feed(fd_session *s, const int32_t *ids, size_t n, fd_gen_stats *stats)
{
    double t0 = fd_now_seconds();
    if (stats) stats->stop = FD_STOP_NONE;
    if (!n) return FD_OK;
    if (n > fd_state_ctx(s->st))
        return fd_fail(s->fd, FD_ERR_RANGE, "the prompt has %zu tokens, the context only %u", n,
                              fd_state_ctx(s->st));
    size_t pos = fd_state_pos(s->st), k = 0;
    while (k < pos && k < n - 1 && s->tok[k] == ids[k]) k++;   /* the longest common prefix in the cache */
    FD_TRY(fd_state_rewind(s->st, (uint32_t)k));
    memcpy(s->tok, ids, n * sizeof *ids);
    s->ntok = n;
    /* the last one is run by generate; slices, so that Ctrl-C reaches a long prompt */
    size_t slice = fd_foundry_backend(s->fd) == FD_BACKEND_CPU ? SLICE_CPU : fd_state_prefill_chunk(s->st);
    for (size_t i = k; i < n - 1; i += slice) {
        if (s->cancel) {   /* keep what was fed: tok[i] becomes the pending token (invariant 1) */
            s->ntok = i + 1;
            if (stats) stats->stop = FD_STOP_CANCELLED;
            break;   /* the flag stays set: the generate that follows returns at once, cancelled */
        }
        FD_TRY(fd_state_prefill(s->st, ids + i, n - 1 - i < slice ? n - 1 - i : slice, NULL, NULL));
    }
    if (stats) {
        stats->prompt_tokens = s->ntok;   /* n, or what a cancel kept */
        stats->cached_tokens = k;
        stats->prompt_seconds = fd_now_seconds() - t0;
    }
    return FD_OK;
}

fd_status fd_session_feed_text(fd_session *s, const char *text, size_t len, fd_gen_stats *stats)
{
    if (!s->tok_) return fd_fail(s->fd, FD_ERR_UNSUPPORTED, "the model has no tokenizer");
    int32_t *ids = NULL, *all;
    size_t n = 0;
    fd_error err = { 0 };
    /* the BOS a model expects goes before the first text only, never mid-conversation */
    FD_TRY((s->ntok ? fd_tokenizer_encode : fd_tokenizer_encode_prompt)(s->tok_, text, len, &ids, &n, &err));
    if (s->ntok + n > s->cap || !(all = fd_malloc((s->ntok + n + 1) * sizeof *all))) {
        fd_free(ids);
        return fd_fail(s->fd, FD_ERR_RANGE, "the conversation would have %zu tokens, the context only %u",
                              s->ntok + n, fd_state_ctx(s->st));
    }
    memcpy(all, s->tok, s->ntok * sizeof *all);
    memcpy(all + s->ntok, ids, n * sizeof *all);
    fd_status st = fd_session_feed(s, all, s->ntok + n, stats);
    fd_free(ids);
    fd_free(all);
    return st;
}

static int is_eos(const fd_session *s, const fd_gen_options *g, int32_t id)
{
    for (size_t i = 0; i < g->n_stop_ids; i++)
        if (g->stop_ids[i] == id) return 1;
    if (g->ignore_eos) return 0;
    const int32_t *eos;
    size_t n = s->tok_ ? fd_tokenizer_eos(s->tok_, &eos) : 0;
    for (size_t i = 0; i < n; i++)
        if (eos[i] == id) return 1;
    const fd_generation_defaults *d = &fd_model_describe(s->model)->gen;
    for (uint32_t i = 0; i < d->n_eos; i++)
        if (d->eos_ids[i] == id) return 1;
    return 0;
}

/* Streams what of `held` can no longer be part of a stop string; returns 1
 * when a stop string was found (the text before it is streamed). */
static int flush_text(fd_sbuf *held, const char *const *stop, fd_text_cb cb, void *user, int final, int *cb_stop)
{
    if (!held->s) return 0;   /* nothing held yet */
    size_t safe = held->len, cut = (size_t)-1;
    for (const char *const *p = stop; p && *p; p++) {
        if (!**p) continue;
        const char *f = held->s ? strstr(held->s, *p) : NULL;
        if (f && (size_t)(f - held->s) < cut) cut = (size_t)(f - held->s);
        size_t sl = strlen(*p);   /* a suffix of held that starts a stop string: hold it back */
        for (size_t k = sl - 1; k > 0 && !final; k--)
            if (k <= held->len && !strncmp(held->s + held->len - k, *p, k) && held->len - k < safe) {
                safe = held->len - k;
                break;
            }
    }
    if (cut != (size_t)-1) safe = cut;
    while (safe > 0 && safe < held->len && ((unsigned char)held->s[safe] & 0xC0) == 0x80) safe--;   /* whole chars */
    if (safe && cb && !*cb_stop) *cb_stop = cb(user, held->s, safe);
    memmove(held->s, held->s + safe, held->len - safe + 1);
    held->len -= safe;
    return cut != (size_t)-1;
}

fd_status fd_session_generate(fd_session *s, const fd_gen_options *g, fd_text_cb cb, void *user,
                              fd_gen_stats *stats)
{
    static const fd_gen_options none;
    if (!g) g = &none;
    if (!s->ntok) return fd_fail(s->fd, FD_ERR_STATE, "generate: nothing was fed");
    double t0 = fd_now_seconds();
    fd_gen_stats local = { 0 };
    if (!stats) stats = &local;
    stats->gen_tokens = 0;
    stats->stop = FD_STOP_LIMIT;
    fd_state_set_sampler(s->st, g->sampler);
    fd_sbuf held = { 0 };
    fd_detok dt = { { 0 }, 0 };
    fd_status st = FD_OK;
    int done = 0, cb_stop = 0;
    while (!done && st == FD_OK) {
        size_t room = fd_state_ctx(s->st) - fd_state_pos(s->st), k = CHUNK;
        if (g->max_tokens && g->max_tokens - stats->gen_tokens < k) k = g->max_tokens - stats->gen_tokens;
        if (k > room) k = room;
        if (!k) {
            stats->stop = room ? FD_STOP_LIMIT : FD_STOP_CONTEXT;
            break;
        }
        if (take_cancel(s) || cb_stop) {
            stats->stop = FD_STOP_CANCELLED;
            break;
        }
        int32_t out[CHUNK];
        uint32_t p0 = fd_state_pos(s->st);
        st = fd_state_decode(s->st, s->tok[s->ntok - 1], k, out);
        for (size_t i = 0; st == FD_OK && i < k && !done; i++) {
            s->tok[s->ntok++] = out[i];
            stats->gen_tokens++;
            if (is_eos(s, g, out[i])) {
                stats->stop = FD_STOP_EOS;
                done = 1;
            } else if (s->tok_) {
                char buf[512];
                size_t n = 0;
                fd_error err = { 0 };
                if (fd_tokenizer_decode_next(s->tok_, &dt, out[i], buf, sizeof buf, &n, &err) == FD_OK && n)
                    fd_sbuf_catn(&held, buf, n);
                if (flush_text(&held, g->stop, cb, user, 0, &cb_stop)) {
                    stats->stop = FD_STOP_STRING;
                    done = 1;
                }
            }
            if (done) st = fd_state_rewind(s->st, p0 + (uint32_t)i + 1);   /* forget the steps past the stop */
        }
    }
    if (stats->stop != FD_STOP_STRING && s->tok_) {
        char tail[8];
        size_t n = 0;
        fd_error err = { 0 };
        if (fd_tokenizer_decode_flush(s->tok_, &dt, tail, sizeof tail, &n, &err) == FD_OK && n) fd_sbuf_catn(&held, tail, n);
        flush_text(&held, g->stop, cb, user, 1, &cb_stop);
    }
    fd_free(fd_sbuf_take(&held));
    stats->gen_seconds = fd_now_seconds() - t0;
    if (st == FD_OK && held.oom) st = FD_ERR_NOMEM;
    return st;
}
