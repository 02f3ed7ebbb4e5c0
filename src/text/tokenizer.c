/* tokenizer.c — the tokenizer object: building it (for the loaders), its
 * vocabulary table, accessors, and fd_tokenizer_load's choice of loader.
 *
 * Layer: text. Owns the token string pool, the id -> string arrays and the
 * string -> id table (open addressing, linear probing, ids as slots). The
 * building order and invariants are in tok.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <pcre2.h>
#include "base/mem.h"
#include "foundry/gguf.h"
#include "base/util.h"
#include "text/tok.h"

static uint64_t hash_bytes(const char *s, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 0x100000001b3ull;
    return h ^ (h >> 29);
}

fd_status tok_create(const char *origin, fd_tokenizer **out, fd_error *err)
{
    *out = NULL;
    fd_tokenizer *t = fd_calloc(1, sizeof *t);
    if (!t) return fd_error_set(err, FD_ERR_NOMEM, "%s: out of memory", origin);
    t->bos = -1;
    t->unk_id = -1;
    for (int b = 0; b < 256; b++) t->byte_id[b] = t->byte_tok[b] = -1;
    t->origin = fd_strdup(origin);
    if (!t->origin) {
        fd_free(t);
        return fd_error_set(err, FD_ERR_NOMEM, "%s: out of memory", origin);
    }
    if (pthread_mutex_init(&t->lock, NULL) == 0) t->lock_ok = 1;
    *out = t;
    return FD_OK;
}

void fd_tokenizer_destroy(fd_tokenizer *t)
{
    if (!t) return;
    tok_cache_free(t);
    tok_pattern_free(t);
    if (t->lock_ok) pthread_mutex_destroy(&t->lock);
    fd_free(t->tok_off);
    fd_free(t->tok_len);
    fd_free(t->tok_flags);
    fd_free(t->pool);
    fd_free(t->vmap);
    fd_free(t->mkeys);
    fd_free(t->mrank);
    fd_free(t->mid);
    fd_free(t->added);
    fd_free(t->eos);
    fd_free(t->scores);
    fd_free(t->chat_template);
    fd_free((void *)t->origin);
    fd_free(t);
}

static fd_status nomem(const fd_tokenizer *t, fd_error *err)
{
    return fd_error_set(err, FD_ERR_NOMEM, "%s: out of memory while loading the tokenizer", t->origin);
}

fd_status tok_set_vocab_size(fd_tokenizer *t, size_t n, fd_error *err)
{
    if (n == 0 || n > (size_t)INT32_MAX)
        return fd_error_set(err, FD_ERR_FORMAT, "%s: bad vocabulary size %zu", t->origin, n);
    size_t old = t->n_vocab;
    if (n <= old) return FD_OK;
    uint32_t *off = fd_realloc(t->tok_off, n * sizeof *off);
    if (!off) return nomem(t, err);
    t->tok_off = off;
    uint32_t *len = fd_realloc(t->tok_len, n * sizeof *len);
    if (!len) return nomem(t, err);
    t->tok_len = len;
    unsigned char *fl = fd_realloc(t->tok_flags, n);
    if (!fl) return nomem(t, err);
    t->tok_flags = fl;
    for (size_t i = old; i < n; i++) {
        off[i] = TOK_HOLE;
        len[i] = 0;
        fl[i] = 0;
    }
    t->n_vocab = n;
    return FD_OK;
}

/* Appends s[0..len) + NUL to the pool; *off gets its offset. */
static fd_status pool_add(fd_tokenizer *t, const char *s, size_t len, uint32_t *off, fd_error *err)
{
    if (t->pool_len + len + 1 > t->pool_cap) {
        size_t cap = t->pool_cap ? t->pool_cap : 1 << 20;
        while (cap < t->pool_len + len + 1) cap *= 2;
        if (cap >= TOK_HOLE) return fd_error_set(err, FD_ERR_FORMAT, "%s: vocabulary strings too large", t->origin);
        char *p = fd_realloc(t->pool, cap);
        if (!p) return nomem(t, err);
        t->pool = p;
        t->pool_cap = cap;
    }
    memcpy(t->pool + t->pool_len, s, len);
    t->pool[t->pool_len + len] = 0;
    *off = (uint32_t)t->pool_len;
    t->pool_len += len + 1;
    return FD_OK;
}

fd_status tok_set_token(fd_tokenizer *t, int32_t id, const char *s, size_t len, fd_error *err)
{
    if (id < 0 || (size_t)id >= t->n_vocab)
        return fd_error_set(err, FD_ERR_FORMAT, "%s: token id %d out of range (vocabulary of %zu)", t->origin,
                            (int)id, t->n_vocab);
    if (len == 0) return fd_error_set(err, FD_ERR_FORMAT, "%s: token %d is empty", t->origin, (int)id);
    uint32_t off = 0;
    FD_TRY(pool_add(t, s, len, &off, err));
    t->tok_off[id] = off;
    t->tok_len[id] = (uint32_t)len;
    return FD_OK;
}

fd_status tok_add_added(fd_tokenizer *t, int32_t id, const char *s, size_t len, int special, int lstrip,
                        int rstrip, int single_word, int normalized, fd_error *err)
{
    if (id < 0) return fd_error_set(err, FD_ERR_FORMAT, "%s: added token with id %d", t->origin, (int)id);
    if ((size_t)id >= t->n_vocab) FD_TRY(tok_set_vocab_size(t, (size_t)id + 1, err));
    FD_TRY(tok_set_token(t, id, s, len, err));
    for (size_t i = 0; i < t->nadded; i++)
        if (t->added[i].id == id) {   /* a later definition of the same id wins */
            t->added[i] = (tok_added){ id, t->tok_off[id], (uint32_t)len, (unsigned char)!!special,
                                       (unsigned char)!!lstrip, (unsigned char)!!rstrip,
                                       (unsigned char)!!single_word, (unsigned char)!!normalized };
            t->tok_flags[id] = (unsigned char)(TOKF_ADDED | (special ? TOKF_SPECIAL : 0));
            return FD_OK;
        }
    if (t->nadded == t->added_cap) {
        size_t cap = t->added_cap ? 2 * t->added_cap : 32;
        tok_added *a = fd_realloc(t->added, cap * sizeof *a);
        if (!a) return nomem(t, err);
        t->added = a;
        t->added_cap = cap;
    }
    t->added[t->nadded++] = (tok_added){ id, t->tok_off[id], (uint32_t)len, (unsigned char)!!special,
                                         (unsigned char)!!lstrip, (unsigned char)!!rstrip,
                                         (unsigned char)!!single_word, (unsigned char)!!normalized };
    t->tok_flags[id] = (unsigned char)(TOKF_ADDED | (special ? TOKF_SPECIAL : 0));
    return FD_OK;
}

fd_status tok_add_eos(fd_tokenizer *t, int32_t id, fd_error *err)
{
    if (id < 0 || (size_t)id >= t->n_vocab)
        return fd_error_set(err, FD_ERR_FORMAT, "%s: eos token id %d out of range (vocabulary of %zu)",
                            t->origin, (int)id, t->n_vocab);
    for (size_t i = 0; i < t->neos; i++)
        if (t->eos[i] == id) return FD_OK;
    int32_t *e = fd_realloc(t->eos, (t->neos + 1) * sizeof *e);
    if (!e) return nomem(t, err);
    t->eos = e;
    t->eos[t->neos++] = id;
    return FD_OK;
}

fd_status tok_set_template(fd_tokenizer *t, const char *s, size_t len, fd_error *err)
{
    char *c = fd_strndup(s, len);
    if (!c) return nomem(t, err);
    fd_free(t->chat_template);
    t->chat_template = c;
    return FD_OK;
}

int32_t tok_lookup(const fd_tokenizer *t, const char *s, size_t len)
{
    if (!t->vmap) return -1;
    size_t mask = t->vmap_cap - 1;
    for (size_t i = hash_bytes(s, len) & mask;; i = (i + 1) & mask) {
        int32_t id = t->vmap[i];
        if (id < 0) return -1;
        if (t->tok_len[id] == len && memcmp(t->pool + t->tok_off[id], s, len) == 0) return id;
    }
}

/* (Re)builds the string -> id table; with duplicate strings the lowest id wins. */
fd_status tok_build_vmap(fd_tokenizer *t, fd_error *err)
{
    size_t cap = 16;
    while (cap < 2 * t->n_vocab) cap *= 2;
    int32_t *m = fd_malloc(cap * sizeof *m);
    if (!m) return nomem(t, err);
    memset(m, 0xff, cap * sizeof *m);
    for (size_t id = 0; id < t->n_vocab; id++) {
        if (t->tok_off[id] == TOK_HOLE) continue;
        const char *s = t->pool + t->tok_off[id];
        size_t len = t->tok_len[id];
        size_t i = hash_bytes(s, len) & (cap - 1);
        for (; m[i] >= 0; i = (i + 1) & (cap - 1))
            if (t->tok_len[m[i]] == len && memcmp(t->pool + t->tok_off[m[i]], s, len) == 0) break;
        if (m[i] < 0) m[i] = (int32_t)id;
    }
    fd_free(t->vmap);
    t->vmap = m;
    t->vmap_cap = cap;
    return FD_OK;
}

fd_status tok_finish(fd_tokenizer *t, fd_error *err)
{
    if (!t->vmap) FD_TRY(tok_build_vmap(t, err));
    for (int b = 0; b < 256; b++) {
        char u[2];
        size_t n = tok_byte_utf8((unsigned char)b, u);
        t->byte_id[b] = tok_lookup(t, u, n);
    }
    memset(t->added_first, 0, sizeof t->added_first);
    for (size_t i = 0; i < t->nadded; i++) t->added_first[(unsigned char)t->pool[t->added[i].off]] = 1;
    /* the usual end-of-turn tokens end generation too */
    static const char *const eog[] = { "<|im_end|>", "<|endoftext|>", "<|eot_id|>", "<|eom_id|>", "<|end_of_text|>",
                                       "<|end|>", "<end_of_turn>" };
    for (size_t k = 0; k < sizeof eog / sizeof eog[0]; k++) {
        int32_t id = tok_lookup(t, eog[k], strlen(eog[k]));
        if (id >= 0 && (t->tok_flags[id] & TOKF_SPECIAL)) FD_TRY(tok_add_eos(t, id, err));
    }
    for (int b = 0; t->spm && b < 256; b++) {   /* SentencePiece's byte fallback tokens */
        char name[8];
        snprintf(name, sizeof name, "<0x%02X>", b);
        int32_t id = tok_lookup(t, name, 6);
        if (id >= 0) t->byte_tok[b] = id, t->tok_flags[id] |= TOKF_BYTE;
    }
    if (!t->re && !t->spm) return fd_error_set(err, FD_ERR_FORMAT, "%s: no pre-tokenizer pattern", t->origin);
    return FD_OK;
}

/* ---- accessors ---- */

size_t fd_tokenizer_vocab_size(const fd_tokenizer *t) { return t ? t->n_vocab : 0; }
const char *fd_tokenizer_kind(const fd_tokenizer *t)
{
    return !t ? "none" : t->spm ? "SentencePiece BPE" : t->ignore_merges ? "byte-level BPE (whole words kept)" :
                                                                           "byte-level BPE";
}
size_t fd_tokenizer_real_size(const fd_tokenizer *t) { return !t ? 0 : t->n_real ? t->n_real : t->n_vocab; }

const char *fd_tokenizer_token(const fd_tokenizer *t, int32_t id)
{
    if (!t || id < 0 || (size_t)id >= t->n_vocab || t->tok_off[id] == TOK_HOLE) return NULL;
    return t->pool + t->tok_off[id];
}

int32_t fd_tokenizer_find(const fd_tokenizer *t, const char *token)
{
    if (!t || !token) return -1;
    return tok_lookup(t, token, strlen(token));
}

int32_t fd_tokenizer_bos(const fd_tokenizer *t) { return t ? t->bos : -1; }

size_t fd_tokenizer_eos(const fd_tokenizer *t, const int32_t **ids)
{
    if (ids) *ids = t ? t->eos : NULL;
    return t ? t->neos : 0;
}

int fd_tokenizer_is_special(const fd_tokenizer *t, int32_t id)
{
    return t && id >= 0 && (size_t)id < t->n_vocab && (t->tok_flags[id] & TOKF_SPECIAL);
}

const char *fd_tokenizer_chat_template(const fd_tokenizer *t) { return t ? t->chat_template : NULL; }

/* ---- loading by path ---- */

static int ends_with(const char *s, const char *suf)
{
    size_t n = strlen(s), k = strlen(suf);
    return n >= k && strcmp(s + n - k, suf) == 0;
}

/* The optional sibling `name` of tokenizer.json in dir, or "" when absent. */
static fd_status sibling(const char *dir, const char *name, char *buf, size_t cap, fd_error *err)
{
    int present = 0;
    snprintf(buf, cap, "%s/%s", dir, name);
    fd_status rc = fd_probe_file(buf, &present, err);
    if (!present) buf[0] = 0;
    return rc;
}

fd_status fd_tokenizer_load(const char *path, fd_tokenizer **out, fd_error *err)
{
    if (!out) return fd_error_set(err, FD_ERR_INVALID, "fd_tokenizer_load: out is NULL");
    *out = NULL;
    if (!path) return fd_error_set(err, FD_ERR_INVALID, "fd_tokenizer_load: path is NULL");
    int is_dir = 0;
    FD_TRY(fd_probe_input(path, &is_dir, err));
    if (!is_dir && ends_with(path, ".gguf")) {
        fd_gguf *g;
        FD_TRY(fd_gguf_open_ex(path, FD_GGUF_ANY_TENSOR_TYPE, &g, err));
        fd_status rc = fd_tokenizer_load_gguf(g, out, err);
        fd_gguf_close(g);
        return rc;
    }
    /* a folder, or a tokenizer.json with its siblings */
    char dir[4096], a[4200], b[4200], c[4200];
    if (is_dir) {
        snprintf(dir, sizeof dir, "%s", path);
        FD_TRY(sibling(dir, "tokenizer.json", a, sizeof a, err));
        if (!a[0]) return fd_error_set(err, FD_ERR_IO, "%s: no tokenizer.json in this folder", path);
    } else {
        snprintf(a, sizeof a, "%s", path);
        const char *slash = strrchr(path, '/');
        if (slash) snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
        else snprintf(dir, sizeof dir, ".");
    }
    FD_TRY(sibling(dir, "tokenizer_config.json", b, sizeof b, err));
    FD_TRY(sibling(dir, "generation_config.json", c, sizeof c, err));
    return tok_load_json_folder(a, b[0] ? b : NULL, c[0] ? c : NULL, out, err);
}
