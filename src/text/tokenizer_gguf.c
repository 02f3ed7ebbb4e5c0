/* tokenizer_gguf.c — loads a tokenizer from GGUF metadata (llama.cpp's keys).
 *
 * Layer: text. Reads tokenizer.ggml.model ("gpt2" = byte-level BPE, "llama" =
 * SentencePiece BPE over tokenizer.ggml.scores with byte fallback),
 * tokenizer.ggml.pre (byte-level BPE: which Hugging Face pre-tokenizer the
 * file stands for, from the table below), tokens, token_type (3 control ->
 * special added token, 4 user defined -> added token; 5 unused padding
 * entries stay plain; 6 byte tokens "<0xXX>"), merges ("a b"), the
 * eos/eot/eom/bos ids, add_bos_token, add_space_prefix and
 * tokenizer.chat_template. Copies everything: the GGUF may be closed after. */
#include <string.h>
#include "base/mem.h"
#include "foundry/gguf.h"
#include "text/tok.h"

static int str_is(fd_gguf_str s, const char *lit) { return s.len == strlen(lit) && !memcmp(s.ptr, lit, s.len); }

/* Byte-level BPE pre-tokenizers by their GGUF names (space-separated aliases),
 * each with what the model's tokenizer.json does: its split regex, whether it
 * NFC-normalises, whether a piece that is a whole token skips the merges, and
 * whether a BOS is added when the file does not say (add_bos_token). */
static const struct pre {
    const char *names;
    const char *re;
    int nfc, ignore_merges, add_bos;
} PRE[] = {
    { "qwen2", tok_re_qwen2, 1, 0, 0 },
    { "llama-bpe llama3 llama-v3", tok_re_llama3, 0, 1, 1 },
    { "default gpt2 gpt-2", tok_re_gpt2, 1, 0, 0 },
};

static const struct pre *find_pre(fd_gguf_str name)
{
    for (size_t i = 0; i < sizeof PRE / sizeof PRE[0]; i++)
        for (const char *p = PRE[i].names; *p;) {
            size_t n = strcspn(p, " ");
            if (n == name.len && !memcmp(p, name.ptr, n)) return &PRE[i];
            p += n + (p[n] == ' ');
        }
    return NULL;
}

/* SentencePiece's scores: one f32 per token (absent: all equal). */
static fd_status load_scores(fd_tokenizer *t, const fd_gguf *g, uint64_t n, fd_error *err)
{
    const fd_gguf_value *v = fd_gguf_find(g, "tokenizer.ggml.scores");
    if (!v) return FD_OK;
    if (v->type != FD_GGUF_ARRAY || (v->v.arr.type != FD_GGUF_F32 && v->v.arr.type != FD_GGUF_F64) || v->v.arr.n != n)
        return fd_error_set(err, FD_ERR_FORMAT, "%s: tokenizer.ggml.scores is not %llu floats", t->origin,
                            (unsigned long long)n);
    t->scores = fd_malloc((size_t)n * sizeof *t->scores + 1);
    if (!t->scores) return fd_error_set(err, FD_ERR_NOMEM, "%s: out of memory for %llu scores", t->origin,
                                        (unsigned long long)n);
    for (uint64_t i = 0; i < n; i++) t->scores[i] = (float)fd_gguf_array_item(v, i).v.f;
    return FD_OK;
}

static fd_status load_merges(fd_tokenizer *t, const fd_gguf *g, fd_error *err)
{
    if (!fd_gguf_has(g, "tokenizer.ggml.merges")) return FD_OK;
    const fd_gguf_str *m;
    uint64_t n;
    FD_TRY(fd_gguf_get_str_array(g, "tokenizer.ggml.merges", &m, &n, err));
    FD_TRY(tok_merges_reserve(t, n, err));
    for (uint64_t i = 0; i < n; i++) {
        const char *sp = memchr(m[i].ptr, ' ', m[i].len);
        if (!sp || memchr(sp + 1, ' ', m[i].len - (size_t)(sp + 1 - m[i].ptr)))
            return fd_error_set(err, FD_ERR_FORMAT, "%s: merge %llu \"%.*s\" is not two tokens split by one space",
                                t->origin, (unsigned long long)i, (int)m[i].len, m[i].ptr);
        size_t alen = (size_t)(sp - m[i].ptr);
        FD_TRY(tok_add_merge(t, m[i].ptr, alen, sp + 1, m[i].len - alen - 1, (int32_t)i, err));
    }
    return FD_OK;
}

static fd_status get_id(const fd_gguf *g, const char *key, int32_t *id, fd_error *err)
{
    *id = -1;
    if (!fd_gguf_has(g, key)) return FD_OK;
    uint64_t v;
    FD_TRY(fd_gguf_get_uint(g, key, &v, err));
    if (v < INT32_MAX) *id = (int32_t)v;
    return FD_OK;
}

static fd_status load(fd_tokenizer *t, const fd_gguf *g, fd_error *err)
{
    fd_gguf_str model, pre = { "default", 7 };
    if (!fd_gguf_has(g, "tokenizer.ggml.model") && !fd_gguf_has(g, "tokenizer.ggml.tokens"))
        return fd_error_set(err, FD_ERR_FORMAT, "%s: this GGUF file has no tokenizer (no tokenizer.ggml.model or "
                            "tokenizer.ggml.tokens key)", t->origin);
    FD_TRY(fd_gguf_get_str(g, "tokenizer.ggml.model", &model, err));
    t->spm = str_is(model, "llama");
    if (!t->spm && !str_is(model, "gpt2"))
        return fd_error_set(err, FD_ERR_UNSUPPORTED, "%s: tokenizer.ggml.model \"%.*s\" is not supported (gpt2: "
                            "byte-level BPE; llama: SentencePiece)", t->origin, (int)model.len, model.ptr);
    if (fd_gguf_has(g, "tokenizer.ggml.pre")) FD_TRY(fd_gguf_get_str(g, "tokenizer.ggml.pre", &pre, err));
    const struct pre *pt = t->spm ? NULL : find_pre(pre);
    if (!t->spm && !pt)
        return fd_error_set(err, FD_ERR_UNSUPPORTED, "%s: tokenizer.ggml.pre \"%.*s\" is not supported (qwen2, "
                            "llama-bpe, gpt2)", t->origin, (int)pre.len, pre.ptr);
    const fd_gguf_str *tokens;
    uint64_t n, ntypes = 0;
    const int32_t *types = NULL;
    FD_TRY(fd_gguf_get_str_array(g, "tokenizer.ggml.tokens", &tokens, &n, err));
    if (fd_gguf_has(g, "tokenizer.ggml.token_type")) {
        FD_TRY(fd_gguf_get_int_array(g, "tokenizer.ggml.token_type", &types, &ntypes, err));
        if (ntypes != n)
            return fd_error_set(err, FD_ERR_FORMAT, "%s: %llu token types for %llu tokens", t->origin,
                                (unsigned long long)ntypes, (unsigned long long)n);
    }
    FD_TRY(tok_set_vocab_size(t, (size_t)n, err));
    for (uint64_t i = 0; i < n; i++) {
        int ty = types ? types[i] : 1;
        if (ty == 3 || ty == 4) FD_TRY(tok_add_added(t, (int32_t)i, tokens[i].ptr, tokens[i].len, ty == 3, 0, 0, 0, 0, err));
        else FD_TRY(tok_set_token(t, (int32_t)i, tokens[i].ptr, tokens[i].len, err));
        if (ty == 2 && t->unk_id < 0) t->unk_id = (int32_t)i;
    }
    t->n_real = (size_t)n;   /* trailing "unused" entries pad the vocabulary to the embedding's rows */
    while (types && t->n_real && types[t->n_real - 1] == 5) t->n_real--;
    FD_TRY(tok_build_vmap(t, err));
    int add_bos = 1;   /* SentencePiece vocabularies add one unless the file says not */
    if (t->spm) {
        FD_TRY(load_scores(t, g, n, err));
        int prefix = 1;
        if (fd_gguf_has(g, "tokenizer.ggml.add_space_prefix"))
            FD_TRY(fd_gguf_get_bool(g, "tokenizer.ggml.add_space_prefix", &prefix, err));
        t->add_space_prefix = prefix ? TOK_PREFIX_ALWAYS : 0;
    } else {
        FD_TRY(load_merges(t, g, err));
        t->nfc = pt->nfc;
        t->ignore_merges = pt->ignore_merges;
        add_bos = pt->add_bos;
        FD_TRY(tok_set_pattern(t, pt->re, strlen(pt->re), err));
    }
    int32_t id;
    FD_TRY(get_id(g, "tokenizer.ggml.eos_token_id", &id, err));
    if (id >= 0 && (size_t)id < t->n_vocab) FD_TRY(tok_add_eos(t, id, err));
    FD_TRY(get_id(g, "tokenizer.ggml.eot_token_id", &id, err));
    if (id >= 0 && (size_t)id < t->n_vocab) FD_TRY(tok_add_eos(t, id, err));
    FD_TRY(get_id(g, "tokenizer.ggml.eom_token_id", &id, err));
    if (id >= 0 && (size_t)id < t->n_vocab) FD_TRY(tok_add_eos(t, id, err));
    if (fd_gguf_has(g, "tokenizer.ggml.add_bos_token")) FD_TRY(fd_gguf_get_bool(g, "tokenizer.ggml.add_bos_token", &add_bos, err));
    FD_TRY(get_id(g, "tokenizer.ggml.bos_token_id", &id, err));
    if (add_bos && id >= 0 && (size_t)id < t->n_vocab) t->bos = id, t->add_bos = 1;
    if (fd_gguf_has(g, "tokenizer.chat_template")) {
        fd_gguf_str tpl;
        FD_TRY(fd_gguf_get_str(g, "tokenizer.chat_template", &tpl, err));
        FD_TRY(tok_set_template(t, tpl.ptr, tpl.len, err));
    }
    return tok_finish(t, err);
}

fd_status fd_tokenizer_load_gguf(const struct fd_gguf *g, fd_tokenizer **out, fd_error *err)
{
    if (!out) return fd_error_set(err, FD_ERR_INVALID, "fd_tokenizer_load_gguf: out is NULL");
    *out = NULL;
    if (!g) return fd_error_set(err, FD_ERR_INVALID, "fd_tokenizer_load_gguf: no GGUF");
    const char *path = fd_gguf_path(g);
    fd_tokenizer *t;
    FD_TRY(tok_create(path ? path : "(gguf)", &t, err));
    fd_status rc = load(t, g, err);
    if (rc != FD_OK) {
        fd_tokenizer_destroy(t);
        return rc;
    }
    *out = t;
    return FD_OK;
}
