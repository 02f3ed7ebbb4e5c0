/* chat.c — a multi-turn chat over a session: the conversation kept as JSON
 * messages, rendered whole through the model's own chat template every
 * turn, tokenized, and fed with prefix reuse (the template may rewrite
 * earlier turns; prefill starts at the first token that differs).
 *
 * Layer: generate. The chat borrows its session; the reply of each turn is
 * streamed through the caller's callback and kept as the assistant message. */
#include <jansson.h>
#include <string.h>
#include "base/mem.h"
#include "base/sbuf.h"
#include "core/internal.h"
#include "foundry/generate.h"
#include "foundry/template.h"
#include "foundry/tokenizer.h"
#include "base/util.h"
#include "text/tok.h"

struct fd_chat {
    fd_session *s;
    fd_template *tmpl;
    char *vars;                 /* the special tokens, for the template */
    char *system;               /* NULL: none */
    json_t *messages;
};

void fd_chat_destroy(fd_chat *c)
{
    if (!c) return;
    fd_template_destroy(c->tmpl);
    fd_template_free(c->vars);
    fd_free(c->system);
    json_decref(c->messages);
    fd_free(c);
}

/* Appends {role, content} to msgs; content must be valid UTF-8 (checked by the callers). */
static fd_status add_message(json_t *msgs, const char *role, const char *content, size_t len)
{
    json_t *m = json_pack("{s:s, s:s%}", "role", role, "content", content, len);
    if (!m || json_array_append_new(msgs, m)) return FD_ERR_NOMEM;
    return FD_OK;
}

/* FD_ERR_INVALID naming the first bad byte, unless text is well-formed UTF-8. */
static fd_status check_utf8(const char *what, const char *text, fd_error *err)
{
    size_t n = strlen(text), ok = 0;
    if (fd_utf8_valid(text, n)) return FD_OK;
    while (ok < n && fd_utf8_valid(text, ok + 1)) ok++;   /* short texts: a line of chat */
    return fd_error_set(err, FD_ERR_INVALID, "the %s is not valid UTF-8 (byte %zu)", what, ok + 1);
}

fd_status fd_chat_reset(fd_chat *c)
{
    json_array_clear(c->messages);
    if (c->system) FD_TRY(add_message(c->messages, "system", c->system, strlen(c->system)));
    return fd_session_reset(c->s);
}

fd_status fd_chat_create(fd_session *s, const char *template_path, const char *system, fd_chat **out, fd_error *err)
{
    *out = NULL;
    fd_chat *c = fd_calloc(1, sizeof *c);
    if (!c || !(c->messages = json_array())) {
        fd_free(c);
        return fd_error_set(err, FD_ERR_NOMEM, "chat: out of memory");
    }
    c->s = s;
    fd_status st = system ? check_utf8("system message", system, err) : FD_OK;
    if (st == FD_OK) st = fd_template_load(template_path, &c->tmpl, &c->vars, err);
    if (st == FD_OK && system && !(c->system = fd_strdup(system))) st = fd_error_set(err, FD_ERR_NOMEM, "chat: out of memory");
    if (st == FD_OK && system && add_message(c->messages, "system", system, strlen(system)) != FD_OK)
        st = fd_error_set(err, FD_ERR_NOMEM, "chat: out of memory");
    if (st != FD_OK) {
        fd_chat_destroy(c);
        return st;
    }
    *out = c;
    return FD_OK;
}

typedef struct tee { fd_text_cb cb; void *user; fd_sbuf reply; } tee;

static int keep_and_forward(void *user, const char *text, size_t len)
{
    tee *t = user;
    fd_sbuf_catn(&t->reply, text, len);
    return t->cb ? t->cb(t->user, text, len) : 0;
}

/* msgs rendered through the template and tokenized: *ids (fd_free) of *n. */
static fd_status render_ids(fd_chat *c, json_t *msgs, int32_t **ids, size_t *n, fd_error *err)
{
    *ids = NULL;
    *n = 0;
    const fd_tokenizer *tk = fd_session_tokenizer(c->s);
    if (!tk) return fd_error_set(err, FD_ERR_UNSUPPORTED, "chat: the model has no tokenizer");
    fd_template_options o;
    fd_template_options_init(&o);
    o.add_generation_prompt = 1;
    o.vars_json = c->vars;
    char *prompt = NULL;
    size_t len = 0;
    FD_TRY(fd_template_render_value(c->tmpl, msgs, &o, &prompt, &len, err));
    fd_status st = fd_tokenizer_encode_prompt(tk, prompt, len, ids, n, err);
    fd_template_free(prompt);
    return st;
}

static int is_role(const json_t *m, const char *role)
{
    const char *r = json_string_value(json_object_get(m, "role"));
    return r && !strcmp(r, role);
}

/* Drops the oldest turn after the system message: a message and the
 * assistant replies that follow it (templates expect user/assistant to
 * alternate). 0 when only the newest message is left. */
static size_t drop_oldest(fd_chat *c, json_t *msgs)
{
    size_t first = c->system ? 1 : 0, k = 0;
    if (json_array_size(msgs) <= first + 1) return 0;
    do {
        json_array_remove(msgs, first);
        k++;
    } while (json_array_size(msgs) > first + 1 && is_role(json_array_get(msgs, first), "assistant"));
    return k;
}

/* The conversation with the user's text added, its oldest turns dropped
 * until the prompt leaves `reserve` tokens for the reply (or until only the
 * new turn is left and it fits at all): *out (a new array) and its tokens. */
static fd_status fit_turn(fd_chat *c, const char *text, size_t reserve, json_t **out, int32_t **ids, size_t *n,
                          size_t *dropped, fd_error *err)
{
    size_t ctx = fd_session_ctx(c->s);
    json_t *msgs = json_array();
    if (!msgs || json_array_extend(msgs, c->messages) || add_message(msgs, "user", text, strlen(text)) != FD_OK) {
        json_decref(msgs);
        return fd_error_set(err, FD_ERR_NOMEM, "chat: out of memory");
    }
    fd_status st;
    while ((st = render_ids(c, msgs, ids, n, err)) == FD_OK && *n + reserve > ctx) {
        size_t k = drop_oldest(c, msgs);
        if (!k) {
            if (*n < ctx) break;   /* no room for the whole reply, but some */
            st = fd_error_set(err, FD_ERR_RANGE, "the message takes %zu tokens with the template, the context "
                              "holds %zu (raise -c or say less)", *n, ctx);
            break;
        }
        *dropped += k;
        fd_free(*ids);
        *ids = NULL;
    }
    if (st != FD_OK) {
        fd_free(*ids);
        *ids = NULL;
        json_decref(msgs);
        return st;
    }
    *out = msgs;
    return FD_OK;
}

fd_status fd_chat_say(fd_chat *c, const char *text, const fd_gen_options *g, fd_text_cb cb, void *user,
                      fd_gen_stats *stats, fd_error *err)
{
    fd_gen_stats local = { 0 };
    if (!stats) stats = &local;
    stats->dropped_messages = 0;
    FD_TRY(check_utf8("message", text, err));
    /* room for the reply: its limit, at most half the context (a long reply stops at the context's end) */
    size_t ctx = fd_session_ctx(c->s), want = g && g->max_tokens ? g->max_tokens : ctx / 4;
    if (want > ctx / 2) want = ctx / 2;
    json_t *msgs = NULL;
    int32_t *ids = NULL;
    size_t nid = 0;
    FD_TRY(fit_turn(c, text, want, &msgs, &ids, &nid, &stats->dropped_messages, err));
    /* the turn is refused above without touching the conversation; from here it is part of it */
    json_decref(c->messages);
    c->messages = msgs;
    fd_status st = fd_session_feed(c->s, ids, nid, stats);
    fd_free(ids);
    tee t = { cb, user, { 0 } };
    if (st == FD_OK) st = fd_session_generate(c->s, g, keep_and_forward, &t, stats);
    size_t rn = t.reply.len;
    int oom = t.reply.oom;
    char *reply = fd_sbuf_take(&t.reply);
    unsigned char *clean = NULL;   /* a reply may end inside a character, or a model emit stray bytes */
    size_t cn = 0;
    if (st == FD_OK && oom) st = fd_error_set(err, FD_ERR_NOMEM, "chat: out of memory for the reply");
    if (st == FD_OK && reply) st = tok_utf8_sanitize((unsigned char *)reply, rn, &clean, &cn, err);
    if (st == FD_OK)
        st = clean ? add_message(c->messages, "assistant", (char *)clean, cn)
                   : add_message(c->messages, "assistant", reply ? reply : "", reply ? rn : 0);
    fd_free(clean);
    fd_free(reply);
    if (st != FD_OK && !err->msg[0]) fd_error_set(err, st, "chat: %s", fd_session_error(c->s));
    return st;
}
