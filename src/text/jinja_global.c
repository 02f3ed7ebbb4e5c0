/* jinja_global.c — Jinja's default globals that keep state or make text:
 * cycler(a, b, ...) (.next(), .reset(), .current), joiner(sep=", ") (a
 * callable giving "" the first time and sep after), and lipsum().
 *
 * Layer: text (internal, see jinja.h). A cycler or joiner is a JV_FUNC whose
 * `self` is a dict of its state in the render arena ({"items", "pos"} or
 * {"sep", "used"}); calls change that dict, the one exception to immutable
 * values besides namespaces (jinja.h). lipsum is random in Jinja, so no
 * template can depend on its words: ours are fixed (a short lorem ipsum,
 * `n` paragraphs, HTML <p> unless html=false), and deterministic. */
#include <stdio.h>
#include <string.h>
#include "base/mem.h"
#include "text/jinja.h"

static fd_status nomem(jctx *c)
{
    if (c->a->over) return jerr(c, FD_ERR_RANGE, 0, "memory limit of %zu bytes reached", c->a->limit);
    return fd_error_set(c->err, FD_ERR_NOMEM, "template: out of memory");
}

static const jv *arg(jv *args, size_t npos, size_t nargs, const char **kw, size_t pos, const char *name)
{
    for (size_t i = npos; i < nargs; i++)
        if (!strcmp(kw[i], name)) return &args[i];
    return pos < npos ? &args[pos] : NULL;
}

static fd_status object(jctx *c, jfunc_kind kind, const char *name, jdict *state, jv *out)
{
    jfunc *f = ja_alloc(c->a, sizeof *f);
    if (!f) return nomem(c);
    memset(f, 0, sizeof *f);
    f->kind = kind;
    f->name = name;
    f->self.t = JV_DICT;
    f->self.u.d = state;
    out->t = JV_FUNC;
    out->u.fn = f;
    return FD_OK;
}

static fd_status lipsum(jctx *c, int line, jv *args, size_t npos, size_t nargs, const char **kw, jv *out)
{
    static const char *const words[] = { "lorem", "ipsum", "dolor", "sit", "amet", "consectetur", "adipiscing",
                                         "elit", "sed", "do", "eiusmod", "tempor", "incididunt", "ut", "labore",
                                         "et", "dolore", "magna", "aliqua" };
    const jv *n = arg(args, npos, nargs, kw, 0, "n"), *html = arg(args, npos, nargs, kw, 1, "html"),
             *lo = arg(args, npos, nargs, kw, 2, "min"), *hi = arg(args, npos, nargs, kw, 3, "max");
    int64_t np = n && n->t == JV_INT ? n->u.i : 5, mn = lo && lo->t == JV_INT ? lo->u.i : 20,
            mx = hi && hi->t == JV_INT ? hi->u.i : 100;
    int h = !html || jv_truthy(*html);
    uint64_t seed = 0x9E3779B97F4A7C15u;
    jbuf b = { 0 };
    fd_status rc = FD_OK;
    if (np < 0 || np > 1000 || mn < 1 || mx > 10000) return jerr(c, FD_ERR_INVALID, line, "lipsum(): bad n, min or max");
    if (mx <= mn) return jerr(c, FD_ERR_INVALID, line, "empty range for randrange() (%lld, %lld)", (long long)mn, (long long)mx);
    for (int64_t p = 0; rc == FD_OK && p < np; p++) {
        int64_t count = mn + (int64_t)((seed = seed * 6364136223846793005u + 1442695040888963407u) >> 33) % (mx - mn);   /* randrange(min, max) */
        if (p) rc = jbuf_add(c, &b, "\n\n", 2);
        if (rc == FD_OK && h) rc = jbuf_add(c, &b, "<p>", 3);
        for (int64_t w = 0; rc == FD_OK && w < count; w++) {
            const char *word = words[(size_t)(p + w) % (sizeof words / sizeof words[0])];
            char first[16];
            if (w) rc = jbuf_add(c, &b, " ", 1);
            snprintf(first, sizeof first, "%s", word);
            if (!w) first[0] = (char)(first[0] - 32);
            if (rc == FD_OK) rc = jbuf_add(c, &b, first, strlen(first));
        }
        if (rc == FD_OK) rc = jbuf_add(c, &b, ".", 1);
        if (rc == FD_OK && h) rc = jbuf_add(c, &b, "</p>", 4);
    }
    FD_TRY(jbuf_finish(c, &b, rc, out));
    out->why = h ? JV_SAFE : 0;   /* Markup when html */
    return FD_OK;
}

fd_status jinja_global_call(jctx *c, int line, const jfunc *f, jv *args, size_t npos, size_t nargs, const char **kw,
                            jv *out)
{
    jdict *st = f->self.u.d;
    switch (f->kind) {
    case JF_LIPSUM: return lipsum(c, line, args, npos, nargs, kw, out);
    case JF_CYCLER: {
        jlist *items = jl_new(c, npos);
        jdict *d = jd_new(c, 2);
        if (!items || !d) return nomem(c);
        if (nargs > npos) return jerr(c, FD_ERR_INVALID, line, "cycler() takes no keyword arguments");
        if (!npos) return jerr(c, FD_ERR_INVALID, line, "at least one item has to be provided");
        memcpy(items->v, args, npos * sizeof(jv));
        items->n = npos;
        FD_TRY(jd_set(c, d, jv_str("items", 5), (jv){ .t = JV_LIST, .u.l = items }));
        FD_TRY(jd_set(c, d, jv_str("pos", 3), jv_int(0)));
        return object(c, JF_CYCLER_OBJ, "Cycler", d, out);
    }
    case JF_JOINER: {
        const jv *sep = arg(args, npos, nargs, kw, 0, "sep");
        jdict *d = jd_new(c, 2);
        if (!d) return nomem(c);
        FD_TRY(jd_set(c, d, jv_str("sep", 3), sep ? *sep : jv_str(", ", 2)));
        FD_TRY(jd_set(c, d, jv_str("used", 4), jv_bool(0)));
        return object(c, JF_JOINER_OBJ, "Joiner", d, out);
    }
    case JF_JOINER_OBJ: {
        const jv *used = jd_gets(st, "used");
        if (nargs) return jerr(c, FD_ERR_INVALID, line, "a joiner takes no arguments");
        *out = used->u.b ? *jd_gets(st, "sep") : jv_str("", 0);
        return jd_set(c, st, jv_str("used", 4), jv_bool(1));
    }
    case JF_CYCLER_NEXT: case JF_CYCLER_RESET: {
        const jlist *items = jd_gets(st, "items")->u.l;
        int64_t pos = jd_gets(st, "pos")->u.i;
        if (nargs) return jerr(c, FD_ERR_INVALID, line, "%s() takes no arguments", f->name);
        if (f->kind == JF_CYCLER_RESET) {
            *out = jv_none();
            return jd_set(c, st, jv_str("pos", 3), jv_int(0));
        }
        *out = items->v[pos];
        return jd_set(c, st, jv_str("pos", 3), jv_int((pos + 1) % (int64_t)items->n));
    }
    case JF_CYCLER_OBJ: return jerr(c, FD_ERR_INVALID, line, "'Cycler' object is not callable");
    default: return jerr(c, FD_ERR_STATE, line, "internal: not a global object");
    }
}

fd_status jinja_global_attr(jctx *c, jv obj, const char *name, jv *out)
{
    const jfunc *f = obj.u.fn;
    if (f->kind == JF_CYCLER_OBJ && !strcmp(name, "current")) {
        *out = jd_gets(f->self.u.d, "items")->u.l->v[jd_gets(f->self.u.d, "pos")->u.i];
        return FD_OK;
    }
    if (f->kind == JF_CYCLER_OBJ && (!strcmp(name, "next") || !strcmp(name, "reset")))
        return object(c, name[0] == 'n' ? JF_CYCLER_NEXT : JF_CYCLER_RESET, name[0] == 'n' ? "next" : "reset",
                      f->self.u.d, out);
    *out = jv_undef_of(obj, name, 0);
    return FD_OK;
}
