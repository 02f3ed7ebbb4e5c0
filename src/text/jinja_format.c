/* jinja_format.c — Python's string formatting as templates use it:
 * `"%s: %d" % (a, b)` (printf-style; a dict gives %(name)s), the `format`
 * filter (the same), and `"{} {name:>8}".format(...)` with the format-spec
 * mini-language ([[fill]align][sign][#][0][width][,][.precision][type]).
 *
 * Layer: text (internal, see jinja.h). Both styles parse into one `spec` and
 * share put(), which formats one value and pads it; Python's error wording
 * where a template could reach it. Not here: nested `{}` inside a spec, `%*d`
 * (refused, naming the construct). */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "base/mem.h"
#include "text/jinja.h"

typedef struct spec {
    uint32_t fill;        /* a code point */
    char align;           /* '<' '>' '^' '=' or 0 (the type's default) */
    char sign;            /* '+' ' ' or 0 */
    int alt;              /* '#' */
    char comma;           /* the grouping character, ',' or '_', or 0 */
    int printf;           /* from '%': %d truncates a float where format() refuses it */
    int64_t width, prec;  /* -1: none */
    char type;            /* 0 (none), or the conversion letter */
} spec;

/* One more decimal digit of a width or precision; past 10^7 it stays there (refused as too large). */
static int64_t digit(int64_t v, char d)
{
    v = (v < 0 ? 0 : v) * 10 + (d - '0');
    return v > 10000000 ? 10000000 : v;
}

static fd_status pad(jctx *c, jbuf *b, const spec *sp, const char *s, size_t n, int numeric)
{
    size_t len = ju_len(s, n), lead = 0, tail = 0, signlen = 0;
    char align = sp->align ? sp->align : numeric ? '>' : '<';
    char f[4];
    size_t fl = 1;
    if (sp->fill < 0x80) f[0] = (char)sp->fill;
    else if (sp->fill < 0x800) f[0] = (char)(0xC0 | sp->fill >> 6), f[1] = (char)(0x80 | (sp->fill & 0x3F)), fl = 2;
    else if (sp->fill < 0x10000) f[0] = (char)(0xE0 | sp->fill >> 12), f[1] = (char)(0x80 | ((sp->fill >> 6) & 0x3F)),
                                 f[2] = (char)(0x80 | (sp->fill & 0x3F)), fl = 3;
    else f[0] = (char)(0xF0 | sp->fill >> 18), f[1] = (char)(0x80 | ((sp->fill >> 12) & 0x3F)),
         f[2] = (char)(0x80 | ((sp->fill >> 6) & 0x3F)), f[3] = (char)(0x80 | (sp->fill & 0x3F)), fl = 4;
    if (sp->width > 0 && (size_t)sp->width > len) {
        size_t room = (size_t)sp->width - len;
        if (room > c->max_output) return jerr(c, FD_ERR_RANGE, 0, "format width too large");
        if (align == '<') tail = room;
        else if (align == '^') lead = room / 2, tail = room - room / 2;
        else lead = room;
    }
    if (align == '=' && numeric && n && (s[0] == '-' || s[0] == '+' || s[0] == ' ')) signlen = 1;
    FD_TRY(jbuf_add(c, b, s, signlen));
    for (size_t i = 0; i < lead; i++) FD_TRY(jbuf_add(c, b, f, fl));
    FD_TRY(jbuf_add(c, b, s + signlen, n - signlen));
    for (size_t i = 0; i < tail; i++) FD_TRY(jbuf_add(c, b, f, fl));
    return FD_OK;
}

/* Digits of an integer with ',' every three when asked. */
static void int_text(char *t, size_t cap, int64_t v, const spec *sp)
{
    char d[80];
    const char *fmt = sp->type == 'x' ? "%" PRIx64 : sp->type == 'X' ? "%" PRIX64 : sp->type == 'o' ? "%" PRIo64 : "%" PRIu64;
    uint64_t m = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    size_t k = 0;
    if (sp->type == 'b') {
        char r[70];
        int n = 0;
        do r[n++] = (char)('0' + (m & 1)); while (m >>= 1);
        while (n) d[k++] = r[--n];
        d[k] = 0;
    } else {
        snprintf(d, sizeof d, fmt, m);
    }
    k = 0;
    if (v < 0) t[k++] = '-';
    else if (sp->sign) t[k++] = sp->sign;
    if (sp->alt && strchr("xXob", sp->type ? sp->type : 'd') && sp->type) t[k++] = '0', t[k++] = sp->type;
    size_t nd = strlen(d);
    for (size_t i = 0; i < nd && k + 2 < cap; i++) {
        t[k++] = d[i];
        if (sp->comma && (nd - i - 1) % 3 == 0 && i + 1 < nd) t[k++] = sp->comma;
    }
    t[k] = 0;
}

/* One value by spec, appended to b. */
static fd_status put(jctx *c, int line, jbuf *b, jv v, const spec *sp)
{
    char t[1024];   /* %.300f of 1e308: 610 characters */
    char ty = sp->type;
    int isint = v.t == JV_INT || v.t == JV_BOOL, isnum = isint || v.t == JV_FLOAT;
    /* 'S': printf's %s, str() of anything; format()'s 's' wants a string */
    if (ty == 'r' || ty == 'a' || ty == 'S' || ((ty == 's' || !ty) && !(isnum && (ty || sp->sign || sp->comma || sp->prec >= 0)))) {
        jbuf s = { 0 };
        fd_status rc = ty == 'r' || ty == 'a' ? jv_repr_append(c, &s, v) : jv_str_append(c, &s, v);
        size_t n = s.n;
        if (rc == FD_OK && sp->prec >= 0 && s.p) n = ju_off(s.p, s.n, (size_t)sp->prec);
        if (rc == FD_OK) rc = pad(c, b, sp, s.p ? s.p : "", n, isnum && !ty && v.t != JV_BOOL);
        fd_free(s.p);
        return rc;
    }
    if (!isnum) {
        if (ty == 'c' && v.t == JV_STR && ju_len(v.u.s.p, v.u.s.n) == 1) return pad(c, b, sp, v.u.s.p, v.u.s.n, 0);
        return jerr(c, FD_ERR_INVALID, line, "format '%c' needs a number, not %s", ty ? ty : 's', jv_typename(v));
    }
    double f = v.t == JV_FLOAT ? v.u.f : v.t == JV_INT ? (double)v.u.i : v.u.b;
    if (ty == 'c') {
        int64_t cp = v.t == JV_FLOAT ? (int64_t)-1 : v.t == JV_INT ? v.u.i : v.u.b;
        if (cp < 0 || cp > 0x10FFFF) return jerr(c, FD_ERR_INVALID, line, "%%c arg not in range(0x110000)");
        char u[4];
        size_t n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
        if (n == 1) u[0] = (char)cp;
        else if (n == 2) u[0] = (char)(0xC0 | cp >> 6), u[1] = (char)(0x80 | (cp & 0x3F));
        else if (n == 3) u[0] = (char)(0xE0 | cp >> 12), u[1] = (char)(0x80 | ((cp >> 6) & 0x3F)), u[2] = (char)(0x80 | (cp & 0x3F));
        else u[0] = (char)(0xF0 | cp >> 18), u[1] = (char)(0x80 | ((cp >> 12) & 0x3F)), u[2] = (char)(0x80 | ((cp >> 6) & 0x3F)),
             u[3] = (char)(0x80 | (cp & 0x3F));
        return pad(c, b, sp, u, n, 0);
    }
    if (strchr("dixXobnu", ty ? ty : 'd') && (isint || ty)) {
        int64_t iv;
        if (!isint) {   /* printf-style %d truncates a float; format(1.5, 'd') is an error in Python */
            if (!sp->printf) return jerr(c, FD_ERR_INVALID, line, "Unknown format code '%c' for object of type 'float'", ty);
            if (ty && strchr("xXob", ty)) return jerr(c, FD_ERR_INVALID, line, "%%%c format: an integer is required, not float", ty);
            if (!isfinite(f) || f >= 9.2e18 || f <= -9.2e18) return jerr(c, FD_ERR_RANGE, line, "cannot format %g as an integer", f);
            iv = (int64_t)f;
        } else {
            iv = v.t == JV_INT ? v.u.i : v.u.b;
        }
        spec s2 = *sp;
        if (s2.type == 'i' || s2.type == 'u' || s2.type == 'n') s2.type = 'd';
        s2.alt = sp->alt;
        int_text(t, sizeof t, iv, &s2);
        return pad(c, b, sp, t, strlen(t), 1);
    }
    if (!strchr("eEfFgG%", ty ? ty : 'g')) return jerr(c, FD_ERR_INVALID, line, "unknown format code '%c' for %s", ty, jv_typename(v));
    int64_t prec = sp->prec >= 0 ? sp->prec : 6;
    if (prec > 300) return jerr(c, FD_ERR_RANGE, line, "format precision too large");
    char fmt[16];
    double x = ty == '%' ? f * 100 : f;
    char conv = ty == '%' ? 'f' : ty ? ty : 'g';
    snprintf(fmt, sizeof fmt, "%%%s%s.%d%c", sp->sign == '+' ? "+" : sp->sign == ' ' ? " " : "", sp->alt ? "#" : "",
             (int)prec, conv);
    if (!ty && sp->prec < 0) {   /* a float with only width/sign: Python's str() */
        jbuf s = { 0 };
        fd_status rc = sp->sign && !signbit(f) ? jbuf_add(c, &s, &sp->sign, 1) : FD_OK;
        if (rc == FD_OK) rc = jv_float_repr(c, &s, f, 0);
        if (rc == FD_OK) rc = pad(c, b, sp, s.p, s.n, 1);
        fd_free(s.p);
        return rc;
    }
    if (!isfinite(x)) {
        const char *w = isnan(x) ? "nan" : x > 0 ? "inf" : "-inf";
        snprintf(t, sizeof t, "%s%s", x > 0 && sp->sign ? (sp->sign == '+' ? "+" : " ") : "", w);
        if (ty && strchr("EFG", ty)) for (char *q = t; *q; q++) *q = (char)(*q >= 'a' ? *q - 32 : *q);
    } else {
        snprintf(t, sizeof t - 1, fmt, x);
    }
    if (ty == '%') strcat(t, "%");
    return pad(c, b, sp, t, strlen(t), 1);
}

/* ---- printf-style: fmt % args -------------------------------------------------------------- */

fd_status jinja_percent(jctx *c, int line, jv fmt, jv args, jv *out)
{
    const jv *pos = &args;
    size_t npos = 1, used = 0;
    int mapping = args.t == JV_DICT && !args.u.d->ns, safe = fmt.why == JV_SAFE;
    jbuf b = { 0 };
    fd_status rc = FD_OK;
    if (args.t == JV_LIST && args.u.l->tuple) pos = args.u.l->v, npos = args.u.l->n;
    const char *s = fmt.u.s.p, *e = s + fmt.u.s.n;
    while (rc == FD_OK && s < e) {
        const char *pct = memchr(s, '%', (size_t)(e - s));
        if (!pct) { rc = jbuf_add(c, &b, s, (size_t)(e - s)); break; }
        if ((rc = jbuf_add(c, &b, s, (size_t)(pct - s))) != FD_OK) break;
        s = pct + 1;
        spec sp = { .fill = ' ', .width = -1, .prec = -1, .printf = 1 };
        jv v;
        int have = 0;
        if (s < e && *s == '(') {
            const char *close = memchr(s, ')', (size_t)(e - s));
            const jv *hit;
            if (!close) { rc = jerr(c, FD_ERR_INVALID, line, "incomplete format key"); break; }
            if (!mapping) { rc = jerr(c, FD_ERR_INVALID, line, "format requires a mapping"); break; }
            hit = jd_get(args.u.d, jv_str(s + 1, (size_t)(close - s - 1)));
            if (!hit) { rc = jerr(c, FD_ERR_INVALID, line, "'%.*s' (a format key is missing)", (int)(close - s - 1), s + 1); break; }
            v = *hit;
            have = 1;
            s = close + 1;
        }
        for (; s < e && strchr("-+ 0#", *s); s++) {
            if (*s == '-') sp.align = '<';
            else if (*s == '0' && sp.align != '<') sp.align = '=', sp.fill = '0';
            else if (*s == '#') sp.alt = 1;
            else if (*s == '+' || (*s == ' ' && sp.sign != '+')) sp.sign = *s;
        }
        if (sp.align == '<') sp.fill = ' ';
        if (s < e && *s == '*') { rc = jerr(c, FD_ERR_UNSUPPORTED, line, "'*' widths in %% formatting are not supported"); break; }
        for (; s < e && *s >= '0' && *s <= '9'; s++) sp.width = digit(sp.width, *s);
        if (s < e && *s == '.') for (sp.prec = 0, s++; s < e && *s >= '0' && *s <= '9'; s++) sp.prec = digit(sp.prec, *s);
        if (sp.width > 100000 || sp.prec > 100000) { rc = jerr(c, FD_ERR_RANGE, line, "format width too large"); break; }
        if (s >= e) { rc = jerr(c, FD_ERR_INVALID, line, "incomplete format"); break; }
        char ty = *s++;
        if (ty == '%') { rc = jbuf_add(c, &b, "%", 1); continue; }
        if (!strchr("sradiufFeEgGxXoc", ty)) { rc = jerr(c, FD_ERR_INVALID, line, "unsupported format character '%c'", ty); break; }
        if (!have) {
            if (mapping && npos == 1 && pos == &args) v = args;   /* '%s' % {'a': 1} prints the dict */
            else if (used >= npos) { rc = jerr(c, FD_ERR_INVALID, line, "not enough arguments for format string"); break; }
            else v = pos[used];
            used++;
        }
        if (strchr("diuxXoeEfFgGc", ty) && v.t != JV_INT && v.t != JV_BOOL && v.t != JV_FLOAT && !(ty == 'c' && v.t == JV_STR)) {
            rc = jerr(c, FD_ERR_INVALID, line, "%%%c format: a real number is required, not %s", ty, jv_typename(v));
            break;
        }
        sp.type = ty == 's' ? 'S' : ty;
        if (!sp.align) sp.align = '>';   /* printf pads on the left unless '-' */
        if (safe && (ty == 's' || ty == 'r' || ty == 'a')) {   /* Markup % args escapes them */
            jv sv;
            jbuf rb = { 0 };
            if (ty != 's') {
                rc = jv_repr_append(c, &rb, v);
                if ((rc = jbuf_finish(c, &rb, rc, &sv)) != FD_OK) break;
                v = sv;
                sp.type = 'S';
            }
            if ((rc = jv_escape(c, v, &v)) != FD_OK) break;
        }
        rc = put(c, line, &b, v, &sp);
    }
    /* Python: a tuple's items must all be used; a single value must be used unless it is a sequence or
     * mapping (then '...' % x with no conversion is fine) */
    int single = pos == &args;
    if (rc == FD_OK && !mapping && ((!single && used < npos) || (single && !used && args.t != JV_LIST)))
        rc = jerr(c, FD_ERR_INVALID, line, "not all arguments converted during string formatting");
    FD_TRY(jbuf_finish(c, &b, rc, out));
    out->why = safe ? JV_SAFE : 0;
    return FD_OK;
}

/* ---- str.format ------------------------------------------------------------------------------------ */

/* [[fill]align][sign][#][0][width][,][.precision][type] of s[0..n). */
static fd_status parse_spec(jctx *c, int line, const char *s, size_t n, spec *sp)
{
    size_t i = 0, l = 0;
    memset(sp, 0, sizeof *sp);
    sp->fill = ' ';
    sp->width = sp->prec = -1;
    if (n && memchr(s, '{', n)) return jerr(c, FD_ERR_UNSUPPORTED, line, "nested fields in a format spec are not supported");
    uint32_t cp = n ? ju_decode(s, n, &l) : 0;
    if (n > l && strchr("<>^=", s[l])) sp->fill = cp, sp->align = s[l], i = l + 1;
    else if (n && strchr("<>^=", s[0])) sp->align = s[0], i = 1;
    if (i < n && strchr("+- ", s[i])) sp->sign = s[i] == '-' ? 0 : s[i], i++;
    if (i < n && s[i] == '#') sp->alt = 1, i++;
    if (i < n && s[i] == '0') {
        if (!sp->align) sp->align = '=', sp->fill = '0';
        i++;
    }
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) sp->width = digit(sp->width, s[i]);
    if (i < n && (s[i] == ',' || s[i] == '_')) sp->comma = s[i], i++;
    if (i < n && s[i] == '.') for (sp->prec = 0, i++; i < n && s[i] >= '0' && s[i] <= '9'; i++) sp->prec = digit(sp->prec, s[i]);
    if (sp->width > 100000 || sp->prec > 100000) return jerr(c, FD_ERR_RANGE, line, "format width too large");
    if (i < n) sp->type = s[i++];
    if (i != n || (sp->type && !strchr("sdbcoxXneEfFgG%", sp->type)))
        return jerr(c, FD_ERR_INVALID, line, "Invalid format specifier '%.*s'", (int)n, s);
    return FD_OK;
}

fd_status jinja_str_format(jctx *c, int line, jv fmt, jv *args, size_t npos, size_t nargs, const char **kw, jv *out)
{
    const char *s = fmt.u.s.p, *e = s + fmt.u.s.n;
    size_t autonum = 0;
    int manual = 0;   /* Python refuses {} and {0} in one format string */
    jbuf b = { 0 };
    fd_status rc = FD_OK;
    while (rc == FD_OK && s < e) {
        if (*s == '}' ) {
            if (s + 1 < e && s[1] == '}') { rc = jbuf_add(c, &b, "}", 1); s += 2; continue; }
            rc = jerr(c, FD_ERR_INVALID, line, "Single '}' encountered in format string");
            break;
        }
        if (*s != '{') {
            const char *q = s;
            while (q < e && *q != '{' && *q != '}') q++;
            rc = jbuf_add(c, &b, s, (size_t)(q - s));
            s = q;
            continue;
        }
        if (s + 1 < e && s[1] == '{') { rc = jbuf_add(c, &b, "{", 1); s += 2; continue; }
        const char *close = memchr(s, '}', (size_t)(e - s));
        if (!close) { rc = jerr(c, FD_ERR_INVALID, line, "Single '{' encountered in format string"); break; }
        const char *f = s + 1, *colon = memchr(f, ':', (size_t)(close - f)), *bang = memchr(f, '!', (size_t)(close - f));
        if (bang && colon && bang > colon) bang = NULL;
        const char *name_end = bang ? bang : colon ? colon : close, *p = f;
        while (p < name_end && *p != '.' && *p != '[') p++;
        jv v;
        if ((p == f && manual) || (p != f && *f >= '0' && *f <= '9' && autonum)) {
            rc = jerr(c, FD_ERR_INVALID, line, manual ? "cannot switch from manual field specification to automatic field numbering"
                                                      : "cannot switch from automatic field numbering to manual field specification");
            break;
        }
        if (p == f) {   /* {} : the next positional */
            if (autonum >= npos) { rc = jerr(c, FD_ERR_INVALID, line, "Replacement index %zu out of range for positional args tuple", autonum); break; }
            v = args[autonum++];
        } else if (*f >= '0' && *f <= '9') {
            size_t k = 0;
            manual = 1;
            for (const char *q = f; q < p; q++) k = k * 10 + (size_t)(*q - '0');
            if (k >= npos) { rc = jerr(c, FD_ERR_INVALID, line, "Replacement index %zu out of range for positional args tuple", k); break; }
            v = args[k];
        } else {
            size_t k = npos;
            while (k < nargs && !(strlen(kw[k]) == (size_t)(p - f) && !memcmp(kw[k], f, (size_t)(p - f)))) k++;
            if (k == nargs) { rc = jerr(c, FD_ERR_INVALID, line, "'%.*s' (no such format argument)", (int)(p - f), f); break; }
            v = args[k];
        }
        while (rc == FD_OK && p < name_end) {   /* .attr and [key] */
            const char *q = p + 1;
            if (*p == '.') {
                while (q < name_end && *q != '.' && *q != '[') q++;
                char nm[128];
                size_t n = (size_t)(q - p - 1) < sizeof nm - 1 ? (size_t)(q - p - 1) : sizeof nm - 1;
                memcpy(nm, p + 1, n);
                nm[n] = 0;
                rc = jinja_getattr(c, line, v, nm, &v);
                p = q;
            } else {
                while (q < name_end && *q != ']') q++;
                if (q == name_end) { rc = jerr(c, FD_ERR_INVALID, line, "Missing ']' in format string"); break; }
                jv key = jv_str(p + 1, (size_t)(q - p - 1));
                int digits = q > p + 1;
                for (const char *d = p + 1; d < q; d++) digits &= *d >= '0' && *d <= '9';
                if (digits) {
                    int64_t k = 0;
                    for (const char *d = p + 1; d < q && k < INT64_MAX / 10 - 10; d++) k = k * 10 + (*d - '0');
                    key = jv_int(k);
                }
                rc = jinja_getitem(c, line, v, key, &v);
                p = q + 1;
            }
            if (rc == FD_OK && v.t == JV_UNDEF) rc = jv_undef_err(c, line, v);
        }
        if (rc != FD_OK) break;
        spec sp;
        if ((rc = parse_spec(c, line, colon ? colon + 1 : close, colon ? (size_t)(close - colon - 1) : 0, &sp)) != FD_OK) break;
        if (bang) {
            char conv = bang + 1 < close ? bang[1] : 0;
            if (conv != 'r' && conv != 's' && conv != 'a') { rc = jerr(c, FD_ERR_INVALID, line, "Unknown conversion specifier"); break; }
            jbuf cb = { 0 };
            rc = conv == 's' ? jv_str_append(c, &cb, v) : jv_repr_append(c, &cb, v);
            if ((rc = jbuf_finish(c, &cb, rc, &v)) != FD_OK) break;
        }
        rc = put(c, line, &b, v, &sp);
        s = close + 1;
    }
    return jbuf_finish(c, &b, rc, out);
}
