/* jinja_filter.c — the filters (`x | name(args)`) and tests (`x is name`)
 * chat templates use, with Jinja's argument conventions and its treatment of
 * undefined values (default() replaces them, length is 0, iteration is empty).
 *
 * Layer: text (internal, see jinja.h). Names Jinja has but we do not
 * implement, and names Jinja does not know, fail when reached (as Jinja 3
 * does for a filter inside a condition), naming the filter or test and the line. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "base/mem.h"
#include "text/jinja.h"

/* The filters we implement and their Python signatures: at most `npos`
 * positional arguments (-1: any), keywords from `kw` (space separated). */
static const struct { const char *name; int npos; const char *kw; } filters_done[] = {
    { "abs", 0, "" }, { "capitalize", 0, "" }, { "count", 0, "" }, { "d", 2, "default_value boolean" },
    { "default", 2, "default_value boolean" }, { "e", 0, "" }, { "escape", 0, "" }, { "first", 0, "" },
    { "float", 1, "default" }, { "indent", 3, "width first blank" }, { "int", 2, "default base" }, { "items", 0, "" },
    { "join", 2, "d attribute" }, { "last", 0, "" }, { "length", 0, "" }, { "list", 0, "" }, { "lower", 0, "" },
    { "map", -1, "attribute default" }, { "reject", -1, "" }, { "rejectattr", -1, "" }, { "replace", 3, "old new count" },
    { "reverse", 0, "" }, { "safe", 0, "" }, { "select", -1, "" }, { "selectattr", -1, "" }, { "string", 0, "" },
    { "title", 0, "" }, { "tojson", 4, "ensure_ascii indent separators sort_keys" }, { "trim", 1, "chars" },
    { "upper", 0, "" }, { "dictsort", 3, "case_sensitive by reverse" }, { "sort", 3, "reverse case_sensitive attribute" },
    { "min", 2, "case_sensitive attribute" }, { "max", 2, "case_sensitive attribute" }, { "format", -1, "*" },
    { NULL, 0, NULL } };
static const char *const filters_refused[] = {
    "attr", "batch", "center", "filesizeformat", "forceescape", "groupby",
    "pprint", "random", "round", "slice", "striptags", "sum", "truncate", "unique", "urlencode", "urlize",
    "wordcount", "wordwrap", "xmlattr", NULL };
static const char *const tests_done[] = {
    "boolean", "callable", "defined", "divisibleby", "eq", "equalto", "even", "false", "float", "ge", "greaterthan",
    "gt", "in", "integer", "iterable", "le", "lessthan", "lower", "lt", "mapping", "ne", "none", "number", "odd",
    "sameas", "sequence", "string", "true", "undefined", "upper", "==", "!=", "<", "<=", ">", ">=", NULL };
static const char *const tests_refused[] = { "escaped", "filter", "test", NULL };

static int listed(const char *const *l, const char *name)
{
    for (; *l; l++)
        if (!strcmp(*l, name)) return 1;
    return 0;
}

static int filter_index(const char *name)
{
    for (int i = 0; filters_done[i].name; i++)
        if (!strcmp(filters_done[i].name, name)) return i;
    return -1;
}

int jinja_filter_known(const char *name) { return filter_index(name) >= 0 ? 1 : listed(filters_refused, name) ? 2 : 0; }

/* Python's TypeError for arguments a filter does not take. */
static fd_status check_args(jctx *c, int line, const char *f, size_t npos, size_t nargs, const char **kw)
{
    int i = filter_index(f);
    if (filters_done[i].npos >= 0 && npos > (size_t)filters_done[i].npos)
        return jerr(c, FD_ERR_INVALID, line, "the '%s' filter takes at most %d argument%s, %zu given", f,
                    filters_done[i].npos, filters_done[i].npos == 1 ? "" : "s", npos);
    for (size_t k = npos; k < nargs && strcmp(filters_done[i].kw, "*"); k++) {   /* "*": any keyword */
        const char *l = filters_done[i].kw, *hit = NULL;
        size_t n = strlen(kw[k]);
        for (const char *p = l; (p = strstr(p, kw[k])); p += n)
            if ((p == l || p[-1] == ' ') && (p[n] == ' ' || !p[n])) hit = p;
        if (!hit) return jerr(c, FD_ERR_INVALID, line, "the '%s' filter got an unexpected keyword argument '%s'", f, kw[k]);
    }
    return FD_OK;
}
int jinja_test_known(const char *name) { return listed(tests_done, name) ? 1 : listed(tests_refused, name) ? 2 : 0; }

static fd_status nomem(jctx *c)
{
    if (c->a->over) return jerr(c, FD_ERR_RANGE, 0, "memory limit of %zu bytes reached", c->a->limit);
    return fd_error_set(c->err, FD_ERR_NOMEM, "template: out of memory");
}

static fd_status run_test(jctx *c, int line, const char *name, jv v, jv *args, size_t n, int *out);
static fd_status run_filter(jctx *c, int line, const char *name, jv v, jv *args, size_t npos, size_t nargs,
                            const char **kw, jv *out);

/* Keyword `name` or positional argument `pos` (-1: keyword only); NULL if absent. */
static const jv *arg(jv *args, size_t npos, size_t nargs, const char **kw, int pos, const char *name)
{
    for (size_t i = npos; i < nargs; i++)
        if (!strcmp(kw[i], name)) return &args[i];
    return pos >= 0 && (size_t)pos < npos ? &args[pos] : NULL;
}

fd_status jinja_seq(jctx *c, int line, jv v, jlist **out)
{
    if (v.t == JV_LIST) { *out = v.u.l; return FD_OK; }
    jlist *l = jl_new(c, 0);
    if (!l) return nomem(c);
    *out = l;
    if (v.t == JV_UNDEF) return FD_OK;
    if (v.t == JV_DICT) {
        for (size_t i = 0; i < v.u.d->n; i++) FD_TRY(jl_push(c, l, v.u.d->k[i]));
        return FD_OK;
    }
    if (v.t == JV_STR) {
        size_t len;
        for (size_t i = 0; i < v.u.s.n; i += len) {
            ju_decode(v.u.s.p + i, v.u.s.n - i, &len);
            FD_TRY(jl_push(c, l, jv_str(v.u.s.p + i, len)));
        }
        return FD_OK;
    }
    return jerr(c, FD_ERR_INVALID, line, "'%s' object is not iterable", jv_typename(v));
}


/* Jinja's select/reject/map start with `if value:`: a false value (none, 0, "",
 * an empty list) gives an empty generator, not a "not iterable" error. */
static fd_status empty_gen(jctx *c, jv *out)
{
    jlist *l = jl_new(c, 0);
    if (!l) return nomem(c);
    l->gen = 1;
    *out = jv_list(l);
    return FD_OK;
}

/* item.a.b: each part looked up as an item first, then an attribute (Jinja's attrgetter). */
fd_status jinja_attr_path(jctx *c, int line, jv item, jv path, jv *out)
{
    if (path.t == JV_INT) return jinja_getitem(c, line, item, path, out);
    if (path.t != JV_STR) return jerr(c, FD_ERR_INVALID, line, "attribute name must be a string");
    size_t st = 0;
    *out = item;
    for (size_t i = 0; i <= path.u.s.n; i++) {
        if (i < path.u.s.n && path.u.s.p[i] != '.') continue;
        jv part = jv_str(path.u.s.p + st, i - st);
        if (out->t == JV_UNDEF) return FD_OK;
        FD_TRY(jinja_getitem(c, line, *out, part, out));
        st = i + 1;
    }
    return FD_OK;
}

/* select / reject / selectattr / rejectattr. */
static fd_status select_items(jctx *c, int line, jv in, jv *args, size_t n, int attr, int keep, jv *out)
{
    jlist *seq, *res;
    if (!jv_truthy(in)) return empty_gen(c, out);
    FD_TRY(jinja_seq(c, line, in, &seq));
    if (attr && !n) return jerr(c, FD_ERR_INVALID, line, "%sattr() needs an attribute name", keep ? "select" : "reject");
    size_t ti = attr ? 1 : 0;
    char tname[64] = "";
    if (n > ti) {
        if (args[ti].t != JV_STR || args[ti].u.s.n >= sizeof tname) return jerr(c, FD_ERR_INVALID, line, "test name must be a string");
        memcpy(tname, args[ti].u.s.p, args[ti].u.s.n);
        tname[args[ti].u.s.n] = 0;
        if (jinja_test_known(tname) != 1) return jerr(c, FD_ERR_UNSUPPORTED, line, "no test named '%s'", tname);
    }
    if (!(res = jl_new(c, seq->n))) return nomem(c);
    for (size_t i = 0; i < seq->n; i++) {
        jv v = seq->v[i];
        int r;
        FD_TRY(jstep(c, line));
        if (attr) FD_TRY(jinja_attr_path(c, line, v, args[0], &v));
        if (tname[0]) FD_TRY(run_test(c, line, tname, v, args + ti + 1, n - ti - 1, &r));
        else r = jv_truthy(v);
        if (r == keep) res->v[res->n++] = seq->v[i];
    }
    res->gen = 1;
    *out = jv_list(res);
    return FD_OK;
}

static fd_status map(jctx *c, int line, jv in, jv *args, size_t npos, size_t nargs, const char **kw, jv *out)
{
    jlist *seq, *res;
    const jv *at = arg(args, npos, nargs, kw, -1, "attribute"), *dflt = arg(args, npos, nargs, kw, -1, "default");
    char fname[64];
    if (!jv_truthy(in)) return empty_gen(c, out);
    FD_TRY(jinja_seq(c, line, in, &seq));
    if (!at) {
        if (!npos || args[0].t != JV_STR || args[0].u.s.n >= sizeof fname)
            return jerr(c, FD_ERR_INVALID, line, "map() needs a filter name or attribute=");
        memcpy(fname, args[0].u.s.p, args[0].u.s.n);
        fname[args[0].u.s.n] = 0;
        if (jinja_filter_known(fname) != 1) return jerr(c, FD_ERR_UNSUPPORTED, line, "no filter named '%s'", fname);
    }
    if (!(res = jl_new(c, seq->n))) return nomem(c);
    for (size_t i = 0; i < seq->n; i++) {
        jv v;
        FD_TRY(jstep(c, line));
        if (at) {
            FD_TRY(jinja_attr_path(c, line, seq->v[i], *at, &v));
            if (v.t == JV_UNDEF && dflt) v = *dflt;
        } else {
            FD_TRY(run_filter(c, line, fname, seq->v[i], args + 1, npos - 1, nargs - 1, kw + 1, &v));
        }
        res->v[res->n++] = v;
    }
    res->gen = 1;
    *out = jv_list(res);
    return FD_OK;
}

static fd_status join(jctx *c, int line, jv in, jv *args, size_t npos, size_t nargs, const char **kw, jv *out)
{
    const jv *sep = arg(args, npos, nargs, kw, 0, "d"), *at = arg(args, npos, nargs, kw, 1, "attribute");
    jlist *seq;
    jbuf b = { 0 };
    fd_status rc;
    jv s;
    FD_TRY(jinja_seq(c, line, in, &seq));
    rc = FD_OK;
    if (sep && (rc = jv_to_str(c, *sep, &s)) != FD_OK) return rc;
    for (size_t i = 0; rc == FD_OK && i < seq->n; i++) {
        jv v = seq->v[i];
        if (i && sep) rc = jbuf_add(c, &b, s.u.s.p, s.u.s.n);
        if (rc == FD_OK && at) rc = jinja_attr_path(c, line, v, *at, &v);
        if (rc == FD_OK) rc = jv_str_append(c, &b, v);
    }
    return jbuf_finish(c, &b, rc, out);
}

/* Python's int() of a double: exact. Beyond 64 bits the value stays a double
 * marked JV_BIGINT (printed as its exact integer); inf is Python's OverflowError. */
static fd_status float_to_int(jctx *c, int line, double f, jv *out)
{
    f = trunc(f);
    if (isinf(f)) return jerr(c, FD_ERR_INVALID, line, "cannot convert float infinity to integer");
    if (f >= -9223372036854775808.0 && f < 9223372036854775808.0) {   /* the cast is defined only in range */
        *out = jv_int((int64_t)f);
        return FD_OK;
    }
    *out = jv_float(f);
    out->why = JV_BIGINT;
    return FD_OK;
}

/* Jinja's int / float filters: the number, a string parsed (int(s, base), or
 * through float for "4.2"), else the default; NaN to int is the default. */
static fd_status to_number(jctx *c, int line, jv v, int want_int, const jv *dflt, const jv *basev, jv *out)
{
    int base = basev && basev->t == JV_INT && basev->u.i >= 2 && basev->u.i <= 36 ? (int)basev->u.i : 10;
    *out = dflt ? *dflt : want_int ? jv_int(0) : jv_float(0.0);
    if (v.t == JV_INT || v.t == JV_BOOL) { *out = want_int ? jv_int(v.t == JV_INT ? v.u.i : v.u.b) : jv_float(v.t == JV_INT ? (double)v.u.i : v.u.b); return FD_OK; }
    if (v.t == JV_FLOAT) {
        if (!want_int) *out = jv_float(v.u.f), out->why = 0;
        else if (v.why == JV_BIGINT) *out = v;
        else if (!isnan(v.u.f)) return float_to_int(c, line, v.u.f, out);
        return FD_OK;
    }
    if (v.t != JV_STR || v.u.s.n > 400) return FD_OK;
    char buf[408], *end;
    jv t = ju_strip(v, NULL, 3);
    memcpy(buf, t.u.s.p, t.u.s.n);
    buf[t.u.s.n] = 0;
    if (!buf[0] || memchr(t.u.s.p, 0, t.u.s.n)) return FD_OK;
    errno = 0;
    long long i = strtoll(buf, &end, want_int ? base : 10);
    if (!*end && errno == ERANGE && want_int)
        return jerr(c, FD_ERR_UNSUPPORTED, line, "integers beyond 64 bits (%.40s) are not supported", buf);
    if (!*end && !errno) { *out = want_int ? jv_int(i) : jv_float((double)i); return FD_OK; }
    double f = strtod(buf, &end);
    if (*end || (buf[0] == '0' && (buf[1] == 'x' || buf[1] == 'X')) || (buf[0] && buf[1] == '0' && (buf[2] == 'x' || buf[2] == 'X')))
        return FD_OK;   /* C's hex floats are not Python's */
    if (!want_int) *out = jv_float(f);
    else if (isfinite(f)) return float_to_int(c, line, f, out);   /* Jinja catches the string's OverflowError */
    return FD_OK;
}

/* Bytes of the line break at p (Python's str.splitlines boundaries), 0 if none. */
static size_t line_break(const char *p, size_t n)
{
    size_t l;
    uint32_t cp = ju_decode(p, n, &l);
    if (cp == '\r' && n > 1 && p[1] == '\n') return 2;
    if (cp == '\n' || cp == '\r' || cp == 0x0b || cp == 0x0c || (cp >= 0x1c && cp <= 0x1e) || cp == 0x85 ||
        cp == 0x2028 || cp == 0x2029)
        return l;
    return 0;
}

static fd_status indent(jctx *c, jv s, jv *args, size_t npos, size_t nargs, const char **kw, jv *out)
{
    const jv *w = arg(args, npos, nargs, kw, 0, "width"), *first = arg(args, npos, nargs, kw, 1, "first"),
             *blank = arg(args, npos, nargs, kw, 2, "blank");
    jv ind = jv_str("    ", 4);
    jbuf b = { 0 };
    fd_status rc = FD_OK;
    if (w && w->t == JV_STR) ind = *w;
    if (w && w->t == JV_INT) {
        char *p = ja_alloc(c->a, w->u.i > 0 && w->u.i < 1000 ? (size_t)w->u.i + 1 : 1);
        if (!p) return nomem(c);
        size_t k = w->u.i > 0 && w->u.i < 1000 ? (size_t)w->u.i : 0;
        memset(p, ' ', k);
        ind = jv_str(p, k);
    }
    /* Jinja: lines = (s + "\n").splitlines(); the first as is, the others indented unless empty (or blank=) */
    int all = blank && jv_truthy(*blank);
    size_t i = 0, line_no = 0, br = 1;
    if (first && jv_truthy(*first)) rc = jbuf_add(c, &b, ind.u.s.p, ind.u.s.n);
    while (rc == FD_OK && br) {   /* the text after the last break is a line too, even when empty */
        size_t st = i, l = 0;
        while (i < s.u.s.n && !(br = line_break(s.u.s.p + i, s.u.s.n - i))) {
            ju_decode(s.u.s.p + i, s.u.s.n - i, &l);
            i += l;
        }
        if (i >= s.u.s.n) br = 0;
        if (line_no++) rc = jbuf_add(c, &b, "\n", 1);
        if (rc == FD_OK && line_no > 1 && (all || i > st)) rc = jbuf_add(c, &b, ind.u.s.p, ind.u.s.n);
        if (rc == FD_OK) rc = jbuf_add(c, &b, s.u.s.p + st, i - st);
        i += br;
    }
    return jbuf_finish(c, &b, rc, out);
}

/* Jinja's title filter: a capital after runs of - whitespace ( { [ <, lower case elsewhere. */
static fd_status jinja_title(jctx *c, jv s, jv *out)
{
    jbuf b = { 0 };
    fd_status rc = FD_OK;
    int start = 1;
    for (size_t i = 0, l; rc == FD_OK && i < s.u.s.n; i += l) {
        uint32_t cp = ju_decode(s.u.s.p + i, s.u.s.n - i, &l);
        int sep = cp == '-' || cp == '(' || cp == '{' || cp == '[' || cp == '<' || ju_isspace(cp);
        jv ch;
        rc = jinja_case(c, jv_str(s.u.s.p + i, l), sep ? 'n' : start ? 'u' : 'l', &ch);
        if (rc == FD_OK) rc = jbuf_add(c, &b, ch.u.s.p, ch.u.s.n);
        start = sep;
    }
    return jbuf_finish(c, &b, rc, out);
}

fd_status jv_escape(jctx *c, jv v, jv *out)
{
    jbuf b = { 0 };
    fd_status rc = FD_OK;
    jv s;
    if (v.t == JV_STR && v.why == JV_SAFE) {
        *out = v;
        return FD_OK;
    }
    FD_TRY(jv_to_str(c, v, &s));
    for (size_t i = 0; rc == FD_OK && i < s.u.s.n; i++) {
        char ch = s.u.s.p[i];
        const char *r = ch == '&' ? "&amp;" : ch == '<' ? "&lt;" : ch == '>' ? "&gt;" : ch == '"' ? "&#34;" : ch == '\'' ? "&#39;" : NULL;
        rc = r ? jbuf_add(c, &b, r, strlen(r)) : jbuf_add(c, &b, &ch, 1);
    }
    FD_TRY(jbuf_finish(c, &b, rc, out));
    out->why = JV_SAFE;
    return FD_OK;
}

static fd_status run_filter(jctx *c, int line, const char *f, jv v, jv *args, size_t npos, size_t nargs,
                            const char **kw, jv *out)
{
    jv s;
    jlist *seq;
    if (jinja_filter_known(f) == 2) return jerr(c, FD_ERR_UNSUPPORTED, line, "the '%s' filter is not supported", f);
    if (!jinja_filter_known(f)) return jerr(c, FD_ERR_INVALID, line, "no filter named '%s'", f);
    FD_TRY(check_args(c, line, f, npos, nargs, kw));
    if (!strcmp(f, "default") || !strcmp(f, "d")) {
        const jv *d = arg(args, npos, nargs, kw, 0, "default_value"), *b = arg(args, npos, nargs, kw, 1, "boolean");
        int use = v.t == JV_UNDEF || (b && jv_truthy(*b) && !jv_truthy(v));
        *out = use ? (d ? *d : jv_str("", 0)) : v;
        return FD_OK;
    }
    if (!strcmp(f, "length") || !strcmp(f, "count")) {
        if (v.t == JV_STR) *out = jv_int((int64_t)ju_len(v.u.s.p, v.u.s.n));
        else if (v.t == JV_LIST && v.u.l->gen) return jerr(c, FD_ERR_INVALID, line, "object of type 'generator' has no len() (add |list)");
        else if (v.t == JV_LIST) *out = jv_int((int64_t)v.u.l->n);
        else if (v.t == JV_DICT) *out = jv_int((int64_t)v.u.d->n);
        else if (v.t == JV_UNDEF) *out = jv_int(0);
        else return jerr(c, FD_ERR_INVALID, line, "object of type '%s' has no len()", jv_typename(v));
        return FD_OK;
    }
    if (!strcmp(f, "safe")) {   /* Markup(str(v)) */
        FD_TRY(jv_to_str(c, v, out));
        out->why = JV_SAFE;
        return FD_OK;
    }
    if (!strcmp(f, "e") || !strcmp(f, "escape")) return jv_escape(c, v, out);
    if (!strcmp(f, "tojson")) return jinja_tojson(c, line, v, args, npos, nargs, kw, out);
    if (!strcmp(f, "join")) return join(c, line, v, args, npos, nargs, kw, out);
    if (!strcmp(f, "map")) return map(c, line, v, args, npos, nargs, kw, out);
    if (!strcmp(f, "select") || !strcmp(f, "reject")) return select_items(c, line, v, args, npos, 0, f[0] == 's', out);
    if (!strcmp(f, "selectattr") || !strcmp(f, "rejectattr")) return select_items(c, line, v, args, npos, 1, f[0] == 's', out);
    if (!strcmp(f, "dictsort") || !strcmp(f, "sort") || !strcmp(f, "min") || !strcmp(f, "max"))
        return jinja_sort_filter(c, line, f, v, args, npos, nargs, kw, out);
    if (!strcmp(f, "format")) {   /* Jinja: str(value) % (kwargs or args) */
        jv a = { .t = JV_LIST };
        if (npos && nargs > npos) return jerr(c, FD_ERR_INVALID, line, "can't handle positional and keyword arguments at the same time");
        FD_TRY(jv_to_str(c, v, &s));
        if (nargs > npos) {
            jdict *d = jd_new(c, nargs - npos);
            if (!d) return nomem(c);
            for (size_t i = npos; i < nargs; i++) FD_TRY(jd_set(c, d, jv_str(kw[i], strlen(kw[i])), args[i]));
            a.t = JV_DICT;
            a.u.d = d;
        } else {
            if (!(a.u.l = jl_new(c, npos))) return nomem(c);
            if (npos) memcpy(a.u.l->v, args, npos * sizeof(jv));
            a.u.l->n = npos;
            a.u.l->tuple = 1;
        }
        return jinja_percent(c, line, s, a, out);
    }
    if (!strcmp(f, "int") || !strcmp(f, "float"))
        return to_number(c, line, v, f[0] == 'i', arg(args, npos, nargs, kw, 0, "default"),
                         f[0] == 'i' ? arg(args, npos, nargs, kw, 1, "base") : NULL, out);
    if (!strcmp(f, "abs")) {
        if (v.t == JV_INT && v.u.i != INT64_MIN) *out = jv_int(v.u.i < 0 ? -v.u.i : v.u.i);
        else if (v.t == JV_FLOAT) *out = jv_float(v.u.f < 0 ? -v.u.f : v.u.f);
        else return jerr(c, FD_ERR_INVALID, line, "bad operand type for abs(): '%s'", jv_typename(v));
        return FD_OK;
    }
    if (!strcmp(f, "items")) {
        jv m;
        if (v.t == JV_UNDEF) { jlist *l = jl_new(c, 0); if (!l) return nomem(c); *out = jv_list(l); return FD_OK; }
        if (v.t != JV_DICT) return jerr(c, FD_ERR_INVALID, line, "items filter: %s is not a mapping", jv_typename(v));
        FD_TRY(jinja_getattr(c, line, v, "items", &m));
        return jinja_call(c, line, m, NULL, 0, 0, NULL, out);
    }
    if (!strcmp(f, "first") || !strcmp(f, "last")) {
        if (f[0] == 'l' && v.t == JV_LIST && v.u.l->gen) return jerr(c, FD_ERR_INVALID, line, "'generator' object is not reversible (add |list)");
        FD_TRY(jinja_seq(c, line, v, &seq));
        *out = seq->n ? seq->v[f[0] == 'f' ? 0 : seq->n - 1] : jv_undef("");
        return FD_OK;
    }
    if (!strcmp(f, "list")) {
        FD_TRY(jinja_seq(c, line, v, &seq));
        jlist *l = jl_new(c, seq->n);
        if (!l) return nomem(c);
        memcpy(l->v, seq->v, seq->n * sizeof(jv));
        l->n = seq->n;
        *out = jv_list(l);
        return FD_OK;
    }
    if (!strcmp(f, "reverse")) {
        FD_TRY(jinja_seq(c, line, v, &seq));
        jlist *l = jl_new(c, seq->n);
        if (!l) return nomem(c);
        for (size_t i = 0; i < seq->n; i++) l->v[l->n++] = seq->v[seq->n - 1 - i];
        if (v.t != JV_STR) { *out = jv_list(l); return FD_OK; }
        return run_filter(c, line, "join", jv_list(l), NULL, 0, 0, NULL, out);
    }
    /* the rest work on str(v) */
    FD_TRY(jv_to_str(c, v, &s));
    if (!strcmp(f, "string")) { *out = s; return FD_OK; }
    if (!strcmp(f, "trim")) {
        const jv *ch = arg(args, npos, nargs, kw, 0, "chars");
        *out = ju_strip(s, ch && ch->t == JV_STR ? ch : NULL, 3);
        return FD_OK;
    }
    if (!strcmp(f, "upper")) return jinja_case(c, s, 'u', out);
    if (!strcmp(f, "lower")) return jinja_case(c, s, 'l', out);
    if (!strcmp(f, "title")) return jinja_title(c, s, out);
    if (!strcmp(f, "capitalize")) return jinja_case(c, s, 'c', out);
    if (!strcmp(f, "indent")) return indent(c, s, args, npos, nargs, kw, out);
    if (!strcmp(f, "replace")) {
        jv m;
        FD_TRY(jinja_getattr(c, line, s, "replace", &m));
        return jinja_call(c, line, m, args, npos, npos, kw, out);
    }
    return jerr(c, FD_ERR_UNSUPPORTED, line, "the '%s' filter is not supported", f);
}

fd_status jinja_filter(jctx *c, const jnode *n, jv in, jv *args, size_t npos, size_t nargs, const char **kwnames,
                       jv *out)
{
    return run_filter(c, n->line, n->name, in, args, npos, nargs, kwnames, out);
}

static int is_intv(jv v) { return v.t == JV_INT; }

static fd_status run_test(jctx *c, int line, const char *t, jv v, jv *args, size_t n, int *out)
{
    int r;
    static const char *const one_arg[] = { "divisibleby", "sameas", "in", "eq", "equalto", "==", "ne", "!=", "lt",
                                           "lessthan", "<", "le", "<=", "gt", "greaterthan", ">", "ge", ">=", NULL };
    if (jinja_test_known(t) == 2) return jerr(c, FD_ERR_UNSUPPORTED, line, "the '%s' test is not supported", t);
    if (!jinja_test_known(t)) return jerr(c, FD_ERR_INVALID, line, "no test named '%s'", t);
    if (n != (size_t)listed(one_arg, t)) return jerr(c, FD_ERR_INVALID, line, "the '%s' test takes %d argument%s", t,
                                                     listed(one_arg, t), listed(one_arg, t) ? "" : "s");
    if (!strcmp(t, "defined")) *out = v.t != JV_UNDEF;
    else if (!strcmp(t, "undefined")) *out = v.t == JV_UNDEF;
    else if (!strcmp(t, "none")) *out = v.t == JV_NONE;
    else if (!strcmp(t, "string")) *out = v.t == JV_STR;
    else if (!strcmp(t, "mapping")) *out = v.t == JV_DICT && !v.u.d->ns;
    else if (!strcmp(t, "iterable")) *out = v.t == JV_STR || v.t == JV_LIST || (v.t == JV_DICT && !v.u.d->ns) || v.t == JV_UNDEF;
    else if (!strcmp(t, "sequence")) *out = v.t == JV_STR || v.t == JV_LIST || (v.t == JV_DICT && !v.u.d->ns) || v.t == JV_UNDEF;
    else if (!strcmp(t, "number")) *out = v.t == JV_INT || v.t == JV_FLOAT || v.t == JV_BOOL;
    else if (!strcmp(t, "integer")) *out = v.t == JV_INT || (v.t == JV_FLOAT && v.why == JV_BIGINT);
    else if (!strcmp(t, "float")) *out = v.t == JV_FLOAT && v.why != JV_BIGINT;
    else if (!strcmp(t, "boolean")) *out = v.t == JV_BOOL;
    else if (!strcmp(t, "true")) *out = v.t == JV_BOOL && v.u.b;
    else if (!strcmp(t, "false")) *out = v.t == JV_BOOL && !v.u.b;
    else if (!strcmp(t, "callable")) *out = v.t == JV_FUNC || v.t == JV_UNDEF;   /* Jinja's Undefined has __call__ */
    else if (!strcmp(t, "lower") || !strcmp(t, "upper")) {
        jv cased;
        if (v.t != JV_STR) { *out = 0; return FD_OK; }
        FD_TRY(jinja_case(c, v, t[0] == 'l' ? 'u' : 'l', &cased));   /* has a cased char of the other kind? */
        jv same;
        FD_TRY(jinja_case(c, v, t[0], &same));
        *out = same.u.s.n == v.u.s.n && !memcmp(same.u.s.p, v.u.s.p, v.u.s.n) &&
               !(cased.u.s.n == v.u.s.n && !memcmp(cased.u.s.p, v.u.s.p, v.u.s.n));
    } else if (!strcmp(t, "even") || !strcmp(t, "odd") || !strcmp(t, "divisibleby")) {
        int64_t d = t[0] == 'd' ? (n && is_intv(args[0]) ? args[0].u.i : 0) : 2;
        if (!is_intv(v) || !d) return jerr(c, FD_ERR_INVALID, line, "the '%s' test needs integers", t);
        *out = t[0] == 'o' ? v.u.i % 2 != 0 : v.u.i % d == 0;
    } else if (!strcmp(t, "sameas")) {
        if (n != 1) return jerr(c, FD_ERR_INVALID, line, "sameas needs one argument");
        *out = v.t == args[0].t && (v.t == JV_NONE || v.t == JV_UNDEF || (v.t == JV_BOOL && v.u.b == args[0].u.b) ||
                                    (v.t == JV_LIST && v.u.l == args[0].u.l) || (v.t == JV_DICT && v.u.d == args[0].u.d));
    } else if (!strcmp(t, "in")) {
        if (n != 1) return jerr(c, FD_ERR_INVALID, line, "the 'in' test needs one argument");
        if (args[0].t == JV_STR && v.t == JV_STR) {
            *out = 0;
            for (size_t i = 0; !*out && i + v.u.s.n <= args[0].u.s.n; i++) *out = !memcmp(args[0].u.s.p + i, v.u.s.p, v.u.s.n);
        } else if (args[0].t == JV_LIST) {
            *out = 0;
            for (size_t i = 0; !*out && i < args[0].u.l->n; i++) *out = jv_eq(v, args[0].u.l->v[i]);
        } else if (args[0].t == JV_DICT) {
            *out = jd_get(args[0].u.d, v) != NULL;
        } else {
            return jerr(c, FD_ERR_INVALID, line, "argument of type '%s' is not iterable", jv_typename(args[0]));
        }
    } else {   /* comparisons */
        if (n != 1) return jerr(c, FD_ERR_INVALID, line, "the '%s' test needs one argument", t);
        if (!strcmp(t, "eq") || !strcmp(t, "equalto") || !strcmp(t, "==")) { *out = jv_eq(v, args[0]); return FD_OK; }
        if (!strcmp(t, "ne") || !strcmp(t, "!=")) { *out = !jv_eq(v, args[0]); return FD_OK; }
        FD_TRY(jv_cmp(c, line, v, args[0], &r));
        if (!strcmp(t, "lt") || !strcmp(t, "lessthan") || !strcmp(t, "<")) *out = r < 0;
        else if (!strcmp(t, "le") || !strcmp(t, "<=")) *out = r <= 0;
        else if (!strcmp(t, "gt") || !strcmp(t, "greaterthan") || !strcmp(t, ">")) *out = r > 0;
        else *out = r >= 0;
    }
    return FD_OK;
}

fd_status jinja_test(jctx *c, const jnode *n, jv in, jv *args, size_t nargs, int *out)
{
    return run_test(c, n->line, n->name, in, args, nargs, out);
}
