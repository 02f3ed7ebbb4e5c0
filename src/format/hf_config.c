/* hf_config.c — Hugging Face config.json, generation_config.json and
 * tokenizer_config.json into the model description.
 *
 * Layer: format. Both config styles are read: older ones with top-level
 * `rope_theta` and `torch_dtype`, transformers-5 ones with
 * `rope_parameters.rope_theta` and `dtype`; RoPE scaling (llama3) in
 * `rope_scaling` or `rope_parameters`. Which keys mean what comes from
 * the architecture's descriptor (a key table, hparams.h); which
 * architectures exist is the model layer's business (src/model/arch/). */
#include <math.h>
#include <stdio.h>
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

static void copy_str(json_t *v, char *out, size_t cap)
{
    const char *t = json_is_string(v) ? json_string_value(v) : NULL;
    out[0] = 0;
    if (t && strlen(t) < cap) strcpy(out, t);
    else if (t) snprintf(out, cap, "(too long)");
}

fd_status fd_hf_read_arch(const char *path, char *model_type, char *hf_class, size_t cap, fd_error *err)
{
    json_t *o, *archs;
    FD_TRY(fd_json_load(path, &o, err));
    archs = json_object_get(o, "architectures");
    copy_str(json_object_get(o, "model_type"), model_type, cap);
    copy_str(json_is_array(archs) ? json_array_get(archs, 0) : NULL, hf_class, cap);
    json_decref(o);
    return FD_OK;
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

/* RoPE scaling: rope_type "llama3" (transformers' _compute_llama3_parameters)
 * is read into hp, from `rope_scaling` or transformers 5's `rope_parameters`
 * (both {"rope_type" or "type", "factor", "low_freq_factor",
 * "high_freq_factor", "original_max_position_embeddings"}); "default" and
 * null are none; any other type is refused by name. */
static fd_status read_rope_scaling(const char *path, json_t *o, fd_model_hparams *hp, fd_error *err)
{
    json_t *rs = json_object_get(o, "rope_scaling"), *rp = json_object_get(o, "rope_parameters");
    const char *key = "rope_scaling";
    if (!rs || json_is_null(rs)) rs = rp, key = "rope_parameters";
    if (!rs || json_is_null(rs)) return FD_OK;
    if (!json_is_object(rs)) return fd_error_set(err, FD_ERR_FORMAT, "%s: \"%s\" is not an object", path, key);
    const char *type = json_string_value(json_object_get(rs, "rope_type"));
    if (!type) type = json_string_value(json_object_get(rs, "type"));
    if (!type && rs == rp) return FD_OK;   /* rope_parameters holding only rope_theta */
    if (type && !strcmp(type, "default")) return FD_OK;
    if (!type || strcmp(type, "llama3")) {
        if (rs == rp)
            return fd_error_set(err, FD_ERR_UNSUPPORTED, "%s: \"rope_parameters.rope_type\" \"%s\" (RoPE scaling) is "
                                "not implemented (only llama3)", path, type);
        return fd_error_set(err, FD_ERR_UNSUPPORTED, "%s: \"rope_scaling\" (%s) is not implemented (only llama3)",
                            path, type ? type : "of unknown type");
    }
    double f = 0, lo = 0, hi = 0;
    uint32_t orig = 0;
    FD_TRY(get_num(path, rs, "factor", &f, err));
    FD_TRY(get_num(path, rs, "low_freq_factor", &lo, err));
    FD_TRY(get_num(path, rs, "high_freq_factor", &hi, err));
    FD_TRY(get_u32(path, rs, "original_max_position_embeddings", 1, &orig, err));
    if (!(f >= 1 && f <= 1024) || !(lo > 0) || !(hi > lo) || !isfinite(hi) || !orig)
        return fd_error_set(err, FD_ERR_FORMAT, "%s: \"%s\" llama3 values out of range (factor %g in 1..1024, "
                            "0 < low_freq_factor %g < high_freq_factor %g, original_max_position_embeddings %u > 0)",
                            path, key, f, lo, hi, orig);
    hp->rope_factor = f;
    hp->rope_low_freq = lo;
    hp->rope_high_freq = hi;
    hp->rope_orig_ctx = orig;
    return FD_OK;
}

/* SmolLM3's no_rope_layers: 0/1 per layer, 1 = the layer uses RoPE. Kept
 * as a period p (NoPE where (l + 1) % p == 0, as transformers builds it
 * from no_rope_layer_interval); a list of another pattern is refused. */
static fd_status read_nope(const char *path, json_t *o, fd_model_hparams *hp, fd_error *err)
{
    json_t *v = json_object_get(o, "no_rope_layers");
    size_t n, p = 0;
    if (!v || json_is_null(v)) return FD_OK;
    if (!json_is_array(v)) return fd_error_set(err, FD_ERR_FORMAT, "%s: \"no_rope_layers\" is not a list", path);
    n = json_array_size(v);
    for (size_t i = 0; i < n; i++) {
        json_t *x = json_array_get(v, i);
        if (!json_is_integer(x) || (json_integer_value(x) != 0 && json_integer_value(x) != 1))
            return fd_error_set(err, FD_ERR_FORMAT, "%s: \"no_rope_layers\"[%zu] is not 0 or 1", path, i);
        if (!p && !json_integer_value(x)) p = i + 1;
    }
    for (size_t i = 0; i < n; i++)
        if ((json_integer_value(json_array_get(v, i)) == 0) != (p && (i + 1) % p == 0))
            return fd_error_set(err, FD_ERR_UNSUPPORTED, "%s: \"no_rope_layers\" is not periodic (NoPE at every "
                                "p-th layer): layer %zu breaks the pattern; other patterns are not implemented", path, i);
    if (n && n != hp->n_layers)
        return fd_error_set(err, FD_ERR_FORMAT, "%s: \"no_rope_layers\" has %zu entries for %u layers", path, n,
                            hp->n_layers);
    hp->nope_period = (uint32_t)p;
    return FD_OK;
}

/* What this code does not implement is refused by name, never ignored: an
 * active sliding window (turned on, or Mistral v0.1's integer
 * "sliding_window" without "use_sliding_window", shorter than the context),
 * an activation other than SiLU, experts (MoE). RoPE scaling other than
 * llama3: read_rope_scaling. */
static fd_status refuse_unimplemented(const char *path, json_t *o, fd_error *err)
{
    json_t *sw = json_object_get(o, "sliding_window"), *mp = json_object_get(o, "max_position_embeddings");
    json_t *use = json_object_get(o, "use_sliding_window");
    int on = json_is_true(use) || (!use && json_is_integer(sw));
    if (on && (!json_is_integer(sw) || !json_is_integer(mp) || json_integer_value(sw) < json_integer_value(mp)))
        return fd_error_set(err, FD_ERR_UNSUPPORTED, "%s: %s\"sliding_window\" %lld below the context "
                            "(\"max_position_embeddings\" %lld): sliding-window attention is not implemented", path,
                            use ? "\"use_sliding_window\": true with " : "",
                            json_is_integer(sw) ? (long long)json_integer_value(sw) : -1LL,
                            json_is_integer(mp) ? (long long)json_integer_value(mp) : -1LL);
    static const char *const experts[] = { "num_experts", "num_local_experts", "n_routed_experts" };
    for (size_t i = 0; i < sizeof experts / sizeof experts[0]; i++) {
        json_t *e = json_object_get(o, experts[i]);
        if (json_is_integer(e) && json_integer_value(e) > 0)
            return fd_error_set(err, FD_ERR_UNSUPPORTED, "%s: \"%s\" %lld: mixture-of-experts layers are not "
                                "implemented", path, experts[i], (long long)json_integer_value(e));
    }
    const char *act = json_string_value(json_object_get(o, "hidden_act"));
    if (act && strcmp(act, "silu"))
        return fd_error_set(err, FD_ERR_UNSUPPORTED, "%s: \"hidden_act\" \"%s\" is not implemented (only silu)", path,
                            act);
    return FD_OK;
}

fd_status fd_hf_read_config(const char *path, const fd_hparam_key *keys, size_t n_keys, fd_model_hparams *hp,
                            fd_dtype *dtype_hint, fd_error *err)
{
    json_t *o, *rp, *tie;
    fd_status rc;
    FD_TRY(fd_json_load(path, &o, err));
    rc = refuse_unimplemented(path, o, err);
    rp = json_object_get(o, "rope_parameters");
    for (size_t i = 0; rc == FD_OK && i < n_keys; i++) {
        const fd_hparam_key *k = &keys[i];
        char *field = (char *)hp + k->offset;
        if (!k->hf) continue;
        if (k->type == FD_HP_U32) {
            rc = get_u32(path, o, k->hf, (k->required & FD_HP_IN_HF) != 0, (uint32_t *)field, err);
        } else {
            rc = get_num(path, o, k->hf, (double *)field, err);
            if (rc == FD_OK && k->hf_nested && json_is_object(rp)) rc = get_num(path, rp, k->hf_nested, (double *)field, err);
            if (rc == FD_OK && (k->required & FD_HP_IN_HF) && !json_object_get(o, k->hf))
                rc = fd_error_set(err, FD_ERR_FORMAT, "%s: \"%s\" is missing", path, k->hf);
        }
    }
    if (rc == FD_OK) rc = read_rope_scaling(path, o, hp, err);
    if (rc == FD_OK) rc = read_nope(path, o, hp, err);
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
