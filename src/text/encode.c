/* encode.c — text -> ids: the pipeline of transformers' fast tokenizer.
 *
 * Layer: text. Steps: invalid UTF-8 -> U+FFFD (utf8.c); split on added tokens
 * that match the raw text (special.c); NFC (utf8proc) on the rest; split on
 * added tokens that match normalised text; pre-tokenize (pretok.c); BPE each
 * piece (bpe.c). Holds no state between calls. */
#include <string.h>
#include <utf8proc.h>
#include "base/mem.h"
#include "text/tok.h"

typedef struct {
    int32_t *ids;
    size_t n, cap;
    int after_added;   /* the last thing written was an added token (or nothing yet) */
} outbuf;

static fd_status push(outbuf *o, int32_t id, fd_error *err)
{
    if (o->n == o->cap) {
        size_t c = o->cap ? 2 * o->cap : 64;
        int32_t *p = fd_realloc(o->ids, c * sizeof *p);
        if (!p) return fd_error_set(err, FD_ERR_NOMEM, "tokenizer: out of memory for %zu ids", c);
        o->ids = p;
        o->cap = c;
    }
    o->ids[o->n++] = id;
    return FD_OK;
}

static fd_status on_piece(const fd_tokenizer *t, const unsigned char *p, size_t n, void *ctx, fd_error *err)
{
    outbuf *o = ctx;
    return tok_bpe_piece(t, p, n, &o->ids, &o->n, &o->cap, err);
}

static fd_status on_normalized(const fd_tokenizer *t, const unsigned char *p, size_t n, int32_t id, void *ctx,
                               fd_error *err)
{
    if (id >= 0) return push(ctx, id, err);
    return tok_pretokenize(t, p, n, on_piece, ctx, err);
}

/* Reads the character at s[*i] (valid UTF-8) and moves past it; returns 1
 * when NFC leaves it alone whatever surrounds it: a starter (combining class
 * 0) with no canonical decomposition that can't compose with the character
 * before it (utf8proc's second-of-pair bit; Hangul vowel and trailing jamo).
 * A text may be cut before such a character and normalised piece by piece. */
static int inert_at(const unsigned char *s, size_t *i)
{
    unsigned c = s[*i];
    if (c < 0x80) {
        (*i)++;
        return 1;
    }
    utf8proc_int32_t cp;
    if (c < 0xE0) cp = (utf8proc_int32_t)((c & 0x1F) << 6 | (s[*i + 1] & 0x3F)), *i += 2;
    else if (c < 0xF0) cp = (utf8proc_int32_t)((c & 0x0F) << 12 | (s[*i + 1] & 0x3F) << 6 | (s[*i + 2] & 0x3F)), *i += 3;
    else cp = (utf8proc_int32_t)((c & 0x07) << 18 | (s[*i + 1] & 0x3F) << 12 | (s[*i + 2] & 0x3F) << 6 | (s[*i + 3] & 0x3F)), *i += 4;
    const utf8proc_property_t *p = utf8proc_get_property(cp);
    if (p->combining_class != 0) return 0;
    if (p->decomp_seqindex != UINT16_MAX && p->decomp_type == 0) return 0;   /* canonical decomposition */
    if (p->comb_index != UINT16_MAX && (p->comb_index & 0x8000)) return 0;   /* composes with the one before */
    return !((cp >= 0x1161 && cp <= 0x1175) || (cp >= 0x11A8 && cp <= 0x11C2));
}

typedef struct { unsigned char *p; size_t n, cap; utf8proc_int32_t *cp; size_t cpcap; } nfcbuf;

static fd_status put(nfcbuf *o, const void *src, size_t n, fd_error *err)
{
    if (o->n + n + 1 > o->cap) {
        size_t c = o->cap ? o->cap : 256;
        while (c < o->n + n + 1) c *= 2;
        unsigned char *p = fd_realloc(o->p, c);
        if (!p) return fd_error_set(err, FD_ERR_NOMEM, "tokenizer: out of memory normalising text");
        o->p = p;
        o->cap = c;
    }
    memcpy(o->p + o->n, src, n);
    o->n += n;
    return FD_OK;
}

/* Appends NFC(s[0..n)) to o. */
static fd_status put_nfc(nfcbuf *o, const unsigned char *s, size_t n, fd_error *err)
{
    const int opt = UTF8PROC_STABLE | UTF8PROC_COMPOSE;
    utf8proc_ssize_t k = utf8proc_decompose(s, (utf8proc_ssize_t)n, o->cp, (utf8proc_ssize_t)o->cpcap, opt);
    if (k >= 0 && (size_t)k + 1 > o->cpcap) {
        utf8proc_int32_t *c = fd_realloc(o->cp, ((size_t)k + 1) * sizeof *c);
        if (!c) return fd_error_set(err, FD_ERR_NOMEM, "tokenizer: out of memory normalising %zu bytes", n);
        o->cp = c;
        o->cpcap = (size_t)k + 1;
        k = utf8proc_decompose(s, (utf8proc_ssize_t)n, o->cp, (utf8proc_ssize_t)o->cpcap, opt);
    }
    if (k >= 0) k = utf8proc_reencode(o->cp, k, opt);   /* composes, then writes UTF-8 over o->cp */
    if (k < 0) return fd_error_set(err, FD_ERR_INVALID, "tokenizer: NFC failed: %s", utf8proc_errmsg(k));
    return put(o, o->cp, (size_t)k, err);
}

/* NFC of s[0..n) (valid UTF-8) into *out (fd_malloc'd), or *out = NULL when s
 * is already NFC. Only the stretches around non-inert characters go through
 * utf8proc. */
static fd_status nfc(const unsigned char *s, size_t n, unsigned char **out, size_t *outn, fd_error *err)
{
    *out = NULL;
    nfcbuf o = { NULL, 0, 0, NULL, 0 };
    size_t i = 0, prev = 0, done = 0;   /* prev: start of the last character seen */
    fd_status rc = FD_OK;
    while (rc == FD_OK && i < n) {
        size_t cs = i;
        if (inert_at(s, &i)) {
            prev = cs;
            continue;
        }
        size_t rs = prev > done ? prev : done;   /* the starter before may compose with it */
        for (size_t j = i; i < n && !inert_at(s, &j); j = i) i = j;
        rc = put(&o, s + done, rs - done, err);
        if (rc == FD_OK) rc = put_nfc(&o, s + rs, i - rs, err);
        done = i;
    }
    if (rc == FD_OK && o.p) rc = put(&o, s + done, n - done, err);
    fd_free(o.cp);
    if (rc != FD_OK) {
        fd_free(o.p);
        return rc;
    }
    *out = o.p;
    if (o.p) *outn = o.n;
    return FD_OK;
}

/* SentencePiece: the text with each space as "▁" (U+2581), after one more "▁"
 * where add_space_prefix puts one (the input's start; after an added token). */
static fd_status spm_text(const fd_tokenizer *t, const unsigned char *p, size_t n, outbuf *o, fd_error *err)
{
    static const unsigned char mark[3] = { 0xE2, 0x96, 0x81 };
    int prefix = (t->add_space_prefix == TOK_PREFIX_ALWAYS && o->after_added) ||
                 (t->add_space_prefix == TOK_PREFIX_FIRST && !o->n && o->after_added);
    size_t spaces = prefix;
    for (size_t i = 0; i < n; i++) spaces += p[i] == ' ';
    unsigned char *e = fd_malloc(n + 2 * spaces + prefix + 1);
    if (!e) return fd_error_set(err, FD_ERR_NOMEM, "tokenizer: out of memory escaping %zu bytes", n);
    size_t k = 0;
    if (prefix) memcpy(e, mark, 3), k = 3;
    for (size_t i = 0; i < n; i++)
        if (p[i] == ' ') memcpy(e + k, mark, 3), k += 3;
        else e[k++] = p[i];
    o->after_added = 0;
    fd_status rc = tok_spm_piece(t, e, k, &o->ids, &o->n, &o->cap, err);
    fd_free(e);
    return rc;
}

static fd_status on_raw(const fd_tokenizer *t, const unsigned char *p, size_t n, int32_t id, void *ctx, fd_error *err)
{
    outbuf *o = ctx;
    if (id >= 0) {
        o->after_added = 1;
        return push(ctx, id, err);
    }
    if (t->spm) return spm_text(t, p, n, o, err);
    unsigned char *q = NULL;
    size_t m = n;
    if (t->nfc) FD_TRY(nfc(p, n, &q, &m, err));
    const unsigned char *s = q ? q : p;
    int any_normalized = 0;
    for (size_t k = 0; k < t->nadded; k++) any_normalized |= t->added[k].normalized;
    fd_status rc = any_normalized ? tok_split_added(t, s, m, 1, on_normalized, ctx, err)
                                  : tok_pretokenize(t, s, m, on_piece, ctx, err);
    fd_free(q);
    return rc;
}

fd_status fd_tokenizer_encode(const fd_tokenizer *t, const char *text, size_t len, int32_t **ids, size_t *n,
                              fd_error *err)
{
    if (ids) *ids = NULL;
    if (n) *n = 0;
    if (!t || !ids || !n || (!text && len))
        return fd_error_set(err, FD_ERR_INVALID, "fd_tokenizer_encode: NULL argument");
    unsigned char *clean;
    size_t clean_n;
    FD_TRY(tok_utf8_sanitize((const unsigned char *)text, len, &clean, &clean_n, err));
    const unsigned char *s = clean ? clean : (const unsigned char *)text;
    size_t sn = clean ? clean_n : len;
    outbuf o = { NULL, 0, 0, 1 };
    fd_status rc = FD_OK;
    if (sn) rc = t->nadded ? tok_split_added(t, s, sn, 0, on_raw, &o, err) : on_raw(t, s, sn, -1, &o, err);
    fd_free(clean);
    if (rc == FD_OK && !o.ids) {
        o.ids = fd_malloc(sizeof *o.ids);
        if (!o.ids) rc = fd_error_set(err, FD_ERR_NOMEM, "tokenizer: out of memory");
    }
    if (rc != FD_OK) {
        fd_free(o.ids);
        return rc;
    }
    *ids = o.ids;
    *n = o.n;
    return FD_OK;
}

fd_status fd_tokenizer_encode_prompt(const fd_tokenizer *t, const char *text, size_t len, int32_t **ids, size_t *n,
                                     fd_error *err)
{
    FD_TRY(fd_tokenizer_encode(t, text, len, ids, n, err));
    if (!t->add_bos || t->bos < 0 || (*n && (*ids)[0] == t->bos)) return FD_OK;
    int32_t *p = fd_realloc(*ids, (*n + 1) * sizeof *p);
    if (!p) {
        size_t want = *n + 1;
        fd_free(*ids);
        *ids = NULL, *n = 0;
        return fd_error_set(err, FD_ERR_NOMEM, "tokenizer: out of memory for %zu ids", want);
    }
    memmove(p + 1, p, *n * sizeof *p);
    p[0] = t->bos;
    *ids = p;
    (*n)++;
    return FD_OK;
}
