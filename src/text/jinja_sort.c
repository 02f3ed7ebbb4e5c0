/* jinja_sort.c — the ordering filters: dictsort, sort, min and max, with
 * Jinja's keys (attribute paths, "a,b" for several, case folded unless
 * case_sensitive) and Python's sorted(): stable, also when reversed.
 *
 * Layer: text (internal, see jinja.h). A merge sort, because comparing can
 * fail (a str against an int): the first error stops it and is returned. */
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

/* Jinja's ignore_case: strings lowered, other values as they are. */
static fd_status fold(jctx *c, int fold_case, jv v, jv *out)
{
    if (fold_case && v.t == JV_STR) return jinja_case(c, v, 'l', out);
    *out = v;
    return FD_OK;
}

/* The key of item: the value at the attribute path (none: the item), folded.
 * multi (sort): Jinja's make_multi_attrgetter, whose key is a list with one
 * value per comma-separated path ("role,name"). */
static fd_status key_of(jctx *c, int line, jv item, const jv *attr, int fold_case, int multi, jv *out)
{
    int none = !attr || attr->t == JV_NONE;
    if (!multi || none || attr->t != JV_STR) {
        jv k = item;
        if (!none) FD_TRY(jinja_attr_path(c, line, item, *attr, &k));
        FD_TRY(fold(c, fold_case, k, out));
        if (!multi) return FD_OK;
        jlist *l = jl_new(c, 1);
        if (!l) return nomem(c);
        l->v[l->n++] = *out;
        *out = jv_list(l);
        return FD_OK;
    }
    jlist *l = jl_new(c, 2);
    if (!l) return nomem(c);
    for (const char *p = attr->u.s.p, *end = p + attr->u.s.n;;) {
        const char *comma = memchr(p, ',', (size_t)(end - p)), *stop = comma ? comma : end;
        jv k;
        FD_TRY(jinja_attr_path(c, line, item, jv_str(p, (size_t)(stop - p)), &k));
        FD_TRY(fold(c, fold_case, k, &k));
        FD_TRY(jl_push(c, l, k));
        if (!comma) break;
        p = comma + 1;
    }
    *out = jv_list(l);
    return FD_OK;
}

/* Sorts idx[0..n) by keys[idx[i]], stably; tmp has room for n. */
static fd_status msort(jctx *c, int line, const jv *keys, size_t *idx, size_t *tmp, size_t n, int rev)
{
    if (n < 2) return FD_OK;
    size_t h = n / 2, i = 0, j = h, k = 0;
    FD_TRY(msort(c, line, keys, idx, tmp, h, rev));
    FD_TRY(msort(c, line, keys, idx + h, tmp, n - h, rev));
    while (i < h && j < n) {
        int r;
        /* take from the right only when it is strictly first: equal keys keep their order */
        FD_TRY(jv_cmp(c, line, keys[idx[j]], keys[idx[i]], &r));
        if (rev) r = -r;
        tmp[k++] = r < 0 ? idx[j++] : idx[i++];
    }
    while (i < h) tmp[k++] = idx[i++];
    while (j < n) tmp[k++] = idx[j++];
    memcpy(idx, tmp, n * sizeof *idx);
    return FD_OK;
}

static fd_status sorted(jctx *c, int line, jlist *items, const jv *keys, int rev, jv *out)
{
    size_t n = items->n, *idx = fd_malloc((2 * n + 1) * sizeof *idx);
    jlist *l = jl_new(c, n);
    fd_status rc = FD_OK;
    if (!idx || !l) {
        fd_free(idx);
        return nomem(c);
    }
    for (size_t i = 0; i < n; i++) idx[i] = i;
    rc = msort(c, line, keys, idx, idx + n, n, rev);
    for (size_t i = 0; rc == FD_OK && i < n; i++) l->v[l->n++] = items->v[idx[i]];
    fd_free(idx);
    if (rc == FD_OK) *out = jv_list(l);
    return rc;
}

fd_status jinja_sort_filter(jctx *c, int line, const char *f, jv in, jv *args, size_t npos, size_t nargs,
                            const char **kw, jv *out)
{
    int dict = !strcmp(f, "dictsort"), srt = !strcmp(f, "sort"), mx = !strcmp(f, "max");
    const jv *cs = arg(args, npos, nargs, kw, dict ? 0 : srt ? 1 : 0, "case_sensitive");
    const jv *rev = dict ? arg(args, npos, nargs, kw, 2, "reverse") : srt ? arg(args, npos, nargs, kw, 0, "reverse") : NULL;
    const jv *by = dict ? arg(args, npos, nargs, kw, 1, "by") : NULL;
    const jv *at = dict ? NULL : arg(args, npos, nargs, kw, srt ? 2 : 1, "attribute");
    int fold_case = !(cs && jv_truthy(*cs));
    jlist *items;
    if (dict) {
        size_t pos = 0;
        if (in.t != JV_DICT || in.u.d->ns) return jerr(c, FD_ERR_INVALID, line, "dictsort: %s is not a mapping", jv_typename(in));
        if (by && !(by->t == JV_STR && ((by->u.s.n == 3 && !memcmp(by->u.s.p, "key", 3)) ||
                                        (by->u.s.n == 5 && !memcmp(by->u.s.p, "value", 5)))))
            return jerr(c, FD_ERR_INVALID, line, "You can only sort by either \"key\" or \"value\"");
        if (by && by->u.s.n == 5) pos = 1;
        jdict *d = in.u.d;
        jlist *keys = jl_new(c, d->n);
        if (!(items = jl_new(c, d->n)) || !keys) return nomem(c);
        for (size_t i = 0; i < d->n; i++) {
            jlist *t = jl_pair(c, d->k[i], d->v[i]);
            if (!t) return nomem(c);
            items->v[items->n++] = jv_list(t);
            FD_TRY(fold(c, fold_case, t->v[pos], &keys->v[keys->n++]));
        }
        return sorted(c, line, items, keys->v, rev && jv_truthy(*rev), out);
    }
    FD_TRY(jinja_seq(c, line, in, &items));
    jlist *keys = jl_new(c, items->n);
    if (!keys) return nomem(c);
    for (size_t i = 0; i < items->n; i++) {
        FD_TRY(jstep(c, line));
        FD_TRY(key_of(c, line, items->v[i], at, fold_case, srt, &keys->v[keys->n++]));
    }
    if (srt) return sorted(c, line, items, keys->v, rev && jv_truthy(*rev), out);
    if (!items->n) {   /* Jinja: an undefined value saying why */
        *out = jv_undef("No aggregated item, sequence was empty.");
        return FD_OK;
    }
    size_t best = 0;   /* Python's min/max keep the first of equal keys */
    for (size_t i = 1; i < items->n; i++) {
        int r;
        FD_TRY(jv_cmp(c, line, keys->v[i], keys->v[best], &r));
        if (mx ? r > 0 : r < 0) best = i;
    }
    *out = items->v[best];
    return FD_OK;
}
