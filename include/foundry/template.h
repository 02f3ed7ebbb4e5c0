/* template.h — chat templates: the Jinja text a model ships (tokenizer_config.json's
 * chat_template, chat_template.jinja, GGUF tokenizer.chat_template) rendered
 * into the prompt exactly as transformers' apply_chat_template renders it.
 *
 * Layer: text (public). The interpreter covers the Jinja subset chat templates
 * use, in the environment transformers builds: trim_blocks, lstrip_blocks,
 * break/continue, tojson as Python's json.dumps, raise_exception(msg),
 * strftime_now(fmt). A template is immutable once created, so one template may
 * be rendered from several threads at once; there is no global state.
 *
 * Supported: text, {{ }}, {# #}, whitespace control (- and +), {% raw %};
 * if/elif/else, for (else, `if` filter, tuple targets, loop.index/index0/
 * revindex/revindex0/first/last/length/previtem/nextitem/depth/cycle), break,
 * continue, set (name, namespace attribute, tuple, block with filters), macro
 * (positional, keyword and default arguments, recursion), {% generation %};
 * literals (str, int, float, bool, none, list, tuple, dict), + - * / // % **
 * ~, comparisons (chained), in / not in, and / or / not, x if c else y,
 * attribute / item access, slices with steps (by code point for strings);
 * filters abs capitalize count d default e escape first float indent int
 * items join last length list lower map reject rejectattr replace reverse
 * safe select selectattr string title tojson trim upper; tests boolean
 * callable defined divisibleby eq/equalto/== even false float ge/>= gt/> in
 * integer iterable le/<= lower lt/< mapping ne/!= none number odd sameas
 * sequence string true undefined upper; str methods strip lstrip rstrip split
 * startswith endswith replace upper lower title capitalize find count join;
 * dict methods items get keys values; globals namespace range dict
 * raise_exception strftime_now.
 * Refused with a message naming the construct and its line: include, import,
 * from, extends, block, call, filter, with, autoescape, do tags; recursive
 * loops; loop.changed; *args and **kwargs; '%' string formatting and
 * str.format; list/dict mutation (append, update, pop...); the filters and
 * tests Jinja has beyond the list above (groupby, sort, dictsort, unique...);
 * integers beyond 64 bits. Case mappings are Python's, with the one-to-many
 * mappings of the common letters only (ß, İ, ligatures...; not Greek iota
 * subscript forms).
 *
 * Errors: a construct the interpreter does not support is FD_ERR_UNSUPPORTED,
 * malformed template text FD_ERR_FORMAT, a runtime error (undefined value,
 * type error, raise_exception) FD_ERR_INVALID, a limit reached FD_ERR_RANGE;
 * each message starts "template line N:" where a line is known. */
#ifndef FOUNDRY_TEMPLATE_H
#define FOUNDRY_TEMPLATE_H

#include <stddef.h>
#include <stdint.h>
#include "foundry/status.h"

typedef struct fd_template fd_template;
struct json_t;   /* jansson */

/* Bounds on one render; a zero field takes the default shown. */
typedef struct fd_template_limits {
    uint64_t max_steps;     /* loop iterations + calls (10,000,000) */
    int max_depth;          /* nesting of evaluation, macro recursion included (500) */
    size_t max_output;      /* bytes of rendered text (64 MiB) */
    size_t max_memory;      /* bytes of values made while rendering (512 MiB) */
} fd_template_limits;

#define FD_TEMPLATE_NOW_CLOCK INT64_MIN

typedef struct fd_template_options {
    int add_generation_prompt;   /* the template's add_generation_prompt */
    const char *tools_json;      /* `tools`: JSON text (a list of schemas), NULL = none */
    const char *documents_json;  /* `documents`: JSON text, NULL = none */
    /* Other variables as a JSON object's text: the special tokens
     * ({"bos_token": "<s>", "eos_token": "</s>"}), enable_thinking, ... NULL = none.
     * messages, tools, documents and add_generation_prompt are refused here
     * (FD_ERR_INVALID): they have their own fields, as in transformers. */
    const char *vars_json;
    /* strftime_now's time: Unix seconds, formatted as UTC (tests fix it), or
     * FD_TEMPLATE_NOW_CLOCK: the clock, local time, as transformers does. */
    int64_t now;
    fd_template_limits limits;
} fd_template_options;

/* Defaults: no generation prompt, no tools/documents/variables, the clock, default limits. */
void fd_template_options_init(fd_template_options *opt);

/* Parses template text src[0..len) (need not be NUL-terminated, any bytes:
 * this is the entry point to fuzz). On success *out is freed with
 * fd_template_destroy; on failure *out is NULL and err names the line and what
 * is wrong (or unsupported). `src` is copied; memory grows with its length. */
fd_status fd_template_create(const char *src, size_t len, fd_template **out, fd_error *err);
void fd_template_destroy(fd_template *t);   /* NULL is fine */

/* Renders with `messages` = the JSON array messages_json[0..len) (a list of
 * {"role", "content", ...} objects). opt may be NULL (defaults). *text is
 * NUL-terminated and *n excludes the NUL; the caller frees *text with
 * fd_template_free. On failure *text is NULL and *n is 0. */
fd_status fd_template_render(const fd_template *t, const char *messages_json, size_t len,
                             const fd_template_options *opt, char **text, size_t *n, fd_error *err);
/* The same with messages as a jansson value (borrowed, not modified). */
fd_status fd_template_render_value(const fd_template *t, const struct json_t *messages,
                                   const fd_template_options *opt, char **text, size_t *n, fd_error *err);
/* Frees a rendered text. */
void fd_template_free(char *text);

/* The chat template of a model folder or GGUF file, without its weights:
 * folder: chat_template.jinja, chat_template.json or tokenizer_config.json's
 * chat_template (a string, or the "default" of a list of named templates), and the special tokens
 * of tokenizer_config.json (bos_token, eos_token, unk_token, pad_token...);
 * GGUF: tokenizer.chat_template and the strings of tokenizer.ggml.*_token_id.
 * *tmpl is freed with fd_template_destroy; *vars_json (a JSON object's text,
 * for fd_template_options.vars_json) with fd_template_free. No template is
 * FD_ERR_UNAVAILABLE. */
fd_status fd_template_load(const char *path, fd_template **tmpl, char **vars_json, fd_error *err);
/* The same, choosing from a list of named templates as transformers does for
 * a render with tools != 0 (tools passed, even an empty list): "tool_use" if the
 * list has it, else "default". A list with neither is FD_ERR_FORMAT. */
fd_status fd_template_load_ex(const char *path, int tools, fd_template **tmpl, char **vars_json, fd_error *err);

#endif
