/* template_load.c — a model's chat template and special-token strings, read
 * from the tokenizer files alone (no weights, no config.json needed):
 *   folder: chat_template.jinja > chat_template.json > tokenizer_config.json's
 *           chat_template (transformers' order), special tokens from
 *           tokenizer_config.json ({"bos_token": "<s>"} or {"content": "<s>"});
 *   GGUF:   tokenizer.chat_template, tokens named by tokenizer.ggml.*_token_id;
 *   a .jinja file: the template alone; a .json file: a tokenizer_config.json.
 *
 * Layer: text (public entry fd_template_load, see template.h). */
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include "base/mem.h"
#include "base/util.h"
#include "format/mapfile.h"
#include "foundry/gguf.h"
#include "foundry/template.h"

static int ends_with(const char *s, const char *suf)
{
    size_t n = strlen(s), k = strlen(suf);
    return n >= k && !strcmp(s + n - k, suf);
}

static fd_status template_of(const char *path, const char *text, size_t n, fd_template **out, fd_error *err);

/* A template from a file's text (mapped, so its size is not copied twice). */
static fd_status template_file(const char *path, fd_template **out, fd_error *err)
{
    fd_mapfile f;
    fd_status rc = fd_mapfile_open(path, &f, err);
    if (rc == FD_OK) rc = template_of(path, (const char *)f.data, (size_t)f.size, out, err);
    fd_mapfile_close(&f);
    return rc;
}

static fd_status template_of(const char *path, const char *text, size_t n, fd_template **out, fd_error *err)
{
    fd_status rc = fd_template_create(text, n, out, err);
    if (rc != FD_OK && err && !strstr(err->msg, path)) {
        fd_error e = *err;
        fd_error_clear(err);
        fd_error_set(err, rc, "%s: %s", path, e.msg);
    }
    return rc;
}

/* chat_template of a JSON object: a string, or a list of {name, template} from
 * which transformers' rule picks: `tool_use` when tools are given and it exists,
 * else `default`. NULL with *no_default set when a list has neither. */
static const char *json_template(json_t *o, int tools, int *no_default)
{
    json_t *ct = json_object_get(o, "chat_template");
    const char *dflt = NULL, *tool_use = NULL;
    *no_default = 0;
    if (json_is_string(ct)) return json_string_value(ct);
    if (!json_is_array(ct)) return NULL;
    for (size_t i = 0; i < json_array_size(ct); i++) {
        json_t *e = json_array_get(ct, i), *name = json_object_get(e, "name"), *t = json_object_get(e, "template");
        if (!json_is_string(t) || !json_is_string(name)) continue;
        if (!strcmp(json_string_value(name), "default")) dflt = json_string_value(t);
        if (!strcmp(json_string_value(name), "tool_use")) tool_use = json_string_value(t);
    }
    if (tools && tool_use) return tool_use;
    *no_default = !dflt && json_array_size(ct) > 0;
    return dflt;
}

static fd_status load_json(const char *path, json_t **out, fd_error *err)
{
    json_error_t je;
    if (!(*out = json_load_file(path, JSON_DECODE_ANY, &je)))
        return fd_error_set(err, FD_ERR_FORMAT, "%s: bad JSON at line %d: %s", path, je.line, je.text);
    if (!json_is_object(*out)) {
        json_decref(*out);
        *out = NULL;
        return fd_error_set(err, FD_ERR_FORMAT, "%s: not a JSON object", path);
    }
    return FD_OK;
}

/* Special tokens of a tokenizer_config.json as a JSON object's text. */
static fd_status config_vars(json_t *cfg, const char *path, char **vars, fd_error *err)
{
    static const char *const keys[] = { "bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token",
                                        "mask_token", NULL };
    json_t *o = json_object(), *extra;
    fd_status rc = FD_OK;
    if (!o) return fd_error_set(err, FD_ERR_NOMEM, "%s: out of memory", path);
    for (size_t i = 0; keys[i] && cfg; i++) {
        json_t *v = json_object_get(cfg, keys[i]);
        if (json_is_object(v)) v = json_object_get(v, "content");
        if (json_is_string(v) && json_object_set(o, keys[i], v)) rc = fd_error_set(err, FD_ERR_NOMEM, "%s: out of memory", path);
    }
    extra = cfg ? json_object_get(cfg, "additional_special_tokens") : NULL;
    if (rc == FD_OK && json_is_array(extra)) {
        json_t *l = json_array();
        for (size_t i = 0; l && i < json_array_size(extra); i++) {
            json_t *v = json_array_get(extra, i);
            if (json_is_object(v)) v = json_object_get(v, "content");
            if (json_is_string(v)) json_array_append(l, v);
        }
        if (!l || json_object_set_new(o, "additional_special_tokens", l)) rc = fd_error_set(err, FD_ERR_NOMEM, "%s: out of memory", path);
    }
    char *s = rc == FD_OK ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(o);
    if (rc == FD_OK && (!s || !(*vars = fd_strdup(s)))) rc = fd_error_set(err, FD_ERR_NOMEM, "%s: out of memory", path);
    free(s);
    return rc;
}

/* The template of a JSON object o read from path: *found 0 when it has none. */
static fd_status json_create(const char *path, json_t *o, int tools, fd_template **tmpl, int *found, fd_error *err)
{
    int no_default;
    const char *s = json_template(o, tools, &no_default);
    *found = s != NULL;
    if (no_default)
        return fd_error_set(err, FD_ERR_FORMAT, "%s: a list of named chat templates without a 'default'%s", path,
                            tools ? " or 'tool_use'" : "");
    return s ? template_of(path, s, strlen(s), tmpl, err) : FD_OK;
}

static fd_status load_folder(const char *dir, int tools, fd_template **tmpl, char **vars, fd_error *err)
{
    char *jinja = fd_path_join(dir, "chat_template.jinja"), *ctj = fd_path_join(dir, "chat_template.json"),
         *cfgp = fd_path_join(dir, "tokenizer_config.json");
    json_t *cfg = NULL, *ct = NULL;
    fd_status rc = FD_OK;
    int has_cfg = 0, has_jinja = 0, has_ctj = 0;   /* a FIFO or a folder under one of the names is an error */
    if (!jinja || !ctj || !cfgp) rc = fd_error_set(err, FD_ERR_NOMEM, "%s: out of memory", dir);
    if (rc == FD_OK) rc = fd_probe_file(cfgp, &has_cfg, err);
    if (rc == FD_OK) rc = fd_probe_file(jinja, &has_jinja, err);
    if (rc == FD_OK) rc = fd_probe_file(ctj, &has_ctj, err);
    if (rc == FD_OK && has_cfg) rc = load_json(cfgp, &cfg, err);
    if (rc == FD_OK) rc = config_vars(cfg, cfgp, vars, err);
    int found = 0;
    if (rc == FD_OK && has_jinja) {
        rc = template_file(jinja, tmpl, err);
        found = 1;
    }
    if (rc == FD_OK && !found && has_ctj && (rc = load_json(ctj, &ct, err)) == FD_OK)
        rc = json_create(ctj, ct, tools, tmpl, &found, err);
    if (rc == FD_OK && !found && cfg) rc = json_create(cfgp, cfg, tools, tmpl, &found, err);
    if (rc == FD_OK && !found) {
        rc = fd_error_set(err, FD_ERR_UNAVAILABLE, "%s: no chat template (chat_template.jinja, chat_template.json "
                          "or tokenizer_config.json's chat_template)", dir);
    }
    json_decref(cfg);
    json_decref(ct);
    fd_free(jinja);
    fd_free(ctj);
    fd_free(cfgp);
    return rc;
}

static fd_status load_gguf(const char *path, fd_template **tmpl, char **vars, fd_error *err)
{
    static const struct { const char *key, *var; } ids[] = {
        { "tokenizer.ggml.bos_token_id", "bos_token" }, { "tokenizer.ggml.eos_token_id", "eos_token" },
        { "tokenizer.ggml.unknown_token_id", "unk_token" }, { "tokenizer.ggml.separator_token_id", "sep_token" },
        { "tokenizer.ggml.padding_token_id", "pad_token" } };
    fd_gguf *g;
    fd_gguf_str ct;
    const fd_gguf_str *toks = NULL;
    uint64_t ntok = 0;
    json_t *o = NULL;
    fd_status rc;
    FD_TRY(fd_gguf_open_ex(path, FD_GGUF_ANY_TENSOR_TYPE, &g, err));
    if (!fd_gguf_has(g, "tokenizer.chat_template")) {
        fd_gguf_close(g);
        return fd_error_set(err, FD_ERR_UNAVAILABLE, "%s: no tokenizer.chat_template", path);
    }
    rc = fd_gguf_get_str(g, "tokenizer.chat_template", &ct, err);
    if (rc == FD_OK) rc = template_of(path, ct.ptr, (size_t)ct.len, tmpl, err);
    if (rc == FD_OK && fd_gguf_has(g, "tokenizer.ggml.tokens")) rc = fd_gguf_get_str_array(g, "tokenizer.ggml.tokens", &toks, &ntok, err);
    if (rc == FD_OK && !(o = json_object())) rc = fd_error_set(err, FD_ERR_NOMEM, "%s: out of memory", path);
    for (size_t i = 0; rc == FD_OK && i < sizeof ids / sizeof ids[0]; i++) {
        uint64_t id;
        if (!fd_gguf_has(g, ids[i].key)) continue;
        rc = fd_gguf_get_uint(g, ids[i].key, &id, err);
        if (rc == FD_OK && id < ntok && json_object_set_new(o, ids[i].var, json_stringn(toks[id].ptr, (size_t)toks[id].len)))
            rc = fd_error_set(err, FD_ERR_NOMEM, "%s: out of memory", path);
    }
    char *s = rc == FD_OK ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    if (rc == FD_OK && (!s || !(*vars = fd_strdup(s)))) rc = fd_error_set(err, FD_ERR_NOMEM, "%s: out of memory", path);
    free(s);
    json_decref(o);
    fd_gguf_close(g);
    return rc;
}

fd_status fd_template_load(const char *path, fd_template **tmpl, char **vars_json, fd_error *err)
{
    return fd_template_load_ex(path, 0, tmpl, vars_json, err);
}

fd_status fd_template_load_ex(const char *path, int tools, fd_template **tmpl, char **vars_json, fd_error *err)
{
    fd_status rc;
    if (!tmpl || !vars_json) return fd_error_set(err, FD_ERR_INVALID, "fd_template_load_ex: tmpl or vars_json is NULL");
    *tmpl = NULL;
    *vars_json = NULL;
    if (!path) return fd_error_set(err, FD_ERR_INVALID, "fd_template_load_ex: path is NULL");
    int is_dir = 0;
    FD_TRY(fd_probe_input(path, &is_dir, err));
    if (is_dir) {
        rc = load_folder(path, tools, tmpl, vars_json, err);
    } else if (ends_with(path, ".jinja")) {
        rc = template_file(path, tmpl, err);
        if (rc == FD_OK && !(*vars_json = fd_strdup("{}"))) rc = fd_error_set(err, FD_ERR_NOMEM, "%s: out of memory", path);
    } else if (ends_with(path, ".json")) {
        json_t *cfg;
        rc = load_json(path, &cfg, err);
        if (rc == FD_OK) {
            int found = 0;
            rc = config_vars(cfg, path, vars_json, err);
            if (rc == FD_OK) rc = json_create(path, cfg, tools, tmpl, &found, err);
            if (rc == FD_OK && !found) rc = fd_error_set(err, FD_ERR_UNAVAILABLE, "%s: no chat_template", path);
            json_decref(cfg);
        }
    } else {
        rc = load_gguf(path, tmpl, vars_json, err);
    }
    if (rc != FD_OK) {
        fd_template_destroy(*tmpl);
        fd_free(*vars_json);
        *tmpl = NULL;
        *vars_json = NULL;
    }
    return rc;
}
