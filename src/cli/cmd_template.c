/* cmd_template.c — `foundry template -m MODEL [--no-generation-prompt]`: a
 * conversation (a JSON array of {"role", "content"}) on stdin -> the prompt
 * the model's chat template renders, on stdout exactly (no newline added).
 *
 * Layer: cli. Needs only the tokenizer files (fd_template_load): a folder
 * without weights or a vocabulary-only GGUF works. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "cli/cli.h"
#include "base/mem.h"
#include "foundry/template.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: foundry template -m MODEL [--no-generation-prompt] [--vars JSON] [--tools JSON]\n"
               "                        [--documents JSON] [--now SECONDS]\n\n"
               "  -m, --model MODEL        a model folder (chat_template.jinja or tokenizer_config.json),\n"
               "                           a .gguf file (tokenizer.chat_template), a .jinja or a .json file\n"
               "  --no-generation-prompt   render without add_generation_prompt (to continue a final turn)\n"
               "  --vars JSON              extra template variables, e.g. '{\"enable_thinking\": false}'\n"
               "                           (not messages, tools, documents or add_generation_prompt)\n"
               "  --tools JSON             a JSON list of tool schemas (the template's `tools`; a list of\n"
               "                           named templates then picks `tool_use`, as transformers does)\n"
               "  --documents JSON         the template's `documents` (e.g. a list of {\"title\", \"text\"})\n"
               "  --now SECONDS            strftime_now's time (Unix seconds, UTC) instead of the clock\n"
               "  -h, --help               this help\n\n"
               "Reads a JSON array of {\"role\", \"content\"} messages on stdin and prints the prompt exactly.\n");
}

/* The model's special tokens with the user's --vars laid over them, as JSON
 * text the caller frees with free(); NULL with a message printed on error. */
static char *merge_vars(const char *model_vars, const char *user)
{
    json_error_t je;
    json_t *m = json_loads(model_vars, 0, &je), *u = NULL;
    char *s = NULL;
    if (user && !(u = json_loads(user, 0, &je)))
        fprintf(stderr, "foundry template: --vars: bad JSON: %s\n", je.text);
    else if (u && !json_is_object(u))
        fprintf(stderr, "foundry template: --vars: not a JSON object\n");
    else if (u && json_object_get(u, "messages"))   /* transformers: a duplicate keyword of render() */
        fprintf(stderr, "foundry template: --vars: 'messages' come on standard input, not in --vars\n");
    else if (u && json_object_get(u, "add_generation_prompt"))
        fprintf(stderr, "foundry template: --vars: 'add_generation_prompt' is set by --no-generation-prompt, "
                        "not in --vars\n");
    else if (u && (json_object_get(u, "tools") || json_object_get(u, "documents")))
        fprintf(stderr, "foundry template: --vars: '%s' has its own option, --%s\n",
                json_object_get(u, "tools") ? "tools" : "documents", json_object_get(u, "tools") ? "tools" : "documents");
    else if (m && (!u || !json_object_update(m, u)))
        s = json_dumps(m, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(m);
    json_decref(u);
    return s;
}

int cmd_template(int argc, char **argv)
{
    const char *model = NULL, *user_vars = NULL, *tools = NULL, *documents = NULL;
    fd_template_options opt;
    fd_template_options_init(&opt);
    opt.add_generation_prompt = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--no-generation-prompt")) {
            opt.add_generation_prompt = 0;
        } else if (!strcmp(a, "-m") || !strcmp(a, "--model") || !strcmp(a, "--vars") || !strcmp(a, "--tools") ||
                   !strcmp(a, "--documents") || !strcmp(a, "--now")) {
            const char *v = cli_value("template", argc, argv, &i);
            if (!v) return 2;
            if (a[1] == 'm' || a[2] == 'm') model = v;
            else if (a[2] == 'v') user_vars = v;
            else if (a[2] == 't') tools = v;
            else if (a[2] == 'd') documents = v;
            else {
                uint64_t now;
                if (cli_parse_u64("template", "--now", v, 0, INT64_MAX, &now)) return 2;
                opt.now = (int64_t)now;
            }
        } else {
            return cli_unknown("template", a);
        }
    }
    if (!model) return cli_usage_error("template", "-m MODEL is required");
    fd_error err = { 0 };
    fd_template *t;
    char *model_vars, *in = NULL, *vars = NULL, *text = NULL;
    size_t len, n;
    fd_status st = fd_template_load_ex(model, tools != NULL, &t, &model_vars, &err);
    if (st != FD_OK) return cli_fail("template", st, &err);
    int rc = 0;
    if (cli_read_all(stdin, &in, &len) != 0) {
        fprintf(stderr, "foundry template: cannot read standard input\n");
        rc = 1;
    } else if (!(vars = merge_vars(model_vars, user_vars))) {
        rc = user_vars ? 2 : cli_fail("template", FD_ERR_NOMEM, NULL);
    } else {
        opt.vars_json = vars;
        opt.tools_json = tools;
        opt.documents_json = documents;
        st = fd_template_render(t, in, len, &opt, &text, &n, &err);
        if (st != FD_OK) {
            rc = cli_fail("template", st, &err);
        } else if (fwrite(text, 1, n, stdout) != n || fflush(stdout) || ferror(stdout)) {
            fprintf(stderr, "foundry template: cannot write standard output\n");
            rc = 1;
        }
    }
    fd_template_free(text);
    free(vars);
    fd_free(in);
    fd_free(model_vars);
    fd_template_destroy(t);
    return rc;
}
