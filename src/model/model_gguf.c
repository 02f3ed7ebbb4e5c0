/* model_gguf.c — a GGUF file into the model description, with llama.cpp's
 * qwen2 key names (qwen2.block_count, qwen2.attention.head_count...).
 *
 * Layer: model. The reader stays open on m->gguf: tensor data points into its
 * map. GGUF dims are ne[] fastest-first; here they become (rows, cols). */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "base/mem.h"
#include "model/model_int.h"

static fd_status get_u32(const fd_gguf *g, const char *arch, const char *suffix, int required, uint32_t *out,
                         fd_error *err)
{
    char key[128];
    uint64_t v;
    snprintf(key, sizeof key, "%s.%s", arch, suffix);
    if (!fd_gguf_has(g, key)) {
        if (required) return fd_error_set(err, FD_ERR_FORMAT, "%s: key '%s' is missing", fd_gguf_path(g), key);
        return FD_OK;
    }
    FD_TRY(fd_gguf_get_uint(g, key, &v, err));
    if (v > UINT32_MAX) return fd_error_set(err, FD_ERR_RANGE, "%s: key '%s' is too large", fd_gguf_path(g), key);
    *out = (uint32_t)v;
    return FD_OK;
}

static fd_status get_f(const fd_gguf *g, const char *key, int required, double *out, fd_error *err)
{
    if (!fd_gguf_has(g, key)) {
        if (required) return fd_error_set(err, FD_ERR_FORMAT, "%s: key '%s' is missing", fd_gguf_path(g), key);
        return FD_OK;
    }
    return fd_gguf_get_float(g, key, out, err);
}

/* A sampling default: finite, not negative (positive when `positive`), at
 * most `hi` when hi > 0; refused naming the key. Absent: *out unchanged. */
static fd_status get_sampling(const fd_gguf *g, const char *key, int positive, double hi, float *out, fd_error *err)
{
    double x;
    if (!fd_gguf_has(g, key)) return FD_OK;
    FD_TRY(fd_gguf_get_float(g, key, &x, err));
    if (!isfinite((float)x) || x < 0 || (positive && x == 0) || (hi > 0 && x > hi))
        return fd_error_set(err, FD_ERR_FORMAT, "%s: %s = %g is out of range", fd_gguf_path(g), key, x);
    *out = (float)x;
    return FD_OK;
}

static fd_status get_id(const fd_gguf *g, const char *key, int32_t *out, fd_error *err)
{
    uint64_t v;
    if (!fd_gguf_has(g, key)) return FD_OK;
    FD_TRY(fd_gguf_get_uint(g, key, &v, err));
    if (v > INT32_MAX) return fd_error_set(err, FD_ERR_RANGE, "%s: key '%s' is not a token id", fd_gguf_path(g), key);
    *out = (int32_t)v;
    return FD_OK;
}

static fd_status read_hparams(fd_model *m, const fd_gguf *g, fd_error *err)
{
    fd_model_hparams *h = &m->info.hp;
    const char *a = h->arch;
    fd_gguf_str arch;
    h->rope_theta = 10000.0;
    FD_TRY(fd_gguf_get_str(g, "general.architecture", &arch, err));
    if (arch.len >= sizeof h->arch || memchr(arch.ptr, 0, arch.len)) {
        char safe[160];
        return fd_error_set(err, FD_ERR_UNSUPPORTED, "%s: architecture '%s' is not supported (only qwen2)",
                            fd_gguf_path(g), fd_escape(arch.ptr, (size_t)arch.len, safe, sizeof safe));
    }
    memcpy(h->arch, arch.ptr, arch.len);
    h->arch[arch.len] = 0;
    FD_TRY(fd_model_check_arch(fd_gguf_path(g), h->arch, err));
    FD_TRY(get_u32(g, a, "block_count", 1, &h->n_layers, err));
    FD_TRY(get_u32(g, a, "context_length", 1, &h->max_pos, err));
    FD_TRY(get_u32(g, a, "embedding_length", 1, &h->hidden, err));
    FD_TRY(get_u32(g, a, "feed_forward_length", 1, &h->ffn, err));
    FD_TRY(get_u32(g, a, "attention.head_count", 1, &h->n_heads, err));
    h->n_kv_heads = h->n_heads;
    FD_TRY(get_u32(g, a, "attention.head_count_kv", 0, &h->n_kv_heads, err));
    if (h->n_heads) h->head_dim = h->hidden / h->n_heads;
    FD_TRY(get_u32(g, a, "attention.key_length", 0, &h->head_dim, err));
    if (h->n_heads && h->hidden % h->n_heads && !fd_gguf_has(g, "qwen2.attention.key_length"))
        return fd_error_set(err, FD_ERR_FORMAT, "%s: qwen2.embedding_length %u is not a multiple of "
                            "qwen2.attention.head_count %u (and qwen2.attention.key_length is not given)",
                            fd_gguf_path(g), h->hidden, h->n_heads);
    FD_TRY(get_f(g, "qwen2.rope.freq_base", 0, &h->rope_theta, err));
    FD_TRY(get_f(g, "qwen2.attention.layer_norm_rms_epsilon", 1, &h->rms_eps, err));
    fd_gguf_str scaling;   /* RoPE scaling is not implemented: refused by name, never ignored */
    if (fd_gguf_has(g, "qwen2.rope.scaling.type") &&
        fd_gguf_get_str(g, "qwen2.rope.scaling.type", &scaling, err) == FD_OK &&
        !(scaling.len == 4 && !memcmp(scaling.ptr, "none", 4)))
        return fd_error_set(err, FD_ERR_UNSUPPORTED, "%s: qwen2.rope.scaling.type \"%.*s\" (RoPE scaling) is not "
                            "implemented", fd_gguf_path(g), (int)(scaling.len < 32 ? scaling.len : 32), scaling.ptr);
    return FD_OK;
}

static fd_status read_generation(fd_model *m, const fd_gguf *g, fd_error *err)
{
    fd_generation_defaults *gen = &m->info.gen;
    uint64_t u;
    FD_TRY(get_id(g, "tokenizer.ggml.bos_token_id", &gen->bos_id, err));
    FD_TRY(get_id(g, "tokenizer.ggml.padding_token_id", &gen->pad_id, err));
    if (fd_gguf_has(g, "foundry.eos_token_ids")) {
        const int32_t *ids;
        uint64_t n;
        FD_TRY(fd_gguf_get_int_array(g, "foundry.eos_token_ids", &ids, &n, err));
        for (uint64_t i = 0; i < n && gen->n_eos < 8; i++) gen->eos_ids[gen->n_eos++] = ids[i];
    } else {
        int32_t eos = -1, eot = -1;
        FD_TRY(get_id(g, "tokenizer.ggml.eos_token_id", &eos, err));
        FD_TRY(get_id(g, "tokenizer.ggml.eot_token_id", &eot, err));
        if (eos >= 0) gen->eos_ids[gen->n_eos++] = eos;
        if (eot >= 0 && eot != eos) gen->eos_ids[gen->n_eos++] = eot;
    }
    FD_TRY(get_sampling(g, "general.sampling.temp", 0, 0, &gen->temperature, err));
    FD_TRY(get_sampling(g, "general.sampling.top_p", 0, 1, &gen->top_p, err));
    FD_TRY(get_sampling(g, "general.sampling.penalty_repeat", 1, 0, &gen->repetition_penalty, err));
    if (fd_gguf_has(g, "general.sampling.top_k")) {
        FD_TRY(fd_gguf_get_uint(g, "general.sampling.top_k", &u, err));
        gen->top_k = u > INT32_MAX ? INT32_MAX : (int32_t)u;
    }
    return FD_OK;
}

fd_status fd_model_load_gguf(fd_model *m, const char *path, fd_error *err)
{
    const fd_gguf *g;
    fd_gguf_str tmpl;
    FD_TRY(fd_gguf_open(path, &m->gguf, err));
    g = m->gguf;
    FD_TRY(read_hparams(m, g, err));
    FD_TRY(read_generation(m, g, err));
    if (fd_gguf_has(g, "tokenizer.chat_template")) {
        FD_TRY(fd_gguf_get_str(g, "tokenizer.chat_template", &tmpl, err));
        if (!(m->chat_template = fd_strndup(tmpl.ptr, (size_t)tmpl.len)))
            return fd_error_set(err, FD_ERR_NOMEM, "%s: out of memory", path);
    }
    for (uint64_t i = 0; i < fd_gguf_tensor_count(g); i++) {
        const fd_gguf_tensor *t = fd_gguf_tensor_at(g, i);
        uint64_t dims[2];
        if (t->n_dims > 2)
            return fd_error_set(err, FD_ERR_FORMAT, "%s: tensor %s has %u dimensions (1 or 2 expected)", path, t->name,
                                t->n_dims);
        dims[0] = t->n_dims == 2 ? t->ne[1] : t->ne[0];
        dims[1] = t->n_dims == 2 ? t->ne[0] : 1;
        FD_TRY(fd_model_add_tensor(m, path, t->name, t->dtype, t->n_dims, dims, t->data, t->bytes, err));
    }
    if (!fd_model_tensor_find(m, "token_embd.weight"))
        return fd_error_set(err, FD_ERR_FORMAT, "%s: tensor token_embd.weight is missing%s", path,
                            fd_gguf_tensor_count(g) ? "" : " (a vocabulary-only file has no weights)");
    m->info.hp.vocab = (uint32_t)fd_model_tensor_find(m, "token_embd.weight")->dims[0];
    m->info.hp.tie_embeddings = !fd_model_tensor_find(m, "output.weight");
    return FD_OK;
}
