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

static fd_status add_message(fd_chat *c, const char *role, const char *content, size_t len)
{
    json_t *m = json_pack("{s:s, s:s%}", "role", role, "content", content, len);
    if (!m || json_array_append_new(c->messages, m)) return FD_ERR_NOMEM;
    return FD_OK;
}

fd_status fd_chat_reset(fd_chat *c)
{
    json_array_clear(c->messages);
    if (c->system) FD_TRY(add_message(c, "system", c->system, strlen(c->system)));
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
    fd_status st = fd_template_load(template_path, &c->tmpl, &c->vars, err);
    if (st == FD_OK && system && !(c->system = fd_strdup(system))) st = fd_error_set(err, FD_ERR_NOMEM, "chat: out of memory");
    if (st == FD_OK && system) st = add_message(c, "system", system, strlen(system));
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

fd_status fd_chat_say(fd_chat *c, const char *text, const fd_gen_options *g, fd_text_cb cb, void *user,
                      fd_gen_stats *stats, fd_error *err)
{
    if (add_message(c, "user", text, strlen(text)) != FD_OK)
        return fd_error_set(err, FD_ERR_NOMEM, "chat: out of memory");
    fd_template_options o;
    fd_template_options_init(&o);
    o.add_generation_prompt = 1;
    o.vars_json = c->vars;
    char *prompt = NULL;
    size_t n = 0;
    FD_TRY(fd_template_render_value(c->tmpl, c->messages, &o, &prompt, &n, err));
    const fd_tokenizer *tk = fd_session_tokenizer(c->s);
    int32_t *ids = NULL;
    size_t nid = 0;
    fd_status st = tk ? fd_tokenizer_encode(tk, prompt, n, &ids, &nid, err)
                      : fd_error_set(err, FD_ERR_UNSUPPORTED, "chat: the model has no tokenizer");
    fd_template_free(prompt);
    if (st == FD_OK) st = fd_session_feed(c->s, ids, nid, stats);
    fd_free(ids);
    tee t = { cb, user, { 0 } };
    if (st == FD_OK) st = fd_session_generate(c->s, g, keep_and_forward, &t, stats);
    char *reply = fd_sbuf_take(&t.reply);
    if (st == FD_OK) st = add_message(c, "assistant", reply ? reply : "", reply ? strlen(reply) : 0);
    fd_free(reply);
    if (st != FD_OK && !err->msg[0]) fd_error_set(err, st, "chat: %s", fd_session_error(c->s));
    return st;
}
