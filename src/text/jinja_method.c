/* jinja_method.c — attribute and item access (Jinja's getattr / getitem
 * rules), the global functions (raise_exception, strftime_now, namespace,
 * range, dict), macro calls' entry, and the Python methods templates call on
 * strings (strip, split, startswith, replace, upper...) and dicts (items, get,
 * keys, values). Mutating methods (list.append, dict.update...) are refused as
 * Jinja's immutable sandbox refuses them.
 *
 * Layer: text (internal, see jinja.h). */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <utf8proc.h>
#include "base/mem.h"
#include "text/jinja.h"

static fd_status nomem(jctx *c)
{
    if (c->a->over) return jerr(c, FD_ERR_RANGE, 0, "memory limit of %zu bytes reached", c->a->limit);
    return fd_error_set(c->err, FD_ERR_NOMEM, "template: out of memory");
}

/* Method names per receiver; `ok` 0: Python has it but we refuse to call it. */
static const struct { jv_type t; const char *name; int ok; } methods[] = {
    { JV_STR, "strip", 1 }, { JV_STR, "lstrip", 1 }, { JV_STR, "rstrip", 1 }, { JV_STR, "split", 1 },
    { JV_STR, "startswith", 1 }, { JV_STR, "endswith", 1 }, { JV_STR, "replace", 1 }, { JV_STR, "upper", 1 },
    { JV_STR, "lower", 1 }, { JV_STR, "title", 1 }, { JV_STR, "capitalize", 1 }, { JV_STR, "find", 1 },
    { JV_STR, "count", 1 }, { JV_STR, "join", 1 },
    { JV_STR, "format", 1 }, { JV_STR, "rsplit", 0 }, { JV_STR, "splitlines", 0 }, { JV_STR, "index", 0 },
    { JV_DICT, "items", 1 }, { JV_DICT, "get", 1 }, { JV_DICT, "keys", 1 }, { JV_DICT, "values", 1 },
    { JV_DICT, "pop", 0 }, { JV_DICT, "update", 0 }, { JV_DICT, "setdefault", 0 }, { JV_DICT, "clear", 0 },
    { JV_DICT, "popitem", 0 },
    { JV_LIST, "append", 0 }, { JV_LIST, "extend", 0 }, { JV_LIST, "pop", 0 }, { JV_LIST, "insert", 0 },
    { JV_LIST, "remove", 0 }, { JV_LIST, "sort", 0 }, { JV_LIST, "reverse", 0 }, { JV_LIST, "clear", 0 },
    { JV_LIST, "index", 0 }, { JV_LIST, "count", 0 },
};

static int method_index(jv obj, const char *name)
{
    if (obj.t == JV_DICT && obj.u.d->ns) return -1;
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
        if (methods[i].t == obj.t && !strcmp(methods[i].name, name)) return (int)i;
    return -1;
}

static fd_status bind(jctx *c, jv obj, const char *name, jv *out)
{
    jfunc *f = ja_alloc(c->a, sizeof *f);
    if (!f) return nomem(c);
    memset(f, 0, sizeof *f);
    f->kind = JF_METHOD;
    f->name = name;
    f->self = obj;
    out->t = JV_FUNC;
    out->u.fn = f;
    return FD_OK;
}

fd_status jinja_getattr(jctx *c, int line, jv obj, const char *name, jv *out)
{
    int m = method_index(obj, name);
    (void)line;
    if (m >= 0) return bind(c, obj, methods[m].name, out);
    if (obj.t == JV_FUNC) return jinja_global_attr(c, obj, name, out);
    if (obj.t == JV_DICT) {
        const jv *v = jd_gets(obj.u.d, name);
        *out = v ? *v : jv_undef_of(obj, name, 0);
        return FD_OK;
    }
    *out = jv_undef_of(obj, name, 0);
    return FD_OK;
}

/* Undefined obj[key], named by key's repr as Jinja names it ("list object has no element 5"). */
static fd_status no_element(jctx *c, jv obj, jv key, jv *out)
{
    jbuf b = { 0 };
    jv name;
    FD_TRY(jbuf_finish(c, &b, jv_repr_append(c, &b, key), &name));
    *out = jv_undef_of(obj, name.u.s.p, 1);
    return FD_OK;
}

fd_status jinja_getitem(jctx *c, int line, jv obj, jv key, jv *out)
{
    if (((obj.t == JV_LIST && !obj.u.l->gen) || obj.t == JV_STR) && (key.t == JV_INT || key.t == JV_BOOL)) {
        int64_t i = key.t == JV_INT ? key.u.i : key.u.b;
        int64_t len = obj.t == JV_LIST ? (int64_t)obj.u.l->n : (int64_t)ju_len(obj.u.s.p, obj.u.s.n);
        if (i < 0) i += len;
        if (i < 0 || i >= len) return no_element(c, obj, key, out);
        if (obj.t == JV_LIST) {
            *out = obj.u.l->v[i];
        } else {
            size_t off = ju_off(obj.u.s.p, obj.u.s.n, (size_t)i), l;
            ju_decode(obj.u.s.p + off, obj.u.s.n - off, &l);
            *out = jv_str(obj.u.s.p + off, l);
        }
        return FD_OK;
    }
    if (obj.t == JV_DICT) {
        const jv *v = jd_get(obj.u.d, key);
        if (v) {
            *out = *v;
            return FD_OK;
        }
    }
    if (key.t == JV_STR) {
        const char *k = memchr(key.u.s.p, 0, key.u.s.n) ? "" : NULL;
        jv s;
        if (k) return no_element(c, obj, key, out);
        FD_TRY(jv_strdup(c, key.u.s.p, key.u.s.n, &s));
        if (obj.t == JV_DICT) {   /* getitem failed: an attribute (method) of that name */
            int m = method_index(obj, s.u.s.p);
            if (m >= 0) return bind(c, obj, methods[m].name, out);
            *out = jv_undef_of(obj, s.u.s.p, 0);
            return FD_OK;
        }
        return jinja_getattr(c, line, obj, s.u.s.p, out);
    }
    return no_element(c, obj, key, out);
}

/* Argument i as a string, or FD_ERR_INVALID. */
static fd_status str_arg(jctx *c, int line, const char *fn, jv *args, size_t n, size_t i, jv *out, int optional)
{
    *out = jv_str("", 0);
    if (i >= n || (optional && args[i].t == JV_NONE)) {
        if (optional) {
            out->t = JV_UNDEF;
            return FD_OK;
        }
        return jerr(c, FD_ERR_INVALID, line, "%s() missing argument %zu", fn, i + 1);
    }
    if (args[i].t != JV_STR) return jerr(c, FD_ERR_INVALID, line, "%s() argument %zu must be str, not %s", fn, i + 1, jv_typename(args[i]));
    *out = args[i];
    return FD_OK;
}

/* Optional integer argument i (None counts as absent): *out keeps its default when absent. */
static fd_status int_arg(jctx *c, int line, const char *fn, jv *args, size_t n, size_t i, int64_t *out)
{
    if (i >= n || args[i].t == JV_NONE) return FD_OK;
    if (args[i].t != JV_INT) return jerr(c, FD_ERR_INVALID, line, "%s() argument %zu must be an integer", fn, i + 1);
    *out = args[i].u.i;
    return FD_OK;
}

static fd_status list_out(jlist *l, jv *out)
{
    out->t = JV_LIST;
    out->u.l = l;
    return FD_OK;
}

static fd_status split(jctx *c, int line, jv s, jv *args, size_t n, jv *out)
{
    jv sep = jv_str("", 0);
    int64_t maxsplit = -1;
    jlist *l = jl_new(c, 4);
    if (!l) return nomem(c);
    FD_TRY(str_arg(c, line, "split", args, n, 0, &sep, 1));
    FD_TRY(int_arg(c, line, "split", args, n, 1, &maxsplit));
    const char *p = s.u.s.p;
    size_t len = s.u.s.n, i = 0, cl;
    if (sep.t == JV_UNDEF) {   /* runs of whitespace, no empty strings */
        for (;;) {
            while (i < len && ju_isspace(ju_decode(p + i, len - i, &cl))) i += cl;
            if (i >= len) break;
            size_t st = i;
            if (maxsplit >= 0 && (int64_t)l->n >= maxsplit) {
                jv rest = ju_strip(jv_str(p + st, len - st), NULL, 2);
                FD_TRY(jl_push(c, l, rest));
                break;
            }
            while (i < len && !ju_isspace(ju_decode(p + i, len - i, &cl))) i += cl;
            FD_TRY(jl_push(c, l, jv_str(p + st, i - st)));
        }
        return list_out(l, out);
    }
    if (!sep.u.s.n) return jerr(c, FD_ERR_INVALID, line, "split(): empty separator");
    size_t st = 0;
    for (i = 0; i + sep.u.s.n <= len;) {
        if ((maxsplit < 0 || (int64_t)l->n < maxsplit) && !memcmp(p + i, sep.u.s.p, sep.u.s.n)) {
            FD_TRY(jl_push(c, l, jv_str(p + st, i - st)));
            i += sep.u.s.n;
            st = i;
        } else {
            i++;
        }
    }
    FD_TRY(jl_push(c, l, jv_str(p + st, len - st)));
    return list_out(l, out);
}

static int has_affix(jv s, jv a, int end)
{
    if (a.u.s.n > s.u.s.n) return 0;
    return !memcmp(s.u.s.p + (end ? s.u.s.n - a.u.s.n : 0), a.u.s.p, a.u.s.n);
}

static fd_status affix(jctx *c, int line, const char *fn, jv s, jv *args, size_t n, int end, jv *out)
{
    if (n != 1) return jerr(c, FD_ERR_UNSUPPORTED, line, "%s() with start/end positions is not supported", fn);
    if (args[0].t == JV_LIST && args[0].u.l->tuple) {
        int hit = 0;
        for (size_t i = 0; i < args[0].u.l->n; i++) {
            if (args[0].u.l->v[i].t != JV_STR) return jerr(c, FD_ERR_INVALID, line, "%s() tuple items must be str", fn);
            hit |= has_affix(s, args[0].u.l->v[i], end);
        }
        *out = jv_bool(hit);
        return FD_OK;
    }
    jv a = jv_str("", 0);
    FD_TRY(str_arg(c, line, fn, args, n, 0, &a, 0));
    *out = jv_bool(has_affix(s, a, end));
    return FD_OK;
}

/* Python's str.replace (old "" inserts between characters). */
static fd_status replace(jctx *c, int line, jv s, jv *args, size_t n, jv *out)
{
    jv from = jv_str("", 0), to = from;
    int64_t count = -1;
    jbuf b = { 0 };
    fd_status rc = FD_OK;
    FD_TRY(str_arg(c, line, "replace", args, n, 0, &from, 0));
    FD_TRY(str_arg(c, line, "replace", args, n, 1, &to, 0));
    FD_TRY(int_arg(c, line, "replace", args, n, 2, &count));
    const char *p = s.u.s.p;
    size_t len = s.u.s.n, i = 0, cl;
    int64_t done = 0;
    while (rc == FD_OK && i <= len) {
        if ((count < 0 || done < count) && len - i >= from.u.s.n && !memcmp(p + i, from.u.s.p, from.u.s.n)) {
            rc = jbuf_add(c, &b, to.u.s.p, to.u.s.n);
            done++;
            if (from.u.s.n) {
                i += from.u.s.n;
                continue;
            }
        }
        if (i == len) break;
        ju_decode(p + i, len - i, &cl);
        if (rc == FD_OK) rc = jbuf_add(c, &b, p + i, cl);
        i += cl;
    }
    return jbuf_finish(c, &b, rc, out);
}

/* Python's full (one-to-many) case mappings that differ from the simple ones
 * utf8proc gives (SpecialCasing.txt, unconditional): code point, then its
 * upper, title and lower forms as UTF-8 (NULL: the simple mapping). */
static const struct { uint32_t cp; const char *upper, *title, *lower; } special[] = {
    { 0x00DF, "SS", "Ss", NULL },                           /* ß */
    { 0x0130, NULL, NULL, "i\xCC\x87" },                     /* İ */
    { 0x0149, "\xCA\xBCN", "\xCA\xBCN", NULL },               /* ŉ */
    { 0x01F0, "J\xCC\x8C", "J\xCC\x8C", NULL },               /* ǰ */
    { 0x0390, "\xCE\x99\xCC\x88\xCC\x81", "\xCE\x99\xCC\x88\xCC\x81", NULL },
    { 0x03B0, "\xCE\xA5\xCC\x88\xCC\x81", "\xCE\xA5\xCC\x88\xCC\x81", NULL },
    { 0x0587, "\xD4\xB5\xD5\x92", "\xD4\xB5\xD6\x82", NULL },   /* և */
    { 0x1E96, "H\xCC\xB1", "H\xCC\xB1", NULL }, { 0x1E97, "T\xCC\x88", "T\xCC\x88", NULL },
    { 0x1E98, "W\xCC\x8A", "W\xCC\x8A", NULL }, { 0x1E99, "Y\xCC\x8A", "Y\xCC\x8A", NULL },
    { 0x1E9A, "A\xCA\xBE", "A\xCA\xBE", NULL },
    { 0xFB00, "FF", "Ff", NULL }, { 0xFB01, "FI", "Fi", NULL }, { 0xFB02, "FL", "Fl", NULL },
    { 0xFB03, "FFI", "Ffi", NULL }, { 0xFB04, "FFL", "Ffl", NULL }, { 0xFB05, "ST", "St", NULL },
    { 0xFB06, "ST", "St", NULL },
    { 0xFB13, "\xD5\x84\xD5\x86", "\xD5\x84\xD5\xB6", NULL }, { 0xFB14, "\xD5\x84\xD4\xB5", "\xD5\x84\xD5\xA5", NULL },
    { 0xFB15, "\xD5\x84\xD4\xBB", "\xD5\x84\xD5\xAB", NULL }, { 0xFB16, "\xD5\x8E\xD5\x86", "\xD5\x8E\xD5\xB6", NULL },
    { 0xFB17, "\xD5\x84\xD4\xBD", "\xD5\x84\xD5\xAD", NULL },
};

static int is_cased(int32_t cp) { return utf8proc_toupper(cp) != cp || utf8proc_tolower(cp) != cp || cp == 0xDF; }

/* mode: 'u' upper, 'l' lower, 't' title, 'c' capitalize, 'n' unchanged —
 * Python's str methods: full case mappings, and a final sigma in lower(). */
fd_status jinja_case(jctx *c, jv s, int mode, jv *out)
{
    jbuf b = { 0 };
    fd_status rc = FD_OK;
    int prev_cased = 0, first = 1;
    for (size_t i = 0, l; rc == FD_OK && i < s.u.s.n; i += l) {
        int32_t cp = (int32_t)ju_decode(s.u.s.p + i, s.u.s.n - i, &l), r = cp;
        char u[8];
        if (l == 1 && (unsigned char)s.u.s.p[i] >= 0x80) {   /* a malformed byte: keep it */
            rc = jbuf_add(c, &b, s.u.s.p + i, 1);
            continue;
        }
        int m = mode == 't' ? (prev_cased ? 'l' : 'T') : mode == 'c' ? (first ? 'T' : 'l') : mode;
        const char *full = NULL;
        for (size_t k = 0; k < sizeof special / sizeof special[0] && m != 'n'; k++)
            if (special[k].cp == (uint32_t)cp) full = m == 'u' ? special[k].upper : m == 'T' ? special[k].title : special[k].lower;
        prev_cased = is_cased(cp);
        first = 0;
        if (full) {
            rc = jbuf_add(c, &b, full, strlen(full));
            continue;
        }
        if (m == 'u') r = cp == 0xDF ? cp : utf8proc_toupper(cp);
        else if (m == 'T') r = utf8proc_totitle(cp);
        else if (m == 'l' && cp == 0x03A3) {   /* final sigma: after a cased letter and not before one */
            size_t nl;
            int next_cased = i + l < s.u.s.n && is_cased((int32_t)ju_decode(s.u.s.p + i + l, s.u.s.n - i - l, &nl));
            size_t st = i, pl;
            while (st > 0 && i - st < 4 && ((unsigned char)s.u.s.p[--st] & 0xC0) == 0x80) {}
            int before = i > 0 && is_cased((int32_t)ju_decode(s.u.s.p + st, i - st, &pl));
            r = before && !next_cased ? 0x03C2 : 0x03C3;
        } else if (m == 'l') r = utf8proc_tolower(cp);
        utf8proc_ssize_t k = utf8proc_encode_char(r, (utf8proc_uint8_t *)u);
        rc = jbuf_add(c, &b, u, k > 0 ? (size_t)k : 0);
    }
    return jbuf_finish(c, &b, rc, out);
}

static fd_status find_count(jctx *c, int line, jv s, jv *args, size_t n, int count, jv *out)
{
    jv sub = jv_str("", 0);
    int64_t hits = 0;
    FD_TRY(str_arg(c, line, count ? "count" : "find", args, n, 0, &sub, 0));
    if (!sub.u.s.n) {
        *out = jv_int(count ? (int64_t)ju_len(s.u.s.p, s.u.s.n) + 1 : 0);
        return FD_OK;
    }
    for (size_t i = 0; i + sub.u.s.n <= s.u.s.n;) {
        if (!memcmp(s.u.s.p + i, sub.u.s.p, sub.u.s.n)) {
            if (!count) {
                *out = jv_int((int64_t)ju_len(s.u.s.p, i));
                return FD_OK;
            }
            hits++;
            i += sub.u.s.n;
        } else {
            i++;
        }
    }
    *out = jv_int(count ? hits : -1);
    return FD_OK;
}

static fd_status str_join(jctx *c, int line, jv sep, jv *args, size_t n, jv *out)
{
    jbuf b = { 0 };
    fd_status rc = FD_OK;
    if (n != 1 || args[0].t != JV_LIST) return jerr(c, FD_ERR_INVALID, line, "join() takes one list");
    for (size_t i = 0; rc == FD_OK && i < args[0].u.l->n; i++) {
        jv it = args[0].u.l->v[i];
        if (it.t != JV_STR) rc = jerr(c, FD_ERR_INVALID, line, "join(): item %zu is %s, not str", i, jv_typename(it));
        if (rc == FD_OK && i) rc = jbuf_add(c, &b, sep.u.s.p, sep.u.s.n);
        if (rc == FD_OK) rc = jbuf_add(c, &b, it.u.s.p, it.u.s.n);
    }
    return jbuf_finish(c, &b, rc, out);
}

static fd_status dict_method(jctx *c, int line, jdict *d, const char *m, jv *args, size_t n, jv *out)
{
    if (!strcmp(m, "get")) {
        if (n < 1 || n > 2) return jerr(c, FD_ERR_INVALID, line, "get() takes 1 or 2 arguments");
        const jv *v = jd_get(d, args[0]);
        *out = v ? *v : n == 2 ? args[1] : jv_none();
        return FD_OK;
    }
    if (n) return jerr(c, FD_ERR_INVALID, line, "%s() takes no arguments", m);
    jlist *l = jl_new(c, d->n);
    if (!l) return nomem(c);
    for (size_t i = 0; i < d->n; i++) {
        if (!strcmp(m, "keys")) {
            l->v[i] = d->k[i];
        } else if (!strcmp(m, "values")) {
            l->v[i] = d->v[i];
        } else {
            jlist *t = jl_pair(c, d->k[i], d->v[i]);
            if (!t) return nomem(c);
            l->v[i].t = JV_LIST;
            l->v[i].u.l = t;
        }
    }
    l->n = d->n;
    return list_out(l, out);
}

static fd_status method(jctx *c, int line, const jfunc *f, jv *args, size_t npos, size_t nargs, const char **kwnames,
                        jv *out)
{
    jv s = f->self, chars;
    const char *m = f->name;
    int idx = method_index(s, m);
    if (idx < 0 || !methods[idx].ok)
        return jerr(c, FD_ERR_UNSUPPORTED, line, "%s.%s() is not supported%s", jv_typename(s), m,
                    s.t == JV_STR ? "" : " (templates cannot change a list or dict)");
    if (s.t == JV_STR && !strcmp(m, "format")) return jinja_str_format(c, line, s, args, npos, nargs, kwnames, out);
    if (nargs != npos) return jerr(c, FD_ERR_UNSUPPORTED, line, "keyword arguments to %s() are not supported", m);
    if (s.t == JV_DICT) return dict_method(c, line, s.u.d, m, args, npos, out);
    if (!strcmp(m, "strip") || !strcmp(m, "lstrip") || !strcmp(m, "rstrip")) {
        FD_TRY(str_arg(c, line, m, args, npos, 0, &chars, 1));
        *out = ju_strip(s, chars.t == JV_STR ? &chars : NULL, m[0] == 'l' ? 1 : m[0] == 'r' ? 2 : 3);
        return FD_OK;
    }
    if (!strcmp(m, "split")) return split(c, line, s, args, npos, out);
    if (!strcmp(m, "startswith")) return affix(c, line, m, s, args, npos, 0, out);
    if (!strcmp(m, "endswith")) return affix(c, line, m, s, args, npos, 1, out);
    if (!strcmp(m, "replace")) return replace(c, line, s, args, npos, out);
    if (!strcmp(m, "find") || !strcmp(m, "count")) return find_count(c, line, s, args, npos, m[0] == 'c', out);
    if (!strcmp(m, "join")) return str_join(c, line, s, args, npos, out);
    if (npos) return jerr(c, FD_ERR_INVALID, line, "%s() takes no arguments", m);
    return jinja_case(c, s, m[0] == 'u' ? 'u' : m[0] == 'l' ? 'l' : m[0] == 't' ? 't' : 'c', out);
}

static fd_status strftime_now(jctx *c, int line, jv *args, size_t n, jv *out)
{
    jv fmt = jv_str("", 0);
    struct tm tm;
    char buf[512];
    time_t t = c->now == INT64_MIN ? time(NULL) : (time_t)c->now;
    FD_TRY(str_arg(c, line, "strftime_now", args, n, 0, &fmt, 0));
    if (fmt.u.s.n > 200) return jerr(c, FD_ERR_INVALID, line, "strftime_now(): format too long");
    char f[1300];
    size_t k = 0;
    for (size_t i = 0; i < fmt.u.s.n; i++) {   /* %f (microseconds) is Python's own: the time is whole seconds */
        if (fmt.u.s.p[i] == '%' && i + 1 < fmt.u.s.n && fmt.u.s.p[i + 1] == 'f') {
            memcpy(f + k, "000000", 6);
            k += 6;
            i++;
            continue;
        }
        if (fmt.u.s.p[i] == '%' && i + 1 < fmt.u.s.n) f[k++] = fmt.u.s.p[i++];
        f[k++] = fmt.u.s.p[i];
    }
    f[k] = 0;
    if (c->now == INT64_MIN ? !localtime_r(&t, &tm) : !gmtime_r(&t, &tm))
        return jerr(c, FD_ERR_INVALID, line, "strftime_now(): no time");
    k = strftime(buf, sizeof buf, f, &tm);
    if (!k && fmt.u.s.n) return jerr(c, FD_ERR_INVALID, line, "strftime_now(): result too long");
    return jv_strdup(c, buf, k, out);
}

static fd_status range(jctx *c, int line, jv *args, size_t n, jv *out)
{
    int64_t a = 0, b, step = 1;
    int64_t v[3] = { 0, 0, 1 };
    for (size_t i = 0; i < n && i < 3; i++) {
        if (args[i].t != JV_INT && args[i].t != JV_BOOL) return jerr(c, FD_ERR_INVALID, line, "range() arguments must be integers");
        v[i] = args[i].t == JV_INT ? args[i].u.i : args[i].u.b;
    }
    if (n == 1) b = v[0];
    else if (n == 2 || n == 3) { a = v[0]; b = v[1]; if (n == 3) step = v[2]; }
    else return jerr(c, FD_ERR_INVALID, line, "range() takes 1 to 3 arguments");
    if (!step) return jerr(c, FD_ERR_INVALID, line, "range() step must not be zero");
    uint64_t count = 0;
    if (step > 0 && b > a) count = ((uint64_t)b - (uint64_t)a + (uint64_t)step - 1) / (uint64_t)step;
    if (step < 0 && a > b) count = ((uint64_t)a - (uint64_t)b + (uint64_t)(-(step + 1))) / ((uint64_t)(-(step + 1)) + 1);
    if (count > c->max_steps) return jerr(c, FD_ERR_RANGE, line, "range() of %llu items exceeds the step limit", (unsigned long long)count);
    jlist *l = jl_new(c, (size_t)count);
    if (!l) return nomem(c);
    for (uint64_t i = 0; i < count; i++) l->v[l->n++] = jv_int(a + (int64_t)i * step);
    return list_out(l, out);
}

fd_status jinja_call(jctx *c, int line, jv fv, jv *args, size_t npos, size_t nargs, const char **kwnames, jv *out)
{
    const jfunc *f = fv.u.fn;
    switch (f->kind) {
    case JF_RAISE: {
        jv msg = jv_str("", 0);
        if (nargs) FD_TRY(jv_to_str(c, args[0], &msg));
        return jerr(c, FD_ERR_INVALID, line, "raise_exception: %.*s", (int)msg.u.s.n, msg.u.s.p);
    }
    case JF_STRFTIME:
        if (nargs != 1) return jerr(c, FD_ERR_INVALID, line, "strftime_now() takes 1 argument, %zu given", nargs);
        return strftime_now(c, line, args, npos, out);
    case JF_RANGE: return range(c, line, args, npos, out);
    case JF_NAMESPACE: case JF_DICT: {
        jdict *d = jd_new(c, nargs + 1);
        if (!d) return nomem(c);
        d->ns = f->kind == JF_NAMESPACE;
        for (size_t i = 0; i < npos; i++) {
            if (args[i].t != JV_DICT) return jerr(c, FD_ERR_INVALID, line, "%s() takes keyword arguments or a dict", f->name);
            for (size_t k = 0; k < args[i].u.d->n; k++) FD_TRY(jd_set(c, d, args[i].u.d->k[k], args[i].u.d->v[k]));
        }
        for (size_t i = npos; i < nargs; i++) FD_TRY(jd_set(c, d, jv_str(kwnames[i], strlen(kwnames[i])), args[i]));
        out->t = JV_DICT;
        out->u.d = d;
        return FD_OK;
    }
    case JF_MACRO: return jinja_call_macro(c, line, f, args, npos, nargs, kwnames, out);
    case JF_CYCLE: {
        const jv *i0 = jd_gets(f->self.u.d, "index0");
        if (!npos) return jerr(c, FD_ERR_INVALID, line, "loop.cycle() needs at least one value");
        *out = args[(size_t)(i0 && i0->t == JV_INT ? i0->u.i : 0) % npos];
        return FD_OK;
    }
    case JF_METHOD: return method(c, line, f, args, npos, nargs, kwnames, out);
    case JF_LIPSUM: case JF_CYCLER: case JF_JOINER: case JF_CYCLER_OBJ: case JF_CYCLER_NEXT: case JF_CYCLER_RESET:
    case JF_JOINER_OBJ:
        return jinja_global_call(c, line, f, args, npos, nargs, kwnames, out);
    }
    return jerr(c, FD_ERR_STATE, line, "internal: bad function");
}
