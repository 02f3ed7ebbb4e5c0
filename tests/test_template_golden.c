/* test_template_golden.c — every chat template in tests/data/templates/ with
 * every conversation of tools/template_golden.py, rendered by our interpreter
 * and compared byte for byte with the reference (transformers' rendering, or
 * jinja2 in transformers' environment): tests/data/templates/golden.jsonl.
 * A reference error (raise_exception) must be our error too, with its message.
 * The file's "source" lines are small templates of our own, one construct or a
 * few each (UNITS in the script), checked the same way. */
#include <jansson.h>
#include "check.h"
#include "base/mem.h"
#include "foundry/template.h"

static void show_diff(const char *what, const char *got, size_t gn, const char *want, size_t wn)
{
    size_t i = 0;
    while (i < gn && i < wn && got[i] == want[i]) i++;
    size_t from = i > 40 ? i - 40 : 0;
    fprintf(stderr, "%s: differs at byte %zu (got %zu bytes, want %zu)\n  got:  \"", what, i, gn, wn);
    for (size_t k = from; k < gn && k < i + 40; k++) fputc(got[k] == '\n' ? '|' : got[k], stderr);
    fprintf(stderr, "\"\n  want: \"");
    for (size_t k = from; k < wn && k < i + 40; k++) fputc(want[k] == '\n' ? '|' : want[k], stderr);
    fprintf(stderr, "\"\n");
}

static void test_golden(void)
{
    char path[1024], line_what[512];
    FILE *f = fopen(FD_TEST_DATA "/templates/golden.jsonl", "r");
    char *line = NULL;
    size_t cap = 0;
    int cases = 0, matched = 0;
    if (!f) SKIP("no %s", FD_TEST_DATA "/templates/golden.jsonl");
    while (getline(&line, &cap, f) > 0) {
        json_error_t je;
        json_t *r = json_loads(line, 0, &je);
        CHECK(r != NULL);
        if (!r) continue;
        const char *tname = json_string_value(json_object_get(r, "template"));
        json_t *source = json_object_get(r, "source");
        const char *cname = json_string_value(json_object_get(r, "case"));
        json_t *want = json_object_get(r, "output"), *want_err = json_object_get(r, "error");
        json_t *tools = json_object_get(r, "tools");
        char *vars = json_dumps(json_object_get(r, "vars"), JSON_PRESERVE_ORDER);
        char *tools_s = json_is_null(tools) || !tools ? NULL : json_dumps(tools, JSON_PRESERVE_ORDER);
        fd_template *t = NULL;
        char *model_vars = NULL, *text = NULL;
        size_t n = 0;
        fd_error err = { 0 };
        snprintf(path, sizeof path, "%s/templates/%s", FD_TEST_DATA, tname ? tname : "");
        snprintf(line_what, sizeof line_what, "%s / %s", tname ? tname : "(own)", cname);
        cases++;
        if (source) CHECK_OK(fd_template_create(json_string_value(source), json_string_length(source), &t, &err), &err);
        else CHECK_OK(fd_template_load(path, &t, &model_vars, &err), &err);
        if (source && !t) fprintf(stderr, "  in %s: %s\n", line_what, json_string_value(source));
        if (t) {
            fd_template_options opt;
            fd_template_options_init(&opt);
            opt.add_generation_prompt = json_is_true(json_object_get(r, "add_generation_prompt"));
            opt.vars_json = vars;
            opt.tools_json = tools_s;
            opt.now = json_integer_value(json_object_get(r, "now"));
            fd_status st = fd_template_render_value(t, json_object_get(r, "messages"), &opt, &text, &n, &err);
            if (want_err) {
                check_count++;
                if (st == FD_OK || !strstr(err.msg, json_string_value(want_err))) {
                    check_failures++;
                    fprintf(stderr, "%s: expected the error \"%s\", got %s: %s\n", line_what,
                            json_string_value(want_err), fd_status_name(st), err.msg);
                } else {
                    matched++;
                }
            } else {
                check_count++;
                if (st != FD_OK) {
                    check_failures++;
                    fprintf(stderr, "%s: %s: %s\n", line_what, fd_status_name(st), err.msg);
                    if (source) fprintf(stderr, "  template: %s\n", json_string_value(source));
                } else if (n != json_string_length(want) || memcmp(text, json_string_value(want), n)) {
                    check_failures++;
                    show_diff(line_what, text, n, json_string_value(want), json_string_length(want));
                    if (source) fprintf(stderr, "  template: %s\n", json_string_value(source));
                } else {
                    matched++;
                }
            }
        }
        fd_template_free(text);
        fd_free(model_vars);
        fd_template_destroy(t);
        free(vars);
        free(tools_s);
        json_decref(r);
    }
    free(line);
    fclose(f);
    printf("golden: %d of %d cases byte-identical\n", matched, cases);
    CHECK(cases >= 150);
    CHECK_EQ(matched, cases);
}

TEST_MAIN(test_golden)
