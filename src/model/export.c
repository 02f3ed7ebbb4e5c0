/* export.c — fd_model_write_gguf: a model description as a GGUF v3 file with
 * llama.cpp's conventions for the model's architecture (its descriptor's
 * keys and tensor names; see model.h).
 *
 * Layer: model. The tokenizer comes from the folder's tokenizer.json (read
 * here with Jansson: model.vocab, model.merges as "a b" strings or [a, b]
 * pairs, added_tokens) or is copied key by key from the source GGUF. Token
 * types follow llama.cpp: 1 normal, 3 control (special added tokens), 4 user
 * defined (other added tokens), 5 unused ("[PADn]" ids the tokenizer lacks
 * below the embedding's vocab size). Like llama.cpp's convert_hf_to_gguf.py,
 * an added token that is not marked special but looks like a control token
 * ("<|fim_pad|>") is typed 3. */
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include "base/mem.h"
#include "format/mapfile.h"
#include "foundry/ops.h"
#include "model/model_int.h"
#include "text/tok.h"

/* Data the writer borrows until the file is written: q/k weights put into
 * llama.cpp's row order, the rope_freqs divisors. */
typedef struct owned { void *p[2 * 4096 + 1]; uint32_t n; } owned;

/* A GGUF of an architecture whose q/k rows llama.cpp's converter permutes
 * gets them so (LlamaModel.permute), unless the source already is such a
 * GGUF; the divisors of llama3 RoPE scaling go as rope_freqs.weight (GGUF
 * has no key for it); a NoPE pattern other than the architecture's own has
 * no GGUF spelling and is refused. */
static fd_status llama_extras(const fd_model *m, fd_gguf_writer *w, owned *o, fd_error *err)
{
    const fd_model_hparams *h = &m->info.hp;
    const fd_arch_tensor *rf = fd_arch_tensor_of(m->arch, FD_ROLE_ROPE_FREQS);
    if (h->nope_period != m->arch->nope_period)
        return fd_error_set(err, FD_ERR_UNSUPPORTED, "%s: NoPE every %u layers has no GGUF key (llama.cpp assumes %u "
                            "for %s)", m->path, h->nope_period, m->arch->nope_period, m->arch->name);
    if (h->rope_factor > 0 && rf && !fd_model_tensor_find(m, rf->gguf)) {
        uint32_t n = h->head_dim / 2;
        float *base = fd_malloc(n * sizeof *base), *d = fd_malloc(n * sizeof *d);
        fd_status rc = base && d ? FD_OK : fd_error_set(err, FD_ERR_NOMEM, "%s: out of memory", rf->gguf);
        if (rc == FD_OK) rc = fd_model_rope_inv_freq(m, d, err);
        if (rc == FD_OK) {
            fd_rope_inv_freq(base, h->head_dim, h->rope_theta);
            for (uint32_t i = 0; i < n; i++) d[i] = base[i] / d[i];   /* inv = base / divisor */
            o->p[o->n++] = d;
            d = NULL;
            rc = fd_gguf_writer_add_tensor(w, rf->gguf, FD_F32, 1, (uint64_t[]){ n }, o->p[o->n - 1], 4ull * n, err);
        }
        fd_free(base);
        fd_free(d);
        FD_TRY(rc);
    }
    return FD_OK;
}

/* Tensor t as written: q/k rows permuted into llama.cpp's order where the
 * architecture's GGUF wants it and the source is not such a GGUF. */
static fd_status tensor_data(const fd_model *m, const fd_model_tensor *t, owned *o, const void **data, fd_error *err)
{
    const fd_arch_tensor *q = fd_arch_tensor_of(m->arch, FD_ROLE_Q), *k = fd_arch_tensor_of(m->arch, FD_ROLE_K);
    char n[96];
    int hit = 0;
    *data = t->data;
    if (!(m->arch->features & FD_FEAT_GGUF_QK_PERMUTED) || m->qk_interleaved || t->n_dims != 2) return FD_OK;
    for (uint32_t l = 0; !hit && l < m->info.hp.n_layers; l++) {
        fd_arch_tensor_name(q, 0, l, n, sizeof n);
        hit = !strcmp(n, t->name);
        fd_arch_tensor_name(k, 0, l, n, sizeof n);
        hit |= !strcmp(n, t->name);
    }
    if (!hit) return FD_OK;
    uint64_t rb = t->bytes / t->dims[0], hd = m->info.hp.head_dim;
    unsigned char *p = fd_malloc((size_t)t->bytes);
    if (!p || o->n == sizeof o->p / sizeof o->p[0]) {
        fd_free(p);
        return fd_error_set(err, FD_ERR_NOMEM, "%s: out of memory", t->name);
    }
    for (uint64_t r = 0; r < t->dims[0]; r++)
        memcpy(p + fd_qk_file_row((uint32_t)r, (uint32_t)hd) * rb, (const unsigned char *)t->data + r * rb, (size_t)rb);
    o->p[o->n++] = p;
    *data = p;
    return FD_OK;
}

typedef struct vocab {
    json_t *root;               /* tokenizer.json; strings below point into it */
    fd_gguf_str *tokens;        /* n */
    int32_t *types;             /* n */
    uint64_t n;
    fd_gguf_str *merges;        /* n_merges */
    uint64_t n_merges;
    char *arena;                /* "[PADn]" names and joined pair merges */
} vocab;

static void vocab_free(vocab *v)
{
    json_decref(v->root);
    fd_free(v->tokens);
    fd_free(v->types);
    fd_free(v->merges);
    fd_free(v->arena);
}

static fd_status put_token(vocab *v, const char *path, json_int_t id, const char *s, int32_t type, fd_error *err)
{
    if (id < 0 || (uint64_t)id >= v->n)
        return fd_error_set(err, FD_ERR_FORMAT, "%s: token id %" PRId64 " is outside the vocabulary of %" PRIu64,
                            path, (int64_t)id, v->n);
    v->tokens[id].ptr = s;
    v->tokens[id].len = strlen(s);
    v->types[id] = type;
    return FD_OK;
}

static int ends_with(const char *s, size_t n, const char *suffix)
{
    size_t k = strlen(suffix);
    return n >= k && !memcmp(s + n - k, suffix, k);
}

/* llama.cpp's does_token_look_special. */
static int looks_special(const char *s)
{
    size_t n = strlen(s);
    return !strcmp(s, "<pad>") || !strcmp(s, "<mask>") || !strcmp(s, "<2mass>") || !strcmp(s, "[@BOS@]") ||
           (!strncmp(s, "<|", 2) && ends_with(s, n, "|>")) ||
           (!strncmp(s, "<\xef\xbd\x9c", 4) && ends_with(s, n, "\xef\xbd\x9c>")) ||
           (!strncmp(s, "<unused", 7) && ends_with(s, n, ">"));
}

/* Largest id used + 1, so padding covers the embedding and the tokenizer. */
static uint64_t vocab_size(json_t *vmap, json_t *added, uint64_t at_least)
{
    const char *k;
    json_t *x;
    uint64_t n = at_least;
    size_t i;
    json_object_foreach(vmap, k, x)
        if (json_is_integer(x) && json_integer_value(x) >= 0 && (uint64_t)json_integer_value(x) + 1 > n)
            n = (uint64_t)json_integer_value(x) + 1;
    json_array_foreach(added, i, x) {
        json_t *id = json_object_get(x, "id");
        if (json_is_integer(id) && json_integer_value(id) >= 0 && (uint64_t)json_integer_value(id) + 1 > n)
            n = (uint64_t)json_integer_value(id) + 1;
    }
    return n;
}

static fd_status read_vocab(const fd_model *m, vocab *v, fd_error *err)
{
    const char *path = m->tok_json, *k;
    json_t *model, *vmap, *merges, *added, *x;
    size_t i, arena = 0, used = 0;
    FD_TRY(fd_json_load(path, &v->root, err));
    model = json_object_get(v->root, "model");
    vmap = json_object_get(model, "vocab");
    merges = json_object_get(model, "merges");
    added = json_object_get(v->root, "added_tokens");
    if (!json_is_object(vmap) || !json_is_array(merges))
        return fd_error_set(err, FD_ERR_FORMAT, "%s: model.vocab or model.merges is missing", path);
    if (json_is_string(json_object_get(model, "type")) && strcmp(json_string_value(json_object_get(model, "type")), "BPE"))
        return fd_error_set(err, FD_ERR_UNSUPPORTED, "%s: tokenizer model %s is not supported (BPE)", path,
                            json_string_value(json_object_get(model, "type")));
    if (json_is_true(json_object_get(model, "byte_fallback")))   /* Mistral, Llama 2: SentencePiece needs scores */
        return fd_error_set(err, FD_ERR_UNSUPPORTED, "%s: a SentencePiece-style tokenizer (byte_fallback) is not "
                            "written to GGUF yet (only byte-level BPE)", path);
    v->n = vocab_size(vmap, added, m->info.hp.vocab);
    if (v->n > m->info.hp.vocab && v->n > json_object_size(vmap) + json_array_size(added) + TOK_ID_SLACK)
        return fd_error_set(err, FD_ERR_FORMAT, "%s: token id %" PRIu64 " lies beyond the embedding's %u rows and the "
                            "%zu tokens defined (plus %d)", path, v->n - 1, m->info.hp.vocab,
                            json_object_size(vmap) + json_array_size(added), TOK_ID_SLACK);
    v->n_merges = json_array_size(merges);
    arena = (size_t)v->n * 16;
    json_array_foreach(merges, i, x)
        if (json_is_array(x)) arena += strlen(json_string_value(json_array_get(x, 0)) ? json_string_value(json_array_get(x, 0)) : "") +
                                       strlen(json_string_value(json_array_get(x, 1)) ? json_string_value(json_array_get(x, 1)) : "") + 2;
    v->tokens = fd_calloc(v->n, sizeof *v->tokens);
    v->types = fd_calloc(v->n, sizeof *v->types);
    v->merges = fd_calloc(v->n_merges, sizeof *v->merges);
    v->arena = fd_malloc(arena);
    if (!v->tokens || !v->types || !v->merges || !v->arena) return fd_error_set(err, FD_ERR_NOMEM, "%s: out of memory", path);
    json_object_foreach(vmap, k, x) {
        if (!json_is_integer(x)) return fd_error_set(err, FD_ERR_FORMAT, "%s: model.vocab[\"%s\"] is not an id", path, k);
        FD_TRY(put_token(v, path, json_integer_value(x), k, 1, err));
    }
    json_array_foreach(added, i, x) {
        json_t *id = json_object_get(x, "id"), *c = json_object_get(x, "content");
        if (!json_is_integer(id) || !json_is_string(c))
            return fd_error_set(err, FD_ERR_FORMAT, "%s: added_tokens[%zu] lacks id or content", path, i);
        FD_TRY(put_token(v, path, json_integer_value(id), json_string_value(c),
                         json_is_true(json_object_get(x, "special")) || looks_special(json_string_value(c)) ? 3 : 4,
                         err));
    }
    for (uint64_t id = 0; id < v->n; id++) {
        if (v->tokens[id].ptr) continue;
        int k2 = snprintf(v->arena + used, 16, "[PAD%" PRIu64 "]", id);
        v->tokens[id].ptr = v->arena + used;
        v->tokens[id].len = (uint64_t)k2;
        v->types[id] = 5;
        used += (size_t)k2 + 1;
    }
    json_array_foreach(merges, i, x) {
        if (json_is_string(x)) {
            v->merges[i].ptr = json_string_value(x);
            v->merges[i].len = strlen(v->merges[i].ptr);
        } else if (json_is_array(x) && json_array_size(x) == 2 && json_is_string(json_array_get(x, 0)) &&
                   json_is_string(json_array_get(x, 1))) {
            int k2 = sprintf(v->arena + used, "%s %s", json_string_value(json_array_get(x, 0)),
                             json_string_value(json_array_get(x, 1)));
            v->merges[i].ptr = v->arena + used;
            v->merges[i].len = (uint64_t)k2;
            used += (size_t)k2 + 1;
        } else {
            return fd_error_set(err, FD_ERR_FORMAT, "%s: model.merges[%zu] is neither \"a b\" nor [a, b]", path, i);
        }
    }
    return FD_OK;
}

static fd_status add_bool_from(fd_gguf_writer *w, const char *cfg, const char *json_key, const char *key,
                               int def, fd_error *err)
{
    json_t *o = NULL, *b;
    int val = def;
    if (cfg) {
        FD_TRY(fd_json_read(cfg, 0, &o, err));
        b = json_object_get(o, json_key);
        if (json_is_boolean(b)) val = json_is_true(b);
        json_decref(o);
    }
    return fd_gguf_writer_add_bool(w, key, val, err);
}

static fd_status add_tokenizer(const fd_model *m, fd_gguf_writer *w, vocab *v, fd_error *err)
{
    const fd_generation_defaults *g = &m->info.gen;
    if (m->gguf) {   /* copy tokenizer.* from the source */
        for (uint64_t i = 0; i < fd_gguf_kv_count(m->gguf); i++) {
            const fd_gguf_kv *kv = fd_gguf_kv_at(m->gguf, i);
            if (!strncmp(kv->key, "tokenizer.", 10)) FD_TRY(fd_gguf_writer_add(w, kv->key, &kv->value, err));
        }
        return FD_OK;
    }
    if (!m->tok_json) return FD_OK;
    FD_TRY(read_vocab(m, v, err));
    FD_TRY(fd_gguf_writer_add_str(w, "tokenizer.ggml.model", "gpt2", err));
    FD_TRY(fd_gguf_writer_add_str(w, "tokenizer.ggml.pre", m->arch->tokenizer_pre, err));
    FD_TRY(fd_gguf_writer_add_str_array(w, "tokenizer.ggml.tokens", v->tokens, v->n, err));
    FD_TRY(fd_gguf_writer_add_i32_array(w, "tokenizer.ggml.token_type", v->types, v->n, err));
    FD_TRY(fd_gguf_writer_add_str_array(w, "tokenizer.ggml.merges", v->merges, v->n_merges, err));
    if (g->n_eos) FD_TRY(fd_gguf_writer_add_u32(w, "tokenizer.ggml.eos_token_id", (uint32_t)g->eos_ids[0], err));
    if (g->pad_id >= 0) FD_TRY(fd_gguf_writer_add_u32(w, "tokenizer.ggml.padding_token_id", (uint32_t)g->pad_id, err));
    if (g->bos_id >= 0) FD_TRY(fd_gguf_writer_add_u32(w, "tokenizer.ggml.bos_token_id", (uint32_t)g->bos_id, err));
    FD_TRY(add_bool_from(w, m->tok_config, "add_bos_token", "tokenizer.ggml.add_bos_token", 0, err));
    if (m->chat_template) FD_TRY(fd_gguf_writer_add_str(w, "tokenizer.chat_template", m->chat_template, err));
    return FD_OK;
}

static fd_status fill(const fd_model *m, fd_gguf_writer *w, vocab *v, owned *o, fd_dtype wdt, fd_error *err)
{
    const fd_model_hparams *h = &m->info.hp;
    const fd_generation_defaults *g = &m->info.gen;
    FD_TRY(fd_gguf_writer_add_str(w, "general.architecture", m->arch->name, err));
    FD_TRY(fd_gguf_writer_add_u32(w, "general.file_type", fd_dtype_file_type(wdt), err));
    if (fd_dtype_is_quant(wdt)) FD_TRY(fd_gguf_writer_add_u32(w, "general.quantization_version", 2, err));
    for (size_t i = 0; i < m->arch->n_keys; i++) {   /* the descriptor's keys, as llama.cpp writes them */
        const fd_hparam_key *k = &m->arch->keys[i];
        const char *field = (const char *)h + k->offset;
        char key[128];
        if (!k->gguf) continue;
        if (k->offset == offsetof(fd_model_hparams, head_dim) && h->head_dim == h->hidden / h->n_heads) continue;
        snprintf(key, sizeof key, "%s.%s", m->arch->name, k->gguf);
        if (k->type == FD_HP_REAL) FD_TRY(fd_gguf_writer_add_f32(w, key, (float)*(const double *)field, err));
        else FD_TRY(fd_gguf_writer_add_u32(w, key, *(const uint32_t *)field, err));
    }
    if (h->head_dim != h->hidden / h->n_heads) {   /* llama.cpp reads the value heads' width too */
        char key[128];
        snprintf(key, sizeof key, "%s.attention.value_length", m->arch->name);
        FD_TRY(fd_gguf_writer_add_u32(w, key, h->head_dim, err));
    }
    FD_TRY(fd_gguf_writer_add_f32(w, "general.sampling.temp", g->temperature, err));
    FD_TRY(fd_gguf_writer_add_f32(w, "general.sampling.top_p", g->top_p, err));
    FD_TRY(fd_gguf_writer_add_i32(w, "general.sampling.top_k", g->top_k, err));
    FD_TRY(fd_gguf_writer_add_f32(w, "general.sampling.penalty_repeat", g->repetition_penalty, err));
    if (g->n_eos) FD_TRY(fd_gguf_writer_add_i32_array(w, "foundry.eos_token_ids", g->eos_ids, g->n_eos, err));
    FD_TRY(add_tokenizer(m, w, v, err));
    if (m->gguf && m->chat_template && !fd_gguf_has(m->gguf, "tokenizer.chat_template"))
        FD_TRY(fd_gguf_writer_add_str(w, "tokenizer.chat_template", m->chat_template, err));
    FD_TRY(llama_extras(m, w, o, err));
    for (uint64_t i = 0; i < m->n_t; i++) {
        const fd_model_tensor *t = &m->t[i];
        uint64_t ne[2] = { t->n_dims == 2 ? t->dims[1] : t->dims[0], t->dims[0] };
        const void *data;
        FD_TRY(tensor_data(m, t, o, &data, err));
        FD_TRY(fd_gguf_writer_add_tensor(w, t->name, t->dtype, t->n_dims, ne, data, t->bytes, err));
    }
    return FD_OK;
}

/* Refuses an output that is one of the files the model was read from: the
 * GGUF, a shard (its data is still mapped) or a file of the folder. */
static fd_status check_not_source(const fd_model *m, const char *out, fd_error *err)
{
    static const char *const folder_files[] = { "config.json", "generation_config.json", "tokenizer.json",
                                                "tokenizer_config.json", "model.safetensors",
                                                "model.safetensors.index.json", "chat_template.json",
                                                "chat_template.jinja" };
    const char *hit = NULL;
    char *dir = NULL;
    fd_status rc = FD_OK;
    if (fd_same_file(out, m->path)) hit = m->path;
    for (uint64_t i = 0; !hit && i < m->n_shards; i++)
        if (fd_same_file(out, m->shards[i]->path)) hit = m->shards[i]->path;
    if (!hit && fd_same_file(out, m->tok_json)) hit = m->tok_json;
    if (!hit && fd_same_file(out, m->tok_config)) hit = m->tok_config;
    if (!hit && m->n_shards) {
        const char *s = m->shards[0]->path, *slash = strrchr(s, '/');
        if (!(dir = slash ? fd_strndup(s, (size_t)(slash - s)) : fd_strdup(".")))
            return fd_error_set(err, FD_ERR_NOMEM, "%s: out of memory", out);
        for (size_t i = 0; !hit && i < sizeof folder_files / sizeof folder_files[0] && rc == FD_OK; i++) {
            char *p = fd_path_join(dir, folder_files[i]);
            if (!p) rc = fd_error_set(err, FD_ERR_NOMEM, "%s: out of memory", out);
            else if (fd_same_file(out, p)) rc = fd_error_set(err, FD_ERR_INVALID, "%s: is the model's own %s; "
                                                             "write the GGUF file elsewhere", out, p);
            fd_free(p);
        }
        fd_free(dir);
    }
    if (hit) rc = fd_error_set(err, FD_ERR_INVALID, "%s: is the model's own %s; write the GGUF file elsewhere", out, hit);
    return rc;
}

fd_status fd_model_write_gguf(const fd_model *m, const char *out_path, fd_error *err)
{
    fd_gguf_writer *w;
    vocab v;
    fd_dtype wdt;
    fd_status rc;
    if (!m || !out_path) return fd_error_set(err, FD_ERR_INVALID, "fd_model_write_gguf: NULL argument");
    FD_TRY(check_not_source(m, out_path, err));
    memset(&v, 0, sizeof v);
    wdt = m->info.file_dtype;
    for (uint64_t i = 0; i < m->n_t; i++)
        if (m->t[i].n_dims == 2) {
            wdt = m->t[i].dtype;
            break;
        }
    owned *o = fd_calloc(1, sizeof *o);
    if (!o) return fd_error_set(err, FD_ERR_NOMEM, "%s: out of memory", out_path);
    rc = fd_gguf_writer_create(&w, err);
    if (rc == FD_OK) rc = fill(m, w, &v, o, wdt, err);
    if (rc == FD_OK) rc = fd_gguf_writer_write(w, out_path, err);
    if (w) fd_gguf_writer_destroy(w);
    for (uint32_t i = 0; i < o->n; i++) fd_free(o->p[i]);
    fd_free(o);
    vocab_free(&v);
    return rc;
}
