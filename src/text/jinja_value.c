/* jinja_value.c — the interpreter's arena and values: constructors, lists and
 * dicts, truth, equality and ordering with Python's rules, str() and repr(),
 * and the code-point helpers strings need (Python counts characters).
 *
 * Layer: text (internal, see jinja.h). Allocation goes through ja_alloc, so a
 * render's memory is bounded by its arena limit and freed in one go. */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/mem.h"
#include "text/jinja.h"

struct jchunk {
    jchunk *next;
    size_t used, cap;
    max_align_t data[];
};

void *ja_alloc(jarena *a, size_t n)
{
    jchunk *h = a->head;
    n = (n + 15) & ~(size_t)15;
    if (!n) n = 16;
    if (!h || h->cap - h->used < n) {
        size_t cap = n > 65536 ? n : 65536;
        if (cap > SIZE_MAX - sizeof *h) return NULL;
        if (a->limit && (a->total + cap + sizeof *h > a->limit)) {
            a->over = 1;
            return NULL;
        }
        if (!(h = fd_malloc(sizeof *h + cap))) return NULL;
        h->used = 0;
        h->cap = cap;
        a->total += sizeof *h + cap;
        /* a big one-off allocation goes behind the current chunk, keeping its free room */
        if (a->head && n > 65536) {
            h->next = a->head->next;
            a->head->next = h;
            h->used = n;
            return h->data;
        }
        h->next = a->head;
        a->head = h;
    }
    void *p = (char *)h->data + h->used;
    h->used += n;
    return p;
}

void ja_free(jarena *a)
{
    for (jchunk *h = a->head, *nx; h; h = nx) {
        nx = h->next;
        fd_free(h);
    }
    a->head = NULL;
    a->total = 0;
    a->over = 0;
}

fd_status jerr(jctx *c, fd_status st, int line, const char *fmt, ...)
{
    char msg[900];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (line > 0) return fd_error_set(c->err, st, "template line %d: %s", line, msg);
    return fd_error_set(c->err, st, "template: %s", msg);
}

static fd_status nomem(jctx *c)
{
    if (c->a->over)
        return fd_error_set(c->err, FD_ERR_RANGE, "template: memory limit of %zu bytes reached", c->a->limit);
    return fd_error_set(c->err, FD_ERR_NOMEM, "template: out of memory");
}

fd_status jstep(jctx *c, int line)
{
    if (++c->steps > c->max_steps)
        return jerr(c, FD_ERR_RANGE, line, "more than %" PRIu64 " loop iterations and calls (the limit)", c->max_steps);
    return FD_OK;
}

jv jv_undef(const char *name) { jv v = { .t = JV_UNDEF }; v.u.s.p = name ? name : ""; v.u.s.n = strlen(v.u.s.p); return v; }
jv jv_none(void) { jv v = { .t = JV_NONE }; return v; }
jv jv_bool(int b) { jv v = { .t = JV_BOOL }; v.u.b = !!b; return v; }
jv jv_int(int64_t i) { jv v = { .t = JV_INT }; v.u.i = i; return v; }
jv jv_float(double f) { jv v = { .t = JV_FLOAT }; v.u.f = f; return v; }
jv jv_str(const char *p, size_t n) { jv v = { .t = JV_STR }; v.u.s.p = p; v.u.s.n = n; return v; }
jv jv_list(jlist *l) { jv v = { .t = JV_LIST }; v.u.l = l; return v; }

fd_status jv_strdup(jctx *c, const char *p, size_t n, jv *out)
{
    char *q = ja_alloc(c->a, n + 1);
    if (!q) return nomem(c);
    if (n) memcpy(q, p, n);
    q[n] = 0;
    *out = jv_str(q, n);
    return FD_OK;
}

jlist *jl_new(jctx *c, size_t cap)
{
    jlist *l = ja_alloc(c->a, sizeof *l);
    if (!l) return NULL;
    memset(l, 0, sizeof *l);
    if (!cap) cap = 1;   /* v is never NULL, so copying zero items needs no test */
    if (cap >= SIZE_MAX / sizeof(jv) || !(l->v = ja_alloc(c->a, cap * sizeof(jv)))) return NULL;
    l->cap = cap;
    return l;
}

jlist *jl_pair(jctx *c, jv k, jv v)
{
    jlist *t = jl_new(c, 2);
    if (!t) return NULL;
    t->v[0] = k;
    t->v[1] = v;
    t->n = 2;
    t->tuple = 1;
    return t;
}

fd_status jl_push(jctx *c, jlist *l, jv v)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        jv *nv = cap < SIZE_MAX / sizeof(jv) ? ja_alloc(c->a, cap * sizeof(jv)) : NULL;
        if (!nv) return nomem(c);
        if (l->n) memcpy(nv, l->v, l->n * sizeof(jv));
        l->v = nv;
        l->cap = cap;
    }
    l->v[l->n++] = v;
    return FD_OK;
}

jdict *jd_new(jctx *c, size_t cap)
{
    jdict *d = ja_alloc(c->a, sizeof *d);
    if (!d) return NULL;
    memset(d, 0, sizeof *d);
    if (!cap) cap = 1;
    if (cap >= SIZE_MAX / sizeof(jv) || !(d->k = ja_alloc(c->a, cap * sizeof(jv))) || !(d->v = ja_alloc(c->a, cap * sizeof(jv))))
        return NULL;
    d->cap = cap;
    return d;
}

const jv *jd_get(const jdict *d, jv k)
{
    for (size_t i = 0; i < d->n; i++)
        if (jv_eq(d->k[i], k)) return &d->v[i];
    return NULL;
}

const jv *jd_gets(const jdict *d, const char *k)
{
    return jd_get(d, jv_str(k, strlen(k)));
}

/* Replaces the value of an existing key in place (Python keeps the first position). */
fd_status jd_set(jctx *c, jdict *d, jv k, jv v)
{
    jv *old = (jv *)jd_get(d, k);
    if (old) {
        *old = v;
        return FD_OK;
    }
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 8;
        jv *nk = ja_alloc(c->a, cap * sizeof(jv)), *nv = nk ? ja_alloc(c->a, cap * sizeof(jv)) : NULL;
        if (!nv) return nomem(c);
        if (d->n) {
            memcpy(nk, d->k, d->n * sizeof(jv));
            memcpy(nv, d->v, d->n * sizeof(jv));
        }
        d->k = nk;
        d->v = nv;
        d->cap = cap;
    }
    d->k[d->n] = k;
    d->v[d->n++] = v;
    return FD_OK;
}

int jv_truthy(jv v)
{
    switch (v.t) {
    case JV_UNDEF: case JV_NONE: return 0;
    case JV_BOOL: return v.u.b;
    case JV_INT: return v.u.i != 0;
    case JV_FLOAT: return v.u.f != 0;
    case JV_STR: return v.u.s.n != 0;
    case JV_LIST: return v.u.l->gen || v.u.l->n != 0;
    case JV_DICT: return v.u.d->ns || v.u.d->n != 0;
    case JV_FUNC: return 1;
    }
    return 0;
}

static int is_num(jv v) { return v.t == JV_BOOL || v.t == JV_INT || v.t == JV_FLOAT; }
static double num(jv v) { return v.t == JV_FLOAT ? v.u.f : v.t == JV_INT ? (double)v.u.i : v.u.b; }
static int64_t inum(jv v) { return v.t == JV_INT ? v.u.i : v.u.b; }

enum { MAX_NEST = 1000 };   /* containers inside containers, for ==, <, str() */

static int eq(jv a, jv b, int depth);
int jv_eq(jv a, jv b) { return eq(a, b, 0); }

/* Beyond MAX_NEST levels values compare unequal rather than exhaust the stack. */
static int eq(jv a, jv b, int depth)
{
    if (depth > MAX_NEST) return 0;
    if (is_num(a) && is_num(b)) {
        if (a.t != JV_FLOAT && b.t != JV_FLOAT) return inum(a) == inum(b);
        return num(a) == num(b);
    }
    if (a.t != b.t) return 0;
    switch (a.t) {
    case JV_UNDEF: case JV_NONE: return 1;
    case JV_STR: return a.u.s.n == b.u.s.n && !memcmp(a.u.s.p, b.u.s.p, a.u.s.n);
    case JV_LIST:   /* (1, 2) != [1, 2] in Python */
        if (a.u.l->n != b.u.l->n || a.u.l->tuple != b.u.l->tuple) return 0;
        for (size_t i = 0; i < a.u.l->n; i++)
            if (!eq(a.u.l->v[i], b.u.l->v[i], depth + 1)) return 0;
        return 1;
    case JV_DICT:
        if (a.u.d == b.u.d) return 1;
        if (a.u.d->ns || b.u.d->ns || a.u.d->n != b.u.d->n) return 0;
        for (size_t i = 0; i < a.u.d->n; i++) {
            const jv *o = jd_get(b.u.d, a.u.d->k[i]);
            if (!o || !eq(a.u.d->v[i], *o, depth + 1)) return 0;
        }
        return 1;
    case JV_FUNC: return a.u.fn == b.u.fn;
    default: return 0;
    }
}

static const char *const type_repr[] = { "Undefined", "None", "bool object", "int object", "float object",
                                          "str object", "list object", "dict object", "function object",
                                          "tuple object", "jinja2.utils.Namespace object", "generator object" };

jv jv_undef_of(jv obj, const char *name, int element)
{
    jv u = jv_undef(name);
    u.why = element ? 2 : 1;
    u.of = (unsigned char)obj.t;
    if (obj.t == JV_LIST && obj.u.l->tuple) u.of = 9;
    if (obj.t == JV_DICT && obj.u.d->ns) u.of = 10;
    if (obj.t == JV_LIST && obj.u.l->gen) u.of = 11;
    return u;
}

fd_status jv_undef_err(jctx *c, int line, jv u)
{
    int n = (int)u.u.s.n;
    if (u.why == 1) return jerr(c, FD_ERR_INVALID, line, "'%s' has no attribute '%.*s'", type_repr[u.of], n, u.u.s.p);
    if (u.why == 2) return jerr(c, FD_ERR_INVALID, line, "%s has no element %.*s", type_repr[u.of], n, u.u.s.p);
    if (n) return jerr(c, FD_ERR_INVALID, line, "'%.*s' is undefined", n, u.u.s.p);
    return jerr(c, FD_ERR_INVALID, line, "an undefined value was used");
}

const char *jv_typename(jv v)
{
    static const char *names[] = { "Undefined", "NoneType", "bool", "int", "float", "str", "list", "dict", "function" };
    if (v.t == JV_FLOAT && v.why == JV_BIGINT) return "int";
    if (v.t == JV_LIST && v.u.l->tuple) return "tuple";
    if (v.t == JV_LIST && v.u.l->gen) return "generator";
    if (v.t == JV_DICT && v.u.d->ns) return "Namespace";
    return names[v.t];
}

static fd_status cmp(jctx *c, int line, jv a, jv b, int *out, int depth);
fd_status jv_cmp(jctx *c, int line, jv a, jv b, int *out) { return cmp(c, line, a, b, out, 0); }

static fd_status cmp(jctx *c, int line, jv a, jv b, int *out, int depth)
{
    if (depth > MAX_NEST) return jerr(c, FD_ERR_RANGE, line, "values nested deeper than %d", MAX_NEST);
    if (is_num(a) && is_num(b)) {
        if (a.t != JV_FLOAT && b.t != JV_FLOAT) *out = (inum(a) > inum(b)) - (inum(a) < inum(b));
        else *out = (num(a) > num(b)) - (num(a) < num(b));
        return FD_OK;
    }
    if (a.t == JV_STR && b.t == JV_STR) {   /* UTF-8 byte order is code point order */
        size_t m = a.u.s.n < b.u.s.n ? a.u.s.n : b.u.s.n;
        int r = m ? memcmp(a.u.s.p, b.u.s.p, m) : 0;
        *out = r ? (r > 0) - (r < 0) : (a.u.s.n > b.u.s.n) - (a.u.s.n < b.u.s.n);
        return FD_OK;
    }
    if (a.t == JV_LIST && b.t == JV_LIST) {
        size_t m = a.u.l->n < b.u.l->n ? a.u.l->n : b.u.l->n;
        for (size_t i = 0; i < m; i++) {
            if (jv_eq(a.u.l->v[i], b.u.l->v[i])) continue;
            return cmp(c, line, a.u.l->v[i], b.u.l->v[i], out, depth + 1);
        }
        *out = (a.u.l->n > b.u.l->n) - (a.u.l->n < b.u.l->n);
        return FD_OK;
    }
    if (a.t == JV_UNDEF || b.t == JV_UNDEF) return jv_undef_err(c, line, a.t == JV_UNDEF ? a : b);
    return jerr(c, FD_ERR_INVALID, line, "cannot order %s and %s", jv_typename(a), jv_typename(b));
}

fd_status jbuf_add(jctx *c, jbuf *b, const char *p, size_t n)
{
    if (b->n + n > c->max_output)   /* captured text and built strings too */
        return jerr(c, FD_ERR_RANGE, 0, "output larger than %zu bytes (the limit)", c->max_output);
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + n + 1) cap *= 2;
        char *q = fd_realloc(b->p, cap);
        if (!q) return nomem(c);
        b->p = q;
        b->cap = cap;
    }
    if (n) memcpy(b->p + b->n, p, n);
    b->n += n;
    b->p[b->n] = 0;
    return FD_OK;
}

/* Python float repr (shortest round trip; exponent when the point is far), or json.dumps's. */
fd_status jv_float_repr(jctx *c, jbuf *b, double f, int json)
{
    char t[40], digits[24], out[48];
    int p, exp10, nd = 0;
    if (isnan(f)) return jbuf_add(c, b, json ? "NaN" : "nan", json ? 3 : 3);
    if (isinf(f)) {
        const char *s = f > 0 ? (json ? "Infinity" : "inf") : (json ? "-Infinity" : "-inf");
        return jbuf_add(c, b, s, strlen(s));
    }
    for (p = 0; p < 17; p++) {
        snprintf(t, sizeof t, "%.*e", p, f);
        if (strtod(t, NULL) == f) break;
    }
    /* t: [-]d.ddde[+-]XX */
    const char *q = t;
    size_t k = 0;
    int neg = *q == '-';
    if (neg) q++;
    for (; *q && *q != 'e'; q++)
        if (*q != '.') digits[nd++] = *q;
    digits[nd] = 0;
    exp10 = atoi(q + 1);
    while (nd > 1 && digits[nd - 1] == '0') digits[--nd] = 0;
    int decpt = exp10 + 1;
    if (neg) out[k++] = '-';
    if (decpt > -4 && decpt <= 16) {
        if (decpt <= 0) {
            out[k++] = '0';
            out[k++] = '.';
            for (int i = 0; i < -decpt; i++) out[k++] = '0';
            for (int i = 0; i < nd; i++) out[k++] = digits[i];
        } else {
            for (int i = 0; i < decpt; i++) out[k++] = i < nd ? digits[i] : '0';
            out[k++] = '.';
            if (nd > decpt) for (int i = decpt; i < nd; i++) out[k++] = digits[i];
            else out[k++] = '0';
        }
        out[k] = 0;
    } else {
        out[k++] = digits[0];
        if (nd > 1) {
            out[k++] = '.';
            for (int i = 1; i < nd; i++) out[k++] = digits[i];
        }
        snprintf(out + k, sizeof out - k, "e%c%02d", exp10 < 0 ? '-' : '+', exp10 < 0 ? -exp10 : exp10);
    }
    return jbuf_add(c, b, out, strlen(out));
}

static fd_status append(jctx *c, jbuf *b, jv v, int repr, int depth)
{
    char t[32];
    if (depth > MAX_NEST) return jerr(c, FD_ERR_RANGE, 0, "values nested deeper than %d", MAX_NEST);
    switch (v.t) {
    case JV_UNDEF: return repr ? jbuf_add(c, b, "Undefined", 9) : FD_OK;
    case JV_NONE: return jbuf_add(c, b, "None", 4);
    case JV_BOOL: return v.u.b ? jbuf_add(c, b, "True", 4) : jbuf_add(c, b, "False", 5);
    case JV_INT: snprintf(t, sizeof t, "%" PRId64, v.u.i); return jbuf_add(c, b, t, strlen(t));
    case JV_FLOAT: return v.why == JV_BIGINT ? jv_bigint_append(c, b, v.u.f) : jv_float_repr(c, b, v.u.f, 0);
    case JV_STR: return repr ? jv_repr_str(c, b, v.u.s.p, v.u.s.n) : jbuf_add(c, b, v.u.s.p, v.u.s.n);
    case JV_LIST: {
        int tup = v.u.l->tuple;
        if (v.u.l->gen) return jbuf_add(c, b, "<generator object>", 18);
        FD_TRY(jbuf_add(c, b, tup ? "(" : "[", 1));
        for (size_t i = 0; i < v.u.l->n; i++) {
            if (i) FD_TRY(jbuf_add(c, b, ", ", 2));
            FD_TRY(append(c, b, v.u.l->v[i], 1, depth + 1));
        }
        if (tup && v.u.l->n == 1) FD_TRY(jbuf_add(c, b, ",", 1));
        return jbuf_add(c, b, tup ? ")" : "]", 1);
    }
    case JV_DICT:
        if (v.u.d->ns) FD_TRY(jbuf_add(c, b, "<Namespace ", 11));
        FD_TRY(jbuf_add(c, b, "{", 1));
        for (size_t i = 0; i < v.u.d->n; i++) {
            if (i) FD_TRY(jbuf_add(c, b, ", ", 2));
            FD_TRY(append(c, b, v.u.d->k[i], 1, depth + 1));
            FD_TRY(jbuf_add(c, b, ": ", 2));
            FD_TRY(append(c, b, v.u.d->v[i], 1, depth + 1));
        }
        return jbuf_add(c, b, v.u.d->ns ? "}>" : "}", v.u.d->ns ? 2 : 1);
    case JV_FUNC:
        if (v.u.fn->kind == JF_MACRO) {   /* as Jinja prints a macro */
            FD_TRY(jbuf_add(c, b, "<Macro '", 8));
            FD_TRY(jbuf_add(c, b, v.u.fn->name, strlen(v.u.fn->name)));
            return jbuf_add(c, b, "'>", 2);
        }
        FD_TRY(jbuf_add(c, b, "<function ", 10));
        FD_TRY(jbuf_add(c, b, v.u.fn->name, strlen(v.u.fn->name)));
        return jbuf_add(c, b, ">", 1);
    }
    return FD_OK;
}

fd_status jv_str_append(jctx *c, jbuf *b, jv v) { return append(c, b, v, 0, 0); }
fd_status jv_repr_append(jctx *c, jbuf *b, jv v) { return append(c, b, v, 1, 0); }

fd_status jbuf_finish(jctx *c, jbuf *b, fd_status rc, jv *out)
{
    if (rc == FD_OK) rc = jv_strdup(c, b->p ? b->p : "", b->n, out);
    fd_free(b->p);
    b->p = NULL;
    b->n = b->cap = 0;
    return rc;
}

fd_status jv_to_str(jctx *c, jv v, jv *out)
{
    jbuf b = { 0 };
    fd_status rc;
    if (v.t == JV_STR) {
        *out = v;
        return FD_OK;
    }
    if (v.t == JV_UNDEF) {
        *out = jv_str("", 0);
        return FD_OK;
    }
    rc = append(c, &b, v, 0, 0);
    return jbuf_finish(c, &b, rc, out);
}

uint32_t ju_decode(const char *s, size_t n, size_t *len)
{
    const unsigned char *u = (const unsigned char *)s;
    uint32_t c = u[0];
    size_t need = c < 0x80 ? 0 : c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : 0;
    if (need >= n) need = 0;
    for (size_t k = 1; k <= need; k++)
        if ((u[k] & 0xC0) != 0x80) need = 0;
    *len = need + 1;
    if (!need) return c;
    c &= 0x3Fu >> need;
    for (size_t k = 1; k <= need; k++) c = (c << 6) | (u[k] & 0x3F);
    return c;
}

size_t ju_len(const char *s, size_t n)
{
    size_t k = 0, l;
    for (size_t i = 0; i < n; i += l, k++) ju_decode(s + i, n - i, &l);
    return k;
}

size_t ju_off(const char *s, size_t n, size_t k)
{
    size_t i = 0, l;
    for (; i < n && k; k--, i += l) ju_decode(s + i, n - i, &l);
    return i;
}

/* Python's str.isspace. */
int ju_isspace(uint32_t c)
{
    return (c >= 9 && c <= 13) || (c >= 0x1c && c <= 0x20) || c == 0x85 || c == 0xa0 || c == 0x1680 ||
           (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 || c == 0x202f || c == 0x205f || c == 0x3000;
}

static int in_chars(uint32_t cp, const jv *chars)
{
    size_t l;
    if (!chars) return ju_isspace(cp);
    for (size_t i = 0; i < chars->u.s.n; i += l)
        if (ju_decode(chars->u.s.p + i, chars->u.s.n - i, &l) == cp) return 1;
    return 0;
}

jv ju_strip(jv s, const jv *chars, int which)
{
    const char *p = s.u.s.p;
    size_t a = 0, b = s.u.s.n, l;
    if (which & 1)
        while (a < b && in_chars(ju_decode(p + a, b - a, &l), chars)) a += l;
    if (which & 2)
        while (b > a) {
            size_t st = b - 1;
            while (st > a && ((unsigned char)p[st] & 0xC0) == 0x80 && b - st < 4) st--;
            if (!in_chars(ju_decode(p + st, b - st, &l), chars)) break;
            b = st;
        }
    return jv_str(p + a, b - a);
}
