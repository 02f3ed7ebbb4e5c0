/* utf8.c — UTF-8 validation with the "maximal subpart" rule that Python's
 * errors="replace" and Rust's from_utf8_lossy share: each maximal invalid
 * subpart becomes one U+FFFD.
 *
 * Layer: text (internal). Pure functions. */
#include <string.h>
#include "base/mem.h"
#include "text/tok.h"

int tok_utf8_next(const unsigned char *s, size_t n, size_t *bad)
{
    unsigned c = s[0];
    size_t need;
    unsigned lo = 0x80, hi = 0xBF;   /* allowed range of the second byte */
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) need = 1;
    else if (c >= 0xE0 && c <= 0xEF) {
        need = 2;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 3;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
    } else {
        *bad = 1;
        return 0;
    }
    for (size_t k = 1; k <= need; k++) {
        if (k >= n) return -1;
        unsigned d = s[k];
        unsigned l = k == 1 ? lo : 0x80, h = k == 1 ? hi : 0xBF;
        if (d < l || d > h) {
            *bad = k;
            return 0;
        }
    }
    return (int)need + 1;
}

fd_status tok_utf8_sanitize(const unsigned char *s, size_t n, unsigned char **out, size_t *outn,
                            fd_error *err)
{
    *out = NULL;
    *outn = 0;
    size_t i = 0, bad, extra = 0;
    int invalid = 0;
    while (i < n) {
        if (s[i] < 0x80) {
            i++;
            continue;
        }
        int r = tok_utf8_next(s + i, n - i, &bad);
        if (r > 0) {
            i += (size_t)r;
            continue;
        }
        invalid = 1;
        if (r < 0) bad = n - i;   /* truncated at the end */
        extra += 3;
        i += bad;
    }
    if (!invalid) return FD_OK;
    unsigned char *o = fd_malloc(n + extra + 1);
    if (!o) return fd_error_set(err, FD_ERR_NOMEM, "tokenizer: out of memory for %zu bytes of text", n);
    size_t j = 0;
    i = 0;
    while (i < n) {
        int r = s[i] < 0x80 ? 1 : tok_utf8_next(s + i, n - i, &bad);
        if (r > 0) {
            memcpy(o + j, s + i, (size_t)r);
            j += (size_t)r;
            i += (size_t)r;
            continue;
        }
        if (r < 0) bad = n - i;
        memcpy(o + j, "\xEF\xBF\xBD", 3);
        j += 3;
        i += bad;
    }
    o[j] = 0;
    *out = o;
    *outn = j;
    return FD_OK;
}
