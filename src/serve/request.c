/* request.c — an OpenAI chat or completions body read and checked field by
 * field (request.h): every field we honour is validated with its range,
 * every field we cannot honour (n > 1, logprobs, response_format...) is a
 * 400 that names it rather than being ignored; then the prompt rendered.
 *
 * Layer: serve. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/mem.h"
#include "serve/request.h"

fd_status srv_failf(srv_fail *f, int http, const char *param, const char *fmt, ...)
{
    if (f && !f->http) {
        f->http = http;
        f->type = http == 401 ? "authentication_error" : http == 404 ? "not_found_error"
                : http == 503 ? "overloaded_error" : http >= 500 ? "server_error" : "invalid_request_error";
        snprintf(f->param, sizeof f->param, "%s", param ? param : "");
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(f->msg, sizeof f->msg, fmt, ap);
        va_end(ap);
    }
    return FD_ERR_INVALID;
}

void srv_req_free(srv_req *r)
{
    json_decref(r->root);
    json_decref(r->messages);
    free(r->tools_json);   /* json_dumps: jansson allocates with malloc */
    memset(r, 0, sizeof *r);
}

/* A number field in [lo, hi]: 1 with *out set, 0 when absent or null, -1 (f filled) when wrong. */
static int num(json_t *o, const char *k, double lo, double hi, double *out, srv_fail *f)
{
    json_t *v = json_object_get(o, k);
    if (!v || json_is_null(v)) return 0;
    if (!json_is_number(v)) return srv_failf(f, 400, k, "'%s' must be a number", k), -1;
    double d = json_number_value(v);
    if (!(d >= lo && d <= hi)) return srv_failf(f, 400, k, "'%s' is %g; it must be in [%g, %g]", k, d, lo, hi), -1;
    *out = d;
    return 1;
}

static int integer(json_t *o, const char *k, double lo, double hi, double *out, srv_fail *f)
{
    json_t *v = json_object_get(o, k);
    if (v && !json_is_null(v) && !json_is_integer(v)) return srv_failf(f, 400, k, "'%s' must be an integer", k), -1;
    return num(o, k, lo, hi, out, f);
}

static int boolean(json_t *o, const char *k, int *out, srv_fail *f)
{
    json_t *v = json_object_get(o, k);
    if (!v || json_is_null(v)) return 0;
    if (!json_is_boolean(v)) return srv_failf(f, 400, k, "'%s' must be true or false", k), -1;
    *out = json_is_true(v);
    return 1;
}

/* Fields we cannot honour: present with anything but their neutral value. */
static fd_status refuse_unsupported(json_t *o, srv_fail *f)
{
    json_t *v;
    if ((v = json_object_get(o, "n")) && !json_is_null(v) && !(json_is_integer(v) && json_integer_value(v) == 1))
        return srv_failf(f, 400, "n", "'n' must be 1: one choice per request is supported");
    if ((v = json_object_get(o, "best_of")) && !json_is_null(v) && !(json_is_integer(v) && json_integer_value(v) == 1))
        return srv_failf(f, 400, "best_of", "'best_of' is not supported");
    if ((v = json_object_get(o, "logprobs")) && !json_is_null(v) && !json_is_false(v))
        return srv_failf(f, 400, "logprobs", "'logprobs' is not supported");
    if ((v = json_object_get(o, "top_logprobs")) && !json_is_null(v))
        return srv_failf(f, 400, "top_logprobs", "'top_logprobs' is not supported");
    if ((v = json_object_get(o, "echo")) && json_is_true(v)) return srv_failf(f, 400, "echo", "'echo' is not supported");
    if ((v = json_object_get(o, "suffix")) && !json_is_null(v))
        return srv_failf(f, 400, "suffix", "'suffix' is not supported");
    if ((v = json_object_get(o, "logit_bias")) && !json_is_null(v) && !(json_is_object(v) && !json_object_size(v)))
        return srv_failf(f, 400, "logit_bias", "'logit_bias' is not supported");
    if ((v = json_object_get(o, "response_format")) && !json_is_null(v)) {
        const char *t = json_string_value(json_object_get(v, "type"));
        if (!t || strcmp(t, "text"))
            return srv_failf(f, 400, "response_format", "'response_format' other than {\"type\": \"text\"} is not supported");
    }
    return FD_OK;
}

static fd_status read_stop(json_t *o, srv_req *r, srv_fail *f)
{
    json_t *v = json_object_get(o, "stop");
    if (!v || json_is_null(v)) return FD_OK;
    if (json_is_string(v)) {
        r->stop[0] = json_string_value(v);
        return FD_OK;
    }
    if (!json_is_array(v)) return srv_failf(f, 400, "stop", "'stop' must be a string or an array of strings");
    if (json_array_size(v) > SRV_MAX_STOPS) return srv_failf(f, 400, "stop", "'stop' has more than %d strings", SRV_MAX_STOPS);
    for (size_t i = 0; i < json_array_size(v); i++) {
        const char *s = json_string_value(json_array_get(v, i));
        if (!s) return srv_failf(f, 400, "stop", "'stop[%zu]' must be a string", i);
        r->stop[i] = s;
    }
    return FD_OK;
}

/* Content as the template expects it: a string (text parts joined), or null. */
static fd_status flatten_content(json_t *m, size_t i, srv_fail *f)
{
    json_t *c = json_object_get(m, "content");
    if (!c || json_is_null(c) || json_is_string(c)) return FD_OK;
    if (!json_is_array(c)) return srv_failf(f, 400, "messages", "'messages[%zu].content' must be a string or an array of parts", i);
    size_t cap = 1, len = 0;
    for (size_t k = 0; k < json_array_size(c); k++) {
        json_t *p = json_array_get(c, k);
        const char *type = json_string_value(json_object_get(p, "type")), *t = json_string_value(json_object_get(p, "text"));
        if (!type || strcmp(type, "text") || !t)
            return srv_failf(f, 400, "messages", "'messages[%zu].content[%zu]' is not a text part (only text is supported)", i, k);
        cap += strlen(t);
    }
    char *s = fd_malloc(cap);
    if (!s) return srv_failf(f, 500, NULL, "out of memory");
    for (size_t k = 0; k < json_array_size(c); k++) {
        const char *t = json_string_value(json_object_get(json_array_get(c, k), "text"));
        memcpy(s + len, t, strlen(t));
        len += strlen(t);
    }
    s[len] = 0;
    int bad = json_object_set_new(m, "content", json_stringn(s, len));
    fd_free(s);
    return bad ? srv_failf(f, 400, "messages", "'messages[%zu].content' is not valid UTF-8", i) : FD_OK;
}

/* Assistant tool calls' arguments arrive as JSON text; templates want the object. */
static fd_status parse_arguments(json_t *m, size_t i, srv_fail *f)
{
    json_t *calls = json_object_get(m, "tool_calls");
    if (!calls || json_is_null(calls)) return FD_OK;
    if (!json_is_array(calls)) return srv_failf(f, 400, "messages", "'messages[%zu].tool_calls' must be an array", i);
    for (size_t k = 0; k < json_array_size(calls); k++) {
        json_t *fn = json_object_get(json_array_get(calls, k), "function");
        if (!json_is_object(fn) || !json_is_string(json_object_get(fn, "name")))
            return srv_failf(f, 400, "messages", "'messages[%zu].tool_calls[%zu].function' needs a name", i, k);
        json_t *a = json_object_get(fn, "arguments");
        if (json_is_string(a)) {
            json_t *obj = json_loads(json_string_value(a), JSON_DECODE_ANY, NULL);
            if (!obj) return srv_failf(f, 400, "messages", "'messages[%zu].tool_calls[%zu].function.arguments' is not JSON", i, k);
            json_object_set_new(fn, "arguments", obj);
        }
    }
    return FD_OK;
}

static fd_status read_messages(json_t *o, srv_req *r, srv_fail *f)
{
    json_t *ms = json_object_get(o, "messages");
    if (!json_is_array(ms) || !json_array_size(ms))
        return srv_failf(f, 400, "messages", "'messages' must be a non-empty array");
    if (!(r->messages = json_deep_copy(ms))) return srv_failf(f, 500, NULL, "out of memory");
    for (size_t i = 0; i < json_array_size(r->messages); i++) {
        json_t *m = json_array_get(r->messages, i);
        const char *role = json_string_value(json_object_get(m, "role"));
        if (!json_is_object(m) || !role)
            return srv_failf(f, 400, "messages", "'messages[%zu]' must be an object with a string 'role'", i);
        if (strcmp(role, "system") && strcmp(role, "user") && strcmp(role, "assistant") && strcmp(role, "tool") &&
            strcmp(role, "developer"))
            return srv_failf(f, 400, "messages", "'messages[%zu].role' is '%s', not system, developer, user, assistant or tool", i, role);
        if (!strcmp(role, "developer")) json_object_set_new(m, "role", json_string("system"));
        FD_TRY(flatten_content(m, i, f));
        FD_TRY(parse_arguments(m, i, f));
    }
    return FD_OK;
}

static fd_status read_tools(json_t *o, srv_req *r, srv_fail *f)
{
    json_t *t = json_object_get(o, "tools"), *c = json_object_get(o, "tool_choice");
    if (c && !json_is_null(c) && !json_is_string(c) && !json_is_object(c))
        return srv_failf(f, 400, "tool_choice", "'tool_choice' must be \"none\", \"auto\", \"required\" or an object");
    if (json_is_string(c) && strcmp(json_string_value(c), "none") && strcmp(json_string_value(c), "auto") &&
        strcmp(json_string_value(c), "required"))
        return srv_failf(f, 400, "tool_choice", "'tool_choice' is '%s', not none, auto or required", json_string_value(c));
    if (!t || json_is_null(t)) return FD_OK;
    if (!json_is_array(t)) return srv_failf(f, 400, "tools", "'tools' must be an array");
    for (size_t i = 0; i < json_array_size(t); i++) {
        json_t *fn = json_object_get(json_array_get(t, i), "function");
        if (!json_is_string(json_object_get(fn, "name")))
            return srv_failf(f, 400, "tools", "'tools[%zu]' must be {\"type\": \"function\", \"function\": {\"name\", ...}}", i);
    }
    if (json_is_string(c) && !strcmp(json_string_value(c), "none")) return FD_OK;   /* the template sees no tools */
    if (json_array_size(t) && !(r->tools_json = json_dumps(t, JSON_COMPACT)))
        return srv_failf(f, 500, NULL, "out of memory");
    return FD_OK;
}

static fd_status read_fields(json_t *o, srv_req *r, srv_fail *f)
{
    FD_TRY(refuse_unsupported(o, f));
    json_t *v = json_object_get(o, "model");
    if (v && !json_is_null(v) && !(r->model = json_string_value(v))) return srv_failf(f, 400, "model", "'model' must be a string");
    double d;
    int b, k;
#define GET(call, action) do { if ((k = (call)) < 0) return FD_ERR_INVALID; if (k) { action; } } while (0)
    GET(num(o, "temperature", 0, 100, &d, f), r->samp.temperature = (float)d);
    GET(num(o, "top_p", 0, 1, &d, f), r->samp.top_p = (float)d);
    GET(integer(o, "top_k", 0, 1 << 30, &d, f), r->samp.top_k = (int32_t)d);
    GET(num(o, "min_p", 0, 1, &d, f), r->samp.min_p = (float)d);
    GET(num(o, "presence_penalty", -2, 2, &d, f), r->samp.presence_penalty = (float)d);
    GET(num(o, "frequency_penalty", -2, 2, &d, f), r->samp.frequency_penalty = (float)d);
    GET(num(o, "repeat_penalty", 0.01, 100, &d, f), r->samp.repeat_penalty = (float)d);
    GET(integer(o, "seed", -9.2e18, 1.8e19, &d, f), r->samp.seed = (uint64_t)json_integer_value(json_object_get(o, "seed")); r->seeded = 1);
    GET(integer(o, "max_tokens", 1, 1 << 30, &d, f), r->max_tokens = (size_t)d);
    GET(integer(o, "max_completion_tokens", 1, 1 << 30, &d, f), r->max_tokens = (size_t)d);
    GET(integer(o, "min_tokens", 0, 1 << 30, &d, f), r->min_tokens = (size_t)d);
    GET(boolean(o, "ignore_eos", &b, f), r->ignore_eos = b);
    GET(boolean(o, "stream", &b, f), r->stream = b);
#undef GET
    v = json_object_get(o, "stream_options");
    if (v && !json_is_null(v)) {
        if (!json_is_object(v)) return srv_failf(f, 400, "stream_options", "'stream_options' must be an object");
        if (boolean(v, "include_usage", &r->include_usage, f) < 0) return srv_failf(f, 400, "stream_options", "bad stream_options");
        if (!r->stream) return srv_failf(f, 400, "stream_options", "'stream_options' needs \"stream\": true");
    }
    FD_TRY(read_stop(o, r, f));
    if (r->chat) {
        FD_TRY(read_messages(o, r, f));
        return read_tools(o, r, f);
    }
    v = json_object_get(o, "prompt");
    if (json_is_array(v) && json_array_size(v) == 1) v = json_array_get(v, 0);
    if (!(r->prompt = json_string_value(v))) return srv_failf(f, 400, "prompt", "'prompt' must be a string");
    return FD_OK;
}

fd_status srv_req_parse(const char *body, size_t len, int chat, const fd_sampler *defaults, srv_req *r,
                        srv_fail *f)
{
    memset(r, 0, sizeof *r);
    r->chat = chat;
    if (defaults) r->samp = *defaults;
    else fd_sampler_defaults(&r->samp);
    json_error_t je;
    if (!(r->root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je)))
        return srv_failf(f, 400, NULL, "the body is not JSON: %s (line %d, column %d)", je.text, je.line, je.column);
    if (!json_is_object(r->root)) {
        srv_req_free(r);
        return srv_failf(f, 400, NULL, "the body must be a JSON object");
    }
    fd_status st = read_fields(r->root, r, f);
    if (st != FD_OK) srv_req_free(r);
    return st;
}

fd_status srv_req_prompt(const srv_req *r, const fd_template *tmpl, const char *vars, char **text, size_t *n,
                         srv_fail *f)
{
    *text = NULL;
    *n = 0;
    if (!r->chat) {
        size_t len = strlen(r->prompt);
        if (!(*text = fd_malloc(len + 1))) return srv_failf(f, 500, NULL, "out of memory");
        memcpy(*text, r->prompt, len + 1);
        *n = len;
        return FD_OK;
    }
    if (!tmpl) return srv_failf(f, 400, "messages", "the model has no chat template: use /v1/completions");
    fd_template_options o;
    fd_template_options_init(&o);
    o.add_generation_prompt = 1;
    o.tools_json = r->tools_json;
    o.vars_json = vars;
    o.limits.max_output = 16 << 20;
    o.limits.max_memory = 128 << 20;
    fd_error err = { 0 };
    if (fd_template_render_value(tmpl, r->messages, &o, text, n, &err) != FD_OK)
        return srv_failf(f, 400, "messages", "the chat template refused the messages: %s", err.msg);
    return FD_OK;
}
