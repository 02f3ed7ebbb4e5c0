/* jinja_eval.c — walks the syntax tree: expressions to values with Python's
 * operator rules, statements to output text, scopes as Jinja keeps them (a
 * for loop's body gets a fresh scope every iteration, so `set` inside it does
 * not leak out; `if` has no scope; namespace() objects carry state across).
 *
 * Layer: text (internal, see jinja.h). Every loop iteration and call counts
 * against c->max_steps, every nested evaluation against c->max_depth, every
 * output byte against c->max_output: a hostile template ends in an error. */
#include <math.h>
#include <string.h>
#include "base/mem.h"
#include "text/jinja.h"

static fd_status eval(jctx *c, const jnode *n, jv *out);

static fd_status nomem(jctx *c)
{
    if (c->a->over) return jerr(c, FD_ERR_RANGE, 0, "memory limit of %zu bytes reached", c->a->limit);
    return fd_error_set(c->err, FD_ERR_NOMEM, "template: out of memory");
}


static jv lookup(jctx *c, const char *name)
{
    for (jframe *f = c->scope; f; f = f->up) {
        const jv *v = jd_gets(f->vars, name);
        if (v) return *v;
    }
    return jv_undef(name);
}

static int is_int(jv v) { return v.t == JV_INT || v.t == JV_BOOL; }
static int is_num(jv v) { return is_int(v) || v.t == JV_FLOAT; }
static int64_t ival(jv v) { return v.t == JV_INT ? v.u.i : v.u.b; }
static double fval(jv v) { return v.t == JV_FLOAT ? v.u.f : (double)ival(v); }

static fd_status concat2(jctx *c, jv a, jv b, jv *out)
{
    char *p = ja_alloc(c->a, a.u.s.n + b.u.s.n + 1);
    if (!p) return nomem(c);
    memcpy(p, a.u.s.p, a.u.s.n);
    memcpy(p + a.u.s.n, b.u.s.p, b.u.s.n);
    p[a.u.s.n + b.u.s.n] = 0;
    *out = jv_str(p, a.u.s.n + b.u.s.n);
    return FD_OK;
}

/* seq * count for str and list. */
static fd_status repeat(jctx *c, int line, jv seq, int64_t k, jv *out)
{
    size_t unit = seq.t == JV_STR ? seq.u.s.n : seq.u.l->n * sizeof(jv);
    if (k < 0) k = 0;
    if (unit && (uint64_t)k > (c->a->limit ? c->a->limit : SIZE_MAX / 2) / unit)
        return jerr(c, FD_ERR_RANGE, line, "repetition result too large");
    if (seq.t == JV_STR) {
        char *p = ja_alloc(c->a, unit * (size_t)k + 1);
        if (!p) return nomem(c);
        for (int64_t i = 0; i < k; i++) memcpy(p + (size_t)i * unit, seq.u.s.p, unit);
        *out = jv_str(p, unit * (size_t)k);
        out->why = seq.why;   /* Markup * n is Markup */
        return FD_OK;
    }
    jlist *l = jl_new(c, seq.u.l->n * (size_t)k);
    if (!l) return nomem(c);
    for (int64_t i = 0; i < k; i++)
        for (size_t j = 0; j < seq.u.l->n; j++) l->v[l->n++] = seq.u.l->v[j];
    l->tuple = seq.u.l->tuple;
    out->t = JV_LIST;
    out->u.l = l;
    return FD_OK;
}

static fd_status contains(jctx *c, int line, jv needle, jv hay, int *out)
{
    *out = 0;
    if (hay.t == JV_STR) {
        if (needle.t != JV_STR) return jerr(c, FD_ERR_INVALID, line, "'in <string>' requires a string, not %s", jv_typename(needle));
        if (!needle.u.s.n) { *out = 1; return FD_OK; }
        for (size_t i = 0; i + needle.u.s.n <= hay.u.s.n; i++)
            if (!memcmp(hay.u.s.p + i, needle.u.s.p, needle.u.s.n)) { *out = 1; break; }
        return FD_OK;
    }
    if (hay.t == JV_LIST) {
        for (size_t i = 0; i < hay.u.l->n && !*out; i++) *out = jv_eq(needle, hay.u.l->v[i]);
        return FD_OK;
    }
    if (hay.t == JV_DICT) {
        *out = jd_get(hay.u.d, needle) != NULL;
        return FD_OK;
    }
    if (hay.t == JV_UNDEF) return FD_OK;
    return jerr(c, FD_ERR_INVALID, line, "argument of type '%s' is not iterable", jv_typename(hay));
}

static fd_status arith(jctx *c, int line, int op, jv a, jv b, jv *out)
{
    if (a.t == JV_UNDEF) return jv_undef_err(c, line, a);
    if (b.t == JV_UNDEF) return jv_undef_err(c, line, b);
    if (is_int(a) && is_int(b) && op != OP_DIV) {
        int64_t x = ival(a), y = ival(b), r = 0;
        int bad = 0;
        switch (op) {
        case OP_ADD: bad = __builtin_add_overflow(x, y, &r); break;
        case OP_SUB: bad = __builtin_sub_overflow(x, y, &r); break;
        case OP_MUL: bad = __builtin_mul_overflow(x, y, &r); break;
        case OP_FLOORDIV: case OP_MOD:
            if (!y) return jerr(c, FD_ERR_INVALID, line, "integer division or modulo by zero");
            if (x == INT64_MIN && y == -1) { bad = 1; break; }
            r = op == OP_FLOORDIV ? x / y : x % y;
            if (op == OP_FLOORDIV && (x % y) && ((x < 0) != (y < 0))) r--;
            if (op == OP_MOD && r && ((r < 0) != (y < 0))) r += y;
            break;
        case OP_POW:
            if (y < 0) { *out = jv_float(pow((double)x, (double)y)); return FD_OK; }
            r = 1;
            for (int64_t i = 0; i < y && !bad; i++) bad = __builtin_mul_overflow(r, x, &r);
            break;
        }
        if (bad) return jerr(c, FD_ERR_RANGE, line, "integer overflow (beyond 64 bits)");
        *out = jv_int(r);
        return FD_OK;
    }
    if (is_num(a) && is_num(b)) {
        double x = fval(a), y = fval(b), r = 0;
        if ((op == OP_DIV || op == OP_FLOORDIV || op == OP_MOD) && y == 0)
            return jerr(c, FD_ERR_INVALID, line, "division by zero");
        switch (op) {
        case OP_ADD: r = x + y; break;
        case OP_SUB: r = x - y; break;
        case OP_MUL: r = x * y; break;
        case OP_DIV: r = x / y; break;
        case OP_FLOORDIV: r = floor(x / y); break;
        case OP_MOD: r = fmod(x, y); if (r != 0 && ((r < 0) != (y < 0))) r += y; break;
        case OP_POW:
            r = pow(x, y);
            if (isinf(r) && isfinite(x) && isfinite(y)) return jerr(c, FD_ERR_RANGE, line, "numerical result out of range");
            break;
        }
        *out = jv_float(r);
        return FD_OK;
    }
    if (op == OP_ADD && a.t == JV_STR && b.t == JV_STR) {
        int safe = a.why == JV_SAFE || b.why == JV_SAFE;   /* Markup + str escapes the str; the sum is Markup */
        if (safe) {
            FD_TRY(jv_escape(c, a, &a));
            FD_TRY(jv_escape(c, b, &b));
        }
        FD_TRY(concat2(c, a, b, out));
        out->why = safe ? JV_SAFE : 0;
        return FD_OK;
    }
    if (op == OP_ADD && a.t == JV_LIST && b.t == JV_LIST && !a.u.l->gen && !b.u.l->gen) {
        jlist *l = jl_new(c, a.u.l->n + b.u.l->n);
        if (!l) return nomem(c);
        memcpy(l->v, a.u.l->v, a.u.l->n * sizeof(jv));
        memcpy(l->v + a.u.l->n, b.u.l->v, b.u.l->n * sizeof(jv));
        l->n = a.u.l->n + b.u.l->n;
        l->tuple = a.u.l->tuple;
        out->t = JV_LIST;
        out->u.l = l;
        return FD_OK;
    }
    if (op == OP_MUL && (a.t == JV_STR || (a.t == JV_LIST && !a.u.l->gen)) && is_int(b)) return repeat(c, line, a, ival(b), out);
    if (op == OP_MUL && (b.t == JV_STR || (b.t == JV_LIST && !b.u.l->gen)) && is_int(a)) return repeat(c, line, b, ival(a), out);
    if (op == OP_MOD && a.t == JV_STR) return jinja_percent(c, line, a, b, out);
    if (op == OP_ADD && (a.t == JV_STR || (a.t == JV_LIST && !a.u.l->gen)))   /* Python's wording */
        return jerr(c, FD_ERR_INVALID, line, "can only concatenate %s (not \"%s\") to %s", jv_typename(a), jv_typename(b),
                    jv_typename(a));
    static const char *sym[] = { "+", "-", "*", "/", "//", "%", "**" };
    return jerr(c, FD_ERR_INVALID, line, "unsupported operand type(s) for %s: '%s' and '%s'", sym[op], jv_typename(a),
                jv_typename(b));
}

static fd_status binop(jctx *c, const jnode *n, jv *out)
{
    jv a, b;
    int r;
    FD_TRY(eval(c, n->a, &a));
    FD_TRY(eval(c, n->b, &b));
    switch (n->op) {
    case OP_CONCAT: {
        jv sa, sb;
        FD_TRY(jv_to_str(c, a, &sa));
        FD_TRY(jv_to_str(c, b, &sb));
        return concat2(c, sa, sb, out);
    }
    case OP_EQ: *out = jv_bool(jv_eq(a, b)); return FD_OK;
    case OP_NE: *out = jv_bool(!jv_eq(a, b)); return FD_OK;
    case OP_LT: case OP_LE: case OP_GT: case OP_GE:
        FD_TRY(jv_cmp(c, n->line, a, b, &r));
        *out = jv_bool(n->op == OP_LT ? r < 0 : n->op == OP_LE ? r <= 0 : n->op == OP_GT ? r > 0 : r >= 0);
        return FD_OK;
    case OP_IN: case OP_NOTIN:
        FD_TRY(contains(c, n->line, a, b, &r));
        *out = jv_bool(n->op == OP_IN ? r : !r);
        return FD_OK;
    default:
        return arith(c, n->line, n->op, a, b, out);
    }
}

/* Python slice indices (PySlice_AdjustIndices). */
static void slice_idx(int64_t len, const jv *lo, const jv *hi, int64_t step, int64_t *start, int64_t *stop)
{
    int64_t s, e;
    if (step > 0) {
        s = lo ? ival(*lo) : 0;
        e = hi ? ival(*hi) : len;
        if (s < 0) s = s + len < 0 ? 0 : s + len;
        if (s > len) s = len;
        if (e < 0) e = e + len < 0 ? 0 : e + len;
        if (e > len) e = len;
    } else {
        s = lo ? ival(*lo) : len - 1;
        e = hi ? ival(*hi) : -1;
        if (lo) { if (s < 0) s = s + len < 0 ? -1 : s + len; if (s >= len) s = len - 1; }
        if (hi) { if (e < 0) e = e + len < 0 ? -1 : e + len; if (e >= len) e = len - 1; }
    }
    *start = s;
    *stop = e;
}

static fd_status slice(jctx *c, const jnode *n, jv *out)
{
    jv obj, parts[3];
    const jv *p[3] = { NULL, NULL, NULL };
    const jnode *k[3] = { n->b, n->c, n->d };
    int64_t step = 1, s, e, len;
    FD_TRY(eval(c, n->a, &obj));
    for (int i = 0; i < 3; i++) {
        if (!k[i]) continue;
        FD_TRY(eval(c, k[i], &parts[i]));
        if (parts[i].t == JV_NONE) continue;
        if (!is_int(parts[i])) return jerr(c, FD_ERR_INVALID, n->line, "slice indices must be integers or None");
        p[i] = &parts[i];
    }
    if (p[2]) step = ival(*p[2]);
    if (!step) return jerr(c, FD_ERR_INVALID, n->line, "slice step cannot be zero");
    if (obj.t == JV_UNDEF) return jv_undef_err(c, n->line, obj);
    if (obj.t != JV_STR && (obj.t != JV_LIST || obj.u.l->gen)) {   /* Jinja: a failed subscript is undefined */
        *out = jv_undef("");
        return FD_OK;
    }
    len = obj.t == JV_STR ? (int64_t)ju_len(obj.u.s.p, obj.u.s.n) : (int64_t)obj.u.l->n;
    slice_idx(len, p[0], p[1], step, &s, &e);
    if (obj.t == JV_LIST) {
        jlist *l = jl_new(c, (size_t)len);
        if (!l) return nomem(c);
        for (int64_t i = s; step > 0 ? i < e : i > e; i += step) l->v[l->n++] = obj.u.l->v[i];
        l->tuple = obj.u.l->tuple;
        out->t = JV_LIST;
        out->u.l = l;
        return FD_OK;
    }
    if (step == 1) {   /* a view: no copy */
        size_t a = ju_off(obj.u.s.p, obj.u.s.n, (size_t)s), b = s < e ? ju_off(obj.u.s.p, obj.u.s.n, (size_t)e) : a;
        *out = jv_str(obj.u.s.p + a, b - a);
        return FD_OK;
    }
    size_t *offs = fd_malloc(((size_t)len + 1) * sizeof *offs), i = 0, l;
    char *q = ja_alloc(c->a, obj.u.s.n + 1);
    size_t w = 0;
    if (!offs || !q) {
        fd_free(offs);
        return nomem(c);
    }
    for (size_t b = 0; b < obj.u.s.n; b += l) {
        offs[i++] = b;
        ju_decode(obj.u.s.p + b, obj.u.s.n - b, &l);
    }
    offs[i] = obj.u.s.n;
    for (int64_t j = s; step > 0 ? j < e : j > e; j += step) {
        size_t from = offs[j], to = offs[j + 1];
        memcpy(q + w, obj.u.s.p + from, to - from);
        w += to - from;
    }
    fd_free(offs);
    q[w] = 0;
    *out = jv_str(q, w);
    return FD_OK;
}

/* Arguments of a call / filter / test node: positional values (with *list
 * spread after the written ones), then keyword ones with names (with **dict's
 * items after the written ones), as Python orders them. */
static fd_status args_of(jctx *c, const jnode *n, jv **args, const char ***names, size_t *npos, size_t *nargs)
{
    size_t total = 0, nk = 0, ip, ik;
    jv *star = NULL;
    *args = NULL;
    *names = NULL;
    *npos = *nargs = 0;
    if (!n->n) return FD_OK;
    if (!(star = ja_alloc(c->a, n->n * sizeof(jv)))) return nomem(c);
    for (size_t i = 0; i < n->n; i++) {   /* the spread values first, to count */
        const jnode *k = n->v[i];
        if (k->kind != N_STAR) { total++; nk += k->kind == N_KWARG; continue; }
        FD_TRY(eval(c, k->a, &star[i]));
        if (k->op == 1 && star[i].t == JV_LIST) total += star[i].u.l->n;
        else if (k->op == 2 && star[i].t == JV_DICT && !star[i].u.d->ns) total += star[i].u.d->n, nk += star[i].u.d->n;
        else if (k->op == 1 && star[i].t == JV_UNDEF) continue;
        else return jerr(c, FD_ERR_INVALID, k->line, "argument after %s must be %s, not %s", k->op == 1 ? "*" : "**",
                         k->op == 1 ? "an iterable" : "a mapping", jv_typename(star[i]));
    }
    if (!(*args = ja_alloc(c->a, (total + 1) * sizeof(jv))) || !(*names = ja_alloc(c->a, (total + 1) * sizeof(char *))))
        return nomem(c);
    ip = 0;
    ik = total - nk;
    for (size_t i = 0; i < n->n; i++) {   /* written ones in order, spreads at the end of their group */
        const jnode *k = n->v[i];
        if (k->kind == N_STAR) continue;
        size_t at = k->kind == N_KWARG ? ik++ : ip++;
        (*names)[at] = k->kind == N_KWARG ? k->name : NULL;
        FD_TRY(eval(c, k->kind == N_KWARG ? k->a : k, &(*args)[at]));
    }
    for (size_t i = 0; i < n->n; i++) {
        const jnode *k = n->v[i];
        if (k->kind != N_STAR || star[i].t == JV_UNDEF) continue;
        if (k->op == 1) {
            for (size_t j = 0; j < star[i].u.l->n; j++) (*names)[ip] = NULL, (*args)[ip++] = star[i].u.l->v[j];
            continue;
        }
        for (size_t j = 0; j < star[i].u.d->n; j++) {
            jv key = star[i].u.d->k[j];
            char *nm;
            if (key.t != JV_STR) return jerr(c, FD_ERR_INVALID, k->line, "keywords must be strings");
            if (!(nm = ja_alloc(c->a, key.u.s.n + 1))) return nomem(c);
            memcpy(nm, key.u.s.p, key.u.s.n);
            nm[key.u.s.n] = 0;
            (*names)[ik] = nm;
            (*args)[ik++] = star[i].u.d->v[j];
        }
    }
    *npos = total - nk;
    *nargs = total;
    return FD_OK;
}

/* A call node; extra_name/extra (may be NULL) is one more keyword argument (a call block's caller). */
fd_status jinja_call_node(jctx *c, const jnode *n, const char *extra_name, jv extra, jv *out)
{
    jv f, *args;
    const char **names;
    size_t npos, nargs;
    FD_TRY(eval(c, n->a, &f));
    if (f.t == JV_UNDEF) {
        if (n->a->kind == N_ATTR) return jerr(c, FD_ERR_INVALID, n->line, "no method or callable '%s' here", n->a->name);
        return jv_undef_err(c, n->line, f);
    }
    if (f.t != JV_FUNC) return jerr(c, FD_ERR_INVALID, n->line, "'%s' object is not callable", jv_typename(f));
    FD_TRY(args_of(c, n, &args, &names, &npos, &nargs));
    if (extra_name) {
        jv *a2 = ja_alloc(c->a, (nargs + 1) * sizeof(jv));
        const char **n2 = ja_alloc(c->a, (nargs + 1) * sizeof(char *));
        if (!a2 || !n2) return nomem(c);
        if (nargs) memcpy(a2, args, nargs * sizeof(jv)), memcpy(n2, names, nargs * sizeof(char *));
        a2[nargs] = extra;
        n2[nargs++] = extra_name;
        args = a2;
        names = n2;
    }
    FD_TRY(jstep(c, n->line));
    return jinja_call(c, n->line, f, args, npos, nargs, names, out);
}

static fd_status eval_inner(jctx *c, const jnode *n, jv *out)
{
    jv a, b, *args;
    const char **names;
    size_t npos, nargs;
    switch (n->kind) {
    case N_LIT: *out = n->lit; return FD_OK;
    case N_NAME: *out = lookup(c, n->name); return FD_OK;
    case N_LIST: case N_TUPLE: {
        jlist *l = jl_new(c, n->n);
        if (!l) return nomem(c);
        for (size_t i = 0; i < n->n; i++) FD_TRY(eval(c, n->v[i], &l->v[l->n++]));
        l->tuple = n->kind == N_TUPLE;
        out->t = JV_LIST;
        out->u.l = l;
        return FD_OK;
    }
    case N_DICT: {
        jdict *d = jd_new(c, n->n / 2);
        if (!d) return nomem(c);
        for (size_t i = 0; i + 1 < n->n; i += 2) {
            FD_TRY(eval(c, n->v[i], &a));
            FD_TRY(eval(c, n->v[i + 1], &b));
            FD_TRY(jd_set(c, d, a, b));
        }
        out->t = JV_DICT;
        out->u.d = d;
        return FD_OK;
    }
    case N_ATTR:
        FD_TRY(eval(c, n->a, &a));
        if (a.t == JV_UNDEF) return jv_undef_err(c, n->line, a);
        return jinja_getattr(c, n->line, a, n->name, out);
    case N_ITEM:
        FD_TRY(eval(c, n->a, &a));
        FD_TRY(eval(c, n->b, &b));
        if (a.t == JV_UNDEF) return jv_undef_err(c, n->line, a);
        return jinja_getitem(c, n->line, a, b, out);
    case N_SLICE: return slice(c, n, out);
    case N_CALL: return jinja_call_node(c, n, NULL, jv_none(), out);
    case N_FILTER:
        FD_TRY(eval(c, n->a, &a));
        FD_TRY(args_of(c, n, &args, &names, &npos, &nargs));
        return jinja_filter(c, n, a, args, npos, nargs, names, out);
    case N_TEST: {
        int r;
        FD_TRY(eval(c, n->a, &a));
        FD_TRY(args_of(c, n, &args, &names, &npos, &nargs));
        FD_TRY(jinja_test(c, n, a, args, nargs, &r));
        *out = jv_bool(n->op ? !r : r);
        return FD_OK;
    }
    case N_NEG: case N_POS:
        FD_TRY(eval(c, n->a, &a));
        if (a.t == JV_FLOAT) *out = jv_float(n->kind == N_NEG ? -a.u.f : a.u.f);
        else if (is_int(a) && !(n->kind == N_NEG && ival(a) == INT64_MIN)) *out = jv_int(n->kind == N_NEG ? -ival(a) : ival(a));
        else if (a.t == JV_UNDEF) return jv_undef_err(c, n->line, a);
        else return jerr(c, FD_ERR_INVALID, n->line, "bad operand type for unary %c: '%s'", n->kind == N_NEG ? '-' : '+', jv_typename(a));
        return FD_OK;
    case N_NOT:
        FD_TRY(eval(c, n->a, &a));
        *out = jv_bool(!jv_truthy(a));
        return FD_OK;
    case N_AND: case N_OR:
        FD_TRY(eval(c, n->a, &a));
        if (jv_truthy(a) == (n->kind == N_OR)) { *out = a; return FD_OK; }
        return eval(c, n->b, out);
    case N_BIN: return binop(c, n, out);
    case N_COND:
        FD_TRY(eval(c, n->a, &a));
        if (jv_truthy(a)) return eval(c, n->b, out);
        if (n->c) return eval(c, n->c, out);
        *out = jv_undef("");
        return FD_OK;
    default:
        return jerr(c, FD_ERR_STATE, n->line, "internal: node %d is not an expression", (int)n->kind);
    }
}

static fd_status eval(jctx *c, const jnode *n, jv *out)
{
    fd_status rc;
    if (++c->depth > c->max_depth) return jerr(c, FD_ERR_RANGE, n->line, "nesting deeper than %d (the limit)", c->max_depth);
    rc = eval_inner(c, n, out);
    c->depth--;
    return rc;
}

fd_status jinja_eval(jctx *c, const jnode *n, jv *out) { return eval(c, n, out); }
