/* jinja_exec.c — runs statements: text and {{ }} output, if, for (loop
 * variable with loop.cycle, else, filter, break/continue), set (name, namespace attribute,
 * tuple, block capture), macro definitions and calls (varargs, kwargs,
 * caller), call blocks and filter blocks.
 *
 * Layer: text (internal, see jinja.h). Scopes: the template's top scope holds
 * its `set`s; each for-loop iteration gets a fresh scope over the enclosing
 * one (Jinja's rule: assignments in a loop body stay in it); a macro call gets
 * a scope over the template's top scope. */
#include <string.h>
#include "base/mem.h"
#include "text/jinja.h"

static fd_status exec(jctx *c, const jnode *body);

static fd_status nomem(jctx *c)
{
    if (c->a->over) return jerr(c, FD_ERR_RANGE, 0, "memory limit of %zu bytes reached", c->a->limit);
    return fd_error_set(c->err, FD_ERR_NOMEM, "template: out of memory");
}

static fd_status set_name(jctx *c, const char *name, jv v)
{
    return jd_set(c, c->scope->vars, jv_str(name, strlen(name)), v);
}

/* Binds `target` (a name, ns.attr, or a tuple of names) to v. */
static fd_status assign(jctx *c, const jnode *target, jv v, int line)
{
    if (target->kind == N_NAME) return set_name(c, target->name, v);
    if (target->kind == N_ATTR) {
        jv ns;
        FD_TRY(jinja_eval(c, target->a, &ns));
        if (ns.t != JV_DICT || !ns.u.d->ns)
            return jerr(c, FD_ERR_INVALID, line, "cannot assign attribute on non-namespace object '%s'", target->a->name);
        return jd_set(c, ns.u.d, jv_str(target->name, strlen(target->name)), v);
    }
    if (v.t != JV_LIST || v.u.l->n != target->n) {
        if (v.t == JV_STR && ju_len(v.u.s.p, v.u.s.n) == target->n) {   /* a, b = "xy" */
            size_t off = 0, l;
            for (size_t i = 0; i < target->n; i++, off += l) {
                ju_decode(v.u.s.p + off, v.u.s.n - off, &l);
                FD_TRY(assign(c, target->v[i], jv_str(v.u.s.p + off, l), line));
            }
            return FD_OK;
        }
        return jerr(c, FD_ERR_INVALID, line, "cannot unpack %s into %zu names", jv_typename(v), target->n);
    }
    for (size_t i = 0; i < target->n; i++) FD_TRY(assign(c, target->v[i], v.u.l->v[i], line));
    return FD_OK;
}

/* The values a for loop walks: list items, dict keys, string characters. */
static fd_status iter_items(jctx *c, int line, jv v, jlist **out)
{
    if (v.t == JV_LIST) {
        *out = v.u.l;
        return FD_OK;
    }
    if (v.t == JV_UNDEF) {   /* iterating an undefined value gives nothing, as in Jinja */
        if (!(*out = jl_new(c, 0))) return nomem(c);
        return FD_OK;
    }
    if (v.t == JV_DICT && !v.u.d->ns) {
        jlist *l = jl_new(c, v.u.d->n);
        if (!l) return nomem(c);
        memcpy(l->v, v.u.d->k, v.u.d->n * sizeof(jv));
        l->n = v.u.d->n;
        *out = l;
        return FD_OK;
    }
    if (v.t == JV_STR) {
        jlist *l = jl_new(c, ju_len(v.u.s.p, v.u.s.n));
        size_t len;
        if (!l) return nomem(c);
        for (size_t i = 0; i < v.u.s.n; i += len) {
            ju_decode(v.u.s.p + i, v.u.s.n - i, &len);
            l->v[l->n++] = jv_str(v.u.s.p + i, len);
        }
        *out = l;
        return FD_OK;
    }
    return jerr(c, FD_ERR_INVALID, line, "'%s' object is not iterable", jv_typename(v));
}

static fd_status loop_set(jctx *c, jdict *loop, const char *k, jv v)
{
    return jd_set(c, loop, jv_str(k, strlen(k)), v);
}

static fd_status stmt_for(jctx *c, const jnode *n)
{
    jv seq;
    jlist *items = NULL;
    jframe fr = { .up = c->scope }, *saved = c->scope;
    jdict *loop;
    fd_status rc = FD_OK;
    FD_TRY(jinja_eval(c, n->b, &seq));
    FD_TRY(iter_items(c, n->line, seq, &items));
    jfunc *cycle = ja_alloc(c->a, sizeof *cycle);
    if (!cycle || !(fr.vars = jd_new(c, 8)) || !(loop = jd_new(c, 12))) return nomem(c);
    memset(cycle, 0, sizeof *cycle);
    cycle->kind = JF_CYCLE;
    cycle->name = "cycle";
    cycle->self.t = JV_DICT;
    cycle->self.u.d = loop;
    c->scope = &fr;
    if (n->e) {   /* the loop filter: {% for x in xs if cond %} */
        jlist *kept = jl_new(c, items->n);
        if (!kept) rc = nomem(c);
        for (size_t i = 0; rc == FD_OK && i < items->n; i++) {
            jv ok;
            fr.vars->n = 0;
            rc = jstep(c, n->line);
            if (rc == FD_OK) rc = assign(c, n->a, items->v[i], n->line);
            if (rc == FD_OK) rc = jinja_eval(c, n->e, &ok);
            if (rc == FD_OK && jv_truthy(ok)) kept->v[kept->n++] = items->v[i];
        }
        items = kept;
    }
    for (size_t i = 0; rc == FD_OK && i < items->n; i++) {
        size_t len = items->n;
        jv lv = { .t = JV_DICT };
        lv.u.d = loop;
        fr.vars->n = 0;
        rc = jstep(c, n->line);
        if (rc == FD_OK) rc = loop_set(c, loop, "index", jv_int((int64_t)i + 1));
        if (rc == FD_OK) rc = loop_set(c, loop, "index0", jv_int((int64_t)i));
        if (rc == FD_OK) rc = loop_set(c, loop, "revindex", jv_int((int64_t)(len - i)));
        if (rc == FD_OK) rc = loop_set(c, loop, "revindex0", jv_int((int64_t)(len - i - 1)));
        if (rc == FD_OK) rc = loop_set(c, loop, "first", jv_bool(i == 0));
        if (rc == FD_OK) rc = loop_set(c, loop, "last", jv_bool(i + 1 == len));
        if (rc == FD_OK) rc = loop_set(c, loop, "length", jv_int((int64_t)len));
        if (rc == FD_OK) rc = loop_set(c, loop, "depth", jv_int(1));
        if (rc == FD_OK) rc = loop_set(c, loop, "depth0", jv_int(0));
        if (rc == FD_OK) rc = loop_set(c, loop, "previtem", i ? items->v[i - 1] : jv_undef("previtem"));
        if (rc == FD_OK) rc = loop_set(c, loop, "nextitem", i + 1 < len ? items->v[i + 1] : jv_undef("nextitem"));
        if (rc == FD_OK) rc = loop_set(c, loop, "cycle", (jv){ .t = JV_FUNC, .u.fn = cycle });
        if (rc == FD_OK) rc = set_name(c, "loop", lv);
        if (rc == FD_OK) rc = assign(c, n->a, items->v[i], n->line);
        if (rc == FD_OK) rc = exec(c, n->c);
        if (c->ctl == 1) {
            c->ctl = 0;
            break;
        }
        c->ctl = 0;
    }
    c->scope = saved;
    if (rc == FD_OK && !items->n && n->d) rc = exec(c, n->d);
    return rc;
}

/* Runs body with output going to a fresh buffer; *out is its text. */
static fd_status capture(jctx *c, const jnode *body, jv *out)
{
    jbuf b = { 0 }, *saved = c->out;
    fd_status rc;
    c->out = &b;
    rc = exec(c, body);
    c->out = saved;
    return jbuf_finish(c, &b, rc, out);
}

fd_status jinja_call_macro(jctx *c, int line, const jfunc *f, jv *args, size_t npos, size_t nargs,
                           const char **kwnames, jv *out)
{
    const jnode *m = f->macro;
    jframe fr = { .up = f->scope ? f->scope : c->globals }, *saved = c->scope;
    jlist *varargs = NULL;
    jdict *kwargs = NULL;
    jv caller = jv_undef("caller");
    fd_status rc = FD_OK;
    if (npos > m->n && !(m->op & MACRO_VARARGS))
        return jerr(c, FD_ERR_INVALID, line, "macro '%s' takes not more than %zu argument(s)", m->name, m->n);
    if (++c->depth > c->max_depth) return jerr(c, FD_ERR_RANGE, line, "recursion deeper than %d (the limit)", c->max_depth);
    if (!(fr.vars = jd_new(c, m->n + 4)) || !(varargs = jl_new(c, 0)) || !(kwargs = jd_new(c, 0))) {
        c->depth--;
        return nomem(c);
    }
    c->scope = &fr;
    for (size_t i = 0; rc == FD_OK && i < npos; i++)
        rc = i < m->n ? set_name(c, m->v[i]->name, args[i]) : jl_push(c, varargs, args[i]);
    for (size_t i = npos; rc == FD_OK && i < nargs; i++) {
        size_t k = 0;
        while (k < m->n && strcmp(m->v[k]->name, kwnames[i])) k++;
        if (k < m->n && (k < npos || jd_gets(fr.vars, kwnames[i])))
            rc = jerr(c, FD_ERR_INVALID, line, "macro '%s' got multiple values for argument '%s'", m->name, kwnames[i]);
        else if (k < m->n) rc = set_name(c, kwnames[i], args[i]);
        else if (!strcmp(kwnames[i], "caller") && (m->op & MACRO_CALLER)) caller = args[i];
        else if (m->op & MACRO_KWARGS) rc = jd_set(c, kwargs, jv_str(kwnames[i], strlen(kwnames[i])), args[i]);
        else rc = jerr(c, FD_ERR_INVALID, line, "macro '%s' takes no keyword argument '%s'", m->name, kwnames[i]);
    }
    for (size_t k = 0; rc == FD_OK && k < m->n; k++) {
        jv d;
        if (jd_gets(fr.vars, m->v[k]->name)) continue;
        if (m->v[k]->kind == N_KWARG) rc = jinja_eval(c, m->v[k]->a, &d);
        else d = jv_undef(m->v[k]->name);
        if (rc == FD_OK) rc = set_name(c, m->v[k]->name, d);
    }
    varargs->tuple = 1;   /* Python collects them in a tuple */
    if (rc == FD_OK && (m->op & MACRO_VARARGS)) rc = set_name(c, "varargs", (jv){ .t = JV_LIST, .u.l = varargs });
    if (rc == FD_OK && (m->op & MACRO_KWARGS)) rc = set_name(c, "kwargs", (jv){ .t = JV_DICT, .u.d = kwargs });
    if (rc == FD_OK && (m->op & MACRO_CALLER)) rc = set_name(c, "caller", caller);
    if (rc == FD_OK) rc = capture(c, m->c, out);
    c->scope = saved;
    c->depth--;
    return rc;
}

/* {% call m(args) %}body{% endcall %}: m(args, caller=<the body as a macro over this scope>), output. */
static fd_status call_block(jctx *c, const jnode *n)
{
    jfunc *f = ja_alloc(c->a, sizeof *f);
    jv v = { .t = JV_FUNC }, r;
    if (!f) return nomem(c);
    memset(f, 0, sizeof *f);
    f->kind = JF_MACRO;
    f->name = "caller";
    f->macro = n->b;
    f->scope = c->scope;   /* valid while this statement runs; a caller kept past it is a closure Jinja has, we do not */
    v.u.fn = f;
    fd_status rc = jinja_call_node(c, n->a, "caller", v, &r);
    f->scope = NULL;
    FD_TRY(rc);
    return jv_str_append(c, c->out, r);
}

static fd_status stmt(jctx *c, const jnode *n)
{
    jv v;
    switch (n->kind) {
    case S_TEXT: return jbuf_add(c, c->out, n->lit.u.s.p, n->lit.u.s.n);
    case S_OUT:
        FD_TRY(jinja_eval(c, n->a, &v));
        return jv_str_append(c, c->out, v);
    case S_IF:
        for (; n->kind == S_IF; n = n->c) {   /* if, elif, elif... */
            FD_TRY(jinja_eval(c, n->a, &v));
            if (jv_truthy(v)) return exec(c, n->b);
            if (!n->c) return FD_OK;
        }
        return exec(c, n);
    case S_FOR: return stmt_for(c, n);
    case S_SET:
        FD_TRY(jinja_eval(c, n->b, &v));
        return assign(c, n->a, v, n->line);
    case S_SETBLOCK:
        FD_TRY(capture(c, n->c, &v));
        if (n->b) {   /* {% set x | filters %}: the filters see the text as " captured" */
            FD_TRY(set_name(c, " captured", v));
            FD_TRY(jinja_eval(c, n->b, &v));
        }
        return set_name(c, n->name, v);
    case S_MACRO: {
        jfunc *f = ja_alloc(c->a, sizeof *f);
        if (!f) return nomem(c);
        memset(f, 0, sizeof *f);
        f->kind = JF_MACRO;
        f->name = n->name;
        f->macro = n;
        v.t = JV_FUNC;
        v.u.fn = f;
        return set_name(c, n->name, v);
    }
    case S_CALLBLOCK: return call_block(c, n);
    case S_FILTERBLOCK: {   /* the body's text through the filters */
        jframe fr = { .up = c->scope }, *saved = c->scope;
        fd_status rc;
        FD_TRY(capture(c, n->c, &v));
        if (!(fr.vars = jd_new(c, 1))) return nomem(c);
        c->scope = &fr;
        rc = set_name(c, " captured", v);
        if (rc == FD_OK) rc = jinja_eval(c, n->b, &v);
        c->scope = saved;
        FD_TRY(rc);
        return jv_str_append(c, c->out, v);
    }
    case S_BREAK: c->ctl = 1; return FD_OK;
    case S_CONTINUE: c->ctl = 2; return FD_OK;
    case S_BODY: return exec(c, n);
    default: return jerr(c, FD_ERR_STATE, n->line, "internal: node %d is not a statement", (int)n->kind);
    }
}

static fd_status exec(jctx *c, const jnode *body)
{
    fd_status rc = FD_OK;
    if (++c->depth > c->max_depth) return jerr(c, FD_ERR_RANGE, body->line, "nesting deeper than %d (the limit)", c->max_depth);
    for (size_t i = 0; rc == FD_OK && i < body->n && !c->ctl; i++) rc = stmt(c, body->v[i]);
    c->depth--;
    return rc;
}

fd_status jinja_render(jctx *c, const jnode *body)
{
    c->scope = c->globals;
    c->ctl = 0;
    return exec(c, body);
}
