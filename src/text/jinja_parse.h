/* jinja_parse.h — the parser's state and token helpers, shared by the
 * expression parser (jinja_parse.c) and the statement parser (jinja_stmt.c).
 *
 * Layer: text (internal). */
#ifndef FD_TEXT_JINJA_PARSE_H
#define FD_TEXT_JINJA_PARSE_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "text/jinja.h"

enum { MAX_NEST = 200 };

typedef struct parser {
    jarena *a;
    fd_error *err;
    const jtok *t;
    size_t n, i;
    int depth;        /* expression/statement nesting */
    int loops;        /* enclosing for loops (break/continue allowed) */
} parser;

static inline const jtok *cur(parser *P) { return &P->t[P->i]; }

static inline FD_PRINTF(3, 4) fd_status perr(parser *P, fd_status st, const char *fmt, ...)
{
    char m[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m, sizeof m, fmt, ap);
    va_end(ap);
    return fd_error_set(P->err, st, "template line %d: %s", cur(P)->line, m);
}

static inline fd_status unexpected(parser *P, const char *wanted)
{
    const jtok *t = cur(P);
    char m[200];
    if (t->kind == T_EOF) snprintf(m, sizeof m, "unexpected end of template, expected %s", wanted);
    else if (t->kind == T_BLOCK_END || t->kind == T_VAR_END) snprintf(m, sizeof m, "unexpected end of tag, expected %s", wanted);
    else snprintf(m, sizeof m, "unexpected '%.*s', expected %s", (int)(t->n > 40 ? 40 : t->n), t->p, wanted);
    return fd_error_set(P->err, FD_ERR_FORMAT, "template line %d: %s", t->line, m);
}

static inline int is_op(parser *P, const char *op)
{
    const jtok *t = cur(P);
    return t->kind == T_OP && t->n == strlen(op) && !memcmp(t->p, op, t->n);
}

static inline int is_name(parser *P, const char *nm)
{
    const jtok *t = cur(P);
    return t->kind == T_NAME && t->n == strlen(nm) && !memcmp(t->p, nm, t->n);
}

static inline int skip_op(parser *P, const char *op) { return is_op(P, op) ? (P->i++, 1) : 0; }
static inline int skip_name(parser *P, const char *nm) { return is_name(P, nm) ? (P->i++, 1) : 0; }

static inline fd_status expect_op(parser *P, const char *op)
{
    if (skip_op(P, op)) return FD_OK;
    char w[16];
    snprintf(w, sizeof w, "'%s'", op);
    return unexpected(P, w);
}

static inline jnode *node(parser *P, jnode_kind k, int line)
{
    jnode *x = ja_alloc(P->a, sizeof *x);
    if (!x) return NULL;
    memset(x, 0, sizeof *x);
    x->kind = k;
    x->line = line;
    return x;
}

static inline fd_status nomem(parser *P) { return fd_error_set(P->err, FD_ERR_NOMEM, "template: out of memory"); }
#define NEW(var, kind, line) do { if (!((var) = node(P, kind, line))) return nomem(P); } while (0)

static inline fd_status add_kid(parser *P, jnode *x, jnode *k)
{
    if ((x->n & (x->n - 1)) == 0) {   /* capacity doubles at powers of two */
        size_t cap = x->n ? x->n * 2 : 4;
        jnode **v = ja_alloc(P->a, cap * sizeof *v);
        if (!v) return nomem(P);
        if (x->n) memcpy(v, x->v, x->n * sizeof *v);
        x->v = v;
    }
    x->v[x->n++] = k;
    return FD_OK;
}

static inline fd_status name_of(parser *P, const jtok *t, const char **out)
{
    char *s = ja_alloc(P->a, t->n + 1);
    if (!s) return nomem(P);
    memcpy(s, t->p, t->n);
    s[t->n] = 0;
    *out = s;
    return FD_OK;
}

/* expr: one expression (`x if c else y` included). tuple_expr: also an
 * implicit tuple `a, b`; cond 0 leaves `if` to the caller (for-loop filters). */
fd_status jp_expr(parser *P, jnode **out);
fd_status jp_tuple_expr(parser *P, int cond, jnode **out);
/* The filters (and tests) applied to *x: `| f(args) | g ...`. */
fd_status jp_filter_chain(parser *P, jnode **x);
/* The same for a filter block's `{% filter f(args) | g %}`: the first name has no '|'. */
fd_status jp_filter_block(parser *P, jnode **x);

#endif
