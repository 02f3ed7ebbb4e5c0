/* tokenizer_json.c — loads a tokenizer from Hugging Face tokenizer.json (+
 * tokenizer_config.json, generation_config.json) with Jansson.
 *
 * Layer: text. Accepts what byte-level BPE models (Qwen2, Llama 3, GPT-2
 * style) use: model BPE (merges as "a b" strings or [a, b] pairs,
 * ignore_merges, unk), normalizer null / NFC, pre_tokenizer Split(regex,
 * Isolated) + ByteLevel or ByteLevel(use_regex) alone, decoder ByteLevel; and
 * what SentencePiece BPE models (Llama 2, Mistral) use: model BPE with
 * byte_fallback, normalizer Prepend("▁") + Replace(" ", "▁") or pre_tokenizer
 * Metaspace, decoders Replace / ByteFallback / Fuse / Strip / Metaspace.
 * post_processor ByteLevel, or TemplateProcessing whose single template starts
 * with a special token (that token is the BOS the model adds). Anything else is
 * refused by name (FD_ERR_UNSUPPORTED), so a model never gets silently
 * different ids. The JSON tree lives only during loading. */
#include <stdio.h>
#include <string.h>
#include <jansson.h>
#include "base/mem.h"
#include "format/mapfile.h"
#include "text/tok.h"

static const char *type_of(json_t *o)
{
    const char *s = json_string_value(json_object_get(o, "type"));
    return s ? s : "(none)";
}

static fd_status load_file(const char *path, json_t **out, fd_error *err)
{
    return fd_json_read(path, 0, out, err);
}

#define SPM_SPACE "\xE2\x96\x81"   /* U+2581, SentencePiece's space */

static fd_status check_normalizer(fd_tokenizer *t, json_t *n, fd_error *err)
{
    if (!n || json_is_null(n)) return FD_OK;
    const char *ty = type_of(n);
    if (!strcmp(ty, "NFC")) {
        t->nfc = 1;
        return FD_OK;
    }
    if (!strcmp(ty, "Sequence")) {
        size_t i;
        json_t *x;
        json_array_foreach(json_object_get(n, "normalizers"), i, x) FD_TRY(check_normalizer(t, x, err));
        return FD_OK;
    }
    /* SentencePiece's space handling, written as normalizers (Llama 2) */
    const char *pre = json_string_value(json_object_get(n, "prepend"));
    if (!strcmp(ty, "Prepend") && pre && !strcmp(pre, SPM_SPACE)) {
        t->add_space_prefix = TOK_PREFIX_ALWAYS;
        return FD_OK;
    }
    const char *from = json_string_value(json_object_get(json_object_get(n, "pattern"), "String"));
    const char *to = json_string_value(json_object_get(n, "content"));
    if (!strcmp(ty, "Replace") && from && to && !strcmp(from, " ") && !strcmp(to, SPM_SPACE)) return FD_OK;
    return fd_error_set(err, FD_ERR_UNSUPPORTED, "%s: normalizer \"%s\" is not supported (NFC, or SentencePiece's "
                        "Prepend/Replace of \"\u2581\")", t->origin, ty);
}

/* Finds the split pattern; *byte_level is set when a ByteLevel step is present. */
static fd_status check_pre(fd_tokenizer *t, json_t *p, const char **re, size_t *relen, char **owned, int *byte_level,
                           fd_error *err)
{
    if (!p || json_is_null(p)) return FD_OK;
    const char *ty = type_of(p);
    if (!strcmp(ty, "Sequence")) {
        size_t i;
        json_t *x;
        json_array_foreach(json_object_get(p, "pretokenizers"), i, x)
            FD_TRY(check_pre(t, x, re, relen, owned, byte_level, err));
        return FD_OK;
    }
    if (!strcmp(ty, "ByteLevel")) {
        *byte_level = 1;
        if (json_is_true(json_object_get(p, "add_prefix_space")))
            return fd_error_set(err, FD_ERR_UNSUPPORTED, "%s: ByteLevel add_prefix_space=true is not supported", t->origin);
        json_t *ur = json_object_get(p, "use_regex");
        if ((!ur || json_is_true(ur)) && !*re) {
            *re = tok_re_gpt2;
            *relen = strlen(tok_re_gpt2);
        }
        return FD_OK;
    }
    if (!strcmp(ty, "Split")) {
        if (*re && *re != tok_re_gpt2)
            return fd_error_set(err, FD_ERR_UNSUPPORTED, "%s: more than one Split pre-tokenizer", t->origin);
        const char *beh = json_string_value(json_object_get(p, "behavior"));
        if (!beh || strcmp(beh, "Isolated") || json_is_true(json_object_get(p, "invert")))
            return fd_error_set(err, FD_ERR_UNSUPPORTED, "%s: Split behavior \"%s\"%s is not supported (only Isolated)",
                                t->origin, beh ? beh : "(none)", json_is_true(json_object_get(p, "invert")) ? " inverted" : "");
        json_t *pat = json_object_get(p, "pattern");
        json_t *rx = json_object_get(pat, "Regex"), *str = json_object_get(pat, "String");
        if (json_is_string(rx)) {
            *re = json_string_value(rx);
            *relen = json_string_length(rx);
        } else if (json_is_string(str)) {   /* a literal: quote it for PCRE2 */
            size_t n = json_string_length(str);
            char *q = fd_malloc(n + 5);
            if (!q) return fd_error_set(err, FD_ERR_NOMEM, "%s: out of memory", t->origin);
            snprintf(q, n + 5, "\\Q%s\\E", json_string_value(str));
            fd_free(*owned);
            *owned = q;
            *re = q;
            *relen = strlen(q);
        } else {
            return fd_error_set(err, FD_ERR_FORMAT, "%s: Split pre-tokenizer without a Regex or String pattern", t->origin);
        }
        return FD_OK;
    }
    if (!strcmp(ty, "Metaspace")) {   /* SentencePiece's spaces as a pre-tokenizer (Mistral v0.3) */
        const char *rep = json_string_value(json_object_get(p, "replacement"));
        const char *scheme = json_string_value(json_object_get(p, "prepend_scheme"));
        if (!rep || strcmp(rep, SPM_SPACE) || json_is_true(json_object_get(p, "split")))
            return fd_error_set(err, FD_ERR_UNSUPPORTED, "%s: Metaspace other than \"\u2581\" without split is not "
                                "supported", t->origin);
        t->add_space_prefix = !scheme || !strcmp(scheme, "always") ? TOK_PREFIX_ALWAYS
                              : !strcmp(scheme, "first")          ? TOK_PREFIX_FIRST : 0;
        t->spm = 1;
        return FD_OK;
    }
    return fd_error_set(err, FD_ERR_UNSUPPORTED, "%s: pre-tokenizer \"%s\" is not supported", t->origin, ty);
}

static fd_status load_vocab(fd_tokenizer *t, json_t *model, json_t *added, fd_error *err)
{
    json_t *vocab = json_object_get(model, "vocab");
    if (!json_is_object(vocab)) return fd_error_set(err, FD_ERR_FORMAT, "%s: model.vocab is not an object", t->origin);
    json_int_t maxid = -1, bound = (json_int_t)(json_object_size(vocab) + json_array_size(added) + TOK_ID_SLACK);
    const char *key;
    json_t *v;
    json_object_foreach(vocab, key, v) {
        if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) >= INT32_MAX)
            return fd_error_set(err, FD_ERR_FORMAT, "%s: model.vocab[\"%s\"] is not a valid id", t->origin, key);
        if (json_integer_value(v) >= bound)
            return fd_error_set(err, FD_ERR_FORMAT, "%s: model.vocab[\"%s\"] = %lld: ids must lie below %lld (the "
                                "tokens defined plus %d)", t->origin, key, (long long)json_integer_value(v),
                                (long long)bound, TOK_ID_SLACK);
        if (json_integer_value(v) > maxid) maxid = json_integer_value(v);
    }
    size_t i;
    json_array_foreach(added, i, v) {
        json_int_t id = json_integer_value(json_object_get(v, "id"));
        if (id >= bound && id < INT32_MAX)
            return fd_error_set(err, FD_ERR_FORMAT, "%s: added_tokens[%zu] has id %lld: ids must lie below %lld (the "
                                "tokens defined plus %d)", t->origin, i, (long long)id, (long long)bound, TOK_ID_SLACK);
        if (id > maxid && id < INT32_MAX) maxid = id;
    }
    if (maxid < 0) return fd_error_set(err, FD_ERR_FORMAT, "%s: model.vocab is empty", t->origin);
    FD_TRY(tok_set_vocab_size(t, (size_t)maxid + 1, err));
    json_object_foreach(vocab, key, v) FD_TRY(tok_set_token(t, (int32_t)json_integer_value(v), key, strlen(key), err));
    return FD_OK;
}

static fd_status add_added(fd_tokenizer *t, json_t *a, json_int_t id, fd_error *err)
{
    json_t *c = json_object_get(a, "content");
    if (!json_is_string(c) || id < 0 || id >= INT32_MAX)
        return fd_error_set(err, FD_ERR_FORMAT, "%s: added token without content or valid id", t->origin);
    return tok_add_added(t, (int32_t)id, json_string_value(c), json_string_length(c),
                         json_is_true(json_object_get(a, "special")), json_is_true(json_object_get(a, "lstrip")),
                         json_is_true(json_object_get(a, "rstrip")), json_is_true(json_object_get(a, "single_word")),
                         json_is_true(json_object_get(a, "normalized")), err);
}

static fd_status load_merges(fd_tokenizer *t, json_t *model, fd_error *err)
{
    json_t *merges = json_object_get(model, "merges");
    if (!merges || json_is_null(merges)) return FD_OK;
    if (!json_is_array(merges)) return fd_error_set(err, FD_ERR_FORMAT, "%s: model.merges is not a list", t->origin);
    FD_TRY(tok_merges_reserve(t, json_array_size(merges), err));
    size_t i;
    json_t *m;
    json_array_foreach(merges, i, m) {
        const char *a, *b;
        size_t alen, blen;
        if (json_is_string(m)) {
            a = json_string_value(m);
            const char *sp = strchr(a, ' ');
            if (!sp || strchr(sp + 1, ' '))
                return fd_error_set(err, FD_ERR_FORMAT, "%s: merge %zu \"%s\" is not two tokens split by one space",
                                    t->origin, i, a);
            alen = (size_t)(sp - a);
            b = sp + 1;
            blen = strlen(b);
        } else if (json_is_array(m) && json_array_size(m) == 2 && json_is_string(json_array_get(m, 0)) &&
                   json_is_string(json_array_get(m, 1))) {
            a = json_string_value(json_array_get(m, 0));
            alen = json_string_length(json_array_get(m, 0));
            b = json_string_value(json_array_get(m, 1));
            blen = json_string_length(json_array_get(m, 1));
        } else {
            return fd_error_set(err, FD_ERR_FORMAT, "%s: merge %zu is neither \"a b\" nor [a, b]", t->origin, i);
        }
        FD_TRY(tok_add_merge(t, a, alen, b, blen, (int32_t)i, err));
    }
    return FD_OK;
}

static fd_status check_model(fd_tokenizer *t, json_t *model, fd_error *err)
{
    if (!json_is_object(model)) return fd_error_set(err, FD_ERR_FORMAT, "%s: no \"model\" object", t->origin);
    const char *ty = json_string_value(json_object_get(model, "type"));
    if (ty && strcmp(ty, "BPE"))
        return fd_error_set(err, FD_ERR_UNSUPPORTED, "%s: model type \"%s\" is not supported (only BPE)", t->origin, ty);
    t->spm = json_is_true(json_object_get(model, "byte_fallback"));   /* SentencePiece BPE */
    const char *pre = json_string_value(json_object_get(model, "continuing_subword_prefix"));
    const char *suf = json_string_value(json_object_get(model, "end_of_word_suffix"));
    if ((pre && *pre) || (suf && *suf))
        return fd_error_set(err, FD_ERR_UNSUPPORTED, "%s: BPE subword prefix/suffix is not supported", t->origin);
    json_t *dropout = json_object_get(model, "dropout");
    if (json_is_number(dropout) && json_number_value(dropout) > 0)
        return fd_error_set(err, FD_ERR_UNSUPPORTED, "%s: BPE dropout is not supported", t->origin);
    t->ignore_merges = json_is_true(json_object_get(model, "ignore_merges"));
    return FD_OK;
}

/* The decoder must undo what the encoder did: ByteLevel for byte-level BPE,
 * SentencePiece's steps for spm (decode.c implements each). */
static fd_status check_decoder(fd_tokenizer *t, json_t *d, fd_error *err)
{
    if (!d || json_is_null(d)) return FD_OK;
    const char *ty = type_of(d);
    if (!strcmp(ty, "Sequence")) {
        size_t i;
        json_t *x;
        json_array_foreach(json_object_get(d, "decoders"), i, x) FD_TRY(check_decoder(t, x, err));
        return FD_OK;
    }
    static const char *const spm_steps[] = { "Replace", "ByteFallback", "Fuse", "Strip", "Metaspace" };
    if (!t->spm && !strcmp(ty, "ByteLevel")) return FD_OK;
    for (size_t i = 0; t->spm && i < sizeof spm_steps / sizeof spm_steps[0]; i++)
        if (!strcmp(ty, spm_steps[i])) return FD_OK;
    return fd_error_set(err, FD_ERR_UNSUPPORTED, "%s: decoder \"%s\" is not supported for this model (%s)", t->origin,
                        ty, t->spm ? "Replace, ByteFallback, Fuse, Strip, Metaspace" : "ByteLevel");
}

/* post_processor: ByteLevel changes nothing here; TemplateProcessing may put
 * a special token before the text ("single": [{"SpecialToken": {"id":
 * "<|begin_of_text|>"}}, {"Sequence": {"id": "A"}}]): that is the BOS. */
static fd_status check_post(fd_tokenizer *t, json_t *p, fd_error *err)
{
    if (!p || json_is_null(p)) return FD_OK;
    const char *ty = type_of(p);
    if (!strcmp(ty, "Sequence")) {
        size_t i;
        json_t *x;
        json_array_foreach(json_object_get(p, "processors"), i, x) FD_TRY(check_post(t, x, err));
        return FD_OK;
    }
    if (!strcmp(ty, "ByteLevel")) return FD_OK;
    if (strcmp(ty, "TemplateProcessing"))
        return fd_error_set(err, FD_ERR_UNSUPPORTED, "%s: post_processor \"%s\" is not supported (ByteLevel, "
                            "TemplateProcessing)", t->origin, ty);
    json_t *single = json_object_get(p, "single");
    json_t *first = json_object_get(json_array_get(single, 0), "SpecialToken");
    const char *id = json_string_value(json_object_get(first, "id"));
    if (id) {
        t->bos = tok_lookup(t, id, strlen(id));
        t->add_bos = 1;
        if (t->bos < 0)
            return fd_error_set(err, FD_ERR_FORMAT, "%s: post_processor adds \"%s\", which is not a token", t->origin, id);
    }
    size_t n = json_array_size(single);
    if (n && json_object_get(json_array_get(single, n - 1), "SpecialToken"))
        return fd_error_set(err, FD_ERR_UNSUPPORTED, "%s: a post_processor that appends a special token is not "
                            "supported", t->origin);
    return FD_OK;
}

static fd_status load_tokenizer(fd_tokenizer *t, json_t *root, fd_error *err)
{
    json_t *model = json_object_get(root, "model");
    FD_TRY(check_model(t, model, err));
    json_t *added = json_object_get(root, "added_tokens");
    if (added && !json_is_array(added) && !json_is_null(added))
        return fd_error_set(err, FD_ERR_FORMAT, "%s: added_tokens is not a list", t->origin);
    FD_TRY(load_vocab(t, model, added, err));
    size_t i;
    json_t *a;
    json_array_foreach(added, i, a) FD_TRY(add_added(t, a, json_integer_value(json_object_get(a, "id")), err));
    FD_TRY(tok_build_vmap(t, err));
    FD_TRY(load_merges(t, model, err));
    const char *unk = json_string_value(json_object_get(model, "unk_token"));
    if (unk) t->unk_id = tok_lookup(t, unk, strlen(unk));
    FD_TRY(check_normalizer(t, json_object_get(root, "normalizer"), err));
    const char *re = NULL;
    size_t relen = 0;
    char *owned = NULL;
    int byte_level = 0;
    fd_status rc = check_pre(t, json_object_get(root, "pre_tokenizer"), &re, &relen, &owned, &byte_level, err);
    if (rc == FD_OK && t->spm && (byte_level || re))
        rc = fd_error_set(err, FD_ERR_UNSUPPORTED, "%s: byte_fallback with a byte-level or regex pre-tokenizer is not "
                          "supported", t->origin);
    if (rc == FD_OK && !t->spm && !byte_level)
        rc = fd_error_set(err, FD_ERR_UNSUPPORTED, "%s: not a byte-level tokenizer (no ByteLevel pre-tokenizer)", t->origin);
    if (rc == FD_OK && !t->spm && !re) rc = fd_error_set(err, FD_ERR_UNSUPPORTED, "%s: no pre-tokenizer regex", t->origin);
    if (rc == FD_OK && !t->spm) rc = tok_set_pattern(t, re, relen, err);
    fd_free(owned);
    FD_TRY(rc);
    FD_TRY(check_decoder(t, json_object_get(root, "decoder"), err));
    return check_post(t, json_object_get(root, "post_processor"), err);
}

/* A token named in tokenizer_config.json: "text" or {"content": "text"}. */
static int32_t config_token(const fd_tokenizer *t, json_t *v)
{
    if (json_is_object(v)) v = json_object_get(v, "content");
    if (!json_is_string(v)) return -1;
    return tok_lookup(t, json_string_value(v), json_string_length(v));
}

static fd_status load_config(fd_tokenizer *t, const char *path, fd_error *err)
{
    json_t *c;
    FD_TRY(load_file(path, &c, err));
    fd_status rc = FD_OK;
    const char *key;
    json_t *v;
    json_t *decoder = json_object_get(c, "added_tokens_decoder");
    long bound = (long)(t->n_vocab + json_object_size(decoder) + TOK_ID_SLACK);
    json_object_foreach(decoder, key, v) {
        char *end;
        long id = strtol(key, &end, 10);
        if (*end || end == key || id < 0 || id >= INT32_MAX) {
            rc = fd_error_set(err, FD_ERR_FORMAT, "%s: added_tokens_decoder key \"%s\" is not an id", path, key);
            break;
        }
        if (id >= bound) {
            rc = fd_error_set(err, FD_ERR_FORMAT, "%s: added_tokens_decoder id %ld: ids must lie below %ld (the "
                              "tokens defined plus %d)", path, id, bound, TOK_ID_SLACK);
            break;
        }
        int known = 0;
        for (size_t i = 0; i < t->nadded; i++) known |= t->added[i].id == (int32_t)id;
        if (!known && (rc = add_added(t, v, id, err)) != FD_OK) break;
    }
    if (rc == FD_OK) rc = tok_build_vmap(t, err);
    json_t *tpl = json_object_get(c, "chat_template");
    if (rc == FD_OK && json_is_array(tpl)) {   /* [{"name": ..., "template": ...}]: take "default" */
        size_t i;
        json_t *x, *pick = NULL;
        json_array_foreach(tpl, i, x) {
            const char *name = json_string_value(json_object_get(x, "name"));
            if (!pick || (name && !strcmp(name, "default"))) pick = x;
        }
        tpl = json_object_get(pick, "template");
    }
    if (rc == FD_OK && json_is_string(tpl)) rc = tok_set_template(t, json_string_value(tpl), json_string_length(tpl), err);
    int32_t eos = config_token(t, json_object_get(c, "eos_token"));
    if (rc == FD_OK && eos >= 0) rc = tok_add_eos(t, eos, err);
    if (!t->add_bos) t->bos = config_token(t, json_object_get(c, "bos_token"));
    json_decref(c);
    return rc;
}

static fd_status load_genconfig(fd_tokenizer *t, const char *path, fd_error *err)
{
    json_t *c;
    FD_TRY(load_file(path, &c, err));
    fd_status rc = FD_OK;
    json_t *e = json_object_get(c, "eos_token_id");
    if (json_is_integer(e)) {
        json_int_t id = json_integer_value(e);
        if (id >= 0 && (size_t)id < t->n_vocab) rc = tok_add_eos(t, (int32_t)id, err);
    } else if (json_is_array(e)) {
        size_t i;
        json_t *x;
        json_array_foreach(e, i, x) {
            json_int_t id = json_integer_value(x);
            if (rc == FD_OK && json_is_integer(x) && id >= 0 && (size_t)id < t->n_vocab) rc = tok_add_eos(t, (int32_t)id, err);
        }
    }
    json_decref(c);
    return rc;
}

fd_status tok_load_json_folder(const char *tokenizer_json, const char *config_json, const char *genconfig_json,
                               fd_tokenizer **out, fd_error *err)
{
    *out = NULL;
    fd_tokenizer *t;
    json_t *root;
    FD_TRY(load_file(tokenizer_json, &root, err));
    fd_status rc = json_is_object(root) ? tok_create(tokenizer_json, &t, err)
                                        : fd_error_set(err, FD_ERR_FORMAT, "%s: not a JSON object", tokenizer_json);
    if (rc != FD_OK) {
        json_decref(root);
        return rc;
    }
    rc = load_tokenizer(t, root, err);
    json_decref(root);
    if (rc == FD_OK && config_json) rc = load_config(t, config_json, err);
    if (rc == FD_OK && genconfig_json) rc = load_genconfig(t, genconfig_json, err);
    if (rc == FD_OK) rc = tok_finish(t, err);
    if (rc != FD_OK) {
        fd_tokenizer_destroy(t);
        return rc;
    }
    *out = t;
    return FD_OK;
}

fd_status fd_tokenizer_load_json(const char *tokenizer_json, const char *tokenizer_config_json, fd_tokenizer **out,
                                 fd_error *err)
{
    if (!out) return fd_error_set(err, FD_ERR_INVALID, "fd_tokenizer_load_json: out is NULL");
    *out = NULL;
    if (!tokenizer_json) return fd_error_set(err, FD_ERR_INVALID, "fd_tokenizer_load_json: path is NULL");
    return tok_load_json_folder(tokenizer_json, tokenizer_config_json, NULL, out, err);
}
