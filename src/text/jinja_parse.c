/* jinja_parse.c — tokens -> syntax tree, by recursive descent with Jinja's
 * grammar and precedence (lowest first): `x if c else y`, or, and, not,
 * comparisons and `in` (chained), + -, ~, * / // %, **, unary - +, then
 * postfix . [] () and the filter/test chain | and `is`.
 *
 * Layer: text (internal, see jinja.h). Node fields per kind:
 *   N_ATTR a.name  N_ITEM a[b]  N_SLICE a[b:c:d]  N_CALL a(v...)  N_KWARG name=a
 *   N_FILTER a|name(v...)  N_TEST a is [not: op=1] name(v...)  N_COND b if a else c
 *   N_DICT v = k0,v0,k1,v1...  N_STAR *a / **a (op 1 / 2) among call arguments  S_IF if a: b else c (c may be an S_IF: elif)
 *   S_FOR for a in b [if e]: c else d  S_SET a = b  S_SETBLOCK name: c
 *   S_MACRO name(v: N_NAME or N_KWARG with its default): c
 * Constructs Jinja has but chat templates do not need are refused here with
 * their name and line (FD_ERR_UNSUPPORTED); malformed input is FD_ERR_FORMAT. */
#include "text/jinja_parse.h"

static fd_status expr(parser *P, jnode **out);
static fd_status or_expr(parser *P, jnode **out);
static fd_status unary(parser *P, int with_filter, jnode **out);
static fd_status primary(parser *P, jnode **out);
static fd_status postfix(parser *P, jnode **x);

static fd_status enter(parser *P)
{
    if (++P->depth > MAX_NEST) return perr(P, FD_ERR_RANGE, "nested more than %d levels deep", MAX_NEST);
    return FD_OK;
}

/* Call arguments after '(' : positional then name=value. */
static fd_status call_args(parser *P, jnode *call)
{
    int kw = 0;
    while (!skip_op(P, ")")) {
        jnode *arg;
        if (call->n) FD_TRY(expect_op(P, ","));
        if (skip_op(P, ")")) break;
        if (is_op(P, "*") || is_op(P, "**")) {   /* f(*list, **dict): expanded when called */
            NEW(arg, N_STAR, cur(P)->line);
            arg->op = is_op(P, "**") ? 2 : 1;
            P->i++;
            FD_TRY(expr(P, &arg->a));
            FD_TRY(add_kid(P, call, arg));
            continue;
        }
        if (cur(P)->kind == T_NAME && P->t[P->i + 1].kind == T_OP && P->t[P->i + 1].n == 1 && P->t[P->i + 1].p[0] == '=') {
            NEW(arg, N_KWARG, cur(P)->line);
            FD_TRY(name_of(P, cur(P), &arg->name));
            P->i += 2;
            FD_TRY(expr(P, &arg->a));
            kw = 1;
        } else {
            if (kw) return unexpected(P, "a keyword argument (positional arguments come first)");
            FD_TRY(expr(P, &arg));
        }
        FD_TRY(add_kid(P, call, arg));
    }
    return FD_OK;
}

/* *x becomes the call *x(args); '(' was read. */
static fd_status call(parser *P, jnode **x, int line)
{
    jnode *c;
    NEW(c, N_CALL, line);
    c->a = *x;
    FD_TRY(call_args(P, c));
    *x = c;
    return FD_OK;
}

/* A filter or test name: Jinja reads `a.b.c` as one (dotted) name. */
static fd_status dotted_name(parser *P, const char **out)
{
    size_t st = P->i, len = cur(P)->n;
    for (P->i++; is_op(P, ".") && P->t[P->i + 1].kind == T_NAME; P->i += 2) len += 1 + P->t[P->i + 1].n;
    char *s = ja_alloc(P->a, len + 1), *q = s;
    if (!s) return nomem(P);
    for (size_t k = st; k < P->i; k++) {
        memcpy(q, P->t[k].p, P->t[k].n);
        q += P->t[k].n;
    }
    *q = 0;
    *out = s;
    return FD_OK;
}

/* `|name(args)` and `is [not] name args`, and calls, after a unary operand. */
static fd_status filter_chain(parser *P, jnode **x, int bare)
{
    for (;;) {
        int line = cur(P)->line;
        if (bare || skip_op(P, "|")) {
            bare = 0;
            jnode *f;
            NEW(f, N_FILTER, line);
            if (cur(P)->kind != T_NAME) return unexpected(P, "a filter name");
            FD_TRY(dotted_name(P, &f->name));
            f->a = *x;
            if (skip_op(P, "(")) FD_TRY(call_args(P, f));
            *x = f;
        } else if (skip_name(P, "is")) {
            jnode *t;
            NEW(t, N_TEST, line);
            t->op = skip_name(P, "not");
            if (cur(P)->kind != T_NAME) return unexpected(P, "a test name");
            FD_TRY(dotted_name(P, &t->name));
            t->a = *x;
            if (skip_op(P, "(")) {
                FD_TRY(call_args(P, t));
            } else {
                const jtok *k = cur(P);
                int starts = k->kind == T_NAME || k->kind == T_STRING || k->kind == T_INT || k->kind == T_FLOAT ||
                             is_op(P, "[") || is_op(P, "{") || is_op(P, "(");
                if (starts && !is_name(P, "else") && !is_name(P, "or") && !is_name(P, "and")) {
                    jnode *arg;
                    if (is_name(P, "is")) return unexpected(P, "a test argument (tests cannot be chained)");
                    FD_TRY(primary(P, &arg));
                    FD_TRY(postfix(P, &arg));
                    FD_TRY(add_kid(P, t, arg));
                }
            }
            *x = t;
        } else if (skip_op(P, "(")) {
            FD_TRY(call(P, x, line));
        } else {
            return FD_OK;
        }
    }
}

/* One subscript `[...]` item: an expression or a slice a:b:c. */
static fd_status subscript(parser *P, jnode *obj, int line, jnode **out)
{
    jnode *x, *parts[3] = { NULL, NULL, NULL };
    int k = 0, is_slice = 0;
    for (;;) {
        if (is_op(P, ":")) {
            P->i++;
            is_slice = 1;
            if (++k > 2) return unexpected(P, "']'");
            continue;
        }
        if (is_op(P, "]")) break;
        if (parts[k]) return unexpected(P, "':' or ']'");
        FD_TRY(expr(P, &parts[k]));
        if (!is_slice && !is_op(P, ":")) break;
    }
    if (!is_slice && !parts[0]) NEW(parts[0], N_TUPLE, line);   /* x[]: Jinja looks up the empty tuple */
    if (!is_slice && is_op(P, ",")) {   /* x[a, b]: the key is a tuple */
        jnode *t;
        NEW(t, N_TUPLE, line);
        FD_TRY(add_kid(P, t, parts[0]));
        while (skip_op(P, ",") && !is_op(P, "]")) {
            jnode *k;
            FD_TRY(expr(P, &k));
            FD_TRY(add_kid(P, t, k));
        }
        parts[0] = t;
    }
    FD_TRY(expect_op(P, "]"));
    if (is_slice) {
        NEW(x, N_SLICE, line);
        x->b = parts[0];
        x->c = parts[1];
        x->d = parts[2];
    } else {
        NEW(x, N_ITEM, line);
        x->b = parts[0];
    }
    x->a = obj;
    *out = x;
    return FD_OK;
}

static fd_status postfix(parser *P, jnode **x)
{
    for (;;) {
        int line = cur(P)->line;
        if (skip_op(P, ".")) {
            jnode *g;
            if (cur(P)->kind == T_INT) {   /* x.0 is x[0] */
                NEW(g, N_ITEM, line);
                NEW(g->b, N_LIT, line);
                g->b->lit = jv_int(cur(P)->i);
            } else if (cur(P)->kind == T_NAME) {
                NEW(g, N_ATTR, line);
                FD_TRY(name_of(P, cur(P), &g->name));
            } else {
                return unexpected(P, "an attribute name");
            }
            P->i++;
            g->a = *x;
            *x = g;
        } else if (skip_op(P, "[")) {
            FD_TRY(subscript(P, *x, line, x));
        } else if (skip_op(P, "(")) {
            FD_TRY(call(P, x, line));
        } else {
            return FD_OK;
        }
    }
}

static fd_status primary(parser *P, jnode **out)
{
    const jtok *t = cur(P);
    jnode *x;
    FD_TRY(enter(P));
    if (t->kind == T_NAME) {
        static const struct { const char *w; int v; } k[] = {
            { "true", 1 }, { "True", 1 }, { "false", 0 }, { "False", 0 }, { "none", 2 }, { "None", 2 } };
        NEW(x, N_LIT, t->line);
        for (size_t i = 0; i < sizeof k / sizeof k[0]; i++)
            if (is_name(P, k[i].w)) {
                x->lit = k[i].v == 2 ? jv_none() : jv_bool(k[i].v);
                P->i++;
                goto done;
            }
        x->kind = N_NAME;
        FD_TRY(name_of(P, t, &x->name));
        P->i++;
    } else if (t->kind == T_STRING) {   /* adjacent literals concatenate */
        NEW(x, N_LIT, t->line);
        size_t len = 0, k = P->i;
        for (; P->t[k].kind == T_STRING; k++) len += P->t[k].n;
        if (k == P->i + 1) {
            x->lit = jv_str(t->p, t->n);
        } else {
            char *s = ja_alloc(P->a, len + 1), *q = s;
            if (!s) return nomem(P);
            for (size_t j = P->i; j < k; j++) {
                memcpy(q, P->t[j].p, P->t[j].n);
                q += P->t[j].n;
            }
            x->lit = jv_str(s, len);
        }
        P->i = k;
    } else if (t->kind == T_INT || t->kind == T_FLOAT) {
        NEW(x, N_LIT, t->line);
        x->lit = t->kind == T_INT ? jv_int(t->i) : jv_float(t->f);
        P->i++;
    } else if (skip_op(P, "(")) {
        int tuple = 0;
        NEW(x, N_TUPLE, t->line);
        while (!skip_op(P, ")")) {
            jnode *item;
            if (x->n) {
                FD_TRY(expect_op(P, ","));
                tuple = 1;
                if (skip_op(P, ")")) break;
            }
            FD_TRY(expr(P, &item));
            FD_TRY(add_kid(P, x, item));
        }
        if (x->n == 1 && !tuple) x = x->v[0];
    } else if (skip_op(P, "[")) {
        NEW(x, N_LIST, t->line);
        while (!skip_op(P, "]")) {
            jnode *item;
            if (x->n) {
                FD_TRY(expect_op(P, ","));
                if (skip_op(P, "]")) break;
            }
            FD_TRY(expr(P, &item));
            FD_TRY(add_kid(P, x, item));
        }
    } else if (skip_op(P, "{")) {
        NEW(x, N_DICT, t->line);
        while (!skip_op(P, "}")) {
            jnode *k, *v;
            if (x->n) {
                FD_TRY(expect_op(P, ","));
                if (skip_op(P, "}")) break;
            }
            FD_TRY(expr(P, &k));
            FD_TRY(expect_op(P, ":"));
            FD_TRY(expr(P, &v));
            FD_TRY(add_kid(P, x, k));
            FD_TRY(add_kid(P, x, v));
        }
    } else {
        return unexpected(P, "an expression");
    }
done:
    P->depth--;
    *out = x;
    return FD_OK;
}

static fd_status unary(parser *P, int with_filter, jnode **out)
{
    int line = cur(P)->line;
    jnode *x;
    FD_TRY(enter(P));
    if (is_op(P, "-") || is_op(P, "+")) {
        NEW(x, is_op(P, "-") ? N_NEG : N_POS, line);
        P->i++;
        FD_TRY(unary(P, 0, &x->a));
    } else {
        FD_TRY(primary(P, &x));
        FD_TRY(postfix(P, &x));
    }
    if (with_filter) FD_TRY(filter_chain(P, &x, 0));
    P->depth--;
    *out = x;
    return FD_OK;
}

static fd_status binary(parser *P, jnode **x, int op, jnode *right, int line)
{
    jnode *b;
    NEW(b, N_BIN, line);
    b->op = op;
    b->a = *x;
    b->b = right;
    *x = b;
    return FD_OK;
}

static fd_status pow_expr(parser *P, jnode **out)
{
    FD_TRY(unary(P, 1, out));
    while (is_op(P, "**")) {
        int line = cur(P)->line;
        jnode *r = NULL;
        P->i++;
        FD_TRY(unary(P, 1, &r));
        FD_TRY(binary(P, out, OP_POW, r, line));
    }
    return FD_OK;
}

static fd_status math2(parser *P, jnode **out)
{
    FD_TRY(pow_expr(P, out));
    for (;;) {
        int line = cur(P)->line, op = is_op(P, "*") ? OP_MUL : is_op(P, "/") ? OP_DIV : is_op(P, "//") ? OP_FLOORDIV
                                      : is_op(P, "%") ? OP_MOD : -1;
        jnode *r = NULL;
        if (op < 0) return FD_OK;
        P->i++;
        FD_TRY(pow_expr(P, &r));
        FD_TRY(binary(P, out, op, r, line));
    }
}

static fd_status concat(parser *P, jnode **out)
{
    FD_TRY(math2(P, out));
    while (is_op(P, "~")) {
        int line = cur(P)->line;
        jnode *r = NULL;
        P->i++;
        FD_TRY(math2(P, &r));
        FD_TRY(binary(P, out, OP_CONCAT, r, line));
    }
    return FD_OK;
}

static fd_status math1(parser *P, jnode **out)
{
    FD_TRY(concat(P, out));
    while (is_op(P, "+") || is_op(P, "-")) {
        int line = cur(P)->line, op = is_op(P, "+") ? OP_ADD : OP_SUB;
        jnode *r = NULL;
        P->i++;
        FD_TRY(concat(P, &r));
        FD_TRY(binary(P, out, op, r, line));
    }
    return FD_OK;
}

/* a < b < c is (a < b) and (b < c). */
static fd_status compare(parser *P, jnode **out)
{
    static const struct { const char *s; int op; } ops[] = {
        { "==", OP_EQ }, { "!=", OP_NE }, { "<", OP_LT }, { "<=", OP_LE }, { ">", OP_GT }, { ">=", OP_GE } };
    jnode *left, *result = NULL;
    FD_TRY(math1(P, &left));
    for (;;) {
        int line = cur(P)->line, op = -1;
        jnode *r = NULL, *cmp;
        for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++)
            if (is_op(P, ops[k].s)) op = ops[k].op;
        if (op >= 0) P->i++;
        else if (skip_name(P, "in")) op = OP_IN;
        else if (is_name(P, "not") && P->t[P->i + 1].kind == T_NAME && P->t[P->i + 1].n == 2 &&
                 !memcmp(P->t[P->i + 1].p, "in", 2)) {
            P->i += 2;
            op = OP_NOTIN;
        } else {
            break;
        }
        FD_TRY(math1(P, &r));
        cmp = left;
        FD_TRY(binary(P, &cmp, op, r, line));
        if (result) {
            jnode *both;
            NEW(both, N_AND, line);
            both->a = result;
            both->b = cmp;
            result = both;
        } else {
            result = cmp;
        }
        left = r;
    }
    *out = result ? result : left;
    return FD_OK;
}

static fd_status not_expr(parser *P, jnode **out)
{
    if (is_name(P, "not")) {
        jnode *x;
        NEW(x, N_NOT, cur(P)->line);
        P->i++;
        FD_TRY(enter(P));
        FD_TRY(not_expr(P, &x->a));
        P->depth--;
        *out = x;
        return FD_OK;
    }
    return compare(P, out);
}

/* left (word right)*: `and` over not-expressions, `or` over and-expressions. */
static fd_status logic(parser *P, const char *word, jnode_kind kind, fd_status (*operand)(parser *, jnode **),
                       jnode **out)
{
    FD_TRY(operand(P, out));
    while (is_name(P, word)) {
        jnode *x;
        NEW(x, kind, cur(P)->line);
        P->i++;
        x->a = *out;
        FD_TRY(operand(P, &x->b));
        *out = x;
    }
    return FD_OK;
}

static fd_status and_expr(parser *P, jnode **out) { return logic(P, "and", N_AND, not_expr, out); }
static fd_status or_expr(parser *P, jnode **out) { return logic(P, "or", N_OR, and_expr, out); }

/* x if cond [else y] */
static fd_status expr(parser *P, jnode **out)
{
    FD_TRY(enter(P));
    FD_TRY(or_expr(P, out));
    while (is_name(P, "if")) {
        jnode *x;
        NEW(x, N_COND, cur(P)->line);
        P->i++;
        x->b = *out;
        FD_TRY(or_expr(P, &x->a));
        if (skip_name(P, "else")) FD_TRY(expr(P, &x->c));
        *out = x;
    }
    P->depth--;
    return FD_OK;
}

/* expr or an implicit tuple `a, b` (where Jinja allows one). cond: allow `x if c`. */
static fd_status tuple_expr(parser *P, int cond, jnode **out)
{
    jnode *first, *t;
    FD_TRY(cond ? expr(P, &first) : or_expr(P, &first));
    if (!is_op(P, ",")) {
        *out = first;
        return FD_OK;
    }
    NEW(t, N_TUPLE, first->line);
    FD_TRY(add_kid(P, t, first));
    while (skip_op(P, ",")) {
        jnode *x;
        if (cur(P)->kind == T_BLOCK_END || cur(P)->kind == T_VAR_END || is_name(P, "in") || is_op(P, "=")) break;
        FD_TRY(cond ? expr(P, &x) : or_expr(P, &x));
        FD_TRY(add_kid(P, t, x));
    }
    *out = t;
    return FD_OK;
}

fd_status jp_expr(parser *P, jnode **out) { return expr(P, out); }
fd_status jp_tuple_expr(parser *P, int cond, jnode **out) { return tuple_expr(P, cond, out); }
fd_status jp_filter_chain(parser *P, jnode **x) { return filter_chain(P, x, 0); }
fd_status jp_filter_block(parser *P, jnode **x) { return filter_chain(P, x, 1); }
