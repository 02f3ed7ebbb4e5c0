/* generate.h — generation sessions: a conversation's tokens over a model on
 * the device, fed with prefix reuse, decoded with the device's greedy choice
 * or sampler, streamed as UTF-8 text through a callback.
 *
 * Layer: generate (public). A session owns an fd_state (its KV cache) and
 * borrows the model, its tokenizer and the uploaded weights, which must
 * outlive it. Sessions are independent: several may share one model.
 *
 *   fd_session *s;
 *   FD_TRY(fd_session_create(fd, model, weights, &(fd_session_options){ .ctx = 4096 }, &s));
 *   FD_TRY(fd_session_feed_text(s, "Hello", 0));            // tokenized, prefilled
 *   FD_TRY(fd_session_generate(s, &(fd_gen_options){ .max_tokens = 128 }, on_text, user, &stats));
 *   fd_session_destroy(s);
 *
 * States: idle --feed--> fed --generate--> idle (generation's tokens are in
 * the cache, so a later feed continues after them); cancel (from a signal
 * handler or another thread) makes a running feed stop between its prefill
 * slices (keeping what it fed) and a running generate return at its next
 * chunk, both with stats.stop = FD_STOP_CANCELLED. A cancel is honoured
 * once: a feed it stopped leaves it set, so the generate after that feed
 * returns at once (cancelled) and clears it; one made while nothing runs
 * stops the next feed or generate. */
#ifndef FOUNDRY_GENERATE_H
#define FOUNDRY_GENERATE_H

#include "foundry/forward.h"
#include "foundry/ops.h"

typedef struct fd_session fd_session;

typedef struct fd_session_options {
    uint32_t ctx;               /* tokens the session may hold; 0: the upload's */
    int no_graph;               /* 1: launch every step's kernels eagerly (no captured graph) */
    int persistent;             /* 1: decode steps through the persistent kernel (fd_state_use_persistent) */
} fd_session_options;

typedef enum {
    FD_STOP_NONE, FD_STOP_EOS, FD_STOP_STRING, FD_STOP_LIMIT, FD_STOP_CONTEXT, FD_STOP_CANCELLED
} fd_stop_reason;

typedef struct fd_gen_options {
    size_t max_tokens;          /* 0: until a stop or the context's end */
    const fd_sampler *sampler;  /* NULL: greedy */
    const char *const *stop;    /* stop strings (NULL-terminated array, may be NULL) */
    int ignore_eos;             /* 1: the model's end-of-generation ids do not stop it */
    const int32_t *stop_ids;    /* more ids that stop it (counted, not printed), may be NULL */
    size_t n_stop_ids;
} fd_gen_options;

typedef struct fd_gen_stats {
    size_t prompt_tokens, cached_tokens, gen_tokens;   /* fed, reused from the cache, generated */
    double prompt_seconds, gen_seconds;
    fd_stop_reason stop;        /* why generate stopped; a feed sets NONE, or CANCELLED when a cancel cut it */
    size_t dropped_messages;    /* fd_chat_say: earlier messages dropped to fit the context */
} fd_gen_stats;

/* Text as it becomes whole: never a split UTF-8 character; `text` valid
 * during the call. Return non-zero to stop generating (FD_STOP_CANCELLED). */
typedef int (*fd_text_cb)(void *user, const char *text, size_t len);

fd_status fd_session_create(fd_foundry *fd, const fd_model *m, const fd_weights *w, const fd_session_options *o,
                            fd_session **out) FD_MUST_USE;
void fd_session_destroy(fd_session *s);

/* Makes the session's tokens equal `ids`: keeps the longest common prefix
 * with what the cache holds and prefills from the first difference (a chat
 * template may rewrite earlier turns). stats (may be NULL) gets prompt and
 * cached token counts and the prefill time. */
fd_status fd_session_feed(fd_session *s, const int32_t *ids, size_t n, fd_gen_stats *stats) FD_MUST_USE;
/* Appends text (tokenized with the model's tokenizer, special tokens
 * recognised) to the session's tokens and feeds. */
fd_status fd_session_feed_text(fd_session *s, const char *text, size_t len, fd_gen_stats *stats) FD_MUST_USE;
/* Generates after the fed tokens, streaming text to cb. */
fd_status fd_session_generate(fd_session *s, const fd_gen_options *g, fd_text_cb cb, void *user,
                              fd_gen_stats *stats) FD_MUST_USE;
/* Asks a running feed or generate to stop; safe from a signal handler. */
void fd_session_cancel(fd_session *s);
/* The session's tokens (prompt and generated), owned by the session. */
const int32_t *fd_session_tokens(const fd_session *s, size_t *n);
/* Forgets everything: the next feed starts a new conversation. */
fd_status fd_session_reset(fd_session *s) FD_MUST_USE;
uint32_t fd_session_ctx(const fd_session *s);   /* tokens the session may hold */
/* The model's tokenizer (NULL if it has none); the last failure's message. */
const struct fd_tokenizer *fd_session_tokenizer(const fd_session *s);
const char *fd_session_error(const fd_session *s);

/* ---- chat: a conversation rendered whole through the model's own chat
 * template each turn (template_path: the model folder or GGUF, or a
 * vocabulary GGUF that carries one), fed with prefix reuse. The chat
 * borrows the session. */
typedef struct fd_chat fd_chat;
fd_status fd_chat_create(fd_session *s, const char *template_path, const char *system, fd_chat **out,
                         fd_error *err) FD_MUST_USE;
/* One turn: the user's text in, the assistant's reply streamed to cb and
 * kept. The oldest turns (after the system message) are dropped while the
 * rendered prompt leaves less than the reply's room (max_tokens, at most
 * half the context; a quarter without a limit); stats->dropped_messages
 * counts them. Refused, leaving the conversation as it was: text that is
 * not UTF-8 (FD_ERR_INVALID), a turn that alone does not fit the context
 * (FD_ERR_RANGE), a template error. */
fd_status fd_chat_say(fd_chat *c, const char *text, const fd_gen_options *g, fd_text_cb cb, void *user,
                      fd_gen_stats *stats, fd_error *err) FD_MUST_USE;
/* Back to the system message alone. */
fd_status fd_chat_reset(fd_chat *c) FD_MUST_USE;
void fd_chat_destroy(fd_chat *c);

#endif
