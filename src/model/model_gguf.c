/* model_gguf.c — a GGUF file into the model description, with llama.cpp's
 * key names (`<arch>.block_count`, `<arch>.attention.head_count`...) from the
 * architecture's descriptor.
 *
 * Layer: model. The reader stays open on m->gguf: tensor data points into its
 * map. GGUF dims are ne[] fastest-first; here they become (rows, cols). */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "base/mem.h"
#include "model/model_int.h"

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

/* A GGUF string value as a C string into buf (cut at cap - 1 bytes). */
static fd_status get_str(const fd_gguf *g, const char *key, char *buf, size_t cap, fd_error *err)
{
    fd_gguf_str v;
    FD_TRY(fd_gguf_get_str(g, key, &v, err));
    size_t n = v.len < cap - 1 ? (size_t)v.len : cap - 1;
    memcpy(buf, v.ptr, n);
    buf[n] = 0;
    return FD_OK;
}

static fd_status read_hparams(fd_model *m, const fd_gguf *g, fd_error *err)
{
    fd_model_hparams *h = &m->info.hp;
    fd_gguf_str arch;
    char key[128], name[64], safe[160];
    h->rope_theta = 10000.0;
    FD_TRY(fd_gguf_get_str(g, "general.architecture", &arch, err));
    const fd_arch *a = NULL;
    if (arch.len < sizeof name && !memchr(arch.ptr, 0, arch.len)) {
        memcpy(name, arch.ptr, arch.len);
        name[arch.len] = 0;
        a = fd_arch_find(name);
    }
    if (!a)
        return fd_error_set(err, FD_ERR_UNSUPPORTED, "%s: general.architecture '%s' is not supported (only %s)",
                            fd_gguf_path(g), fd_escape(arch.ptr, (size_t)arch.len, safe, sizeof safe), fd_arch_names());
    FD_TRY(fd_model_set_arch(m, fd_gguf_path(g), name, a, err));
    h->nope_period = m->arch->nope_period;   /* GGUF has no key: llama.cpp's rule per architecture */
    m->qk_interleaved = (m->arch->features & FD_FEAT_GGUF_QK_PERMUTED) != 0;
    for (size_t i = 0; i < m->arch->n_keys; i++) {
        const fd_hparam_key *k = &m->arch->keys[i];
        int required = (k->required & FD_HP_IN_GGUF) != 0;
        if (!k->gguf) continue;
        snprintf(key, sizeof key, "%s.%s", name, k->gguf);
        if (!fd_gguf_has(g, key)) {
            if (required) return fd_error_set(err, FD_ERR_FORMAT, "%s: key '%s' is missing", fd_gguf_path(g), key);
            continue;
        }
        if (k->type == FD_HP_REAL) {
            FD_TRY(get_f(g, key, 1, (double *)((char *)h + k->offset), err));
        } else {
            uint64_t v;
            FD_TRY(fd_gguf_get_uint(g, key, &v, err));
            if (v > UINT32_MAX) return fd_error_set(err, FD_ERR_RANGE, "%s: key '%s' is too large", fd_gguf_path(g), key);
            *(uint32_t *)((char *)h + k->offset) = (uint32_t)v;
        }
    }
    FD_TRY(fd_model_hparam_defaults(m, 1, err));
    /* not implemented, so refused by name, never ignored: RoPE scaling, experts, a sliding window */
    snprintf(key, sizeof key, "%s.rope.scaling.type", name);
    int typed = fd_gguf_has(g, key);
    if (typed) {
        FD_TRY(get_str(g, key, safe, sizeof safe, err));
        if (strcmp(safe, "none"))
            return fd_error_set(err, FD_ERR_UNSUPPORTED, "%s: %s \"%s\" (RoPE scaling) is not implemented",
                                fd_gguf_path(g), key, safe);
    }
    /* Without a type llama.cpp scales positions linearly by
     * rope.scaling.factor, or where that is absent by the older
     * rope.scale_linear; 0 and 1 mean none, and type "none" turns it off.
     * (Llama 3's scaling comes as rope_freqs.weight, not as these keys.) */
    static const char *const factors[] = { "rope.scaling.factor", "rope.scale_linear" };
    for (size_t i = 0; i < sizeof factors / sizeof factors[0] && !typed; i++) {
        double f;
        snprintf(key, sizeof key, "%s.%s", name, factors[i]);
        if (!fd_gguf_has(g, key)) continue;
        FD_TRY(fd_gguf_get_float(g, key, &f, err));
        if (f != 0 && f != 1)
            return fd_error_set(err, FD_ERR_UNSUPPORTED, "%s: %s = %g without %s.rope.scaling.type: linear RoPE "
                                "scaling is not implemented", fd_gguf_path(g), key, f, name);
        break;   /* the first present is the one llama.cpp reads */
    }
    static const char *const refused[] = { "expert_count", "attention.sliding_window" };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        uint64_t v = 0;
        snprintf(key, sizeof key, "%s.%s", name, refused[i]);
        if (!fd_gguf_has(g, key)) continue;
        FD_TRY(fd_gguf_get_uint(g, key, &v, err));   /* not an integer: refused, never skipped */
        if (v > 0 && (i == 0 || v < h->max_pos))
            return fd_error_set(err, FD_ERR_UNSUPPORTED, "%s: %s = %llu: %s not implemented", fd_gguf_path(g), key,
                                (unsigned long long)v, i == 0 ? "mixture-of-experts layers are" :
                                "a sliding window shorter than the context is");
    }
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
        static const char *const keys[] = { "tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id",
                                            "tokenizer.ggml.eom_token_id" };   /* Llama 3.1: 128001, 128009, 128008 */
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
            int32_t id = -1, seen = 0;
            FD_TRY(get_id(g, keys[k], &id, err));
            for (uint32_t i = 0; i < gen->n_eos; i++) seen |= gen->eos_ids[i] == id;
            if (id >= 0 && !seen) gen->eos_ids[gen->n_eos++] = id;
        }
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
    const char *embd = fd_arch_tensor_of(m->arch, FD_ROLE_EMBD)->gguf, *out = fd_arch_tensor_of(m->arch, FD_ROLE_OUTPUT)->gguf;
    if (!fd_model_tensor_find(m, embd))
        return fd_error_set(err, FD_ERR_FORMAT, "%s: tensor %s is missing%s", path, embd,
                            fd_gguf_tensor_count(g) ? "" : " (a vocabulary-only file has no weights)");
    m->info.hp.vocab = (uint32_t)fd_model_tensor_find(m, embd)->dims[0];
    m->info.hp.tie_embeddings = !fd_model_tensor_find(m, out);
    return FD_OK;
}
