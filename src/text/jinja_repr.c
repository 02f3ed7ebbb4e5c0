/* jinja_repr.c — Python's repr() of a string, as templates print it inside a
 * list or dict (`{{ message }}` on a dict): the quote Python picks, and the
 * escapes for exactly what str.isprintable() rejects; and the exact digits of
 * a big integer (`1e19|int` is 10000000000000000000 in Python).
 *
 * Layer: text (internal, see jinja.h). Python escapes a character whose
 * Unicode category is C* (controls, format characters such as the soft hyphen,
 * zero-width joiner and BOM, surrogates, private use, unassigned) or Z*
 * (separators: NBSP, U+2028/9...) except the ASCII space; utf8proc gives the
 * category. Malformed UTF-8 bytes (Python strings cannot hold them) pass as is. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <utf8proc.h>
#include "text/jinja.h"

static int printable(uint32_t cp)
{
    if (cp == ' ') return 1;
    switch (utf8proc_category((utf8proc_int32_t)cp)) {
    case UTF8PROC_CATEGORY_CC: case UTF8PROC_CATEGORY_CF: case UTF8PROC_CATEGORY_CS: case UTF8PROC_CATEGORY_CO:
    case UTF8PROC_CATEGORY_CN: case UTF8PROC_CATEGORY_ZS: case UTF8PROC_CATEGORY_ZL: case UTF8PROC_CATEGORY_ZP:
        return 0;
    default:
        return 1;
    }
}

fd_status jv_repr_str(jctx *c, jbuf *b, const char *s, size_t n)
{
    char q = memchr(s, '\'', n) && !memchr(s, '"', n) ? '"' : '\'';
    FD_TRY(jbuf_add(c, b, &q, 1));
    for (size_t i = 0, l; i < n; i += l) {
        uint32_t cp = ju_decode(s + i, n - i, &l);
        char e[12];
        int malformed = l == 1 && cp >= 0x80;
        if (cp == (unsigned char)q || cp == '\\') { e[0] = '\\'; e[1] = (char)cp; FD_TRY(jbuf_add(c, b, e, 2)); }
        else if (cp == '\n') FD_TRY(jbuf_add(c, b, "\\n", 2));
        else if (cp == '\r') FD_TRY(jbuf_add(c, b, "\\r", 2));
        else if (cp == '\t') FD_TRY(jbuf_add(c, b, "\\t", 2));
        else if (malformed || printable(cp)) FD_TRY(jbuf_add(c, b, s + i, l));
        else {
            int k = cp < 0x100 ? snprintf(e, sizeof e, "\\x%02x", cp) : cp < 0x10000 ? snprintf(e, sizeof e, "\\u%04x", cp)
                                                                                       : snprintf(e, sizeof e, "\\U%08x", cp);
            FD_TRY(jbuf_add(c, b, e, (size_t)k));
        }
    }
    return jbuf_add(c, b, &q, 1);
}

/* f = m * 2^e with m < 2^53: m in base-1e9 limbs, doubled e times. f is finite and whole. */
fd_status jv_bigint_append(jctx *c, jbuf *b, double f)
{
    uint32_t limb[40] = { 0 };   /* 40 * 9 digits > 309, DBL_MAX's */
    size_t n = 1;
    int e;
    double m = frexp(fabs(f), &e);   /* |f| = m * 2^e, 0.5 <= m < 1 */
    uint64_t mi = (uint64_t)ldexp(m, 53);
    char t[16];
    e -= 53;
    if (e < 0) mi >>= -e, e = 0;   /* whole values only; below 2^53 the shift drops zero bits */
    limb[0] = (uint32_t)(mi % 1000000000u);
    limb[1] = (uint32_t)(mi / 1000000000u % 1000000000u);
    limb[2] = (uint32_t)(mi / 1000000000000000000u);
    n = limb[2] ? 3 : limb[1] ? 2 : 1;
    for (int k = 0; k < e; k++) {
        uint32_t carry = 0;
        for (size_t i = 0; i < n; i++) {
            uint64_t x = (uint64_t)limb[i] * 2 + carry;
            limb[i] = (uint32_t)(x % 1000000000u);
            carry = (uint32_t)(x / 1000000000u);
        }
        if (carry && n < 40) limb[n++] = carry;
    }
    if (f < 0) FD_TRY(jbuf_add(c, b, "-", 1));
    snprintf(t, sizeof t, "%u", limb[n - 1]);
    FD_TRY(jbuf_add(c, b, t, strlen(t)));
    for (size_t i = n - 1; i-- > 0;) {
        snprintf(t, sizeof t, "%09u", limb[i]);
        FD_TRY(jbuf_add(c, b, t, 9));
    }
    return FD_OK;
}
