/* jinja_json.c — JSON in and out of the interpreter: jansson values (the
 * conversation, tools, documents, extra variables) into interpreter values,
 * and the `tojson` filter as transformers defines it, which is Python's
 * json.dumps(x, ensure_ascii=False, indent=None, separators=None,
 * sort_keys=False) byte for byte.
 *
 * Layer: text (internal, see jinja.h). */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include "base/mem.h"
#include "text/jinja.h"

static fd_status nomem(jctx *c)
{
    if (c->a->over) return jerr(c, FD_ERR_RANGE, 0, "memory limit of %zu bytes reached", c->a->limit);
    return fd_error_set(c->err, FD_ERR_NOMEM, "template: out of memory");
}

fd_status jinja_from_json(jctx *c, const json_t *j, int depth, jv *out)
{
    if (depth > c->max_depth) return jerr(c, FD_ERR_RANGE, 0, "JSON input nested deeper than %d", c->max_depth);
    switch (json_typeof(j)) {
    case JSON_NULL: *out = jv_none(); return FD_OK;
    case JSON_TRUE: *out = jv_bool(1); return FD_OK;
    case JSON_FALSE: *out = jv_bool(0); return FD_OK;
    case JSON_INTEGER: *out = jv_int((int64_t)json_integer_value(j)); return FD_OK;
    case JSON_REAL: *out = jv_float(json_real_value(j)); return FD_OK;
    case JSON_STRING: return jv_strdup(c, json_string_value(j), json_string_length(j), out);
    case JSON_ARRAY: {
        jlist *l = jl_new(c, json_array_size(j));
        if (!l) return nomem(c);
        for (size_t i = 0; i < json_array_size(j); i++) FD_TRY(jinja_from_json(c, json_array_get(j, i), depth + 1, &l->v[l->n++]));
        out->t = JV_LIST;
        out->u.l = l;
        return FD_OK;
    }
    case JSON_OBJECT: {
        jdict *d = jd_new(c, json_object_size(j));
        const char *k;
        json_t *v;
        if (!d) return nomem(c);
        json_object_foreach((json_t *)j, k, v) {
            jv key, val;
            FD_TRY(jv_strdup(c, k, strlen(k), &key));
            FD_TRY(jinja_from_json(c, v, depth + 1, &val));
            FD_TRY(jd_set(c, d, key, val));
        }
        out->t = JV_DICT;
        out->u.d = d;
        return FD_OK;
    }
    }
    return jerr(c, FD_ERR_INVALID, 0, "unknown JSON value");
}

typedef struct dumper {
    jctx *c;
    int line;
    jbuf *b;
    int ascii, sort;
    jv indent;          /* JV_UNDEF: none */
    jv item_sep, key_sep;
} dumper;

static fd_status put(dumper *d, const char *s, size_t n) { return jbuf_add(d->c, d->b, s, n); }

static fd_status dump_str(dumper *d, const char *s, size_t n)
{
    FD_TRY(put(d, "\"", 1));
    for (size_t i = 0, l; i < n; i += l) {
        unsigned char ch = (unsigned char)s[i];
        char e[16];
        l = 1;
        if (ch == '"') FD_TRY(put(d, "\\\"", 2));
        else if (ch == '\\') FD_TRY(put(d, "\\\\", 2));
        else if (ch == '\n') FD_TRY(put(d, "\\n", 2));
        else if (ch == '\r') FD_TRY(put(d, "\\r", 2));
        else if (ch == '\t') FD_TRY(put(d, "\\t", 2));
        else if (ch == '\b') FD_TRY(put(d, "\\b", 2));
        else if (ch == '\f') FD_TRY(put(d, "\\f", 2));
        else if (ch < 0x20 || (d->ascii && ch == 0x7f)) { snprintf(e, sizeof e, "\\u%04x", ch); FD_TRY(put(d, e, 6)); }
        else if (ch < 0x80 || !d->ascii) FD_TRY(put(d, s + i, 1));
        else {
            uint32_t cp = ju_decode(s + i, n - i, &l);
            if (cp >= 0x10000) {
                cp -= 0x10000;
                snprintf(e, sizeof e, "\\u%04x\\u%04x", 0xD800 + (cp >> 10), 0xDC00 + (cp & 0x3FF));
                FD_TRY(put(d, e, 12));
            } else {
                snprintf(e, sizeof e, "\\u%04x", cp);
                FD_TRY(put(d, e, 6));
            }
        }
    }
    return put(d, "\"", 1);
}

static fd_status newline(dumper *d, int level)
{
    if (d->indent.t == JV_UNDEF) return FD_OK;
    FD_TRY(put(d, "\n", 1));
    for (int i = 0; i < level; i++) FD_TRY(put(d, d->indent.u.s.p, d->indent.u.s.n));
    return FD_OK;
}

/* A dict key as json.dumps writes it: strings as they are, numbers/bools/None converted. */
static fd_status key_text(dumper *d, jv k, jv *out)
{
    jbuf b = { 0 };
    fd_status rc;
    if (k.t == JV_STR) { *out = k; return FD_OK; }
    if (k.t == JV_BOOL) { *out = k.u.b ? jv_str("true", 4) : jv_str("false", 5); return FD_OK; }
    if (k.t == JV_NONE) { *out = jv_str("null", 4); return FD_OK; }
    if (k.t != JV_INT && k.t != JV_FLOAT)
        return jerr(d->c, FD_ERR_INVALID, d->line, "tojson: keys must be str, int, float, bool or None, not %s", jv_typename(k));
    rc = k.t == JV_INT ? jv_str_append(d->c, &b, k) : jv_float_repr(d->c, &b, k.u.f, 1);
    if (rc == FD_OK) rc = jv_strdup(d->c, b.p, b.n, out);
    fd_free(b.p);
    return rc;
}

static int key_less(jv a, jv b)
{
    size_t m = a.u.s.n < b.u.s.n ? a.u.s.n : b.u.s.n;
    int r = m ? memcmp(a.u.s.p, b.u.s.p, m) : 0;
    return r ? r < 0 : a.u.s.n < b.u.s.n;
}

static fd_status dump(dumper *d, jv v, int level)
{
    jctx *c = d->c;
    if (level > c->max_depth) return jerr(c, FD_ERR_RANGE, d->line, "tojson: nested deeper than %d", c->max_depth);
    switch (v.t) {
    case JV_NONE: return put(d, "null", 4);
    case JV_BOOL: return v.u.b ? put(d, "true", 4) : put(d, "false", 5);
    case JV_INT: return jv_str_append(c, d->b, v);
    case JV_FLOAT: return v.why == JV_BIGINT ? jv_bigint_append(c, d->b, v.u.f) : jv_float_repr(c, d->b, v.u.f, 1);
    case JV_STR: return dump_str(d, v.u.s.p, v.u.s.n);
    case JV_LIST:
        if (v.u.l->gen) break;   /* a select/map result: a generator in Jinja */
        if (!v.u.l->n) return put(d, "[]", 2);
        FD_TRY(put(d, "[", 1));
        for (size_t i = 0; i < v.u.l->n; i++) {
            if (i) FD_TRY(put(d, d->item_sep.u.s.p, d->item_sep.u.s.n));
            FD_TRY(newline(d, level + 1));
            FD_TRY(dump(d, v.u.l->v[i], level + 1));
        }
        FD_TRY(newline(d, level));
        return put(d, "]", 1);
    case JV_DICT: {
        jdict *m = v.u.d;
        if (m->ns) break;
        if (!m->n) return put(d, "{}", 2);
        jv *keys = ja_alloc(c->a, m->n * sizeof(jv));
        size_t *order = ja_alloc(c->a, m->n * sizeof(size_t));
        if (!keys || !order) return nomem(c);
        for (size_t i = 0; i < m->n; i++) {
            FD_TRY(key_text(d, m->k[i], &keys[i]));
            order[i] = i;
        }
        if (d->sort)   /* insertion sort: stable, and dicts in templates are small */
            for (size_t i = 1; i < m->n; i++)
                for (size_t j = i; j > 0 && key_less(keys[order[j]], keys[order[j - 1]]); j--) {
                    size_t t = order[j];
                    order[j] = order[j - 1];
                    order[j - 1] = t;
                }
        FD_TRY(put(d, "{", 1));
        for (size_t i = 0; i < m->n; i++) {
            if (i) FD_TRY(put(d, d->item_sep.u.s.p, d->item_sep.u.s.n));
            FD_TRY(newline(d, level + 1));
            FD_TRY(dump_str(d, keys[order[i]].u.s.p, keys[order[i]].u.s.n));
            FD_TRY(put(d, d->key_sep.u.s.p, d->key_sep.u.s.n));
            FD_TRY(dump(d, m->v[order[i]], level + 1));
        }
        FD_TRY(newline(d, level));
        return put(d, "}", 1);
    }
    default: break;
    }
    return jerr(c, FD_ERR_INVALID, d->line, "tojson: Object of type %s is not JSON serializable",
                v.t == JV_UNDEF ? "Undefined" : jv_typename(v));
}

static const jv *kwarg(jv *args, size_t npos, size_t nargs, const char **kw, size_t pos, const char *name)
{
    for (size_t i = npos; i < nargs; i++)
        if (!strcmp(kw[i], name)) return &args[i];
    return pos < npos ? &args[pos] : NULL;
}

fd_status jinja_tojson(jctx *c, int line, jv v, jv *args, size_t npos, size_t nargs, const char **kw, jv *out)
{
    jbuf b = { 0 };
    dumper d = { .c = c, .line = line, .b = &b, .indent = jv_undef("") };
    const jv *ea = kwarg(args, npos, nargs, kw, 0, "ensure_ascii"), *ind = kwarg(args, npos, nargs, kw, 1, "indent"),
             *sep = kwarg(args, npos, nargs, kw, 2, "separators"), *sk = kwarg(args, npos, nargs, kw, 3, "sort_keys");
    fd_status rc;
    for (size_t i = npos; i < nargs; i++)
        if (strcmp(kw[i], "ensure_ascii") && strcmp(kw[i], "indent") && strcmp(kw[i], "separators") && strcmp(kw[i], "sort_keys"))
            return jerr(c, FD_ERR_INVALID, line, "tojson() got an unexpected keyword argument '%s'", kw[i]);
    if (npos > 4) return jerr(c, FD_ERR_INVALID, line, "tojson() takes at most 4 arguments");
    d.ascii = ea && jv_truthy(*ea);
    d.sort = sk && jv_truthy(*sk);
    if (ind && ind->t == JV_INT) {
        int64_t k = ind->u.i < 0 ? 0 : ind->u.i > 1000 ? 1000 : ind->u.i;
        char *p = ja_alloc(c->a, (size_t)k + 1);
        if (!p) return nomem(c);
        memset(p, ' ', (size_t)k);
        d.indent = jv_str(p, (size_t)k);
    } else if (ind && ind->t == JV_STR) {
        d.indent = *ind;
    } else if (ind && ind->t != JV_NONE) {
        return jerr(c, FD_ERR_INVALID, line, "tojson(): indent must be an integer, a string or None");
    }
    d.item_sep = d.indent.t == JV_UNDEF ? jv_str(", ", 2) : jv_str(",", 1);
    d.key_sep = jv_str(": ", 2);
    if (sep && sep->t != JV_NONE) {
        if (sep->t != JV_LIST || sep->u.l->n != 2 || sep->u.l->v[0].t != JV_STR || sep->u.l->v[1].t != JV_STR)
            return jerr(c, FD_ERR_INVALID, line, "tojson(): separators must be a pair of strings");
        d.item_sep = sep->u.l->v[0];
        d.key_sep = sep->u.l->v[1];
    }
    rc = dump(&d, v, 0);
    return jbuf_finish(c, &b, rc, out);
}
