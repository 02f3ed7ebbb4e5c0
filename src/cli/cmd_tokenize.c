/* cmd_tokenize.c — `foundry tokenize -m MODEL [--decode]`: text on stdin -> ids
 * on stdout (space separated), or with --decode ids on stdin -> text.
 *
 * Layer: cli. Reads all of stdin, runs the tokenizer once, prints the result. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/cli.h"
#include "base/mem.h"
#include "foundry/tokenizer.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: foundry tokenize -m MODEL [--decode]\n\n"
               "  -m, --model MODEL  a model folder (tokenizer.json), a tokenizer.json or a .gguf file\n"
               "  --decode           read token ids (whitespace separated) and print the text\n"
               "  -h, --help         this help\n\n"
               "Without --decode, reads UTF-8 text on stdin and prints its token ids separated by spaces.\n");
}

static int encode(const fd_tokenizer *t, const char *text, size_t len)
{
    fd_error err = { 0 };
    int32_t *ids;
    size_t n;
    fd_status st = fd_tokenizer_encode(t, text, len, &ids, &n, &err);
    if (st != FD_OK) return cli_fail("tokenize", st, &err);
    for (size_t i = 0; i < n; i++) printf(i ? " %d" : "%d", (int)ids[i]);
    printf("\n");
    fd_free(ids);
    return 0;
}

static int decode(const fd_tokenizer *t, char *text)
{
    size_t cap = 256, n = 0;
    int32_t *ids = fd_malloc(cap * sizeof *ids);
    if (!ids) return cli_fail("tokenize", FD_ERR_NOMEM, NULL);
    const char *ws = " \t\r\n\v\f";
    for (char *tok = strtok(text, ws); tok; tok = strtok(NULL, ws)) {
        char *end;
        errno = 0;
        long v = strtol(tok, &end, 10);
        if (*end || errno || v < 0 || v > INT32_MAX) {
            fprintf(stderr, "foundry tokenize: --decode: \"%s\" is not a token id (a number 0..%zu)\n", tok,
                    fd_tokenizer_vocab_size(t) - 1);
            fd_free(ids);
            return 1;
        }
        if (n == cap) {
            int32_t *p = fd_realloc(ids, 2 * cap * sizeof *ids);
            if (!p) {
                fd_free(ids);
                return cli_fail("tokenize", FD_ERR_NOMEM, NULL);
            }
            ids = p;
            cap *= 2;
        }
        ids[n++] = (int32_t)v;
    }
    fd_error err = { 0 };
    char *out;
    size_t len;
    fd_status st = fd_tokenizer_decode(t, ids, n, &out, &len, &err);
    fd_free(ids);
    if (st != FD_OK) return cli_fail("tokenize", st, &err);
    int bad = fwrite(out, 1, len, stdout) != len || fflush(stdout) != 0;
    fd_free(out);
    if (bad) fprintf(stderr, "foundry tokenize: writing the output failed\n");
    return bad;
}

int cmd_tokenize(int argc, char **argv)
{
    const char *model = NULL;
    int dec = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(argv[i], "-m") || !strcmp(argv[i], "--model")) {
            if (!(model = cli_value("tokenize", argc, argv, &i))) return 2;
        } else if (!strcmp(argv[i], "--decode")) {
            dec = 1;
        } else {
            return cli_unknown("tokenize", argv[i]);
        }
    }
    if (!model) return cli_usage_error("tokenize", "-m MODEL is required");
    fd_error err = { 0 };
    fd_tokenizer *t;
    fd_status st = fd_tokenizer_load(model, &t, &err);
    if (st != FD_OK) return cli_fail("tokenize", st, &err);
    char *text;
    size_t len;
    int rc;
    if (cli_read_all(stdin, &text, &len) != 0) {
        fprintf(stderr, "foundry tokenize: cannot read standard input\n");
        rc = 1;
    } else {
        rc = dec ? decode(t, text) : encode(t, text, len);
        fd_free(text);
    }
    fd_tokenizer_destroy(t);
    return rc;
}
