/* jinja_stmt.c — the template's statements: text, {{ output }}, and the tags
 * chat templates use: if/elif/else, for (with else, a loop filter, break and
 * continue), set (plain, namespace attribute, tuple, block), macro, call
 * blocks, filter blocks and transformers' {% generation %} (its body renders
 * unchanged). Other Jinja tags (include, import, extends, block, with...) are
 * refused with their name and line.
 *
 * Layer: text (internal, see jinja.h and jinja_parse.h). */
#include "text/jinja_parse.h"

static fd_status body(parser *P, const char *const *ends, jnode **out, const char **end_tag);

/* The tag's '%}' (a ':' before it is allowed, as Jinja allows `{% else: %}`). */
static fd_status end_tag(parser *P)
{
    skip_op(P, ":");
    if (cur(P)->kind != T_BLOCK_END) return unexpected(P, "'%}'");
    P->i++;
    return FD_OK;
}

static int tag_is(const jtok *t, const char *w) { return t->kind == T_NAME && t->n == strlen(w) && !memcmp(t->p, w, t->n); }

static fd_status stmt_if(parser *P, int line, jnode **out)
{
    static const char *const ends[] = { "elif", "else", "endif", NULL };
    jnode *x;
    const char *tag;
    NEW(x, S_IF, line);
    FD_TRY(jp_tuple_expr(P, 0, &x->a));   /* Jinja: no `a if b` in an if's test */
    FD_TRY(end_tag(P));
    FD_TRY(body(P, ends, &x->b, &tag));
    if (!strcmp(tag, "elif")) {   /* a nested if, which consumes the endif */
        if (++P->depth > 200) return perr(P, FD_ERR_RANGE, "more than 200 elif branches");
        FD_TRY(stmt_if(P, P->t[P->i - 1].line, &x->c));
        P->depth--;
        *out = x;
        return FD_OK;
    }
    if (!strcmp(tag, "else")) {
        static const char *const e2[] = { "endif", NULL };
        FD_TRY(end_tag(P));
        FD_TRY(body(P, e2, &x->c, &tag));
    }
    FD_TRY(end_tag(P));
    *out = x;
    return FD_OK;
}

static fd_status target(parser *P, int allow_attr, jnode **out)
{
    jnode *t = NULL;
    for (;;) {
        jnode *x;
        if (cur(P)->kind != T_NAME) return unexpected(P, "a variable name");
        NEW(x, N_NAME, cur(P)->line);
        FD_TRY(name_of(P, cur(P), &x->name));
        P->i++;
        if (allow_attr && skip_op(P, ".")) {
            jnode *g;
            if (cur(P)->kind != T_NAME) return unexpected(P, "an attribute name");
            NEW(g, N_ATTR, x->line);
            FD_TRY(name_of(P, cur(P), &g->name));
            P->i++;
            g->a = x;
            x = g;
        }
        if (!t && !is_op(P, ",")) {
            *out = x;
            return FD_OK;
        }
        if (!t) NEW(t, N_TUPLE, x->line);
        FD_TRY(add_kid(P, t, x));
        if (!skip_op(P, ",")) break;
    }
    *out = t;
    return FD_OK;
}

static fd_status stmt_for(parser *P, int line, jnode **out)
{
    static const char *const ends[] = { "else", "endfor", NULL };
    jnode *x;
    const char *tag;
    NEW(x, S_FOR, line);
    FD_TRY(target(P, 0, &x->a));
    if (!skip_name(P, "in")) return unexpected(P, "'in'");
    FD_TRY(jp_tuple_expr(P, 0, &x->b));
    if (skip_name(P, "if")) FD_TRY(jp_expr(P, &x->e));
    if (is_name(P, "recursive")) return perr(P, FD_ERR_UNSUPPORTED, "recursive for loops are not supported");
    FD_TRY(end_tag(P));
    P->loops++;
    FD_TRY(body(P, ends, &x->c, &tag));
    P->loops--;
    if (!strcmp(tag, "else")) {
        static const char *const e2[] = { "endfor", NULL };
        FD_TRY(end_tag(P));
        FD_TRY(body(P, e2, &x->d, &tag));
    }
    FD_TRY(end_tag(P));
    *out = x;
    return FD_OK;
}

static fd_status stmt_set(parser *P, int line, jnode **out)
{
    jnode *x;
    NEW(x, S_SET, line);
    FD_TRY(target(P, 1, &x->a));
    if (skip_op(P, "=")) {
        FD_TRY(jp_tuple_expr(P, 1, &x->b));
        FD_TRY(end_tag(P));
    } else {
        static const char *const ends[] = { "endset", NULL };
        const char *tag;
        if (x->a->kind != N_NAME) return unexpected(P, "'='");
        if (is_op(P, "|")) {   /* {% set x | f %}: b = the filters over a name the captured text is bound to */
            NEW(x->b, N_NAME, line);
            x->b->name = " captured";
            FD_TRY(jp_filter_chain(P, &x->b));
        }
        FD_TRY(end_tag(P));
        x->kind = S_SETBLOCK;
        x->name = x->a->name;
        FD_TRY(body(P, ends, &x->c, &tag));
        FD_TRY(end_tag(P));
    }
    *out = x;
    return FD_OK;
}

/* MACRO_* flags for the implicit names body uses (as Jinja's find_undeclared). */
static int implicit_names(const jnode *n, int depth)
{
    int f = 0;
    if (!n || depth > 1000) return 0;
    if (n->kind == N_NAME)
        return !strcmp(n->name, "varargs") ? MACRO_VARARGS : !strcmp(n->name, "kwargs") ? MACRO_KWARGS
                                                                                         : !strcmp(n->name, "caller") ? MACRO_CALLER : 0;
    const jnode *kids[5] = { n->a, n->b, n->c, n->d, n->e };
    for (int i = 0; i < 5; i++) f |= implicit_names(kids[i], depth + 1);
    for (size_t i = 0; i < n->n; i++) f |= implicit_names(n->v[i], depth + 1);
    return f;
}

/* Parameters `(a, b=default, ...)` of a macro or call block into x->v; '(' was read. */
static fd_status params(parser *P, jnode *x)
{
    while (!skip_op(P, ")")) {
        jnode *p;
        if (x->n) FD_TRY(expect_op(P, ","));
        if (cur(P)->kind != T_NAME) return unexpected(P, "a parameter name");
        NEW(p, N_NAME, cur(P)->line);
        FD_TRY(name_of(P, cur(P), &p->name));
        P->i++;
        if (skip_op(P, "=")) {
            p->kind = N_KWARG;
            FD_TRY(jp_expr(P, &p->a));
        }
        FD_TRY(add_kid(P, x, p));
    }
    return FD_OK;
}

/* {% call [(params)] macro(args) %}body{% endcall %}: a = the call, b = the
 * `caller` macro (params, body), passed to the call as caller=. */
static fd_status stmt_call(parser *P, int line, jnode **out)
{
    static const char *const ends[] = { "endcall", NULL };
    jnode *x, *m;
    const char *tag;
    int loops = P->loops;
    NEW(x, S_CALLBLOCK, line);
    NEW(m, S_MACRO, line);
    m->name = "caller";
    if (skip_op(P, "(")) FD_TRY(params(P, m));
    FD_TRY(jp_expr(P, &x->a));
    if (x->a->kind != N_CALL) return perr(P, FD_ERR_FORMAT, "a call block needs a call, as {%% call m(args) %%}");
    FD_TRY(end_tag(P));
    P->loops = 0;
    FD_TRY(body(P, ends, &m->c, &tag));
    P->loops = loops;
    FD_TRY(end_tag(P));
    m->op = implicit_names(m->c, 0);
    x->b = m;
    *out = x;
    return FD_OK;
}

/* {% filter f(args) | g %}body{% endfilter %}: b = the filters over the name
 * " captured", which the body's text is bound to (as a set block's). */
static fd_status stmt_filter(parser *P, int line, jnode **out)
{
    static const char *const ends[] = { "endfilter", NULL };
    jnode *x;
    const char *tag;
    NEW(x, S_FILTERBLOCK, line);
    NEW(x->b, N_NAME, line);
    x->b->name = " captured";
    FD_TRY(jp_filter_block(P, &x->b));
    FD_TRY(end_tag(P));
    FD_TRY(body(P, ends, &x->c, &tag));
    FD_TRY(end_tag(P));
    *out = x;
    return FD_OK;
}

static fd_status stmt_macro(parser *P, int line, jnode **out)
{
    static const char *const ends[] = { "endmacro", NULL };
    jnode *x;
    const char *tag;
    int loops = P->loops;
    NEW(x, S_MACRO, line);
    if (cur(P)->kind != T_NAME) return unexpected(P, "a macro name");
    FD_TRY(name_of(P, cur(P), &x->name));
    P->i++;
    FD_TRY(expect_op(P, "("));
    FD_TRY(params(P, x));
    FD_TRY(end_tag(P));
    P->loops = 0;
    FD_TRY(body(P, ends, &x->c, &tag));
    P->loops = loops;
    FD_TRY(end_tag(P));
    x->op = implicit_names(x->c, 0);
    *out = x;
    return FD_OK;
}

/* One {% tag %}; P->i is on the tag name. */
static fd_status statement(parser *P, jnode **out)
{
    static const char *const refused[] = { "include", "import", "from", "extends", "block", "with",
                                           "autoescape", "print", "do", "trans", "endblock", NULL };
    const jtok *t = cur(P);
    int line = t->line;
    if (t->kind != T_NAME) return unexpected(P, "a tag name");
    P->i++;
    if (tag_is(t, "if")) return stmt_if(P, line, out);
    if (tag_is(t, "for")) return stmt_for(P, line, out);
    if (tag_is(t, "set")) return stmt_set(P, line, out);
    if (tag_is(t, "macro")) return stmt_macro(P, line, out);
    if (tag_is(t, "call")) return stmt_call(P, line, out);
    if (tag_is(t, "filter")) return stmt_filter(P, line, out);
    if (tag_is(t, "generation")) {   /* transformers' {% generation %}: marks assistant text, renders as is */
        static const char *const ends[] = { "endgeneration", NULL };
        const char *tag;
        FD_TRY(end_tag(P));
        FD_TRY(body(P, ends, out, &tag));
        return end_tag(P);
    }
    if (tag_is(t, "break") || tag_is(t, "continue")) {
        jnode *x;
        P->i--;
        if (!P->loops) return perr(P, FD_ERR_FORMAT, "'%.*s' outside a for loop", (int)t->n, t->p);
        P->i++;
        NEW(x, tag_is(t, "break") ? S_BREAK : S_CONTINUE, line);
        FD_TRY(end_tag(P));
        *out = x;
        return FD_OK;
    }
    P->i--;
    for (size_t k = 0; refused[k]; k++)
        if (tag_is(t, refused[k])) return perr(P, FD_ERR_UNSUPPORTED, "the '%s' tag is not supported", refused[k]);
    if ((t->n > 3 && !memcmp(t->p, "end", 3)) || tag_is(t, "elif") || tag_is(t, "else"))
        return perr(P, FD_ERR_FORMAT, "'{%% %.*s %%}' without the tag it would close", (int)(t->n > 40 ? 40 : t->n), t->p);
    return perr(P, FD_ERR_FORMAT, "unknown tag '%.*s'", (int)(t->n > 40 ? 40 : t->n), t->p);
}

/* Statements up to one of `ends` (NULL-terminated; NULL: up to the end of the
 * template). On return P->i is on the end tag's '%}' and *end_tag names it. */
static fd_status body(parser *P, const char *const *ends, jnode **out, const char **end_tag_name)
{
    jnode *b;
    NEW(b, S_BODY, cur(P)->line);
    if (++P->depth > 200) return perr(P, FD_ERR_RANGE, "blocks nested more than 200 deep");
    for (;;) {
        const jtok *t = cur(P);
        jnode *x = NULL;
        if (t->kind == T_EOF) {
            if (!ends) break;
            char w[64];
            size_t k = 0;
            while (ends[k + 1]) k++;   /* the closing tag is listed last */
            snprintf(w, sizeof w, "'{%% %s %%}'", ends[k]);
            return unexpected(P, w);
        }
        if (t->kind == T_TEXT) {
            NEW(x, S_TEXT, t->line);
            x->lit = jv_str(t->p, t->n);
            P->i++;
        } else if (t->kind == T_VAR_BEGIN) {
            NEW(x, S_OUT, t->line);
            P->i++;
            FD_TRY(jp_tuple_expr(P, 1, &x->a));
            if (cur(P)->kind != T_VAR_END) return unexpected(P, "'}}'");
            P->i++;
        } else if (t->kind == T_BLOCK_BEGIN) {
            const jtok *name = &P->t[P->i + 1];
            for (size_t k = 0; ends && ends[k]; k++)
                if (tag_is(name, ends[k])) {
                    P->i += 2;
                    *end_tag_name = ends[k];
                    *out = b;
                    P->depth--;
                    return FD_OK;
                }
            P->i++;
            if (ends && name->kind == T_NAME && ((name->n > 3 && !memcmp(name->p, "end", 3)) || tag_is(name, "elif") ||
                                                 tag_is(name, "else"))) {
                char w[64];
                size_t k = 0;
                while (ends[k + 1]) k++;
                snprintf(w, sizeof w, "'{%% %s %%}'", ends[k]);
                return unexpected(P, w);
            }
            FD_TRY(statement(P, &x));
        } else {
            return unexpected(P, "text or a tag");
        }
        FD_TRY(add_kid(P, b, x));
    }
    P->depth--;
    *out = b;
    return FD_OK;
}

/* Jinja refuses an unknown filter or test name when it compiles the template,
 * unless the use sits in an if statement or a conditional expression (a "soft"
 * frame: then the error waits until it runs); a for loop, macro or set block
 * starts a new frame. We do the same, so a template Jinja refuses is refused. */
static fd_status check_names(fd_error *err, const jnode *n, int soft, int depth)
{
    if (!n || depth > 1000) return FD_OK;
    if ((n->kind == N_FILTER && !jinja_filter_known(n->name)) || (n->kind == N_TEST && !jinja_test_known(n->name))) {
        if (!soft)
            return fd_error_set(err, FD_ERR_FORMAT, "template line %d: no %s named '%s'", n->line,
                                n->kind == N_FILTER ? "filter" : "test", n->name);
    }
    if (n->kind == S_IF || n->kind == N_COND) soft = 1;
    if (n->kind == S_FOR) FD_TRY(check_names(err, n->b, soft, depth + 1));
    if (n->kind == S_FOR || n->kind == S_MACRO || n->kind == S_SETBLOCK || n->kind == S_FILTERBLOCK) soft = 0;
    const jnode *kids[5] = { n->a, n->kind == S_FOR ? NULL : n->b, n->c, n->d, n->e };
    for (int i = 0; i < 5; i++) FD_TRY(check_names(err, kids[i], soft, depth + 1));
    for (size_t i = 0; i < n->n; i++) FD_TRY(check_names(err, n->v[i], soft, depth + 1));
    return FD_OK;
}

fd_status jinja_parse(jarena *a, const jtok *toks, size_t n, jnode **root, fd_error *err)
{
    parser P = { .a = a, .err = err, .t = toks, .n = n };
    const char *tag = NULL;
    *root = NULL;
    FD_TRY(body(&P, NULL, root, &tag));
    return check_names(err, *root, 0, 0);
}
