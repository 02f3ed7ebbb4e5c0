/* test_template_python.c — the interpreter's Python and Jinja semantics that
 * real chat templates reach (issue 26 §2), each against the exact text jinja2
 * renders as transformers configures it (ImmutableSandboxedEnvironment with
 * trim_blocks, lstrip_blocks, loopcontrols; tojson = json.dumps): repr of
 * non-printable characters, Markup (|safe, |e) with + and ~, select/map on a
 * false value, dictsort/sort/min/max, % and str.format, call and filter
 * blocks, star arguments (f(*a, **k)), varargs, kwargs, caller, cycler/joiner/lipsum, the int
 * filter beyond 64 bits; and the API around them: variables that are render()'s
 * own keywords are refused, a named template list picks tool_use with tools,
 * `foundry template --documents`. The expected strings were rendered by
 * jinja2 3.1.6 on Python 3.11 (non-ASCII bytes written as octal escapes). */
#include <stdlib.h>
#include <unistd.h>
#include "check.h"
#include "base/mem.h"
#include "foundry/template.h"

static const char *const repr_cases[][2] = {
    { "{{ [\"a\302\240b\", \"\342\200\215\", \"\302\255\", \"\357\273\277\", \"\342\200\250\", \"\342\200\251\", \"\302\205\", \"\302\237\", \"\356\200\200\", \"\364\217\277\275\", \"\315\270\"] }}",
      "['a\\xa0b', '\\u200d', '\\xad', '\\ufeff', '\\u2028', '\\u2029', '\\x85', '\\x9f', '\\ue000', '\\U0010fffd', '\\u0378']" },
    { "{{ {\"k\342\200\213\": \"caf\303\251 \344\270\255 \360\237\230\200\", \"t\": \"a\tb\001\177\"} }}",
      "{'k\\u200b': 'caf\303\251 \344\270\255 \360\237\230\200', 't': 'a\\tb\\x01\\x7f'}" },
    { "{{ [\"it's\", \"say \\\"hi\\\"\", \"both ' and \\\"\"] }}",
      "[\"it's\", 'say \"hi\"', 'both \\' and \"']" },
};
static const char *const markup_cases[][2] = {
    { "{{ \"<a>\"|safe + \"<b>\" }}|{{ \"<a>\" + \"<b>\"|safe }}|{{ \"<a>\"|e + \"&\" }}|{{ \"<a>\"|safe ~ \"<b>\" }}|{{ \"<\"|e|e }}|{{ (\"<\"|safe + 1|string)|length }}",
      "<a>&lt;b&gt;|&lt;a&gt;<b>|&lt;a&gt;&amp;|<a><b>|&lt;|2" },
    { "{{ \"'\"|safe + {\"a\": \"\\\"\"}|tojson }}|{{ \"<p>%s</p>\"|safe % \"<i>\" }}|{{ (\"<\"|safe) * 2 + \"&\" }}",
      "'{&#34;a&#34;: &#34;\\&#34;&#34;}|<p>&lt;i&gt;</p>|<<&amp;" },
};
static const char *const false_seq_cases[][2] = {
    { "{{ none|select|list }}{{ false|map(\"upper\")|list }}{{ \"\"|selectattr(\"x\")|list }}{{ 0|rejectattr(\"x\", \"none\")|list }}{{ none|reject(\"odd\")|list }}{{ none|selectattr|list }}",
      "[][][][][][]" },
    { "{% set tools = none %}{{ tools|selectattr(\"type\", \"equalto\", \"code\")|list|length }}",
      "0" },
};
static const char *const sort_cases[][2] = {
    { "{{ {\"b\": 1, \"A\": 2, \"c\": 0}|dictsort }}|{{ {\"b\": 1, \"A\": 2, \"c\": 0}|dictsort(true) }}|{{ {\"b\": 1, \"A\": 2, \"c\": 0}|dictsort(by=\"value\", reverse=true) }}",
      "[('A', 2), ('b', 1), ('c', 0)]|[('A', 2), ('b', 1), ('c', 0)]|[('A', 2), ('b', 1), ('c', 0)]" },
    { "{{ [\"b\", \"A\", \"c\", \"a\"]|sort }}|{{ [\"b\", \"A\", \"c\", \"a\"]|sort(case_sensitive=true) }}|{{ [3, 1, 2]|sort(reverse=true) }}|{{ [1, 2]|sort(true) }}",
      "['A', 'a', 'b', 'c']|['A', 'a', 'b', 'c']|[3, 2, 1]|[2, 1]" },
    { "{{ [{\"n\": 2, \"x\": \"a\"}, {\"n\": 1, \"x\": \"b\"}, {\"n\": 2, \"x\": \"0\"}]|sort(attribute=\"n,x\") }}|{{ [{\"n\": 2}, {\"n\": 1}]|sort(attribute=\"n\")|map(attribute=\"n\")|list }}",
      "[{'n': 1, 'x': 'b'}, {'n': 2, 'x': '0'}, {'n': 2, 'x': 'a'}]|[1, 2]" },
    { "{{ [3, 1, 2]|max }} {{ [\"b\", \"A\", \"c\"]|min }} {{ [\"b\", \"A\", \"c\"]|max(case_sensitive=true) }} {{ [{\"v\": 1}, {\"v\": 5}]|max(attribute=\"v\") }} {{ []|max }}|{{ \"bca\"|sort }}|{{ {\"y\": 1, \"x\": 2}|sort }}",
      "3 A c {'v': 5} |['a', 'b', 'c']|['x', 'y']" },
};
static const char *const format_cases[][2] = {
    { "{{ \"%s-%d-%5.2f|%-4s|%04d|%x|%r|%%|%+d|%5s|%.1s|%c%c\" % (\"a\", 3, 3.14159, \"b\", 42, 255, \"q\", 4, \"ab\", \"xyz\", 65, \"b\") }}",
      "a-3- 3.14|b   |0042|ff|'q'|%|+4|   ab|x|Ab" },
    { "{{ \"%(a)s and %(b)r\" % {\"a\": 1, \"b\": \"x\"} }} {{ \"%s\" % {\"a\": 1} }} {{ \"%s\" % [1, 2] }} {{ \"%s\"|format(\"a\") }} {{ \"%(x)s\"|format(x=2) }} {{ \"%d%%\" % 7.9 }}",
      "1 and 'x' {'a': 1} [1, 2] a 2 7%" },
    { "{{ \"{0} {1} {x} {0!r} {1:>5}|{1:<5}|{1:^7}|{2:.3f}|{3:,}|{3:08d}|{4:.2%}|{5:x}|{5:#b}\".format(\"a\", \"bc\", 1.23456, 1234567, 0.1234, 255, x=\"X\") }}",
      "a bc X 'a'    bc|bc   |  bc   |1.235|1,234,567|01234567|12.34%|ff|0b11111111" },
    { "{{ \"{:,}|{:_}|{:=^5}|{:x<4}|{:>8.3}|{:08.3f}|{:+}|{: }\".format(1234567, 1234567, 1, \"a\", \"abcdef\", -3.14159, 5, -5) }} {{ \"%-05d|%+5.1f|% d|%s\" % (3, 2.25, 4, none) }}",
      "1,234,567|1_234_567|==1==|axxx|     abc|-003.142|+5|-5 3    | +2.2| 4|None" },
    { "{{ \"{} and {}\".format(\"x\", 2) }} {{ \"{0[name]} {0.name} {1[0]} {{}}\".format({\"name\": \"n\"}, [5]) }} {{ \"{:*^9}|{:+.2e}|{:g}|{}|{:>6}\".format(\"mid\", 12345.678, 0.00001, 1.5, 2.5) }}",
      "x and 2 n n 5 {} ***mid***|+1.23e+04|1e-05|1.5|   2.5" },
};
static const char *const blocks_cases[][2] = {
    { "{% macro m(a, b=2) %}[{{ a }},{{ b }},{{ varargs }},{{ kwargs }}]{% endmacro %}{{ m(*[1, 3, 4], **{\"z\": 5}) }}{{ m(1, c=2) }}{{ m(**{\"a\": 7}) }}",
      "[1,3,(4,),{'z': 5}][1,2,(),{'c': 2}][7,2,(),{}]" },
    { "{% macro w(x) %}<{{ caller(x) }}|{{ caller(x + 1) }}>{% endmacro %}{% set pre = \"v\" %}{% call(y) w(7) %}{{ pre }}{{ y }}{% endcall %}",
      "<v7|v8>" },
    { "{% macro f() %}{{ caller() }}{% endmacro %}{% for i in [1, 2] %}{% call f() %}[{{ i }}{{ loop.index }}]{% endcall %}{% endfor %}",
      "[11][22]" },
    { "{% filter upper|trim %}  hi {{ \"there\" }}  {% endfilter %}|{% filter replace(\"a\", \"o\") %}banana{% endfilter %}|{% filter indent(2, true) %}x\ny{% endfilter %}",
      "HI THERE|bonono|  x\n  y" },
    { "{{ dict(b=2, **{\"a\": 1}) }} {{ \"{}-{}\".format(*[\"p\", \"q\"]) }} {{ range(*[1, 4])|list }}",
      "{'b': 2, 'a': 1} p-q [1, 2, 3]" },
};
static const char *const globals_cases[][2] = {
    { "{{ lipsum is defined }} {{ cycler is defined }} {{ joiner is defined }} {{ lipsum(2, false, 5, 9).split(\"\\n\\n\")|length }}",
      "True True True 2" },
    { "{% set c = cycler(\"a\", \"b\", \"c\") %}{{ c.current }}{{ c.next() }}{{ c.next() }}{{ c.current }}{{ c.next() }}{{ c.next() }}{% set _ = c.reset() %}{{ c.current }}",
      "aabccaa" },
    { "{% set j = joiner(\" | \") %}{% for x in [1, 2, 3] %}{{ j() }}{{ x }}{% endfor %}{% set k = joiner() %}{{ k() }}{{ k() }}",
      "1 | 2 | 3, " },
};
static const char *const int_cases[][2] = {
    { "{{ 1e19|int }} {{ -1e19|int }} {{ 1.7976931348623157e308|int }} {{ 9.2e18|int }} {{ \"1e19\"|int }} {{ \"nan\"|int(7) }} {{ \"inf\"|int(3) }} {{ (1e19|int) is integer }} {{ [1e300|int] }} {{ 1e19|int|tojson }}",
      "10000000000000000000 -10000000000000000000 179769313486231570814527423731704356798070567525844996598917476803157260780028538760589558632766878171540458953514382464234321326889464182768467546703537516986049910576551282076245490090389328944075868508455133942304583236903222948165808559332123348274797826204144723168738177180919299881250404026184124858368 9200000000000000000 10000000000000000000 7 3 True [1000000000000000052504760255204420248704468581108159154915854115511802457988908195786371375080447864043704443832883878176942523235360430575644792184786706982848387200926575803737830233794788090059368953234970799945081119038967640880074652742780142494579258788820056842838115669472196386865459400540160] 10000000000000000000" },
    { "{{ \"ff\"|int(base=16) }} {{ \"12\"|int(0, 8) }} {{ \" 42 \"|int }} {{ \"4.7\"|int }} {{ \"x\"|int(-1) }} {{ 4.9|int }} {{ -4.9|int }} {{ 9223372036854775807|int }} {{ -9.223372036854776e18|int }}",
      "255 10 42 4 -1 4 -4 9223372036854775807 -9223372036854775808" },
};
static const char *const error_cases[] = {
    "{{ (1e300 * 1e300)|int }}",   /* int_inf: name 'inf' is not defined */
    "{{ \"{} {0}\".format(1) }}",   /* format_mix: cannot switch from manual field specification to automatic field numbe */
    "{{ \"%s %s\" % (\"a\",) }}",   /* percent_few: not enough arguments for format string */
    "{{ \"%s\" % (\"a\", \"b\") }}",   /* percent_many: not all arguments converted during string formatting */
    "{% macro m(a) %}{{ a }}{% endmacro %}{{ m(1, 2) }}",   /* macro_extra: macro 'm' takes not more than 1 argument(s) */
    "{% macro m(a) %}{{ a }}{% endmacro %}{{ m(b=2) }}",   /* macro_kw: macro 'm' takes no keyword argument 'b' */
    "{{ \"{:d}\".format(1.5) }}",   /* format_float_d: Unknown format code 'd' for object of type 'float' */
    "{{ \"%x\" % 1.5 }}",   /* percent_x_float: %x format: an integer is required, not float */
    "{{ \"{3}\".format(1) }}",   /* format_index: tuple index out of range */
    "{{ [1, \"a\"]|sort }}",   /* sort_mixed: '<' not supported between instances of 'str' and 'int' */
    "{{ {\"a\": 1}|dictsort(by=\"x\") }}",   /* dictsort_by: You can only sort by either "key" or "value" */
};

static void expect(const char *src, const char *want)
{
    fd_error err = { 0 };
    fd_template *t = NULL;
    char *out = NULL;
    size_t n;
    CHECK_OK(fd_template_create(src, strlen(src), &t, &err), &err);
    if (t) CHECK_OK(fd_template_render(t, "[]", 2, NULL, &out, &n, &err), &err);
    CHECK_STR(out ? out : "(failed)", want);
    if (out && strcmp(out, want)) fprintf(stderr, "  template: %s\n", src);
    fd_template_free(out);
    fd_template_destroy(t);
}

#define RUN(group) do { for (size_t i_ = 0; i_ < sizeof group / sizeof group[0]; i_++) expect(group[i_][0], group[i_][1]); } while (0)

static void test_repr(void) { RUN(repr_cases); }
static void test_markup(void) { RUN(markup_cases); }
static void test_false_sequences(void) { RUN(false_seq_cases); }
static void test_sorting(void) { RUN(sort_cases); }
static void test_formatting(void) { RUN(format_cases); }
static void test_blocks_and_calls(void) { RUN(blocks_cases); }
static void test_globals(void) { RUN(globals_cases); }
static void test_int(void) { RUN(int_cases); }

/* Where jinja2 raises, we fail too (with a message, not a crash or a render). */
static void test_errors(void)
{
    for (size_t i = 0; i < sizeof error_cases / sizeof error_cases[0]; i++) {
        fd_error err = { 0 };
        fd_template *t = NULL;
        char *out = NULL;
        size_t n;
        fd_status st = fd_template_create(error_cases[i], strlen(error_cases[i]), &t, &err);
        if (st == FD_OK) st = fd_template_render(t, "[]", 2, NULL, &out, &n, &err);
        CHECK(st != FD_OK && err.msg[0]);
        if (st == FD_OK) fprintf(stderr, "  rendered %s\n  from %s\n", out, error_cases[i]);
        fd_template_free(out);
        fd_template_destroy(t);
    }
}

/* messages, tools, documents, add_generation_prompt are render()'s own
 * keywords: among the variables they are refused (not silently replaced). */
static void test_own_keywords(void)
{
    static const char *const own[] = { "messages", "tools", "documents", "add_generation_prompt" };
    fd_template *t;
    fd_error err = { 0 };
    char *out = NULL, vars[128];
    size_t n;
    CHECK_OK(fd_template_create("{{ documents }}", 15, &t, &err), &err);
    for (size_t i = 0; t && i < 4; i++) {
        fd_template_options o;
        fd_template_options_init(&o);
        snprintf(vars, sizeof vars, "{\"x\": 1, \"%s\": []}", own[i]);
        o.vars_json = vars;
        fd_error_clear(&err);
        CHECK_EQ(fd_template_render(t, "[]", 2, &o, &out, &n, &err), FD_ERR_INVALID);
        CHECK_CONTAINS(err.msg, own[i]);
        CHECK(out == NULL);
    }
    if (t) {   /* documents through their own field */
        fd_template_options o;
        fd_template_options_init(&o);
        o.documents_json = "[{\"title\": \"T\", \"text\": \"x\"}]";
        CHECK_OK(fd_template_render(t, "[]", 2, &o, &out, &n, &err), &err);
        CHECK_STR(out, "[{'title': 'T', 'text': 'x'}]");
        fd_template_free(out);
    }
    fd_template_destroy(t);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (!f) return;
    fputs(text, f);
    fclose(f);
}

/* Runs `foundry template ARGS` with stdin_text; returns the exit status, output (stdout + stderr) in out. */
static int run_cli(const char *args, const char *stdin_text, char *out, size_t cap)
{
    char cmd[2048], in[] = "/tmp/fd_tpl_in_XXXXXX";
    int fd = mkstemp(in);
    if (fd < 0) return -1;
    if (write(fd, stdin_text, strlen(stdin_text)) < 0) { close(fd); return -1; }
    close(fd);
    snprintf(cmd, sizeof cmd, "'%s' template %s < %s 2>&1", FD_FOUNDRY_BIN, args, in);
    FILE *p = popen(cmd, "r");
    size_t n = p ? fread(out, 1, cap - 1, p) : 0;
    out[n] = 0;
    int st = p ? pclose(p) : -1;
    unlink(in);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* A list of named templates: tool_use when tools are given (even []), else default;
 * a list with neither is an error naming it. The CLI's --documents and --vars refusals. */
static void test_named_and_cli(void)
{
    char dir[] = "/tmp/fd_tplnamed_XXXXXX", cfg[256], args[512], out[4096];
    fd_template *t = NULL;
    char *vars = NULL, *text = NULL;
    size_t n;
    fd_error err = { 0 };
    CHECK(mkdtemp(dir) != NULL);
    snprintf(cfg, sizeof cfg, "%s/tokenizer_config.json", dir);
    write_file(cfg, "{\"chat_template\": [{\"name\": \"rag\", \"template\": \"R\"}, {\"name\": \"default\", \"template\": "
                    "\"D{{ documents[0].text if documents else '' }}\"}, {\"name\": \"tool_use\", \"template\": \"T{{ tools|length }}\"}]}");
    CHECK_OK(fd_template_load(dir, &t, &vars, &err), &err);
    if (t) CHECK_OK(fd_template_render(t, "[]", 2, NULL, &text, &n, &err), &err);
    CHECK_STR(text, "D");
    fd_template_free(text);
    fd_template_destroy(t);
    fd_free(vars);
    CHECK_OK(fd_template_load_ex(dir, 1, &t, &vars, &err), &err);
    text = NULL;
    if (t) {
        fd_template_options o;
        fd_template_options_init(&o);
        o.tools_json = "[]";
        CHECK_OK(fd_template_render(t, "[]", 2, &o, &text, &n, &err), &err);
    }
    CHECK_STR(text, "T0");
    fd_template_free(text);
    fd_template_destroy(t);
    fd_free(vars);
    if (!access(FD_FOUNDRY_BIN, X_OK)) {
        snprintf(args, sizeof args, "-m %s --tools '[{\"name\": \"f\"}]'", dir);
        CHECK_EQ(run_cli(args, "[]", out, sizeof out), 0);
        CHECK_STR(out, "T1");
        snprintf(args, sizeof args, "-m %s --documents '[{\"text\": \"doc\"}]'", dir);
        CHECK_EQ(run_cli(args, "[]", out, sizeof out), 0);
        CHECK_STR(out, "Ddoc");
        snprintf(args, sizeof args, "-m %s --vars '{\"documents\": [{\"text\": \"doc\"}]}'", dir);
        CHECK_EQ(run_cli(args, "[]", out, sizeof out), 2);
        CHECK_CONTAINS(out, "--documents");
        snprintf(args, sizeof args, "-m %s --vars '{\"tools\": []}'", dir);
        CHECK_EQ(run_cli(args, "[]", out, sizeof out), 2);
        CHECK_CONTAINS(out, "--tools");
        snprintf(args, sizeof args, "-m %s --vars '{\"add_generation_prompt\": false}'", dir);
        CHECK_EQ(run_cli(args, "[]", out, sizeof out), 2);
        CHECK_CONTAINS(out, "--no-generation-prompt");
    }
    write_file(cfg, "{\"chat_template\": [{\"name\": \"rag\", \"template\": \"R\"}]}");
    fd_error_clear(&err);
    CHECK_EQ(fd_template_load(dir, &t, &vars, &err), FD_ERR_FORMAT);
    CHECK_CONTAINS(err.msg, "without a 'default'");
    CHECK(t == NULL && vars == NULL);
    unlink(cfg);
    rmdir(dir);
}

TEST_MAIN(test_repr, test_markup, test_false_sequences, test_sorting, test_formatting, test_blocks_and_calls,
          test_globals, test_int, test_errors, test_own_keywords, test_named_and_cli)
