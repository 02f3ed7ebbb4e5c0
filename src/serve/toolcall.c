/* toolcall.c — the tool calls in a model's reply, in the two formats chat
 * templates teach (request.h: srv_tool_calls): Qwen2.5 / Hermes wrap each call
 * in <tool_call>...</tool_call> around {"name", "arguments"}; Llama 3.x
 * answers with one bare JSON object {"name", "parameters"}, optionally after
 * <|python_tag|>. Anything else is plain content.
 *
 * Layer: serve. */
#include <stdio.h>
#include <string.h>
#include "base/mem.h"
#include "serve/request.h"

/* Appends {"id", "type": "function", "function": {"name", "arguments": JSON text}}; 0 if obj is no call. */
static int add_call(json_t *calls, json_t *obj)
{
    const char *name = json_string_value(json_object_get(obj, "name"));
    json_t *args = json_object_get(obj, "arguments");
    if (!args) args = json_object_get(obj, "parameters");
    if (!name || (args && !json_is_object(args) && !json_is_string(args))) return 0;
    char *text = !args ? NULL : json_is_string(args) ? NULL : json_dumps(args, JSON_COMPACT);
    const char *atext = !args ? "{}" : json_is_string(args) ? json_string_value(args) : text ? text : "{}";
    char id[32];
    snprintf(id, sizeof id, "call_%zu", json_array_size(calls));
    json_array_append_new(calls, json_pack("{s:s, s:s, s:{s:s, s:s}}", "id", id, "type", "function", "function",
                                           "name", name, "arguments", atext));
    free(text);   /* jansson's allocator is malloc */
    return 1;
}

static char *trimmed(const char *s, size_t n)
{
    while (n && (*s == ' ' || *s == '\n' || *s == '\t' || *s == '\r')) s++, n--;
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\n' || s[n - 1] == '\t' || s[n - 1] == '\r')) n--;
    char *c = fd_malloc(n + 1);
    if (c) memcpy(c, s, n), c[n] = 0;
    return c;
}

static json_t *hermes(const char *text, size_t len, char **content)
{
    static const char open[] = "<tool_call>", close[] = "</tool_call>";
    json_t *calls = json_array();
    char *rest = fd_malloc(len + 1);
    size_t nrest = 0;
    const char *p = text, *end = text + len;
    while (calls && rest && p < end) {
        const char *a = memmem(p, (size_t)(end - p), open, sizeof open - 1);
        const char *b = a ? memmem(a, (size_t)(end - a), close, sizeof close - 1) : NULL;
        if (!a || !b) break;
        memcpy(rest + nrest, p, (size_t)(a - p));
        nrest += (size_t)(a - p);
        json_t *obj = json_loadb(a + sizeof open - 1, (size_t)(b - a) - (sizeof open - 1), 0, NULL);
        int ok = obj && add_call(calls, obj);
        json_decref(obj);
        if (!ok) {   /* not a call after all: keep its text as content */
            memcpy(rest + nrest, a, (size_t)(b - a) + sizeof close - 1);
            nrest += (size_t)(b - a) + sizeof close - 1;
        }
        p = b + sizeof close - 1;
    }
    if (!calls || !rest || !json_array_size(calls)) {
        json_decref(calls);
        fd_free(rest);
        return NULL;
    }
    memcpy(rest + nrest, p, (size_t)(end - p));
    nrest += (size_t)(end - p);
    *content = trimmed(rest, nrest);
    fd_free(rest);
    return calls;
}

static json_t *llama3(const char *text, size_t len, char **content)
{
    static const char tag[] = "<|python_tag|>";
    char *t = trimmed(text, len);
    if (!t) return NULL;
    const char *s = t;
    if (!strncmp(s, tag, sizeof tag - 1)) s += sizeof tag - 1;
    json_t *obj = s[strspn(s, " \n")] == '{' ? json_loads(s, 0, NULL) : NULL, *calls = obj ? json_array() : NULL;
    fd_free(t);
    if (!calls || !json_object_get(obj, "parameters") || !add_call(calls, obj)) {
        json_decref(obj);
        json_decref(calls);
        return NULL;
    }
    json_decref(obj);
    *content = trimmed("", 0);
    return calls;
}

json_t *srv_tool_calls(const char *text, size_t len, char **content)
{
    *content = NULL;
    json_t *c = hermes(text, len, content);
    return c ? c : llama3(text, len, content);
}
