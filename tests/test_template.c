/* test_template.c — the chat-template interpreter beyond the goldens: errors
 * name the construct and the line, limits stop hostile templates, allocation
 * failures are reported without leaks, an edited template renders the edit,
 * fd_template_load reads folders without weights and vocabulary-only GGUFs,
 * and `foundry template` behaves as a command should. (Each supported
 * construct is checked against the reference in test_template_golden.c.) */
#include <pthread.h>
#include <unistd.h>
#include "check.h"
#include "base/mem.h"
#include "foundry/template.h"

static const char *MSGS = "[{\"role\": \"user\", \"content\": \"Hi\"}]";

/* Renders src with MSGS and opt (NULL: defaults); returns the status, the text in *out (freed by the caller). */
static fd_status render(const char *src, const fd_template_options *opt, char **out, fd_error *err)
{
    fd_template *t;
    size_t n;
    *out = NULL;
    fd_status st = fd_template_create(src, strlen(src), &t, err);
    if (st != FD_OK) return st;
    st = fd_template_render(t, MSGS, strlen(MSGS), opt, out, &n, err);
    fd_template_destroy(t);
    return st;
}

/* The template fails with status `want` and a message holding both needles. */
static void expect_fail(const char *src, const fd_template_options *opt, fd_status want, const char *n1, const char *n2)
{
    fd_error err = { 0 };
    char *out;
    fd_status st = render(src, opt, &out, &err);
    CHECK_EQ(st, want);
    CHECK_CONTAINS(err.msg, n1);
    if (n2) CHECK_CONTAINS(err.msg, n2);
    if (st != want) fprintf(stderr, "  template: %s\n  message: %s\n", src, err.msg);
    fd_template_free(out);
}

static void expect_out(const char *src, const fd_template_options *opt, const char *want)
{
    fd_error err = { 0 };
    char *out;
    CHECK_OK(render(src, opt, &out, &err), &err);
    CHECK_STR(out, want);
    fd_template_free(out);
}

static void test_unsupported_named(void)
{
    expect_fail("a\nb\n{% include 'x.jinja' %}", NULL, FD_ERR_UNSUPPORTED, "line 3", "'include'");
    expect_fail("{% extends 'base' %}", NULL, FD_ERR_UNSUPPORTED, "line 1", "'extends'");
    expect_fail("\n{% for x in y recursive %}{% endfor %}", NULL, FD_ERR_UNSUPPORTED, "line 2", "recursive");
    expect_fail("\n\n{{ messages|groupby('role') }}", NULL, FD_ERR_UNSUPPORTED, "line 3", "'groupby' filter");
    expect_fail("{{ 'a'.splitlines() }}", NULL, FD_ERR_UNSUPPORTED, "line 1", "str.splitlines()");
    expect_fail("{{ messages.append(1) }}", NULL, FD_ERR_UNSUPPORTED, "list.append()", "cannot change");
    expect_fail("{{ '%*d' % (3, 1) }}", NULL, FD_ERR_UNSUPPORTED, "line 1", "'*' widths");
    expect_fail("{{ '{:{}}'.format(1, 2) }}", NULL, FD_ERR_UNSUPPORTED, "line 1", "nested fields");
    expect_fail("x\n{% with a = 1 %}a{% endwith %}", NULL, FD_ERR_UNSUPPORTED, "line 2", "'with' tag");
    expect_fail("{{ 'a' is escaped }}", NULL, FD_ERR_UNSUPPORTED, "line 1", "'escaped' test");
}

static void test_parse_errors_name_line(void)
{
    expect_fail("{% if true %}\nabc\n", NULL, FD_ERR_FORMAT, "line 2", "{% endif %}");
    expect_fail("{% for x in y %}\n{% if x %}\n{% endfor %}", NULL, FD_ERR_FORMAT, "line 3", "{% endif %}");
    expect_fail("\n{{ 1 + }}", NULL, FD_ERR_FORMAT, "line 2", "end of tag");
    expect_fail("\n\n{{ 'abc }}", NULL, FD_ERR_FORMAT, "line 3", "unterminated string");
    expect_fail("ok\n{% endfor %}", NULL, FD_ERR_FORMAT, "line 2", "{% endfor %}");
    expect_fail("\n{% break %}", NULL, FD_ERR_FORMAT, "line 2", "outside a for loop");
    expect_fail("a\nb\n{{ x ! y }}", NULL, FD_ERR_FORMAT, "line 3", "'!'");
    expect_fail("{# never closed", NULL, FD_ERR_FORMAT, "line 1", "not closed");
    expect_fail("{{ x", NULL, FD_ERR_FORMAT, "line 1", "'}}'");
    expect_fail("{% frobnicate %}", NULL, FD_ERR_FORMAT, "line 1", "unknown tag 'frobnicate'");
    expect_fail("{{ 99999999999999999999 }}", NULL, FD_ERR_FORMAT, "line 1", "too large");
    expect_fail("{{ f(a=1, 2) }}", NULL, FD_ERR_FORMAT, "line 1", "positional");
}

static void test_runtime_errors_name_line(void)
{
    expect_fail("\n{{ nothing.attr }}", NULL, FD_ERR_INVALID, "line 2", "'nothing' is undefined");
    expect_fail("{{ messages[0].nope.x }}", NULL, FD_ERR_INVALID, "line 1", "'dict object' has no attribute 'nope'");
    expect_fail("{{ messages[7].role }}", NULL, FD_ERR_INVALID, "line 1", "list object has no element 7");
    expect_fail("{{ 'a' + 1 }}", NULL, FD_ERR_INVALID, "line 1", "can only concatenate str (not \"int\") to str");
    expect_fail("{{ 1 + 'a' }}", NULL, FD_ERR_INVALID, "line 1", "'int' and 'str'");
    expect_fail("{{ 1 // 0 }}", NULL, FD_ERR_INVALID, "line 1", "by zero");
    expect_fail("\n\n\n{{ raise_exception('Roles must alternate') }}", NULL, FD_ERR_INVALID, "line 4",
                "raise_exception: Roles must alternate");
    expect_fail("{{ nosuchfunction() }}", NULL, FD_ERR_INVALID, "line 1", "'nosuchfunction' is undefined");
    expect_fail("{{ 'x'.nomethod() }}", NULL, FD_ERR_INVALID, "line 1", "'nomethod'");
    expect_fail("{% set x = 1 %}{% set x.a = 2 %}", NULL, FD_ERR_INVALID, "line 1", "non-namespace");
    expect_fail("{{ messages|tojson }}{{ nothing|tojson }}", NULL, FD_ERR_INVALID, "line 1", "not JSON serializable");
    expect_fail("{{ 9223372036854775807 + 1 }}", NULL, FD_ERR_RANGE, "line 1", "overflow");
    expect_fail("{{ 1 < 'a' }}", NULL, FD_ERR_INVALID, "line 1", "cannot order");
    /* unknown filters and tests: refused by create, except inside an if or a conditional
     * expression, where Jinja 3 waits until they run */
    expect_fail("\n{{ x|nosuchfilter }}", NULL, FD_ERR_FORMAT, "line 2", "no filter named 'nosuchfilter'");
    expect_fail("{% if x %}{% for y in z %}{{ y is nosuchtest }}{% endfor %}{% endif %}", NULL, FD_ERR_FORMAT, "line 1",
                "no test named 'nosuchtest'");
    expect_out("{% if false %}{{ x|nosuchfilter }}{% endif %}{{ x|nosuchfilter if false }}ok", NULL, "ok");
    expect_fail("{% if true %}\n{{ x|nosuchfilter }}{% endif %}", NULL, FD_ERR_INVALID, "line 2", "no filter named");
    expect_fail("{{ x is defined(1) }}", NULL, FD_ERR_INVALID, "line 1", "takes 0 arguments");
    expect_fail("{{ 'a'|indent(blak=true) }}", NULL, FD_ERR_INVALID, "line 1", "unexpected keyword argument 'blak'");
    expect_fail("{{ 'a'|upper(1) }}", NULL, FD_ERR_INVALID, "line 1", "at most 0 arguments");
    expect_fail("{{ messages|map(attribute='role')|length }}", NULL, FD_ERR_INVALID, "line 1", "generator");
    expect_fail("{{ messages|select|tojson }}", NULL, FD_ERR_INVALID, "line 1", "generator");
}

static void test_limits(void)
{
    fd_template_options o;
    fd_template_options_init(&o);
    o.limits.max_steps = 10000;
    expect_fail("{% for i in range(1000) %}{% for j in range(1000) %}{% endfor %}{% endfor %}", &o, FD_ERR_RANGE,
                "line 1", "loop iterations");
    expect_fail("{% for i in range(100000000) %}{% endfor %}", &o, FD_ERR_RANGE, "line 1", "range()");
    expect_out("{% for i in range(100) %}{% endfor %}done", &o, "done");
    fd_template_options_init(&o);
    expect_fail("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}\n{{ f(0) }}", &o, FD_ERR_RANGE, "line 1", "deeper than");
    o.limits.max_output = 1000;
    expect_fail("{% for i in range(1000) %}xxxxxxxxxx{% endfor %}", &o, FD_ERR_RANGE, "output larger", "1000");
    expect_fail("{% set s %}{% for i in range(1000) %}xxxxxxxxxx{% endfor %}{% endset %}", &o, FD_ERR_RANGE,
                "output larger", NULL);
    fd_template_options_init(&o);
    o.limits.max_memory = 1 << 20;
    expect_fail("{% set ns = namespace(s='x') %}{% for i in range(60) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
                &o, FD_ERR_RANGE, "memory limit", NULL);
    expect_fail("{{ 'x' * 1000000000000 }}", &o, FD_ERR_RANGE, "line 1", "too large");
    /* values nested by a loop: printing, comparing and tojson stop at a depth instead of the stack */
    const char *nest = "{% set ns = namespace(x=[]) %}{% for i in range(5000) %}{% set ns.x = [ns.x] %}{% endfor %}";
    char buf[512];
    snprintf(buf, sizeof buf, "%s{{ ns.x }}", nest);
    expect_fail(buf, NULL, FD_ERR_RANGE, "nested deeper", NULL);
    snprintf(buf, sizeof buf, "%s{{ ns.x|tojson }}", nest);
    expect_fail(buf, NULL, FD_ERR_RANGE, "nested deeper", NULL);
    snprintf(buf, sizeof buf, "%s{{ ns.x < ns.x }}", nest);
    expect_fail(buf, NULL, FD_ERR_RANGE, "nested deeper", NULL);
    snprintf(buf, sizeof buf, "%s{{ ns.x == [] }}", nest);
    expect_out(buf, NULL, "False");
    /* deep nesting is refused while parsing, before any stack is at risk */
    char deep[4200];
    size_t k = 0;
    for (int i = 0; i < 2000; i++) deep[k++] = '(';
    deep[k++] = '1';
    for (int i = 0; i < 2000; i++) deep[k++] = ')';
    deep[k] = 0;
    char src[4300];
    snprintf(src, sizeof src, "{{ %s }}", deep);
    expect_fail(src, NULL, FD_ERR_RANGE, "line 1", "nested");
    for (k = 0; k < 300 * 13; k += 13) memcpy(src + k, "{% if true %}", 13);
    src[k] = 0;
    expect_fail(src, NULL, FD_ERR_RANGE, "line 1", "nested");
    k = (size_t)snprintf(src, sizeof src, "{%% if false %%}");
    for (int i = 0; i < 250; i++) k += (size_t)snprintf(src + k, sizeof src - k, "{%% elif %d %%}", i == 100);
    snprintf(src + k, sizeof src - k, "{%% endif %%}");
    expect_fail(src, NULL, FD_ERR_RANGE, "line 1", "200");
    k = (size_t)snprintf(src, sizeof src, "{%% if false %%}");
    for (int i = 0; i < 150; i++) k += (size_t)snprintf(src + k, sizeof src - k, "{%% elif %d %%}%d", i == 100, i);
    snprintf(src + k, sizeof src - k, "{%% else %%}none{%% endif %%}");
    expect_out(src, NULL, "100");
}

static void test_api(void)
{
    fd_error err = { 0 };
    fd_template *t = (fd_template *)1;
    char *out = (char *)1;
    size_t n = 1;
    CHECK_EQ(fd_template_create("x", 1, NULL, &err), FD_ERR_INVALID);
    CHECK_EQ(fd_template_create(NULL, 1, &t, &err), FD_ERR_INVALID);
    CHECK(t == NULL);
    fd_error_clear(&err);
    CHECK_OK(fd_template_create("{{ messages|length }}", 21, &t, &err), &err);
    CHECK_EQ(fd_template_render(t, "{", 1, NULL, &out, &n, &err), FD_ERR_FORMAT);
    CHECK(out == NULL && n == 0);
    CHECK_CONTAINS(err.msg, "messages: bad JSON");
    fd_error_clear(&err);
    CHECK_EQ(fd_template_render(t, "{}", 2, NULL, &out, &n, &err), FD_ERR_INVALID);
    CHECK_CONTAINS(err.msg, "not a JSON array");
    fd_error_clear(&err);
    fd_template_options o;
    fd_template_options_init(&o);
    o.vars_json = "[1]";
    CHECK_EQ(fd_template_render(t, "[]", 2, &o, &out, &n, &err), FD_ERR_INVALID);
    fd_error_clear(&err);
    o.vars_json = NULL;
    o.tools_json = "[1, 2";
    CHECK_EQ(fd_template_render(t, "[]", 2, &o, &out, &n, &err), FD_ERR_FORMAT);
    CHECK_CONTAINS(err.msg, "tools");
    fd_error_clear(&err);
    CHECK_OK(fd_template_render(t, "[1, 2, 3]", 9, NULL, &out, &n, &err), &err);
    CHECK_STR(out, "3");
    CHECK_EQ(n, 1);
    fd_template_free(out);
    /* an empty rendering is an empty string, not NULL; a template may be empty */
    fd_template_destroy(t);
    CHECK_OK(fd_template_create("", 0, &t, &err), &err);
    CHECK_OK(fd_template_render(t, "[]", 2, NULL, &out, &n, &err), &err);
    CHECK(out && !out[0] && n == 0);
    fd_template_free(out);
    fd_template_destroy(t);
    fd_template_destroy(NULL);
    /* variables: tools/documents are none unless given; add_generation_prompt; extra variables */
    fd_template_options_init(&o);
    o.add_generation_prompt = 1;
    o.vars_json = "{\"bos_token\": \"<s>\", \"enable_thinking\": false}";
    expect_out("{{ tools is none }}{{ documents is none }}{{ add_generation_prompt }}{{ bos_token }}"
               "{{ enable_thinking is false }}{{ eos_token is defined }}", &o, "TrueTrueTrue<s>TrueFalse");
    o.tools_json = "[{\"name\": \"f\"}]";
    o.documents_json = "[{\"title\": \"t\", \"text\": \"x\"}]";
    expect_out("{{ tools[0].name }}{{ documents[0]['title'] }}", &o, "ft");
    o.now = 0;
    expect_out("{{ strftime_now('%Y-%m-%d') }}", &o, "1970-01-01");
}

/* Renders the Qwen3 template with allocation n failing, for every n until one run needs no failure. */
static void test_alloc_failures(void)
{
    FILE *f = fopen(FD_TEST_DATA "/templates/Qwen-Qwen3-0.6B.jinja", "rb");
    char src[8192];
    size_t len;
    const char *msgs = "[{\"role\": \"system\", \"content\": \"S\"}, {\"role\": \"user\", \"content\": \"Q\"},"
                       " {\"role\": \"assistant\", \"content\": \"<think>\\nr\\n</think>\\n\\nA\"}]";
    int failures = 0, ok = 0;
    CHECK(f != NULL);
    if (!f) return;
    len = fread(src, 1, sizeof src, f);
    fclose(f);
    for (long n = 1; n < 10000 && !ok; n++) {
        fd_error err = { 0 };
        fd_template *t = NULL;
        char *out = NULL;
        size_t on;
        fd_mem_fail_after(n, 1);
        fd_status st = fd_template_create(src, len, &t, &err);
        if (st == FD_OK) st = fd_template_render(t, msgs, strlen(msgs), NULL, &out, &on, &err);
        fd_mem_fail_after(0, 0);
        if (st == FD_OK) {
            ok = 1;
            CHECK_CONTAINS(out, "<think>\nr\n</think>\n\nA<|im_end|>");
        } else {
            failures++;
            if (st != FD_ERR_NOMEM) fprintf(stderr, "allocation %ld: %s: %s\n", n, fd_status_name(st), err.msg);
            CHECK_EQ(st, FD_ERR_NOMEM);
            CHECK_CONTAINS(err.msg, "out of memory");
            CHECK(out == NULL);
        }
        fd_template_free(out);
        fd_template_destroy(t);
    }
    CHECK(ok);
    CHECK(failures > 3);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *b = calloc(1, 1 << 16);
    if (f && b && fread(b, 1, (1 << 16) - 1, f) == 0) b[0] = 0;
    if (f) fclose(f);
    return b;
}

/* Edits a model's template and sees the rendering follow the edit. */
static void test_edit_changes_output(void)
{
    char *src = slurp(FD_TEST_DATA "/templates/Qwen-Qwen2.5-7B-Instruct.jinja"), *edited, *a = NULL, *b = NULL;
    const char *from = "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.", *to = "You are Foundry.";
    fd_error err = { 0 };
    const char *p = src, *hit;
    CHECK(src && strstr(src, from));
    if (!src || !strstr(src, from)) { free(src); return; }
    edited = calloc(1, strlen(src) + 1);
    while ((hit = strstr(p, from))) {   /* every occurrence */
        strncat(edited, p, (size_t)(hit - p));
        strcat(edited, to);
        p = hit + strlen(from);
    }
    strcat(edited, p);
    CHECK_OK(render(src, NULL, &a, &err), &err);
    CHECK_OK(render(edited, NULL, &b, &err), &err);
    CHECK_CONTAINS(a, from);
    CHECK_CONTAINS(b, "<|im_start|>system\nYou are Foundry.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n");
    CHECK(a && b && !strstr(b, "Alibaba"));
    fd_template_free(a);
    fd_template_free(b);
    free(edited);
    free(src);
}

static void test_load(void)
{
    fd_error err = { 0 };
    fd_template *t;
    char *vars, *out;
    size_t n;
    /* a folder with only tokenizer_config.json (no weights, no config.json) */
    CHECK_OK(fd_template_load(FD_TEST_DATA "/templates/qwen2.5-0.5b-instruct", &t, &vars, &err), &err);
    CHECK_CONTAINS(vars, "\"eos_token\":\"<|im_end|>\"");
    fd_template_destroy(t);
    fd_free(vars);
    /* a vocabulary-only GGUF carrying tokenizer.chat_template */
    CHECK_OK(fd_template_load(FD_TEST_DATA "/tokenizer/ggml-vocab-qwen2.gguf", &t, &vars, &err), &err);
    CHECK_CONTAINS(vars, "eos_token");
    if (t) {
        fd_template_options o;
        fd_template_options_init(&o);
        o.add_generation_prompt = 1;
        o.vars_json = vars;
        CHECK_OK(fd_template_render(t, MSGS, strlen(MSGS), &o, &out, &n, &err), &err);
        CHECK_CONTAINS(out, "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
        fd_template_free(out);
    }
    fd_template_destroy(t);
    fd_free(vars);
    /* chat_template.jinja wins over tokenizer_config.json; special tokens still come from the config */
    char dir[] = "/tmp/fd_tpl_XXXXXX", p[256];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(p, sizeof p, "%s/tokenizer_config.json", dir);
    FILE *f = fopen(p, "w");
    fputs("{\"chat_template\": \"config\", \"bos_token\": {\"content\": \"<B>\"}, \"eos_token\": null}", f);
    fclose(f);
    snprintf(p, sizeof p, "%s/chat_template.jinja", dir);
    f = fopen(p, "w");
    fputs("{{ bos_token }}jinja {{ eos_token is defined }}\n", f);
    fclose(f);
    CHECK_OK(fd_template_load(dir, &t, &vars, &err), &err);
    if (t) {
        fd_template_options o;
        fd_template_options_init(&o);
        o.vars_json = vars;
        CHECK_OK(fd_template_render(t, "[]", 2, &o, &out, &n, &err), &err);
        CHECK_STR(out, "<B>jinja False");
        fd_template_free(out);
    }
    fd_template_destroy(t);
    fd_free(vars);
    unlink(p);
    snprintf(p, sizeof p, "%s/tokenizer_config.json", dir);
    unlink(p);
    fd_error_clear(&err);
    CHECK_EQ(fd_template_load(dir, &t, &vars, &err), FD_ERR_UNAVAILABLE);
    CHECK(t == NULL && vars == NULL);
    CHECK_CONTAINS(err.msg, "no chat template");
    rmdir(dir);
    fd_error_clear(&err);
    CHECK_EQ(fd_template_load("/nonexistent/model", &t, &vars, &err), FD_ERR_IO);
}

/* One template rendered from several threads at once: each gets the same text
 * (the template is read-only after create; each render has its own arena). */
typedef struct { const fd_template *t; const char *want; int bad; } thread_job;

static void *render_many(void *arg)
{
    thread_job *j = arg;
    const char *msgs = "[{\"role\": \"user\", \"content\": \"<think>x</think>y\"}]";
    for (int i = 0; i < 200; i++) {
        fd_error err = { 0 };
        char *out = NULL;
        size_t n;
        fd_template_options o;
        fd_template_options_init(&o);
        o.add_generation_prompt = 1;
        if (fd_template_render(j->t, msgs, strlen(msgs), &o, &out, &n, &err) != FD_OK || strcmp(out, j->want)) j->bad++;
        fd_template_free(out);
    }
    return NULL;
}

static void test_threads(void)
{
    char *src = slurp(FD_TEST_DATA "/templates/Qwen-Qwen3-0.6B.jinja"), *want = NULL;
    fd_template *t = NULL;
    fd_error err = { 0 };
    size_t n;
    const char *msgs = "[{\"role\": \"user\", \"content\": \"<think>x</think>y\"}]";
    fd_template_options o;
    fd_template_options_init(&o);
    o.add_generation_prompt = 1;
    CHECK_OK(fd_template_create(src, strlen(src), &t, &err), &err);
    CHECK_OK(fd_template_render(t, msgs, strlen(msgs), &o, &want, &n, &err), &err);
    thread_job jobs[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        jobs[i] = (thread_job){ t, want, 0 };
        CHECK_EQ(pthread_create(&th[i], NULL, render_many, &jobs[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        CHECK_EQ(jobs[i].bad, 0);
    }
    fd_template_free(want);
    fd_template_destroy(t);
    free(src);
}

/* Runs `foundry template ARGS < input`; returns the exit status, output in out. */
static int run_cli(const char *args, const char *input, char *out, size_t cap)
{
    char cmd[1024], in[] = "/tmp/fd_tpl_in_XXXXXX";
    int fd = mkstemp(in);
    size_t n = 0;
    if (fd < 0) return -1;
    if (write(fd, input, strlen(input)) < 0) n = 0;
    close(fd);
    snprintf(cmd, sizeof cmd, "'%s' template 2>&1 %s < %s", FD_FOUNDRY_BIN, args, in);
    FILE *p = popen(cmd, "r");
    if (!p) return -1;
    n = fread(out, 1, cap - 1, p);
    out[n] = 0;
    int st = pclose(p);
    unlink(in);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_cli(void)
{
    char out[8192], args[512];
    const char *conv = "[{\"role\": \"user\", \"content\": \"Hi\"}, {\"role\": \"assistant\", \"content\": \"Hello\"}]";
    if (access(FD_FOUNDRY_BIN, X_OK)) SKIP("%s is not built", FD_FOUNDRY_BIN);
    snprintf(args, sizeof args, "-m '%s/templates/qwen2.5-0.5b-instruct'", FD_TEST_DATA);
    CHECK_EQ(run_cli(args, conv, out, sizeof out), 0);
    CHECK_STR(out, "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
                   "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello<|im_end|>\n<|im_start|>assistant\n");
    snprintf(args, sizeof args, "-m '%s/templates/qwen2.5-0.5b-instruct' --no-generation-prompt", FD_TEST_DATA);
    CHECK_EQ(run_cli(args, conv, out, sizeof out), 0);
    CHECK(strlen(out) > 16 && !strcmp(out + strlen(out) - 16, "Hello<|im_end|>\n"));
    snprintf(args, sizeof args, "-m '%s/tokenizer/ggml-vocab-qwen2.gguf'", FD_TEST_DATA);
    CHECK_EQ(run_cli(args, conv, out, sizeof out), 0);
    CHECK_CONTAINS(out, "<|im_start|>user\nHi<|im_end|>\n");
    snprintf(args, sizeof args, "-m '%s/templates/meta-llama-Llama-3.2-3B-Instruct.jinja' --now 0 "
             "--vars '{\"bos_token\": \"<B>\"}'", FD_TEST_DATA);
    CHECK_EQ(run_cli(args, conv, out, sizeof out), 0);
    CHECK(!strncmp(out, "<B><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\n"
                        "Today Date: 01 Jan 1970\n\n", 100));
    /* usage errors: exit 2 with one line; bad input: exit 1 with a message */
    CHECK_EQ(run_cli("--bogus", conv, out, sizeof out), 2);
    CHECK_CONTAINS(out, "unknown option '--bogus'");
    CHECK_EQ(run_cli("-m", conv, out, sizeof out), 2);
    CHECK_CONTAINS(out, "-m needs a value");
    CHECK_EQ(run_cli("", conv, out, sizeof out), 2);
    snprintf(args, sizeof args, "-m '%s/templates/qwen2.5-0.5b-instruct'", FD_TEST_DATA);
    CHECK_EQ(run_cli(args, "[{\"role\": ", out, sizeof out), 1);
    CHECK_CONTAINS(out, "messages: bad JSON");
    snprintf(args, sizeof args, "-m '%s/templates/google-gemma-2-2b-it.jinja'", FD_TEST_DATA);
    CHECK_EQ(run_cli(args, "[{\"role\": \"system\", \"content\": \"x\"}]", out, sizeof out), 1);
    CHECK_CONTAINS(out, "System role not supported");
    CHECK_EQ(run_cli("-m /nonexistent", conv, out, sizeof out), 1);
    /* a failed write is an error */
    snprintf(args, sizeof args, "-m '%s/templates/qwen2.5-0.5b-instruct' >/dev/full", FD_TEST_DATA);
    if (!access("/dev/full", W_OK)) {
        CHECK_EQ(run_cli(args, conv, out, sizeof out), 1);
        CHECK_CONTAINS(out, "cannot write");
    }
}

TEST_MAIN(test_unsupported_named, test_parse_errors_name_line, test_runtime_errors_name_line, test_limits, test_api,
          test_alloc_failures, test_edit_changes_output, test_threads, test_load, test_cli)
