/* http.h — what the server's files share: the server object and the
 * helpers that write HTTP answers through civetweb.
 *
 * Layer: serve. server.c owns the lifecycle and routing, complete.c the two
 * generation endpoints. */
#ifndef FD_SERVE_HTTP_H
#define FD_SERVE_HTTP_H

#include <civetweb.h>
#include <signal.h>
#include "foundry/serve.h"
#include "foundry/template.h"
#include "serve/engine.h"
#include "serve/request.h"

#define SRV_MAX_BODY (4u << 20)   /* bytes of a request body; more is 413 */

struct fd_server {
    struct mg_context *http;
    srv_engine *eng;
    fd_template *tmpl;          /* NULL: the model has none (chat answers 400) */
    char *vars;                 /* the template's special tokens */
    const struct fd_tokenizer *tk;
    char *name, *api_key, *cors;
    fd_sampler defaults;
    double drain;
    unsigned port;
    volatile sig_atomic_t stopping;
    uint64_t seq;               /* response ids and default seeds (atomic increments) */
    int busy;                   /* requests being answered (atomic): destroy lets them finish writing */
    double started;
    fd_error err;
};

/* Writes a whole response with Content-Length (and the CORS header); returns status. */
int srv_reply(struct mg_connection *c, const fd_server *s, int status, const char *type, const char *body, size_t len,
              const char *extra_headers);
/* A JSON value (stolen) as the body. */
int srv_reply_json(struct mg_connection *c, const fd_server *s, int status, json_t *body, const char *extra_headers);
/* OpenAI's error shape {"error": {"message", "type", "param", "code"}} with f's status. */
int srv_reply_fail(struct mg_connection *c, const fd_server *s, const srv_fail *f);
json_t *srv_fail_json(const srv_fail *f);

/* POST /v1/chat/completions (chat = 1) and /v1/completions, the body read. */
int srv_complete(struct mg_connection *c, fd_server *s, const char *body, size_t len, int chat);

#endif
