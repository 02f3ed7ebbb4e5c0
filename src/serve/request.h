/* request.h — an OpenAI request body read into what generation needs, the
 * prompt it renders, and the tool calls found in a reply.
 *
 * Layer: serve. Pure functions over Jansson values, no I/O: the HTTP layer
 * and the fuzz target (fuzz_serve_request) share them. A failure fills a
 * srv_fail with the HTTP status, OpenAI's error type, the field at fault and
 * a one-line message. */
#ifndef FD_SERVE_REQUEST_H
#define FD_SERVE_REQUEST_H

#include <jansson.h>
#include "foundry/ops.h"
#include "foundry/status.h"
#include "foundry/template.h"

#define SRV_MAX_STOPS 8

typedef struct srv_fail {
    int http;                   /* 400, 401, 404, 413, 503... */
    const char *type;           /* "invalid_request_error", ... */
    char param[64];             /* the field at fault, "" if none */
    char msg[512];
} srv_fail;

/* Fills f (when f->http is 0: the first failure wins) and returns FD_ERR_INVALID. */
fd_status srv_failf(srv_fail *f, int http, const char *param, const char *fmt, ...) FD_PRINTF(4, 5);

typedef struct srv_req {
    int chat;                   /* 1: /v1/chat/completions, 0: /v1/completions */
    json_t *root;               /* the body (owned, free()) */
    const char *model;          /* "model", NULL if absent (borrowed from root) */
    json_t *messages;           /* chat: a copy made for the template (owned, free()) */
    const char *prompt;         /* completions: the prompt (borrowed) */
    char *tools_json;           /* "tools" as JSON text, NULL if none or tool_choice "none" (owned, free()) */
    int stream, include_usage;
    size_t max_tokens;          /* 0: to the end of the context */
    size_t min_tokens;          /* end-of-generation tokens before this many do not stop it */
    int ignore_eos;
    int seeded;                 /* "seed" given */
    fd_sampler samp;
    const char *stop[SRV_MAX_STOPS + 1];   /* NULL-terminated, borrowed */
} srv_req;

/* Parses body[0..len) for the chat (chat = 1) or completions endpoint;
 * sampling fields not given keep `defaults`. On failure r is freed. */
fd_status srv_req_parse(const char *body, size_t len, int chat, const fd_sampler *defaults, srv_req *r,
                        srv_fail *f) FD_MUST_USE;
void srv_req_free(srv_req *r);

/* The prompt text: completions' prompt, or the messages rendered through
 * tmpl with the generation prompt and the tools (vars: the special tokens,
 * may be NULL). *text is freed with fd_template_free. */
fd_status srv_req_prompt(const srv_req *r, const fd_template *tmpl, const char *vars, char **text, size_t *n,
                         srv_fail *f) FD_MUST_USE;

/* Tool calls in a reply: Qwen/Hermes `<tool_call>{"name", "arguments"}</tool_call>`
 * blocks, or a Llama 3 reply that is one JSON object {"name", "parameters"}
 * (after an optional <|python_tag|>). Returns an OpenAI tool_calls array (new
 * reference) and the text outside the calls in *content (fd_free), or NULL
 * (and *content NULL) when the reply holds no call. */
json_t *srv_tool_calls(const char *text, size_t len, char **content);

#endif
