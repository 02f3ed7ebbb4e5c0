/* special.c — finds added tokens (<|im_start|>, <tool_call>, ...) in text and
 * splits it around them, as Hugging Face tokenizers' AddedVocabulary does.
 *
 * Layer: text (internal). Matching is leftmost-longest over the added tokens
 * of one kind (normalized or not): the earliest position where some token
 * matches wins, and there the longest token. The flags follow tokenizers:
 * single_word refuses a match touching a word character, lstrip / rstrip
 * swallow the whitespace before / after the token. No state. */
#include <string.h>
#include <utf8proc.h>
#include "text/tok.h"

static int is_ws(utf8proc_int32_t c)   /* Rust's char::is_whitespace */
{
    return (c >= 9 && c <= 13) || c == 32 || c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) ||
           c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

static int is_word(utf8proc_int32_t c)
{
    if (c == '_') return 1;
    utf8proc_category_t k = utf8proc_category(c);
    return (k >= UTF8PROC_CATEGORY_LU && k <= UTF8PROC_CATEGORY_LO) ||
           (k >= UTF8PROC_CATEGORY_ND && k <= UTF8PROC_CATEGORY_NO);
}

/* The character ending at s[end) (start at *at), or -1 at the beginning. */
static utf8proc_int32_t char_before(const unsigned char *s, size_t end, size_t *at)
{
    if (end == 0) return -1;
    size_t i = end - 1;
    while (i > 0 && (s[i] & 0xC0) == 0x80 && end - i < 4) i--;
    utf8proc_int32_t c;
    if (utf8proc_iterate(s + i, (utf8proc_ssize_t)(end - i), &c) != (utf8proc_ssize_t)(end - i)) c = 0xFFFD;
    *at = i;
    return c;
}

static utf8proc_int32_t char_at(const unsigned char *s, size_t len, size_t i, size_t *next)
{
    if (i >= len) return -1;
    utf8proc_int32_t c;
    utf8proc_ssize_t k = utf8proc_iterate(s + i, (utf8proc_ssize_t)(len - i), &c);
    if (k <= 0) {
        k = 1;
        c = 0xFFFD;
    }
    *next = i + (size_t)k;
    return c;
}

fd_status tok_split_added(const fd_tokenizer *t, const unsigned char *s, size_t len, int normalized,
                          tok_split_fn fn, void *ctx, fd_error *err)
{
    size_t done = 0, i = 0, at;
    while (i < len) {
        if (!t->added_first[s[i]]) {
            i++;
            continue;
        }
        const tok_added *best = NULL;
        for (size_t k = 0; k < t->nadded; k++) {
            const tok_added *a = &t->added[k];
            if (a->normalized != normalized || a->len > len - i || (best && a->len <= best->len)) continue;
            if (memcmp(t->pool + a->off, s + i, a->len) == 0) best = a;
        }
        if (!best) {
            i++;
            continue;
        }
        size_t start = i, stop = i + best->len;
        i = stop;
        if (best->single_word) {
            utf8proc_int32_t b = char_before(s, start, &at), c = char_at(s, len, stop, &at);
            if ((b >= 0 && is_word(b)) || (c >= 0 && is_word(c))) continue;
        }
        if (best->lstrip) {
            size_t p = start;
            for (;;) {
                utf8proc_int32_t b = char_before(s, p, &at);
                if (b < 0 || !is_ws(b)) break;
                p = at;
            }
            start = p > done ? p : done;
        }
        if (best->rstrip) {
            size_t nx;
            for (utf8proc_int32_t c; (c = char_at(s, len, stop, &nx)) >= 0 && is_ws(c);) stop = nx;
            i = stop;
        }
        if (done < start) FD_TRY(fn(t, s + done, start - done, -1, ctx, err));
        FD_TRY(fn(t, s + start, stop - start, best->id, ctx, err));
        done = stop;
    }
    if (done < len) FD_TRY(fn(t, s + done, len - done, -1, ctx, err));
    return FD_OK;
}
