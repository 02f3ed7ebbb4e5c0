/* jinja.h — the chat-template interpreter's shared types: the arena every
 * value and node lives in, the value (a Python object as Jinja sees it), the
 * syntax tree, and the render context.
 *
 * Layer: text (internal to jinja_*.c and template.c). Pipeline:
 *   source --jinja_lex--> tokens --jinja_parse--> tree (template arena)
 *   tree + variables --jinja_render--> output bytes (render arena, freed after).
 * Files: jinja_lex.c (tokens, whitespace rules), jinja_parse.c (expressions),
 * jinja_stmt.c (tags, name checks), jinja_value.c (arena, values, str/repr),
 * jinja_eval.c (expressions), jinja_exec.c (statements, scopes, macros),
 * jinja_method.c (attributes, items, methods, globals), jinja_filter.c
 * (filters, tests), jinja_json.c (JSON in, tojson out), jinja_repr.c (repr of
 * strings), jinja_sort.c (dictsort, sort, min, max), jinja_format.c (% and
 * str.format), jinja_global.c (cycler, joiner, lipsum); template.c and
 * template_load.c are the public API (include/foundry/template.h).
 * Invariants:
 *   1. Every value and node is allocated in an arena and never freed alone;
 *      an arena is dropped whole (ja_free). Values are immutable once built,
 *      except a namespace's attributes (`set ns.x = ...`), as in Jinja's
 *      ImmutableSandboxedEnvironment.
 *   2. Strings are UTF-8, pointer + length, not NUL-terminated; they may point
 *      into the template source (literals) or into an arena.
 *   3. Nothing here is global: a render touches only its jctx, so renders of
 *      one template may run on several threads at once. */
#ifndef FD_TEXT_JINJA_H
#define FD_TEXT_JINJA_H

#include <stddef.h>
#include <stdint.h>
#include "foundry/status.h"

/* ---- arena ------------------------------------------------------------- */
typedef struct jchunk jchunk;
typedef struct jarena {
    jchunk *head;       /* newest chunk first */
    size_t total;       /* bytes obtained from fd_malloc so far */
    size_t limit;       /* ja_alloc fails past this many bytes (0: no limit) */
    int over;           /* 1 once an allocation failed because of `limit` */
} jarena;

void *ja_alloc(jarena *a, size_t n);     /* 8-byte aligned, NULL on failure */
void ja_free(jarena *a);                 /* drops every allocation; a is reusable */

/* ---- values ------------------------------------------------------------ */
typedef enum { JV_UNDEF, JV_NONE, JV_BOOL, JV_INT, JV_FLOAT, JV_STR, JV_LIST, JV_DICT, JV_FUNC } jv_type;

typedef struct jlist jlist;
typedef struct jframe jframe;
typedef struct jdict jdict;
typedef struct jfunc jfunc;

typedef struct jv {
    jv_type t;
    unsigned char why;     /* JV_UNDEF: 0 an unknown name, 1 a missing attribute, 2 a missing element;
                              JV_STR: JV_SAFE for Markup (made by |safe, |e), else 0;
                              JV_FLOAT: JV_BIGINT for Python's int of a double beyond 64 bits */
    unsigned char of;      /* JV_UNDEF with why > 0: the object's type (jv_typecode) */
    union {
        int b;                                 /* JV_BOOL */
        int64_t i;                             /* JV_INT */
        double f;                              /* JV_FLOAT */
        struct { const char *p; size_t n; } s; /* JV_STR; JV_UNDEF: its name (may be empty) */
        jlist *l;
        jdict *d;
        jfunc *fn;
    } u;
} jv;

enum { JV_SAFE = 1, JV_BIGINT = 1 };   /* a Markup string: `+` escapes the plain string it meets (autoescape stays off) */

/* tuple: repr with (); gen: the lazy result of select/map...: always true, no len(), as Jinja's generators */
struct jlist { size_t n, cap; jv *v; int tuple, gen; };
struct jdict { size_t n, cap; jv *k, *v; int ns; };          /* ns: a namespace() */

/* Built-in callables: globals and bound methods. */
typedef enum {
    JF_RAISE, JF_STRFTIME, JF_NAMESPACE, JF_RANGE, JF_DICT, JF_MACRO,
    JF_CYCLE,    /* loop.cycle(a, b...): `self` is the loop object */
    JF_METHOD,   /* a str/dict method bound to `self`; `name` says which */
    /* jinja_global.c: constructors, and objects whose `self` is their state dict */
    JF_LIPSUM, JF_CYCLER, JF_JOINER, JF_CYCLER_OBJ, JF_CYCLER_NEXT, JF_CYCLER_RESET, JF_JOINER_OBJ
} jfunc_kind;
struct jfunc {
    jfunc_kind kind;
    const char *name;   /* method or macro name, NUL-terminated */
    jv self;            /* JF_METHOD: the object */
    const struct jnode *macro;   /* JF_MACRO */
    jframe *scope;      /* JF_MACRO: the scope its body runs over (a call block's caller: the block's scope;
                           NULL: the template's top scope). Lives only while the call block runs. */
};

/* ---- syntax tree --------------------------------------------------------- */
typedef enum {
    /* expressions */
    N_LIT, N_NAME, N_LIST, N_TUPLE, N_DICT, N_ATTR, N_ITEM, N_SLICE, N_CALL, N_KWARG,
    N_FILTER, N_TEST, N_NEG, N_POS, N_NOT, N_AND, N_OR, N_BIN, N_COND,
    N_STAR,      /* an argument *a (op 1) or **a (op 2) */
    /* statements */
    S_BODY, S_TEXT, S_OUT, S_IF, S_FOR, S_SET, S_SETBLOCK, S_BREAK, S_CONTINUE, S_MACRO,
    S_CALLBLOCK, S_FILTERBLOCK
} jnode_kind;

/* A macro body's use of Jinja's implicit parameters (S_MACRO's op): extra
 * positional arguments go to `varargs`, unknown keywords to `kwargs`, a call
 * block's body is `caller`, but only for a macro that names them. */
enum { MACRO_VARARGS = 1, MACRO_KWARGS = 2, MACRO_CALLER = 4 };

/* Binary operators (N_BIN's op). */
enum { OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_FLOORDIV, OP_MOD, OP_POW, OP_CONCAT,
       OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE, OP_IN, OP_NOTIN };

typedef struct jnode {
    jnode_kind kind;
    int op;                  /* N_BIN: OP_*; N_TEST: 1 when negated (is not); N_STAR: 1 or 2 stars;
                                S_MACRO: the MACRO_* names its body uses */
    int line;                /* 1-based line in the template */
    const char *name;        /* NUL-terminated: N_NAME, N_ATTR, N_FILTER, N_TEST, N_KWARG, S_MACRO */
    jv lit;                  /* N_LIT; S_TEXT's text */
    struct jnode *a, *b, *c, *d, *e;   /* children; meaning per kind (jinja_parse.c) */
    struct jnode **v;        /* argument / item / statement list */
    size_t n;
} jnode;

/* ---- lexer --------------------------------------------------------------- */
typedef enum { T_TEXT, T_VAR_BEGIN, T_VAR_END, T_BLOCK_BEGIN, T_BLOCK_END, T_NAME, T_STRING, T_INT,
               T_FLOAT, T_OP, T_EOF } jtok_kind;
typedef struct jtok {
    jtok_kind kind;
    int line;
    const char *p;      /* T_TEXT, T_NAME, T_OP: the bytes; T_STRING: the unescaped value */
    size_t n;
    int64_t i;          /* T_INT */
    double f;           /* T_FLOAT */
} jtok;

/* Splits src into tokens (in arena a) with Jinja's whitespace handling as
 * transformers configures it: trim_blocks, lstrip_blocks, `-` markers, and the
 * one trailing newline dropped. FD_ERR_FORMAT naming the line on bad input. */
fd_status jinja_lex(jarena *a, const char *src, size_t len, jtok **toks, size_t *n, fd_error *err);

/* Tokens -> the template's body (an S_BODY node). */
fd_status jinja_parse(jarena *a, const jtok *toks, size_t n, jnode **root, fd_error *err);

/* ---- evaluation ------------------------------------------------------ */
struct jframe {            /* one scope: names set in it, and the scope it sits in */
    jframe *up;
    jdict *vars;
};

typedef struct jbuf { char *p; size_t n, cap; } jbuf;   /* fd_malloc'd */

typedef struct jctx {
    jarena *a;             /* render arena: every value of this render */
    fd_error *err;
    jframe *globals;       /* the template's top scope (its variables; built-ins below it) */
    jframe *scope;         /* the innermost scope now */
    jbuf *out;             /* where text goes (swapped while capturing) */
    size_t max_output;     /* bytes */
    uint64_t steps, max_steps;   /* loop iterations + calls so far / allowed */
    int depth, max_depth;  /* evaluation nesting / allowed */
    int ctl;               /* 1 break, 2 continue pending */
    int64_t now;           /* strftime_now's time: Unix seconds UTC; INT64_MIN: the clock, local */
} jctx;

/* Renders a template body into c->out (jinja_exec.c). */
fd_status jinja_render(jctx *c, const jnode *body);
/* Calls the N_CALL node n, with one more keyword argument extra_name=extra
 * when extra_name is not NULL (jinja_eval.c). */
fd_status jinja_call_node(jctx *c, const jnode *n, const char *extra_name, jv extra, jv *out);
/* Evaluates one expression (jinja_eval.c). */
fd_status jinja_eval(jctx *c, const jnode *n, jv *out);

/* Errors carrying the template line. */
fd_status jerr(jctx *c, fd_status st, int line, const char *fmt, ...) FD_PRINTF(4, 5);

/* Values (jinja_value.c). */
jv jv_undef(const char *name);
/* The undefined value of obj.name (element 0: attribute) or obj[name] (element 1), for Jinja's messages. */
jv jv_undef_of(jv obj, const char *name, int element);
/* FD_ERR_INVALID with Jinja's message for using u ("'x' is undefined", "'dict object' has no attribute 'y'"). */
fd_status jv_undef_err(jctx *c, int line, jv u);
jv jv_none(void);
jv jv_bool(int b);
jv jv_int(int64_t i);
jv jv_float(double f);
jv jv_str(const char *p, size_t n);
jv jv_list(jlist *l);   /* the list value of l */
fd_status jv_strdup(jctx *c, const char *p, size_t n, jv *out);
jlist *jl_new(jctx *c, size_t cap);
/* The tuple (k, v), as dict.items() and dictsort give each entry; NULL when out of memory. */
jlist *jl_pair(jctx *c, jv k, jv v);
fd_status jl_push(jctx *c, jlist *l, jv v);
jdict *jd_new(jctx *c, size_t cap);
fd_status jd_set(jctx *c, jdict *d, jv k, jv v);
const jv *jd_get(const jdict *d, jv k);
const jv *jd_gets(const jdict *d, const char *k);
int jv_truthy(jv v);
int jv_eq(jv a, jv b);
/* <0, 0, >0; FD_ERR_INVALID through c when the types do not order. */
fd_status jv_cmp(jctx *c, int line, jv a, jv b, int *out);
const char *jv_typename(jv v);
/* Python's str(v) / repr(v), appended to b. */
fd_status jv_str_append(jctx *c, jbuf *b, jv v);
fd_status jv_repr_append(jctx *c, jbuf *b, jv v);
/* Python's repr of the string s[0..n) (jinja_repr.c). */
fd_status jv_repr_str(jctx *c, jbuf *b, const char *s, size_t n);
/* The exact decimal digits of the integer-valued double f (a JV_BIGINT). */
fd_status jv_bigint_append(jctx *c, jbuf *b, double f);
/* Python's str(v) as a string value. */
fd_status jv_to_str(jctx *c, jv v, jv *out);
/* markupsafe's escape(): a Markup string as is, anything else str() with & < > " ' escaped, as Markup. */
fd_status jv_escape(jctx *c, jv v, jv *out);
fd_status jbuf_add(jctx *c, jbuf *b, const char *p, size_t n);
/* Ends building a string in b: when rc is FD_OK *out becomes b's text (copied
 * into the arena); b's buffer is freed either way. Returns rc or the copy's status. */
fd_status jbuf_finish(jctx *c, jbuf *b, fd_status rc, jv *out);
/* Code points of s[0..n) (malformed bytes count one each). */
size_t ju_len(const char *s, size_t n);
/* Byte offset of code point k (k may equal the length). */
size_t ju_off(const char *s, size_t n, size_t k);
int ju_isspace(uint32_t cp);
uint32_t ju_decode(const char *s, size_t n, size_t *len);   /* one code point; *len bytes used */
fd_status jv_float_repr(jctx *c, jbuf *b, double f, int json);

/* Python str.strip / lstrip / rstrip: which 1 left, 2 right, 3 both; chars NULL = whitespace. */
jv ju_strip(jv s, const jv *chars, int which);

/* Filters, tests, methods, globals (jinja_filter.c, jinja_method.c, jinja_json.c). */
int jinja_filter_known(const char *name);   /* 1 implemented, 2 Jinja has it but we refuse, 0 unknown */
int jinja_test_known(const char *name);
fd_status jinja_filter(jctx *c, const jnode *n, jv in, jv *args, size_t npos, size_t nargs, const char **kwnames,
                       jv *out);
fd_status jinja_test(jctx *c, const jnode *n, jv in, jv *args, size_t nargs, int *out);
/* The items a filter iterates: a list as is, dict keys, string characters, nothing for undefined. */
fd_status jinja_seq(jctx *c, int line, jv v, jlist **out);
/* item.a.b (or item[int]) as Jinja's attribute= arguments look it up: items first, then attributes. */
fd_status jinja_attr_path(jctx *c, int line, jv item, jv path, jv *out);
/* dictsort, sort, min, max (jinja_sort.c); f names the filter, arguments as jinja_filter's. */
fd_status jinja_sort_filter(jctx *c, int line, const char *f, jv in, jv *args, size_t npos, size_t nargs,
                            const char **kw, jv *out);
/* Attribute `name` of obj (Jinja's getattr: methods first, then items). */
fd_status jinja_getattr(jctx *c, int line, jv obj, const char *name, jv *out);
fd_status jinja_getitem(jctx *c, int line, jv obj, jv key, jv *out);
/* Calls f; kwnames[i] names args[i] for i >= npos (keyword arguments). */
fd_status jinja_call(jctx *c, int line, jv f, jv *args, size_t npos, size_t nargs, const char **kwnames, jv *out);
fd_status jinja_call_macro(jctx *c, int line, const jfunc *f, jv *args, size_t npos, size_t nargs,
                           const char **kwnames, jv *out);
/* Python's upper / lower / title / capitalize: mode 'u', 'l', 't', 'c'. */
fd_status jinja_case(jctx *c, jv s, int mode, jv *out);
fd_status jinja_tojson(jctx *c, int line, jv v, jv *args, size_t npos, size_t nargs, const char **kwnames, jv *out);

/* A jansson value as an interpreter value (strings copied into the arena). */
struct json_t;
fd_status jinja_from_json(jctx *c, const struct json_t *j, int depth, jv *out);

/* Python's fmt % args (printf-style; a tuple, a dict for %(name)s, or one value)
 * and fmt.format(*args, **kwargs) (jinja_format.c). */
fd_status jinja_percent(jctx *c, int line, jv fmt, jv args, jv *out);
fd_status jinja_str_format(jctx *c, int line, jv fmt, jv *args, size_t npos, size_t nargs, const char **kw, jv *out);

/* Calls of lipsum, cycler, joiner and their objects; attributes of a cycler (jinja_global.c). */
fd_status jinja_global_call(jctx *c, int line, const jfunc *f, jv *args, size_t npos, size_t nargs, const char **kw,
                            jv *out);
fd_status jinja_global_attr(jctx *c, jv obj, const char *name, jv *out);

/* Counts one unit of work against the step limit. */
fd_status jstep(jctx *c, int line);

#endif
