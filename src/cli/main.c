/* main.c — `foundry`: dispatches to the command named by the first argument.
 *
 * Layer: cli. The table below is the list of commands; `foundry --help`
 * prints it. Also the helpers commands share (cli.h). */
#include <stdio.h>
#include <string.h>
#include "cli/cli.h"
#include "base/mem.h"

static const struct {
    const char *name;
    cli_cmd_fn  fn;
    const char *summary;
} commands[] = {
    { "selftest", cmd_selftest, "check every kernel against the CPU reference and time it" },
    { "kernels",  cmd_kernels,  "list kernels; --compile-all compiles them; --source NAME prints one" },
    { "tokenize", cmd_tokenize, "-m MODEL: text on stdin -> ids; --decode: ids -> text" },
    { "template", cmd_template, "-m MODEL: a JSON conversation on stdin -> the prompt its chat template renders" },
    { "info",     cmd_info,     "MODEL: architecture, hyper-parameters, tokenizer and tensors" },
    { "convert",  cmd_convert,  "IN OUT.gguf --dtype f16|bf16|q8_0|q4_0: write a GGUF file" },
    { "run",      cmd_run,      "-m MODEL -p PROMPT: generate text, streamed, with prompt and generation tok/s" },
#ifdef FD_HAVE_SERVER   /* built where civetweb was found (CMakeLists.txt) */
    { "serve",    cmd_serve,    "-m MODEL [--port 8080] [--parallel N]: an OpenAI-compatible HTTP server" },
#endif
    { "chat",     cmd_chat,     "-m MODEL [-s SYSTEM]: multi-turn chat through the model's template (stdin lines)" },
    { "demo",     cmd_demo,     "the main job: generate on a random-weight Qwen2.5-0.5B-shaped model (no download)" },
    { "bench",    cmd_bench,    "-m MODEL | --synthetic NAME: prompt and generation tok/s, like llama-bench" },
    { "eval",     cmd_eval,     "-m MODEL --tokens 1,2,3: top-5 ids and logits at every position" },
};

static void usage(FILE *f)
{
    fprintf(f, "usage: foundry [--version] [--help] <command> [args]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\n`foundry <command> --help` describes one command.\n");
}

int cli_fail(const char *cmd, fd_status st, const fd_error *err)
{
    fprintf(stderr, "foundry %s: %s", cmd, fd_status_name(st));
    if (err && err->msg[0]) fprintf(stderr, ": %s", err->msg);
    fputc('\n', stderr);
    return 1;
}

int cli_read_all(FILE *in, char **out, size_t *n)
{
    size_t cap = 1 << 16, len = 0;
    char *b = fd_malloc(cap + 1);
    if (!b) return -1;
    for (;;) {
        if (len == cap) {
            char *p = fd_realloc(b, 2 * cap + 1);
            if (!p) {
                fd_free(b);
                return -1;
            }
            b = p;
            cap *= 2;
        }
        size_t k = fread(b + len, 1, cap - len, in);
        len += k;
        if (k == 0) break;
    }
    if (ferror(in)) {
        fd_free(b);
        return -1;
    }
    b[len] = 0;
    *out = b;
    *n = len;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
        if (argc > 2) return cli_unknown("--version", argv[2]);
        printf("foundry %s\n", FD_VERSION);
        return cli_check_stdout(NULL, 0);
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return cli_check_stdout(NULL, 0);
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name)) return cli_check_stdout(commands[i].name, commands[i].fn(argc - 1, argv + 1));
    fprintf(stderr, "foundry: unknown %s '%s' (see `foundry --help`)\n", argv[1][0] == '-' ? "option" : "command",
            argv[1]);
    return 2;
}
