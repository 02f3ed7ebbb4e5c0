/* complete.c — POST /v1/chat/completions and /v1/completions: the request
 * read (request.c), the prompt rendered and tokenized on this worker
 * thread, the job queued on the engine, and its text written back whole or
 * as server-sent events ("data: {chunk}\n\n" ... "data: [DONE]\n\n").
 *
 * Layer: serve. A stream whose client has gone (a write fails) cancels its
 * job; the worker still waits for the engine to mark it done before freeing
 * it (engine.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "base/mem.h"
#include "base/sbuf.h"
#include "foundry/tokenizer.h"
#include "serve/http.h"

typedef struct reply {
    struct mg_connection *c;
    fd_server *s;
    const srv_req *r;
    char id[48];
    json_int_t created;
    int broken;                 /* a write failed: the client is gone */
} reply;

static const char *finish_name(srv_finish f)
{
    return f == SRV_FINISH_LENGTH ? "length" : f == SRV_FINISH_CANCELLED ? "cancelled" : "stop";
}

static json_t *usage(const srv_job *j)
{
    return json_pack("{s:I, s:I, s:I, s:{s:I}}", "prompt_tokens", (json_int_t)j->prompt_tokens, "completion_tokens",
                     (json_int_t)j->gen_tokens, "total_tokens", (json_int_t)(j->prompt_tokens + j->gen_tokens),
                     "prompt_tokens_details", "cached_tokens", (json_int_t)j->cached_tokens);
}

/* An event with a chunk object (stolen): choices [choice] (or [] when choice is NULL). */
static void send_event(reply *p, json_t *choice, json_t *use)
{
    json_t *o = json_pack("{s:s, s:s, s:I, s:s, s:[]}", "id", p->id, "object",
                          p->r->chat ? "chat.completion.chunk" : "text_completion", "created", p->created, "model",
                          p->s->name, "choices");
    if (!o) return;
    if (choice) json_array_append_new(json_object_get(o, "choices"), choice);
    if (use) json_object_set_new(o, "usage", use);
    char *t = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (!t) return;
    if (!p->broken && mg_printf(p->c, "data: %s\n\n", t) <= 0) p->broken = 1;
    free(t);
}

static json_t *delta_choice(const srv_req *r, json_t *delta, const char *finish)
{
    if (r->chat)
        return json_pack("{s:i, s:o, s:s?}", "index", 0, "delta", delta, "finish_reason", finish);
    json_t *text = json_object_get(delta, "content");
    json_t *c = json_pack("{s:i, s:o, s:n, s:s?}", "index", 0, "text", text ? json_incref(text) : json_string(""),
                          "logprobs", "finish_reason", finish);
    json_decref(delta);
    return c;
}

/* The final message: content, or tool calls parsed from it when the request had tools. */
static json_t *message(const srv_req *r, const char *text, size_t len, const char **finish)
{
    char *content = NULL;
    json_t *calls = r->tools_json ? srv_tool_calls(text, len, &content) : NULL;
    json_t *m;
    if (calls) {
        *finish = "tool_calls";
        m = json_pack("{s:s, s:s?, s:o}", "role", "assistant", "content", content && *content ? content : NULL,
                      "tool_calls", calls);
    } else {
        m = json_pack("{s:s, s:s%}", "role", "assistant", "content", text, len);
    }
    fd_free(content);
    return m;
}

static int stream(reply *p, srv_engine *e, srv_job *j)
{
    struct mg_connection *c = p->c;
    mg_printf(c, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nConnection: close\r\n");
    if (p->s->cors) mg_printf(c, "Access-Control-Allow-Origin: %s\r\n", p->s->cors);
    if (mg_printf(c, "\r\n") <= 0) p->broken = 1;
    if (p->r->chat) send_event(p, delta_choice(p->r, json_pack("{s:s, s:s}", "role", "assistant", "content", ""), NULL), NULL);
    fd_sbuf all = { 0 }, chunk = { 0 };
    int done = 0;
    while (!done) {
        chunk.len = 0;
        done = srv_engine_wait(e, j, &chunk, 0.5);
        if (p->broken) srv_job_cancel(j);   /* gone: the engine frees the slot at its next round */
        if (!chunk.len) continue;
        if (j->hold) fd_sbuf_catn(&all, chunk.s, chunk.len);
        else send_event(p, delta_choice(p->r, json_pack("{s:s%}", "content", chunk.s, chunk.len), NULL), NULL);
    }
    if (j->finish == SRV_FINISH_ERROR) {
        srv_fail f = { 0 };
        srv_failf(&f, 500, NULL, "generation failed: %s", j->error);
        json_t *ev = srv_fail_json(&f);
        char *t = ev ? json_dumps(ev, JSON_COMPACT) : NULL;
        json_decref(ev);
        if (t && !p->broken) mg_printf(c, "data: %s\n\n", t);
        free(t);
    } else {
        const char *finish = finish_name(j->finish);
        if (j->hold) {
            json_t *m = message(p->r, all.s ? all.s : "", all.len, &finish);
            json_object_del(m, "role");
            json_t *calls = json_object_get(m, "tool_calls");   /* a streamed call carries its index */
            for (size_t i = 0; i < json_array_size(calls); i++)
                json_object_set_new(json_array_get(calls, i), "index", json_integer((json_int_t)i));
            if (json_is_null(json_object_get(m, "content"))) json_object_del(m, "content");
            send_event(p, delta_choice(p->r, m, NULL), NULL);
        }
        send_event(p, delta_choice(p->r, json_object(), finish), NULL);
        if (p->r->include_usage) send_event(p, NULL, usage(j));
    }
    if (!p->broken) mg_printf(c, "data: [DONE]\n\n");
    fd_free(fd_sbuf_take(&all));
    fd_free(fd_sbuf_take(&chunk));
    return 200;
}

static int whole(reply *p, srv_engine *e, srv_job *j)
{
    fd_sbuf all = { 0 };
    while (!srv_engine_wait(e, j, &all, 1.0)) {}
    if (j->finish == SRV_FINISH_ERROR) {
        fd_free(fd_sbuf_take(&all));
        srv_fail f = { 0 };
        srv_failf(&f, 500, NULL, "generation failed: %s", j->error);
        return srv_reply_fail(p->c, p->s, &f);
    }
    const char *finish = finish_name(j->finish), *text = all.s ? all.s : "";
    json_t *msg = p->r->chat ? message(p->r, text, all.len, &finish) : NULL;   /* may make finish "tool_calls" */
    json_t *choice = p->r->chat ? json_pack("{s:i, s:o, s:s}", "index", 0, "message", msg, "finish_reason", finish)
                                : json_pack("{s:i, s:s%, s:n, s:s}", "index", 0, "text", text, all.len, "logprobs",
                                            "finish_reason", finish);
    fd_free(fd_sbuf_take(&all));
    return srv_reply_json(p->c, p->s, 200,
                          json_pack("{s:s, s:s, s:I, s:s, s:[o], s:o}", "id", p->id, "object",
                                    p->r->chat ? "chat.completion" : "text_completion", "created", p->created,
                                    "model", p->s->name, "choices", choice, "usage", usage(j)), NULL);
}

int srv_complete(struct mg_connection *c, fd_server *s, const char *body, size_t len, int chat)
{
    srv_req r;
    srv_fail f = { 0 };
    if (srv_req_parse(body, len, chat, &s->defaults, &r, &f) != FD_OK) return srv_reply_fail(c, s, &f);
    int32_t *ids = NULL;
    size_t n = 0;
    char *prompt = NULL;
    size_t plen = 0;
    fd_status st = FD_OK;
    if (r.model && strcmp(r.model, s->name))
        st = srv_failf(&f, 404, "model", "the model '%s' does not exist; this server has '%s'", r.model, s->name);
    if (st == FD_OK) st = srv_req_prompt(&r, s->tmpl, s->vars, &prompt, &plen, &f);
    fd_error err = { 0 };
    if (st == FD_OK && fd_tokenizer_encode_prompt(s->tk, prompt, plen, &ids, &n, &err) != FD_OK)
        st = srv_failf(&f, 400, chat ? "messages" : "prompt", "the prompt cannot be tokenized: %s", err.msg);
    fd_template_free(prompt);
    uint32_t ctx = srv_engine_ctx(s->eng);
    if (st == FD_OK && !n) st = srv_failf(&f, 400, chat ? "messages" : "prompt", "the prompt is empty");
    if (st == FD_OK && n >= ctx)
        st = srv_failf(&f, 400, chat ? "messages" : "prompt",
                       "the prompt has %zu tokens; the context has %u (the prompt must leave room for a reply)", n, ctx);
    if (st != FD_OK) {
        fd_free(ids);
        srv_req_free(&r);
        return srv_reply_fail(c, s, &f);
    }
    uint64_t seq = __atomic_add_fetch(&s->seq, 1, __ATOMIC_RELAXED);
    srv_job j = { .ids = ids, .n = n, .max_tokens = r.max_tokens, .min_tokens = r.min_tokens,
                  .ignore_eos = r.ignore_eos, .hold = r.tools_json != NULL, .samp = r.samp, .stop = r.stop };
    if (!r.seeded) j.samp.seed = (uint64_t)time(NULL) * 1000003u + seq;   /* unseeded requests differ */
    reply p = { .c = c, .s = s, .r = &r, .created = (json_int_t)time(NULL) };
    snprintf(p.id, sizeof p.id, "%s-%llx", chat ? "chatcmpl" : "cmpl", (unsigned long long)seq);
    int q = srv_engine_submit(s->eng, &j), status;
    if (q) {
        srv_failf(&f, 503, NULL, q == 1 ? "the queue is full; retry later" : "the server is shutting down");
        status = srv_reply_fail(c, s, &f);
    } else {
        status = r.stream ? stream(&p, s->eng, &j) : whole(&p, s->eng, &j);
    }
    srv_job_fini(&j);
    fd_free(ids);
    srv_req_free(&r);
    return status;
}
