/* server.c — the server's lifecycle (serve.h) and its routes: civetweb
 * listens and runs one worker thread per connection; each request is
 * authenticated, its body read within SRV_MAX_BODY, and routed here.
 *
 * Layer: serve. Civetweb (Debian's libcivetweb) parses HTTP — bounded request
 * line and headers (max_request_size) — so no HTTP parsing lives here; see
 * DESIGN.md for why civetweb rather than libmicrohttpd. Threads: civetweb's
 * workers (any number of requests at once: parse, template, tokenize, write)
 * and the one engine thread, the caller of fd_server_run (device work). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "base/mem.h"
#include "base/sbuf.h"
#include "base/util.h"
#include "core/internal.h"
#include "serve/http.h"

static const char *reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 413: return "Payload Too Large";
    case 503: return "Service Unavailable";
    default: return status >= 500 ? "Internal Server Error" : "Error";
    }
}

int srv_reply(struct mg_connection *c, const fd_server *s, int status, const char *type, const char *body, size_t len,
              const char *extra_headers)
{
    mg_printf(c, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nConnection: close\r\n", status,
              reason(status), type, len);
    if (s->cors) mg_printf(c, "Access-Control-Allow-Origin: %s\r\n", s->cors);
    mg_printf(c, "%s\r\n", extra_headers ? extra_headers : "");
    if (len) mg_write(c, body, len);
    return status;
}

int srv_reply_json(struct mg_connection *c, const fd_server *s, int status, json_t *body, const char *extra_headers)
{
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    if (!text) return srv_reply(c, s, 500, "text/plain", "out of memory\n", 14, NULL);
    int r = srv_reply(c, s, status, "application/json", text, strlen(text), extra_headers);
    free(text);
    return r;
}

json_t *srv_fail_json(const srv_fail *f)
{
    return json_pack("{s:{s:s, s:s, s:s?, s:s?}}", "error", "message", f->msg, "type", f->type ? f->type : "server_error",
                     "param", f->param[0] ? f->param : NULL, "code",
                     f->http == 404 ? "model_not_found" : f->http == 401 ? "invalid_api_key" : NULL);
}

int srv_reply_fail(struct mg_connection *c, const fd_server *s, const srv_fail *f)
{
    return srv_reply_json(c, s, f->http ? f->http : 500, srv_fail_json(f),
                          f->http == 503 ? "Retry-After: 1\r\n" : NULL);
}

static int fail(struct mg_connection *c, const fd_server *s, int status, const char *param, const char *msg)
{
    srv_fail f = { 0 };
    srv_failf(&f, status, param, "%s", msg);
    return srv_reply_fail(c, s, &f);
}

/* Constant-time comparison of the Bearer key (no timing hint of a prefix). */
static int authorized(const fd_server *s, struct mg_connection *c)
{
    if (!s->api_key) return 1;
    const char *h = mg_get_header(c, "Authorization");
    if (!h || strncmp(h, "Bearer ", 7)) return 0;
    h += 7;
    size_t n = strlen(h), k = strlen(s->api_key);
    unsigned diff = (unsigned)(n ^ k);
    for (size_t i = 0; i < n; i++) diff |= (unsigned char)h[i] ^ (unsigned char)s->api_key[i % (k ? k : 1)];
    return diff == 0;
}

static int models(struct mg_connection *c, const fd_server *s)
{
    return srv_reply_json(c, s, 200, json_pack("{s:s, s:[{s:s, s:s, s:I, s:s}]}", "object", "list", "data", "id",
                                               s->name, "object", "model", "created", (json_int_t)s->started,
                                               "owned_by", "foundry"), NULL);
}

static int metrics(struct mg_connection *c, fd_server *s)
{
    srv_metrics m;
    srv_engine_metrics(s->eng, &m);
    fd_sbuf b = { 0 };
    fd_sbuf_printf(&b, "# HELP foundry_requests_total Generation requests accepted.\n# TYPE foundry_requests_total counter\n"
                       "foundry_requests_total %llu\n", (unsigned long long)m.requests);
    fd_sbuf_printf(&b, "# HELP foundry_requests_rejected_total Generation requests refused with 503 (queue full or stopping).\n"
                       "# TYPE foundry_requests_rejected_total counter\nfoundry_requests_rejected_total %llu\n",
                   (unsigned long long)m.rejected);
    fd_sbuf_printf(&b, "# HELP foundry_prompt_tokens_total Prompt tokens of finished requests.\n# TYPE foundry_prompt_tokens_total counter\n"
                       "foundry_prompt_tokens_total %llu\n", (unsigned long long)m.prompt_tokens);
    fd_sbuf_printf(&b, "# HELP foundry_prompt_tokens_cached_total Prompt tokens reused from a kept cache.\n"
                       "# TYPE foundry_prompt_tokens_cached_total counter\nfoundry_prompt_tokens_cached_total %llu\n",
                   (unsigned long long)m.cached_tokens);
    fd_sbuf_printf(&b, "# HELP foundry_generated_tokens_total Tokens generated.\n# TYPE foundry_generated_tokens_total counter\n"
                       "foundry_generated_tokens_total %llu\n", (unsigned long long)m.gen_tokens);
    fd_sbuf_printf(&b, "# HELP foundry_generation_tokens_per_second Generated tokens per second of decode time.\n"
                       "# TYPE foundry_generation_tokens_per_second gauge\nfoundry_generation_tokens_per_second %.3f\n",
                   m.decode_seconds > 0 ? m.gen_tokens / m.decode_seconds : 0.0);
    fd_sbuf_printf(&b, "# HELP foundry_queue_length Requests waiting for a sequence slot.\n# TYPE foundry_queue_length gauge\n"
                       "foundry_queue_length %u\n", m.queued);
    fd_sbuf_printf(&b, "# HELP foundry_sequences_active Sequences being generated.\n# TYPE foundry_sequences_active gauge\n"
                       "foundry_sequences_active %u\nfoundry_sequences_max %u\n", m.active, m.parallel);
    fd_sbuf_printf(&b, "# HELP foundry_kv_cache_tokens Tokens held in the sequences' KV caches (kept for reuse included).\n"
                       "# TYPE foundry_kv_cache_tokens gauge\nfoundry_kv_cache_tokens %llu\nfoundry_kv_cache_capacity_tokens %llu\n",
                   (unsigned long long)m.cache_tokens, (unsigned long long)m.cache_capacity);
    char *text = fd_sbuf_take(&b);
    int r = text ? srv_reply(c, s, 200, "text/plain; version=0.0.4", text, strlen(text), NULL)
                 : srv_reply(c, s, 500, "text/plain", "", 0, NULL);
    fd_free(text);
    return r;
}

/* The body, at most SRV_MAX_BODY bytes; NULL with *status set (413, 400) otherwise. */
static char *read_body(struct mg_connection *c, size_t *len, int *status)
{
    long long cl = mg_get_request_info(c)->content_length;
    if (cl > (long long)SRV_MAX_BODY) {
        *status = 413;
        return NULL;
    }
    size_t cap = cl >= 0 ? (size_t)cl : SRV_MAX_BODY + 1, n = 0;
    char *b = fd_malloc(cap + 1);
    if (!b) {
        *status = 500;
        return NULL;
    }
    while (n < cap) {
        int k = mg_read(c, b + n, cap - n);
        if (k <= 0) break;
        n += (size_t)k;
    }
    if (n > SRV_MAX_BODY || (cl >= 0 && n < (size_t)cl)) {
        *status = n > SRV_MAX_BODY ? 413 : 400;
        fd_free(b);
        return NULL;
    }
    b[n] = 0;
    *len = n;
    return b;
}

static int answer(struct mg_connection *c, fd_server *s);

/* Counts the requests being answered: civetweb fails every write once
 * mg_stop begins, so destroy waits for these to end first. */
static int route(struct mg_connection *c, void *user)
{
    fd_server *s = user;
    __atomic_add_fetch(&s->busy, 1, __ATOMIC_SEQ_CST);
    int r = answer(c, s);
    __atomic_sub_fetch(&s->busy, 1, __ATOMIC_SEQ_CST);
    return r;
}

static int answer(struct mg_connection *c, fd_server *s)
{
    const struct mg_request_info *ri = mg_get_request_info(c);
    const char *m = ri->request_method, *u = ri->local_uri ? ri->local_uri : "";
    int get = !strcmp(m, "GET"), post = !strcmp(m, "POST");
    if (!strcmp(m, "OPTIONS") && s->cors)
        return srv_reply(c, s, 204, "text/plain", "", 0,
                         "Access-Control-Allow-Methods: GET, POST, OPTIONS\r\n"
                         "Access-Control-Allow-Headers: Authorization, Content-Type\r\n");
    if (!strcmp(u, "/health")) {
        if (!get) return fail(c, s, 405, NULL, "/health takes GET");
        const char *b = s->stopping ? "{\"status\":\"stopping\"}" : "{\"status\":\"ok\"}";
        return srv_reply(c, s, s->stopping ? 503 : 200, "application/json", b, strlen(b), NULL);
    }
    if (!strcmp(u, "/metrics")) return get ? metrics(c, s) : fail(c, s, 405, NULL, "/metrics takes GET");
    int chat = !strcmp(u, "/v1/chat/completions"), comp = !strcmp(u, "/v1/completions");
    int list = !strcmp(u, "/v1/models");
    if (!chat && !comp && !list) {
        char msg[256];
        snprintf(msg, sizeof msg, "no route %.32s %.160s", m, u);
        return fail(c, s, 404, NULL, msg);
    }
    if (!authorized(s, c)) return fail(c, s, 401, NULL, "a missing or wrong API key: send \"Authorization: Bearer KEY\"");
    if (list) return get ? models(c, s) : fail(c, s, 405, NULL, "/v1/models takes GET");
    if (!post) return fail(c, s, 405, NULL, "this route takes POST");
    if (s->stopping) return fail(c, s, 503, NULL, "the server is shutting down");
    size_t len = 0;
    int status = 0;
    char *body = read_body(c, &len, &status);
    if (!body) {
        char msg[128];
        snprintf(msg, sizeof msg, status == 413 ? "the body is larger than %u bytes" : "the body was cut short",
                 SRV_MAX_BODY);
        return fail(c, s, status, NULL, msg);
    }
    int r = srv_complete(c, s, body, len, chat);
    fd_free(body);
    return r;
}

static int quiet(const struct mg_connection *c, const char *msg)
{
    (void)c, (void)msg;
    return 1;   /* the library prints nothing: civetweb's own log lines are dropped */
}

fd_status fd_server_create(fd_foundry *fd, const fd_model *m, const fd_weights *w, const fd_server_options *o,
                           fd_server **out, fd_error *err)
{
    *out = NULL;
    fd_server *s = fd_calloc(1, sizeof *s);
    if (!s) return fd_error_set(err, FD_ERR_NOMEM, "serve: out of memory");
    s->started = (double)time(NULL);
    s->tk = fd_model_describe(m)->tokenizer;
    s->drain = o->drain_seconds > 0 ? o->drain_seconds : 10;
    if (o->defaults) s->defaults = *o->defaults;
    else fd_sampler_defaults(&s->defaults);
    fd_status st = FD_OK;
    if (!s->tk) st = fd_error_set(err, FD_ERR_UNSUPPORTED, "serve: the model has no tokenizer");
    if (st == FD_OK && (!(s->name = fd_strdup(o->model_name ? o->model_name : "foundry")) ||
                        (o->api_key && !(s->api_key = fd_strdup(o->api_key))) || (o->cors && !(s->cors = fd_strdup(o->cors)))))
        st = fd_error_set(err, FD_ERR_NOMEM, "serve: out of memory");
    if (st == FD_OK && o->template_path) {
        fd_error te = { 0 };
        if (fd_template_load(o->template_path, &s->tmpl, &s->vars, &te) != FD_OK) s->tmpl = NULL;   /* chat answers 400 */
    }
    unsigned parallel = o->parallel ? o->parallel : 1, queue = o->queue ? o->queue : 64;
    if (st == FD_OK && (st = srv_engine_create(fd, m, w, parallel, queue, o->ctx, o->no_graph, &s->eng)) != FD_OK)
        fd_error_set(err, st, "serve: the sequences' states: %s", fd_foundry_error(fd));
    if (st == FD_OK) {
        const char *host = o->host ? o->host : "127.0.0.1";
        char ports[300], threads[16], errtext[256] = "";
        snprintf(ports, sizeof ports, strchr(host, ':') ? "[%s]:%u" : "%s:%u", host, o->port);
        snprintf(threads, sizeof threads, "%u", parallel + queue + 8);   /* every queued request holds a worker */
        const char *opts[] = { "listening_ports", ports, "num_threads", threads, "max_request_size", "16384",
                               "request_timeout_ms", "60000", "enable_keep_alive", "no", NULL };
        struct mg_callbacks cb = { .log_message = quiet };
        struct mg_init_data init = { .callbacks = &cb, .user_data = s, .configuration_options = opts };
        unsigned code = 0;
        struct mg_error_data ed = { .code = &code, .text = errtext, .text_buffer_size = sizeof errtext };
        mg_init_library(0);
        if (!(s->http = mg_start2(&init, &ed))) {
            mg_exit_library();
            st = fd_error_set(err, FD_ERR_IO, "serve: cannot listen on %s: %s", ports, errtext[0] ? errtext : "civetweb failed");
        } else {
            struct mg_server_port p[4];
            int np = mg_get_server_ports(s->http, 4, p);
            s->port = np > 0 ? (unsigned)p[0].port : o->port;
            mg_set_request_handler(s->http, "/", route, s);
        }
    }
    if (st != FD_OK) {
        fd_server_destroy(s);
        return st;
    }
    *out = s;
    return FD_OK;
}

unsigned fd_server_port(const fd_server *s) { return s->port; }
const char *fd_server_error(const fd_server *s) { return s->err.msg; }

fd_status fd_server_run(fd_server *s)
{
    fd_status st = srv_engine_run(s->eng);
    if (st != FD_OK) fd_error_set(&s->err, st, "serve: %s", fd_status_name(st));
    return st;
}

void fd_server_stop(fd_server *s)
{
    s->stopping = 1;
    srv_engine_stop(s->eng, s->drain);
}

void fd_server_destroy(fd_server *s)
{
    if (!s) return;
    if (s->http) {
        s->stopping = 1;
        if (s->eng) srv_engine_stop(s->eng, 0.001);
        for (int i = 0; i < 500 && __atomic_load_n(&s->busy, __ATOMIC_SEQ_CST); i++) {   /* up to 5 s */
            struct timespec ts = { 0, 10 * 1000000L };
            nanosleep(&ts, NULL);
        }
        mg_stop(s->http);   /* waits for the workers: every job they wait on is done by now */
        mg_exit_library();  /* pairs with create's mg_init_library (civetweb counts them) */
    }
    srv_engine_destroy(s->eng);
    fd_template_destroy(s->tmpl);
    fd_template_free(s->vars);
    fd_free(s->name);
    fd_free(s->api_key);
    fd_free(s->cors);
    fd_free(s);
}
