/* decode.c — ids -> text, whole or streamed token by token.
 *
 * Layer: text. A token stands for bytes by the ByteLevel decoder's rule: when
 * every character of its string is one of GPT-2's 256 byte characters, the
 * bytes those characters map to; otherwise (an added token such as
 * "<|im_end|>" written in plain text) its UTF-8 bytes as they are. The byte
 * stream is then read as UTF-8 with U+FFFD per maximal invalid subpart, as
 * Rust's from_utf8_lossy does. SentencePiece vocabularies (spm) follow their
 * decoder instead: "<0xXX>" byte tokens are that byte, "▁" is a space, and a
 * whole decode drops the one space the encoder put before the text (a stream
 * keeps it: its first token may follow a prompt). The streaming state lives in the caller's
 * fd_detok: up to 3 held-back bytes of an unfinished character. */
#include <string.h>
#include <utf8proc.h>
#include "base/mem.h"
#include "text/tok.h"

static fd_status bad_id(const fd_tokenizer *t, int32_t id, fd_error *err)
{
    return fd_error_set(err, FD_ERR_RANGE, "tokenizer: token id %d is not in the vocabulary (ids 0..%zu)", (int)id,
                        t->n_vocab ? t->n_vocab - 1 : 0);
}

static int valid_id(const fd_tokenizer *t, int32_t id)
{
    return id >= 0 && (size_t)id < t->n_vocab && t->tok_off[id] != TOK_HOLE;
}

/* A SentencePiece token's bytes: its byte, or its text with "▁" as a space. */
static fd_status spm_bytes(const fd_tokenizer *t, int32_t id, const unsigned char *s, size_t len,
                           unsigned char *buf, size_t *n)
{
    size_t k = 0;
    if (t->tok_flags[id] & TOKF_BYTE) {   /* "<0xXX>" */
        unsigned v = 0;
        for (int i = 3; i < 5; i++) v = v * 16 + (unsigned)(s[i] <= '9' ? s[i] - '0' : (s[i] | 0x20) - 'a' + 10);
        buf[0] = (unsigned char)v;
        *n = 1;
        return FD_OK;
    }
    for (size_t i = 0; i < len;)
        if (i + 3 <= len && !(t->tok_flags[id] & TOKF_ADDED) && !memcmp(s + i, "\xE2\x96\x81", 3)) buf[k++] = ' ', i += 3;
        else buf[k++] = s[i++];
    *n = k;
    return FD_OK;
}

fd_status tok_token_bytes(const fd_tokenizer *t, int32_t id, unsigned char *buf, size_t cap, size_t *n,
                          fd_error *err)
{
    if (!valid_id(t, id)) return bad_id(t, id, err);
    const unsigned char *s = (const unsigned char *)t->pool + t->tok_off[id];
    size_t len = t->tok_len[id], k = 0;
    if (cap < len) return fd_error_set(err, FD_ERR_RANGE, "tokenizer: buffer too small for token %d", (int)id);
    if (t->spm) return spm_bytes(t, id, s, len, buf, n);
    for (size_t i = 0; i < len;) {
        utf8proc_int32_t c;
        utf8proc_ssize_t step = utf8proc_iterate(s + i, (utf8proc_ssize_t)(len - i), &c);
        int b = step > 0 ? tok_cp_to_byte((uint32_t)c) : -1;
        if (b < 0) {   /* not a byte-level token: its text as is */
            memcpy(buf, s, len);
            *n = len;
            return FD_OK;
        }
        buf[k++] = (unsigned char)b;
        i += (size_t)step;
    }
    *n = k;
    return FD_OK;
}

fd_status fd_tokenizer_decode(const fd_tokenizer *t, const int32_t *ids, size_t n, char **text, size_t *len,
                              fd_error *err)
{
    if (text) *text = NULL;
    if (len) *len = 0;
    if (!t || !text || (!ids && n)) return fd_error_set(err, FD_ERR_INVALID, "fd_tokenizer_decode: NULL argument");
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        if (!valid_id(t, ids[i])) return bad_id(t, ids[i], err);
        total += t->tok_len[ids[i]];
    }
    unsigned char *raw = fd_malloc(total + 1);
    if (!raw) return fd_error_set(err, FD_ERR_NOMEM, "tokenizer: out of memory decoding %zu ids", n);
    size_t k = 0, m;
    for (size_t i = 0; i < n; i++) {
        fd_status rc = tok_token_bytes(t, ids[i], raw + k, total - k, &m, err);
        if (rc != FD_OK) {
            fd_free(raw);
            return rc;
        }
        k += m;
    }
    raw[k] = 0;
    if (t->spm && t->add_space_prefix && k && raw[0] == ' ') memmove(raw, raw + 1, k--);   /* with the NUL */
    unsigned char *clean;
    size_t clean_n;
    fd_status rc = tok_utf8_sanitize(raw, k, &clean, &clean_n, err);
    if (rc != FD_OK) {
        fd_free(raw);
        return rc;
    }
    if (clean) {
        fd_free(raw);
        raw = clean;
        k = clean_n;
    }
    *text = (char *)raw;
    if (len) *len = k;
    return FD_OK;
}

/* Emits the complete characters of b[0..n) into out (NULL: only counts) and
 * returns the bytes written; *keep gets the length of an unfinished tail. */
static size_t emit(const unsigned char *b, size_t n, char *out, size_t *keep)
{
    size_t i = 0, w = 0, bad;
    *keep = 0;
    while (i < n) {
        int r = b[i] < 0x80 ? 1 : tok_utf8_next(b + i, n - i, &bad);
        if (r > 0) {
            if (out) memcpy(out + w, b + i, (size_t)r);
            w += (size_t)r;
            i += (size_t)r;
        } else if (r < 0) {
            *keep = n - i;
            break;
        } else {
            if (out) memcpy(out + w, "\xEF\xBF\xBD", 3);
            w += 3;
            i += bad;
        }
    }
    return w;
}

fd_status fd_tokenizer_decode_next(const fd_tokenizer *t, fd_detok *st, int32_t id, char *out, size_t cap,
                                   size_t *n, fd_error *err)
{
    if (n) *n = 0;
    if (!t || !st || !out || !n) return fd_error_set(err, FD_ERR_INVALID, "fd_tokenizer_decode_next: NULL argument");
    if (st->npending > 3) return fd_error_set(err, FD_ERR_STATE, "fd_tokenizer_decode_next: corrupt stream state");
    if (!valid_id(t, id)) return bad_id(t, id, err);
    unsigned char small[256];
    size_t need = st->npending + t->tok_len[id];
    unsigned char *b = need <= sizeof small ? small : fd_malloc(need);
    if (!b) return fd_error_set(err, FD_ERR_NOMEM, "tokenizer: out of memory");
    memcpy(b, st->pending, st->npending);
    size_t m, keep;
    fd_status rc = tok_token_bytes(t, id, b + st->npending, need - st->npending, &m, err);
    if (rc == FD_OK) {
        size_t total = st->npending + m, w = emit(b, total, NULL, &keep);
        if (w + 1 > cap) {
            rc = fd_error_set(err, FD_ERR_RANGE, "fd_tokenizer_decode_next: token %d needs %zu bytes, buffer has %zu",
                              (int)id, w + 1, cap);
        } else {
            emit(b, total, out, &keep);
            out[w] = 0;
            memmove(st->pending, b + total - keep, keep);
            st->npending = keep;
            *n = w;
        }
    }
    if (b != small) fd_free(b);
    return rc;
}

fd_status fd_tokenizer_decode_flush(const fd_tokenizer *t, fd_detok *st, char *out, size_t cap, size_t *n,
                                    fd_error *err)
{
    (void)t;
    if (n) *n = 0;
    if (!st || !out || !n) return fd_error_set(err, FD_ERR_INVALID, "fd_tokenizer_decode_flush: NULL argument");
    size_t w = st->npending ? 3 : 0;
    if (w + 1 > cap) return fd_error_set(err, FD_ERR_RANGE, "fd_tokenizer_decode_flush: buffer too small");
    if (w) memcpy(out, "\xEF\xBF\xBD", 3);
    out[w] = 0;
    st->npending = 0;
    *n = w;
    return FD_OK;
}
