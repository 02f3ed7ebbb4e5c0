/* model.c — the model description: its tensor table, the shape checks that
 * hold both formats to the same contract, fd_model_open / close and the
 * accessors (see model.h).
 *
 * Layer: model. fd_model_open: source (model_gguf.c or hf_folder.c) ->
 * check_tensors -> fd_model_convert (convert.c) -> tokenizer. Any failure
 * closes what was opened; *out stays NULL. */
#include <inttypes.h>
#include <stddef.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "base/mem.h"
#include "foundry/ops.h"
#include "foundry/tokenizer.h"
#include "model/model_int.h"

void fd_generation_defaults_init(fd_generation_defaults *g)
{
    memset(g, 0, sizeof *g);
    g->temperature = 1.0f;
    g->top_p = 1.0f;
    g->repetition_penalty = 1.0f;
    g->bos_id = -1;
    g->pad_id = -1;
}

fd_status fd_model_set_arch(fd_model *m, const char *src, const char *name, const fd_arch *a, fd_error *err)
{
    char safe[160];
    if (!a)
        return fd_error_set(err, FD_ERR_UNSUPPORTED, "%s: architecture '%s' is not supported (only %s)", src,
                            fd_escape(name, strlen(name), safe, sizeof safe), fd_arch_names());
    m->arch = a;
    fd_arch_features(a, m->features, sizeof m->features);
    m->info.features = m->features;
    snprintf(m->info.hp.arch, sizeof m->info.hp.arch, "%s", a->name);
    return FD_OK;
}

/* The key of hyper-parameter `field` as the source spells it, into buf. */
/* (a buffer per field: one message may name several) */
#define KEY_(field) key_name(m, offsetof(fd_model_hparams, field), gguf, buf[offsetof(fd_model_hparams, field) / 4])
static const char *key_name(const fd_model *m, size_t offset, int gguf, char *buf)
{
    const fd_hparam_key *k = fd_arch_key(m->arch, offset);
    if (!k) return "(no key)";
    if (!gguf) return k->hf;
    if (!k->gguf) return "the vocabulary (the embedding's rows)";
    snprintf(buf, 96, "%s.%s", m->arch->name, k->gguf);
    return buf;
}

fd_status fd_model_hparam_defaults(fd_model *m, int gguf, fd_error *err)
{
    fd_model_hparams *h = &m->info.hp;
    char buf[sizeof(fd_model_hparams) / 4][96];
    if (!h->n_kv_heads) h->n_kv_heads = h->n_heads;
    if (!h->head_dim && h->n_heads) {
        const char *q = gguf ? "" : "\"";   /* config.json's keys quoted, as its reader names them */
        if (h->hidden % h->n_heads)
            return fd_error_set(err, FD_ERR_FORMAT, "%s: %s%s%s %u is not a multiple of %s%s%s %u (and %s%s%s is not "
                                "given)", m->path, q, KEY_(hidden), q, h->hidden, q, KEY_(n_heads), q, h->n_heads, q,
                                KEY_(head_dim), q);
        h->head_dim = h->hidden / h->n_heads;
    }
    return FD_OK;
}

static fd_status reindex(fd_model *m, uint64_t want)
{
    fd_nameidx ix;
    if (m->ix.cap && want * 2 <= m->ix.cap) return FD_OK;
    if (fd_nameidx_init(&ix, want * 2)) return FD_ERR_NOMEM;
    for (uint64_t i = 0; i < m->n_t; i++) fd_nameidx_add(&ix, m->t[i].name, (uint32_t)i, NULL);
    fd_nameidx_free(&m->ix);
    m->ix = ix;
    return FD_OK;
}

fd_status fd_model_add_tensor(fd_model *m, const char *src, const char *name, fd_dtype dtype, uint32_t n_dims,
                              const uint64_t *dims, const void *data, uint64_t bytes, fd_error *err)
{
    fd_model_tensor *t;
    if (fd_nameidx_get(&m->ix, name) >= 0)
        return fd_error_set(err, FD_ERR_FORMAT, "%s: tensor %s appears twice", src, name);
    if (m->n_t == m->cap_t) {
        uint64_t cap = m->cap_t ? m->cap_t * 2 : 64;
        fd_model_tensor *nt = fd_realloc(m->t, cap * sizeof *nt);
        void **no;
        if (!nt) return fd_error_set(err, FD_ERR_NOMEM, "%s: out of memory", src);
        m->t = nt;
        if (!(no = fd_realloc(m->owned, cap * sizeof *no))) return fd_error_set(err, FD_ERR_NOMEM, "%s: out of memory", src);
        m->owned = no;
        m->cap_t = cap;
    }
    if (reindex(m, m->n_t + 1)) return fd_error_set(err, FD_ERR_NOMEM, "%s: out of memory", src);
    t = &m->t[m->n_t];
    memset(t, 0, sizeof *t);
    if (!(t->name = fd_strdup(name))) return fd_error_set(err, FD_ERR_NOMEM, "%s: out of memory", src);
    t->dtype = t->file_dtype = dtype;
    t->n_dims = n_dims;
    t->dims[0] = dims[0];
    t->dims[1] = n_dims == 2 ? dims[1] : 1;
    t->n_elems = t->dims[0] * t->dims[1];
    t->data = data;
    t->bytes = bytes;
    m->owned[m->n_t] = NULL;
    fd_nameidx_add(&m->ix, t->name, (uint32_t)m->n_t, NULL);
    m->n_t++;
    return FD_OK;
}

/* One expected tensor: present, with the shape the hyper-parameters imply. */
/* tied_role: the head (FD_AT_TIED), named hf_name in a folder. */
static fd_status expect(const fd_model *m, const char *name, uint64_t rows, uint64_t cols, int optional, int tied_role,
                        const char *hf_name, fd_error *err)
{
    const fd_model_tensor *t = fd_model_tensor_find(m, name);
    uint32_t nd = cols ? 2 : 1;
    if (!t) {
        if (optional) return FD_OK;
        if (tied_role && !m->gguf)   /* transformers would start lm_head from random values */
            return fd_error_set(err, FD_ERR_FORMAT, "%s: tensor %s is missing and config.json does not say "
                                "\"tie_word_embeddings\": true", m->path, hf_name);
        return fd_error_set(err, FD_ERR_FORMAT, "%s: tensor %s is missing", m->path, name);
    }
    if (t->n_dims != nd || t->dims[0] != rows || (nd == 2 && t->dims[1] != cols)) {
        if (nd == 2)
            return fd_error_set(err, FD_ERR_FORMAT, "%s: tensor %s has shape (%" PRIu64 ", %" PRIu64 "), expected (%" PRIu64
                                ", %" PRIu64 ") from the hyper-parameters", m->path, name, t->dims[0],
                                t->n_dims == 2 ? t->dims[1] : 0, rows, cols);
        return fd_error_set(err, FD_ERR_FORMAT, "%s: tensor %s has %u dimensions (%" PRIu64 ", ...), expected (%" PRIu64 ")",
                            m->path, name, t->n_dims, t->dims[0], rows);
    }
    if (nd == 2 && fd_dtype_is_quant(t->dtype) && cols % FD_QK)
        return fd_error_set(err, FD_ERR_FORMAT, "%s: tensor %s: %" PRIu64 " columns are not whole %s blocks", m->path,
                            name, cols, fd_dtype_name(t->dtype));
    if (nd == 1 && fd_dtype_is_quant(t->dtype))
        return fd_error_set(err, FD_ERR_UNSUPPORTED, "%s: 1-D tensor %s is stored as %s, not supported", m->path, name,
                            fd_dtype_name(t->dtype));
    return FD_OK;
}

/* An integer hyper-parameter outside lo..hi, named by the source's key. */
static fd_status int_range(const fd_model *m, const char *key, uint64_t v, uint64_t lo, uint64_t hi, fd_error *err)
{
    if (v >= lo && v <= hi) return FD_OK;
    return fd_error_set(err, FD_ERR_FORMAT, "%s: %s = %" PRIu64 " is out of range (%" PRIu64 "..%" PRIu64 ")", m->path,
                        key, v, lo, hi);
}

static fd_status real_range(const fd_model *m, const char *key, double v, double lo, double hi, fd_error *err)
{
    if (isfinite(v) && v > lo && v <= hi) return FD_OK;
    return fd_error_set(err, FD_ERR_FORMAT, "%s: %s = %g is out of range (above %g, at most %g)", m->path, key, v, lo,
                        hi);
}

static fd_status unsupported(const fd_model *m, const char *key, uint64_t v, const char *who, const char *rule,
                             fd_error *err)
{
    return fd_error_set(err, FD_ERR_UNSUPPORTED, "%s: %s = %" PRIu64 " is not supported: %s take %s", m->path, key, v,
                        who, rule);
}

/* The shapes the decoder's kernels take, by the rules their own checks apply
 * (include/foundry/ops.h), so that a model that loads also runs its first
 * long prompt: attention's head_dim; the GEMM's K, the input width of every
 * product (the columns of the descriptor's 2-D tensors); the q/k norm rows'
 * head count where the plan has them; the sampler's vocabulary. */
static fd_status kernel_shapes(const fd_model *m, int gguf, char buf[][96], fd_error *err)
{
    const fd_model_hparams *h = &m->info.hp;
    const char *r;
    if ((r = fd_attn_head_dim_rule(h->head_dim)))
        return unsupported(m, KEY_(head_dim), h->head_dim, "the attention kernels", r, err);
    for (size_t i = 0; i < m->arch->n_tensors; i++) {
        fd_dim d = m->arch->tensors[i].cols;
        uint64_t K = fd_arch_dim(h, d);
        char two[200];
        if (d == FD_DIM_NONE || !(r = fd_gemm_k_rule((uint32_t)K))) continue;
        const char *key = d == FD_DIM_D ? KEY_(hidden) : d == FD_DIM_F ? KEY_(ffn) : d == FD_DIM_V ? KEY_(vocab) : NULL;
        if (!key) {   /* H hd, KV hd: a product of two keys */
            snprintf(two, sizeof two, "%s x %s", d == FD_DIM_KV ? KEY_(n_kv_heads) : KEY_(n_heads), KEY_(head_dim));
            key = two;
        }
        return unsupported(m, key, K, "the matrix products (the prefill GEMM's k-tile)", r, err);
    }
    for (size_t i = 0; i < m->arch->n_steps; i++)
        if ((m->arch->plan[i].opts & FD_STEP_QK_NORM) && (r = fd_qkv_norm_heads_rule(h->n_heads + h->n_kv_heads))) {
            char two[200];
            snprintf(two, sizeof two, "%s + %s", KEY_(n_heads), KEY_(n_kv_heads));
            return unsupported(m, two, (uint64_t)h->n_heads + h->n_kv_heads, "the q/k norm kernels", r, err);
        }
    if ((r = fd_sample_n_rule(h->vocab))) return unsupported(m, KEY_(vocab), h->vocab, "the sampler's kernels", r, err);
    return FD_OK;
}

/* Each bound names the key as the source spells it: config.json's or GGUF's. */
fd_status fd_model_check_hparams(const fd_model *m, fd_error *err)
{
    const fd_model_hparams *h = &m->info.hp;
    int gguf = m->gguf != NULL;
    char buf[sizeof(fd_model_hparams) / 4][96];
    FD_TRY(int_range(m, KEY_(n_layers), h->n_layers, 1, 4096, err));
    FD_TRY(int_range(m, KEY_(hidden), h->hidden, 1, 1u << 20, err));
    FD_TRY(int_range(m, KEY_(n_heads), h->n_heads, 1, 1u << 16, err));
    FD_TRY(int_range(m, KEY_(n_kv_heads), h->n_kv_heads, 1, h->n_heads, err));
    if (h->n_heads % h->n_kv_heads)
        return fd_error_set(err, FD_ERR_FORMAT, "%s: %s = %u is not a multiple of %s = %u", m->path, KEY_(n_heads),
                            h->n_heads, KEY_(n_kv_heads), h->n_kv_heads);
    if ((uint64_t)h->n_heads * h->head_dim > (1u << 20))
        return fd_error_set(err, FD_ERR_FORMAT, "%s: %s x %s = %u x %u is too large", m->path, KEY_(n_heads),
                            KEY_(head_dim), h->n_heads, h->head_dim);
    FD_TRY(int_range(m, KEY_(ffn), h->ffn, 1, 1u << 22, err));
    FD_TRY(int_range(m, KEY_(vocab), h->vocab, 1, 1u << 24, err));
    FD_TRY(int_range(m, KEY_(max_pos), h->max_pos, 1, 1u << 26, err));
    FD_TRY(real_range(m, KEY_(rope_theta), h->rope_theta, 0, 1e12, err));
    FD_TRY(real_range(m, KEY_(rms_eps), h->rms_eps, 0, 1, err));
    if (h->rope_factor != 0 && !(h->rope_factor >= 1 && h->rope_factor <= 1024 && h->rope_low_freq > 0 &&
                                 h->rope_high_freq > h->rope_low_freq && isfinite(h->rope_high_freq) && h->rope_orig_ctx))
        return fd_error_set(err, FD_ERR_FORMAT, "%s: llama3 RoPE scaling out of range (factor %g, low_freq_factor %g, "
                            "high_freq_factor %g, original_max_position_embeddings %u)", m->path, h->rope_factor,
                            h->rope_low_freq, h->rope_high_freq, h->rope_orig_ctx);
    if (h->nope_period > h->n_layers)
        return fd_error_set(err, FD_ERR_FORMAT, "%s: NoPE every %u layers, beyond the %u layers", m->path,
                            h->nope_period, h->n_layers);
    return kernel_shapes(m, gguf, buf, err);
}
#undef KEY_

/* Whether `name` is one of a's tensors (GGUF name) for a layer below h's count. */
static int described(const fd_arch *a, const fd_model_hparams *h, const char *name)
{
    char n[96];
    for (size_t i = 0; i < a->n_tensors; i++)
        for (uint32_t l = 0; l < (a->tensors[i].role >= FD_ROLE_FIRST_LAYER ? h->n_layers : 1); l++) {
            fd_arch_tensor_name(&a->tensors[i], 0, l, n, sizeof n);
            if (!strcmp(n, name)) return 1;
        }
    return 0;
}

fd_status fd_model_check_tensors(fd_model *m, fd_error *err)
{
    const fd_model_hparams *h = &m->info.hp;
    const fd_arch *a = m->arch;
    char n[96], hn[96];
    uint64_t present = 0;   /* the described names the model holds */
    FD_TRY(fd_model_check_hparams(m, err));
    for (size_t i = 0; i < a->n_tensors; i++) {
        const fd_arch_tensor *t = &a->tensors[i];
        int optional = ((t->flags & FD_AT_TIED) && h->tie_embeddings) || (t->flags & FD_AT_OPTIONAL);
        for (uint32_t l = 0; l < (t->role >= FD_ROLE_FIRST_LAYER ? h->n_layers : 1); l++) {
            fd_arch_tensor_name(t, 0, l, n, sizeof n);
            fd_arch_tensor_name(t, 1, l, hn, sizeof hn);
            present += fd_model_tensor_find(m, n) != NULL;
            FD_TRY(expect(m, n, fd_arch_dim(h, t->rows), fd_arch_dim(h, t->cols), optional, !!(t->flags & FD_AT_TIED),
                          hn, err));
        }
    }
    /* The reverse: a tensor the descriptor does not list is a feature this
     * code would silently skip (a Qwen3 with "attention_bias": true has
     * attn_q.bias), so it is refused by name. Names are unique, so every
     * tensor is described when the count says so; only then is none sought. */
    const char *unused = m->unused[0] ? m->unused : NULL;
    for (uint64_t i = 0; !unused && present != m->n_t && i < m->n_t; i++)
        if (!described(a, h, m->t[i].name)) unused = m->t[i].name;
    if (unused)
        return fd_error_set(err, FD_ERR_UNSUPPORTED, "%s: tensor %s is not one architecture %s uses here (a feature "
                            "Foundry does not implement for it)", m->path, unused, a->name);
    const fd_arch_tensor *out = fd_arch_tensor_of(a, FD_ROLE_OUTPUT);
    if (out && !fd_model_tensor_find(m, out->gguf)) m->info.hp.tie_embeddings = 1;
    return FD_OK;
}

/* The most common dtype of the 2-D weights as stored. */
void fd_model_summarize(fd_model *m)
{
    uint64_t count[FD_DTYPE_COUNT] = {0}, best = 0;
    m->info.n_params = m->info.total_bytes = 0;
    for (uint64_t i = 0; i < m->n_t; i++) {
        m->info.n_params += m->t[i].n_elems;
        m->info.total_bytes += m->t[i].bytes;
        if (m->t[i].n_dims == 2) count[m->t[i].file_dtype]++;
    }
    for (int d = 0; d < FD_DTYPE_COUNT; d++)
        if (count[d] > best) {
            best = count[d];
            m->info.file_dtype = (fd_dtype)d;
        }
    m->info.n_tensors = m->n_t;
}

static fd_status load_tokenizer(fd_model *m, const fd_model_options *opt, fd_error *err)
{
    fd_tokenizer *tok = NULL;
    if (opt->no_tokenizer) {
        snprintf(m->note, sizeof m->note, "not loaded (asked not to)");
    } else if (m->gguf) {
        if (!fd_gguf_has(m->gguf, "tokenizer.ggml.tokens")) snprintf(m->note, sizeof m->note, "absent (no tokenizer.ggml.tokens)");
        else FD_TRY(fd_tokenizer_load_gguf(m->gguf, &tok, err));
    } else if (!m->tok_json) {
        snprintf(m->note, sizeof m->note, "absent (no tokenizer.json in the folder)");
    } else {
        FD_TRY(fd_tokenizer_load_json(m->tok_json, m->tok_config, &tok, err));
    }
    m->info.tokenizer = tok;
    m->info.tokenizer_note = tok ? NULL : m->note;
    return FD_OK;
}

static int names_folder_file(const char *path)
{
    size_t n = strlen(path);
    return (n >= 12 && !strcmp(path + n - 12, ".safetensors")) || (n >= 11 && !strcmp(path + n - 11, "config.json"));
}

fd_status fd_model_open(const char *path, const fd_model_options *opt, fd_model **out, fd_error *err)
{
    static const fd_model_options defaults;
    double t0 = fd_now_seconds(), t1;
    fd_model *m;
    fd_status rc;
    *out = NULL;
    if (!path) return fd_error_set(err, FD_ERR_INVALID, "fd_model_open: path is NULL");
    if (!opt) opt = &defaults;
    if (opt->convert && (!fd_dtype_can_write(opt->dtype) || opt->dtype == FD_I32))   /* QCPU dtypes: no quantizer */
        return fd_error_set(err, FD_ERR_INVALID, "fd_model_open: cannot convert weights to %s", fd_dtype_name(opt->dtype));
    if (!(m = fd_calloc(1, sizeof *m)) || !(m->path = fd_strdup(path))) {
        fd_free(m);
        return fd_error_set(err, FD_ERR_NOMEM, "%s: out of memory", path);
    }
    m->info.path = m->path;
    fd_generation_defaults_init(&m->info.gen);
    if (fd_is_dir(path)) {
        m->info.format = "safetensors";
        rc = fd_model_load_hf(m, path, err);
    } else if (names_folder_file(path)) {   /* ".../model.safetensors" or ".../config.json": its folder */
        char *dir = fd_strndup(path, (size_t)(strrchr(path, '/') ? strrchr(path, '/') - path : 1));
        if (dir && !strchr(path, '/')) dir[0] = '.';
        m->info.format = "safetensors";
        rc = dir ? fd_model_load_hf(m, dir, err) : fd_error_set(err, FD_ERR_NOMEM, "%s: out of memory", path);
        fd_free(dir);
    } else {
        m->info.format = "gguf";
        rc = fd_model_load_gguf(m, path, err);
    }
    if (rc == FD_OK) rc = fd_model_check_tensors(m, err);
    if (rc == FD_OK) {
        fd_model_summarize(m);
        t1 = fd_now_seconds();
        m->info.open_seconds = t1 - t0;
        rc = fd_model_convert(m, opt, err);
        m->info.convert_seconds = fd_now_seconds() - t1;
    }
    if (rc == FD_OK) {
        fd_model_summarize(m);
        m->info.chat_template = m->chat_template;
        rc = load_tokenizer(m, opt, err);
    }
    if (rc != FD_OK) {
        fd_model_close(m);
        return rc;
    }
    m->info.load_seconds = fd_now_seconds() - t0;
    *out = m;
    return FD_OK;
}

void fd_model_close(fd_model *m)
{
    if (!m) return;
    for (uint64_t i = 0; i < m->n_t; i++) {
        fd_free((void *)m->t[i].name);
        fd_free(m->owned[i]);
    }
    fd_free(m->t);
    fd_free(m->owned);
    fd_nameidx_free(&m->ix);
    for (uint64_t i = 0; i < m->n_shards; i++) fd_st_close(m->shards[i]);
    fd_free(m->shards);
    fd_gguf_close(m->gguf);
    fd_tokenizer_destroy(m->info.tokenizer);
    fd_free(m->chat_template);
    fd_free(m->tok_json);
    fd_free(m->tok_config);
    fd_free(m->path);
    fd_free(m);
}

const fd_model_info *fd_model_describe(const fd_model *m) { return &m->info; }
uint64_t fd_model_tensor_count(const fd_model *m) { return m->n_t; }
const fd_model_tensor *fd_model_tensor_at(const fd_model *m, uint64_t i) { return i < m->n_t ? &m->t[i] : NULL; }
const struct fd_gguf *fd_model_gguf(const fd_model *m) { return m->gguf; }

const fd_model_tensor *fd_model_tensor_find(const fd_model *m, const char *name)
{
    int64_t i = fd_nameidx_get(&m->ix, name);
    return i < 0 ? NULL : &m->t[i];
}
