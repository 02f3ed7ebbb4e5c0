/* tokenizer_gguf.c — loads a tokenizer from GGUF metadata (llama.cpp's keys).
 *
 * Layer: text. Reads tokenizer.ggml.model ("gpt2" = byte-level BPE),
 * tokenizer.ggml.pre (selects the pre-tokenizer regex: "qwen2", or
 * "default"/"gpt2"), tokens, token_type (3 control -> special added token,
 * 4 user defined -> added token; 5 unused padding entries stay plain), merges
 * ("a b"), the eos/eot/bos ids and tokenizer.chat_template. NFC is on, as in
 * the models' tokenizer.json. Copies everything: the GGUF may be closed after. */
#include <string.h>
#include "base/mem.h"
#include "foundry/gguf.h"
#include "text/tok.h"

static int str_is(fd_gguf_str s, const char *lit) { return s.len == strlen(lit) && !memcmp(s.ptr, lit, s.len); }

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
    if (!str_is(model, "gpt2"))
        return fd_error_set(err, FD_ERR_UNSUPPORTED, "%s: tokenizer.ggml.model \"%.*s\" is not supported (only gpt2, byte-level BPE)",
                            t->origin, (int)model.len, model.ptr);
    if (fd_gguf_has(g, "tokenizer.ggml.pre")) FD_TRY(fd_gguf_get_str(g, "tokenizer.ggml.pre", &pre, err));
    const char *re;
    if (str_is(pre, "qwen2")) re = tok_re_qwen2;
    else if (str_is(pre, "default") || str_is(pre, "gpt2") || str_is(pre, "gpt-2")) re = tok_re_gpt2;
    else return fd_error_set(err, FD_ERR_UNSUPPORTED, "%s: tokenizer.ggml.pre \"%.*s\" is not supported (qwen2, gpt2)",
                             t->origin, (int)pre.len, pre.ptr);
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
    }
    t->n_real = (size_t)n;   /* trailing "unused" entries pad the vocabulary to the embedding's rows */
    while (types && t->n_real && types[t->n_real - 1] == 5) t->n_real--;
    FD_TRY(tok_build_vmap(t, err));
    FD_TRY(load_merges(t, g, err));
    t->nfc = 1;
    FD_TRY(tok_set_pattern(t, re, strlen(re), err));
    int32_t id;
    FD_TRY(get_id(g, "tokenizer.ggml.eos_token_id", &id, err));
    if (id >= 0 && (size_t)id < t->n_vocab) FD_TRY(tok_add_eos(t, id, err));
    FD_TRY(get_id(g, "tokenizer.ggml.eot_token_id", &id, err));
    if (id >= 0 && (size_t)id < t->n_vocab) FD_TRY(tok_add_eos(t, id, err));
    int add_bos = 0;
    if (fd_gguf_has(g, "tokenizer.ggml.add_bos_token")) FD_TRY(fd_gguf_get_bool(g, "tokenizer.ggml.add_bos_token", &add_bos, err));
    FD_TRY(get_id(g, "tokenizer.ggml.bos_token_id", &id, err));
    if (add_bos && id >= 0 && (size_t)id < t->n_vocab) t->bos = id;
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
