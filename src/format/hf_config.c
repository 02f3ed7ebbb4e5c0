/* hf_config.c — Hugging Face config.json, generation_config.json and
 * tokenizer_config.json into the model description.
 *
 * Layer: format. Both config styles are read: older ones with top-level
 * `rope_theta` and `torch_dtype`, transformers-5 ones with
 * `rope_parameters.rope_theta` and `dtype`. */
#include <math.h>
#include <string.h>
#include "base/mem.h"
#include "format/hf_config.h"
#include "format/mapfile.h"

fd_status fd_json_load(const char *path, json_t **out, fd_error *err)
{
    FD_TRY(fd_json_read(path, JSON_REJECT_DUPLICATES, out, err));
    if (!json_is_object(*out)) {
        json_decref(*out);
        *out = NULL;
        return fd_error_set(err, FD_ERR_FORMAT, "%s: not a JSON object", path);
    }
    return FD_OK;
}

static fd_status get_u32(const char *path, json_t *o, const char *key, int required, uint32_t *out, fd_error *err)
{
    json_t *v = json_object_get(o, key);
    if (!v || json_is_null(v)) {
        if (required) return fd_error_set(err, FD_ERR_FORMAT, "%s: \"%s\" is missing", path, key);
        return FD_OK;
    }
    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > (json_int_t)UINT32_MAX)
        return fd_error_set(err, FD_ERR_FORMAT, "%s: \"%s\" is not an integer in 0..2^32-1", path, key);
    *out = (uint32_t)json_integer_value(v);
    return FD_OK;
}

static fd_status get_num(const char *path, json_t *o, const char *key, double *out, fd_error *err)
{
    json_t *v = json_object_get(o, key);
    if (!v || json_is_null(v)) return FD_OK;
    if (!json_is_number(v)) return fd_error_set(err, FD_ERR_FORMAT, "%s: \"%s\" is not a number", path, key);
    *out = json_number_value(v);
    return FD_OK;
}

static fd_status read_arch(const char *path, json_t *o, fd_model_hparams *hp, fd_error *err)
{
    json_t *mt = json_object_get(o, "model_type"), *archs = json_object_get(o, "architectures");
    const char *a0 = json_is_array(archs) && json_is_string(json_array_get(archs, 0))
                         ? json_string_value(json_array_get(archs, 0)) : NULL;
    const char *t = json_is_string(mt) ? json_string_value(mt) : NULL;
    if ((t && !strcmp(t, "qwen2")) || (!t && a0 && !strcmp(a0, "Qwen2ForCausalLM"))) {
        if (a0 && strcmp(a0, "Qwen2ForCausalLM"))
            return fd_error_set(err, FD_ERR_UNSUPPORTED, "%s: architecture %s is not supported (only Qwen2ForCausalLM)",
                                path, a0);
        strcpy(hp->arch, "qwen2");
        return FD_OK;
    }
    return fd_error_set(err, FD_ERR_UNSUPPORTED, "%s: model_type %s / architecture %s is not supported "
                        "(only qwen2 / Qwen2ForCausalLM)", path, t ? t : "(none)", a0 ? a0 : "(none)");
}

static void read_dtype(json_t *o, fd_dtype *hint)
{
    json_t *v = json_object_get(o, "dtype");
    const char *s;
    if (!json_is_string(v)) v = json_object_get(o, "torch_dtype");
    if (!json_is_string(v)) return;
    s = json_string_value(v);
    if (!strcmp(s, "bfloat16")) *hint = FD_BF16;
    else if (!strcmp(s, "float16")) *hint = FD_F16;
    else if (!strcmp(s, "float32")) *hint = FD_F32;
}

/* What this code does not implement is refused by name, never ignored:
 * RoPE scaling of any kind, sliding-window attention turned on, an
 * activation other than SiLU. */
static fd_status refuse_unimplemented(const char *path, json_t *o, fd_error *err)
{
    json_t *rs = json_object_get(o, "rope_scaling"), *rp = json_object_get(o, "rope_parameters");
    const char *type = NULL;
    if (rs && !json_is_null(rs)) {
        type = json_string_value(json_object_get(rs, "rope_type"));
        if (!type) type = json_string_value(json_object_get(rs, "type"));
        return fd_error_set(err, FD_ERR_UNSUPPORTED, "%s: \"rope_scaling\" (%s) is not implemented", path,
                            type ? type : "of unknown type");
    }
    type = json_is_object(rp) ? json_string_value(json_object_get(rp, "rope_type")) : NULL;
    if (type && strcmp(type, "default"))
        return fd_error_set(err, FD_ERR_UNSUPPORTED, "%s: \"rope_parameters.rope_type\" \"%s\" (RoPE scaling) is not "
                            "implemented", path, type);
    if (json_is_true(json_object_get(o, "use_sliding_window")))
        return fd_error_set(err, FD_ERR_UNSUPPORTED, "%s: sliding-window attention (\"use_sliding_window\": true) is "
                            "not implemented", path);
    const char *act = json_string_value(json_object_get(o, "hidden_act"));
    if (act && strcmp(act, "silu"))
        return fd_error_set(err, FD_ERR_UNSUPPORTED, "%s: \"hidden_act\" \"%s\" is not implemented (only silu)", path,
                            act);
    return FD_OK;
}

fd_status fd_hf_read_config(const char *path, fd_model_hparams *hp, fd_dtype *dtype_hint, fd_error *err)
{
    json_t *o, *rp, *tie;
    fd_status rc;
    memset(hp, 0, sizeof *hp);
    hp->rope_theta = 10000.0;
    hp->rms_eps = 1e-6;
    FD_TRY(fd_json_load(path, &o, err));
    rc = read_arch(path, o, hp, err);
    if (rc == FD_OK) rc = refuse_unimplemented(path, o, err);
    if (rc == FD_OK) rc = get_u32(path, o, "num_hidden_layers", 1, &hp->n_layers, err);
    if (rc == FD_OK) rc = get_u32(path, o, "hidden_size", 1, &hp->hidden, err);
    if (rc == FD_OK) rc = get_u32(path, o, "num_attention_heads", 1, &hp->n_heads, err);
    hp->n_kv_heads = hp->n_heads;
    if (rc == FD_OK) rc = get_u32(path, o, "num_key_value_heads", 0, &hp->n_kv_heads, err);
    if (rc == FD_OK) rc = get_u32(path, o, "intermediate_size", 1, &hp->ffn, err);
    if (rc == FD_OK) rc = get_u32(path, o, "vocab_size", 1, &hp->vocab, err);
    if (rc == FD_OK) rc = get_u32(path, o, "max_position_embeddings", 1, &hp->max_pos, err);
    if (rc == FD_OK && hp->n_heads) hp->head_dim = hp->hidden / hp->n_heads;
    if (rc == FD_OK) rc = get_u32(path, o, "head_dim", 0, &hp->head_dim, err);
    if (rc == FD_OK && hp->n_heads && hp->hidden % hp->n_heads && !json_object_get(o, "head_dim"))
        rc = fd_error_set(err, FD_ERR_FORMAT, "%s: \"hidden_size\" %u is not a multiple of \"num_attention_heads\" %u "
                          "(and \"head_dim\" is not given)", path, hp->hidden, hp->n_heads);
    if (rc == FD_OK) rc = get_num(path, o, "rms_norm_eps", &hp->rms_eps, err);
    if (rc == FD_OK) rc = get_num(path, o, "rope_theta", &hp->rope_theta, err);
    rp = json_object_get(o, "rope_parameters");
    if (rc == FD_OK && json_is_object(rp)) rc = get_num(path, rp, "rope_theta", &hp->rope_theta, err);
    tie = json_object_get(o, "tie_word_embeddings");
    if (rc == FD_OK && tie && !json_is_boolean(tie) && !json_is_null(tie))
        rc = fd_error_set(err, FD_ERR_FORMAT, "%s: \"tie_word_embeddings\" is not a boolean", path);
    hp->tie_embeddings = json_is_true(tie);
    if (rc == FD_OK && dtype_hint) read_dtype(o, dtype_hint);
    json_decref(o);
    return rc;
}

/* eos_token_id: an integer or a list of them. */
static fd_status read_ids(const char *path, json_t *v, fd_generation_defaults *g, fd_error *err)
{
    size_t n = json_is_array(v) ? json_array_size(v) : 1;
    g->n_eos = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *x = json_is_array(v) ? json_array_get(v, i) : v;
        if (!json_is_integer(x) || json_integer_value(x) < 0 || json_integer_value(x) > INT32_MAX)
            return fd_error_set(err, FD_ERR_FORMAT, "%s: \"eos_token_id\" is not a token id or a list of them", path);
        if (g->n_eos < sizeof g->eos_ids / sizeof g->eos_ids[0]) g->eos_ids[g->n_eos++] = (int32_t)json_integer_value(x);
    }
    return FD_OK;
}

static fd_status get_id(const char *path, json_t *o, const char *key, int32_t *out, fd_error *err)
{
    json_t *v = json_object_get(o, key);
    if (!v || json_is_null(v)) return FD_OK;
    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > INT32_MAX)
        return fd_error_set(err, FD_ERR_FORMAT, "%s: \"%s\" is not a token id", path, key);
    *out = (int32_t)json_integer_value(v);
    return FD_OK;
}

fd_status fd_hf_read_generation(const char *path, fd_generation_defaults *g, fd_error *err)
{
    json_t *o, *eos;
    double t = g->temperature, p = g->top_p, r = g->repetition_penalty;
    uint32_t k = (uint32_t)g->top_k;
    fd_status rc;
    FD_TRY(fd_json_load(path, &o, err));
    rc = get_num(path, o, "temperature", &t, err);
    if (rc == FD_OK) rc = get_num(path, o, "top_p", &p, err);
    if (rc == FD_OK) rc = get_num(path, o, "repetition_penalty", &r, err);
    if (rc == FD_OK) rc = get_u32(path, o, "top_k", 0, &k, err);
    if (rc == FD_OK) rc = get_id(path, o, "bos_token_id", &g->bos_id, err);
    if (rc == FD_OK) rc = get_id(path, o, "pad_token_id", &g->pad_id, err);
    eos = json_object_get(o, "eos_token_id");
    if (rc == FD_OK && eos && !json_is_null(eos)) rc = read_ids(path, eos, g, err);
    if (rc == FD_OK && (k > INT32_MAX || !(t >= 0) || !isfinite((float)t) || !(p >= 0 && p <= 1) || !(r > 0) ||
                        !isfinite((float)r)))
        rc = fd_error_set(err, FD_ERR_FORMAT, "%s: sampling values out of range (temperature %g, top_k %u, top_p %g, "
                          "repetition_penalty %g)", path, t, k, p, r);
    g->temperature = (float)t;
    g->top_p = (float)p;
    g->repetition_penalty = (float)r;
    g->top_k = (int32_t)k;
    json_decref(o);
    return rc;
}

fd_status fd_hf_read_chat_template(const char *path, char **tmpl, fd_error *err)
{
    json_t *o, *ct;
    const char *s = NULL;
    *tmpl = NULL;
    FD_TRY(fd_json_load(path, &o, err));
    ct = json_object_get(o, "chat_template");
    if (json_is_string(ct)) {
        s = json_string_value(ct);
    } else if (json_is_array(ct)) {
        for (size_t i = 0; i < json_array_size(ct); i++) {
            json_t *e = json_array_get(ct, i), *name = json_object_get(e, "name"), *t = json_object_get(e, "template");
            if (!json_is_string(t)) continue;
            if (!s || (json_is_string(name) && !strcmp(json_string_value(name), "default"))) s = json_string_value(t);
        }
    }
    if (s && !(*tmpl = fd_strdup(s))) {
        json_decref(o);
        return fd_error_set(err, FD_ERR_NOMEM, "%s: out of memory", path);
    }
    json_decref(o);
    return FD_OK;
}
