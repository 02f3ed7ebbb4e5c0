/* template.c — the public chat-template API (include/foundry/template.h):
 * create = lex + parse into the template's arena; render = a fresh arena and
 * context per call, the variables transformers passes (messages, tools,
 * documents, add_generation_prompt, the special tokens) over the built-in
 * functions, then the tree walk.
 *
 * Layer: text. A template owns one arena (its normalised source, tokens and
 * tree) and is never written after create, so renders may run concurrently. */
#include <jansson.h>
#include <string.h>
#include "base/mem.h"
#include "foundry/template.h"
#include "text/jinja.h"

struct fd_template {
    jarena a;        /* source copy, tokens, tree */
    jnode *root;     /* S_BODY */
};

void fd_template_options_init(fd_template_options *opt)
{
    memset(opt, 0, sizeof *opt);
    opt->now = FD_TEMPLATE_NOW_CLOCK;
}

fd_status fd_template_create(const char *src, size_t len, fd_template **out, fd_error *err)
{
    fd_template *t;
    jtok *toks;
    size_t n;
    fd_status rc;
    if (!out) return fd_error_set(err, FD_ERR_INVALID, "fd_template_create: out is NULL");
    *out = NULL;
    if (!src && len) return fd_error_set(err, FD_ERR_INVALID, "fd_template_create: src is NULL");
    if (!(t = fd_calloc(1, sizeof *t))) return fd_error_set(err, FD_ERR_NOMEM, "template: out of memory");
    rc = jinja_lex(&t->a, src ? src : "", len, &toks, &n, err);
    if (rc == FD_OK) rc = jinja_parse(&t->a, toks, n, &t->root, err);
    if (rc != FD_OK) {
        fd_template_destroy(t);
        return rc;
    }
    *out = t;
    return FD_OK;
}

void fd_template_destroy(fd_template *t)
{
    if (!t) return;
    ja_free(&t->a);
    fd_free(t);
}

void fd_template_free(char *text) { fd_free(text); }

static fd_status define(jctx *c, jframe *f, const char *name, jv v)
{
    return jd_set(c, f->vars, jv_str(name, strlen(name)), v);
}

static fd_status builtin(jctx *c, jframe *f, const char *name, jfunc_kind kind)
{
    jfunc *fn = ja_alloc(c->a, sizeof *fn);
    jv v = { .t = JV_FUNC };
    if (!fn) return fd_error_set(c->err, FD_ERR_NOMEM, "template: out of memory");
    memset(fn, 0, sizeof *fn);
    fn->kind = kind;
    fn->name = name;
    v.u.fn = fn;
    return define(c, f, name, v);
}

/* JSON text -> value; NULL text -> none. `what` names it in errors. */
static fd_status parse_json(jctx *c, const char *what, const char *text, size_t len, jv *out)
{
    json_error_t je;
    json_t *j;
    fd_status rc;
    if (!text) {
        *out = jv_none();
        return FD_OK;
    }
    if (!(j = json_loadb(text, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je)))
        return fd_error_set(c->err, FD_ERR_FORMAT, "%s: bad JSON at line %d column %d: %s", what, je.line, je.column, je.text);
    rc = jinja_from_json(c, j, 0, out);
    json_decref(j);
    return rc;
}

static fd_status setup(jctx *c, const fd_template_options *opt, jframe *base, jframe *top)
{
    jv v;
    if (!(base->vars = jd_new(c, 8)) || !(top->vars = jd_new(c, 16)))
        return fd_error_set(c->err, FD_ERR_NOMEM, "template: out of memory");
    FD_TRY(builtin(c, base, "raise_exception", JF_RAISE));
    FD_TRY(builtin(c, base, "strftime_now", JF_STRFTIME));
    FD_TRY(builtin(c, base, "namespace", JF_NAMESPACE));
    FD_TRY(builtin(c, base, "range", JF_RANGE));
    FD_TRY(builtin(c, base, "dict", JF_DICT));
    FD_TRY(builtin(c, base, "lipsum", JF_LIPSUM));
    FD_TRY(builtin(c, base, "cycler", JF_CYCLER));
    FD_TRY(builtin(c, base, "joiner", JF_JOINER));
    if (opt->vars_json) {
        FD_TRY(parse_json(c, "template variables", opt->vars_json, strlen(opt->vars_json), &v));
        if (v.t != JV_DICT) return fd_error_set(c->err, FD_ERR_INVALID, "template variables: not a JSON object");
        for (size_t i = 0; i < v.u.d->n; i++) {
            /* transformers passes these four as render()'s own keywords: a variable of the same name is
             * a duplicate keyword there (TypeError), and here it would be silently replaced */
            static const char *const own[] = { "messages", "tools", "documents", "add_generation_prompt", NULL };
            for (size_t k = 0; own[k]; k++)
                if (jv_eq(v.u.d->k[i], jv_str(own[k], strlen(own[k]))))
                    return fd_error_set(c->err, FD_ERR_INVALID, "template variables: '%s' is not a variable; it has its "
                                        "own option (fd_template_options.%s%s)", own[k], own[k],
                                        k == 0 ? ": the messages argument" : k == 3 ? "" : "_json");
            FD_TRY(jd_set(c, top->vars, v.u.d->k[i], v.u.d->v[i]));
        }
    }
    FD_TRY(parse_json(c, "tools", opt->tools_json, opt->tools_json ? strlen(opt->tools_json) : 0, &v));
    FD_TRY(define(c, top, "tools", v));
    FD_TRY(parse_json(c, "documents", opt->documents_json, opt->documents_json ? strlen(opt->documents_json) : 0, &v));
    FD_TRY(define(c, top, "documents", v));
    return define(c, top, "add_generation_prompt", jv_bool(opt->add_generation_prompt));
}

/* Renders with messages given as JSON text (text != NULL) or a jansson value. */
static fd_status render(const fd_template *t, const char *text, size_t len, const json_t *value,
                        const fd_template_options *opt, char **out, size_t *n, fd_error *err)
{
    fd_template_options defaults;
    jarena a = { 0 };
    jbuf buf = { 0 };
    jframe base = { 0 }, top = { .up = &base };
    jctx c = { .a = &a, .err = err, .globals = &top, .out = &buf };
    jv msgs;
    fd_status rc;
    if (!opt) {
        fd_template_options_init(&defaults);
        opt = &defaults;
    }
    a.limit = opt->limits.max_memory ? opt->limits.max_memory : (size_t)512 << 20;
    c.max_output = opt->limits.max_output ? opt->limits.max_output : (size_t)64 << 20;
    c.max_steps = opt->limits.max_steps ? opt->limits.max_steps : 10000000;
    c.max_depth = opt->limits.max_depth > 0 ? opt->limits.max_depth : 500;
    c.now = opt->now;
    rc = setup(&c, opt, &base, &top);
    if (rc == FD_OK && text) rc = parse_json(&c, "messages", text, len, &msgs);
    else if (rc == FD_OK) rc = jinja_from_json(&c, value, 0, &msgs);
    if (rc == FD_OK && msgs.t != JV_LIST) rc = fd_error_set(err, FD_ERR_INVALID, "messages: not a JSON array");
    if (rc == FD_OK) rc = define(&c, &top, "messages", msgs);
    if (rc == FD_OK) rc = jinja_render(&c, t->root);
    if (rc == FD_OK && !buf.p && !(buf.p = fd_calloc(1, 1)))
        rc = fd_error_set(err, FD_ERR_NOMEM, "template: out of memory");
    ja_free(&a);
    if (rc != FD_OK) {
        fd_free(buf.p);
        return rc;
    }
    *out = buf.p;
    *n = buf.n;
    return FD_OK;
}

fd_status fd_template_render(const fd_template *t, const char *messages_json, size_t len,
                             const fd_template_options *opt, char **text, size_t *n, fd_error *err)
{
    if (!text || !n) return fd_error_set(err, FD_ERR_INVALID, "fd_template_render: text or n is NULL");
    *text = NULL;
    *n = 0;
    if (!t || !messages_json) return fd_error_set(err, FD_ERR_INVALID, "fd_template_render: template or messages is NULL");
    return render(t, messages_json, len, NULL, opt, text, n, err);
}

fd_status fd_template_render_value(const fd_template *t, const struct json_t *messages,
                                   const fd_template_options *opt, char **text, size_t *n, fd_error *err)
{
    if (!text || !n) return fd_error_set(err, FD_ERR_INVALID, "fd_template_render_value: text or n is NULL");
    *text = NULL;
    *n = 0;
    if (!t || !messages) return fd_error_set(err, FD_ERR_INVALID, "fd_template_render_value: template or messages is NULL");
    return render(t, NULL, 0, messages, opt, text, n, err);
}
