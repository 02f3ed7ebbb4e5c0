/* cmd_eval.c — `foundry eval -m MODEL --tokens 1,2,3`: the top-5 ids and
 * logits at every position, through the decode path with the KV cache (the
 * path generation uses) or, with --prefill, the prompt pass. Needs no
 * tokenizer: the ids are given. The parity tests against transformers read
 * its --json output.
 *
 * Layer: cli. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/cli.h"
#include "cli/model_args.h"
#include "foundry/forward.h"

#define TOP 5

static void usage(FILE *f)
{
    fprintf(f, "usage: foundry eval (-m MODEL | --synthetic NAME) --tokens ID,ID,... [--json] [--prefill] [options]\n"
               "  prints the top-5 token ids and logits at every position\n"
               "  --tokens LIST       comma-separated token ids (at least one)\n"
               "  --json              {\"positions\": [{\"top5_ids\": [...], \"top5_logits\": [...]}, ...]}\n"
               "                      (a logit that is not a finite number is null)\n"
               "  --prefill           run the tokens as one prompt pass (default: one decode step each)\n"
               "  --persistent        decode steps as one persistent kernel (GPU, experimental;\n"
               "                      --no-persistent: off, the default)\n"
               "%s", cli_model_help());
}

/* ids from "1,2,3" into a new array; 0 and a count, or 2 (printed). */
static int parse_tokens(const char *s, int32_t **out, size_t *n)
{
    size_t cap = 1;
    for (const char *p = s; *p; p++) cap += *p == ',';
    int32_t *ids = malloc(cap * sizeof *ids);
    *n = 0;
    const char *p = s;
    char *buf = malloc(strlen(s) + 1);   /* one item, whole: a long one is refused, never cut */
    while (ids && buf) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        uint64_t v;
        memcpy(buf, p, len);
        buf[len] = 0;
        if (cli_parse_u64("eval", "--tokens", buf, 0, INT32_MAX, &v)) {
            free(ids);
            free(buf);
            return 2;
        }
        ids[(*n)++] = (int32_t)v;
        if (!comma) break;
        p = comma + 1;
    }
    if (!ids || !buf) {
        free(ids);
        free(buf);
        fprintf(stderr, "foundry eval: out of memory for %zu token ids\n", cap);
        return 1;
    }
    free(buf);
    *out = ids;
    return 0;
}

/* A logit as JSON: NaN and infinities are not numbers there, so null. */
static void json_float(float v)
{
    if (isfinite(v)) printf("%.7g", v);
    else printf("null");
}

/* The TOP largest of x[0..n) (ties: lower id first) into ids / vals, best first. */
static void top_k(const float *x, size_t n, int32_t *ids, float *vals)
{
    int k = 0;
    for (size_t i = 0; i < n; i++) {
        if (k == TOP && !(x[i] > vals[TOP - 1])) continue;
        int j = k < TOP ? k++ : TOP - 1;
        while (j > 0 && x[i] > vals[j - 1]) {
            vals[j] = vals[j - 1];
            ids[j] = ids[j - 1];
            j--;
        }
        vals[j] = x[i];
        ids[j] = (int32_t)i;
    }
}

int cmd_eval(int argc, char **argv)
{
    cli_model_args a = { .backend = FD_BACKEND_AUTO };
    const char *tokens = NULL;
    int json = 0, prefill = 0, persistent = 0, r;
    for (int i = 1; i < argc; i++) {
        if ((r = cli_model_arg("eval", &a, argc, argv, &i))) {
            if (r == 2) return 2;
        } else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(argv[i], "--tokens")) {
            if (!(tokens = cli_value("eval", argc, argv, &i))) return 2;
        } else if (!strcmp(argv[i], "--json")) {
            json = 1;
        } else if (!strcmp(argv[i], "--prefill")) {
            prefill = 1;
        } else if (!strcmp(argv[i], "--persistent") || !strcmp(argv[i], "--no-persistent")) {
            persistent = argv[i][2] == 'p';
        } else {
            return cli_unknown("eval", argv[i]);
        }
    }
    if (!tokens) {
        return cli_usage_error("eval", "--tokens is required");
    }
    int32_t *ids;
    size_t n;
    if ((r = parse_tokens(tokens, &ids, &n))) return r;
    cli_model m;
    if (!a.ctx) a.ctx = (uint32_t)(n < 256 ? 256 : n);
    if ((r = cli_model_open("eval", &a, &m))) {
        free(ids);
        return r;
    }
    size_t V = fd_model_describe(m.model)->hp.vocab;
    /* a slice of prompt per call: its logits (T x vocab floats) live in the foundry's pool, so a slice keeps
     * them to about 8 MiB (T = 13 at a 151,936 vocabulary), and only a slice's are held here: the top 5 of
     * each position are kept, so any prompt that fits the context fits memory */
    size_t slice = prefill ? (size_t)(8u << 20) / (V * sizeof(float)) : 1;
    if (slice < 1) slice = 1;
    float *logits = malloc(slice * V * sizeof *logits), *vals = malloc(n * TOP * sizeof *vals);
    int32_t *tops = malloc(n * TOP * sizeof *tops);
    fd_state *s = NULL;
    int host_oom = !logits || !vals || !tops;
    fd_status st = host_oom ? FD_ERR_NOMEM : fd_state_create(m.fd, m.weights, a.ctx, &s);
    if (host_oom) fprintf(stderr, "foundry eval: out of memory for %zu positions' logits\n", slice);
    if (st == FD_OK) fd_state_use_persistent(s, persistent);
    for (size_t i = 0; st == FD_OK && i < n; i += slice) {
        size_t t = n - i < slice ? n - i : slice;
        st = prefill ? fd_state_prefill(s, ids + i, t, NULL, logits) : fd_state_step(s, ids[i], logits);
        for (size_t k = 0; st == FD_OK && k < t; k++) top_k(logits + k * V, V, tops + (i + k) * TOP, vals + (i + k) * TOP);
    }
    if (st != FD_OK) {
        if (!host_oom) fprintf(stderr, "foundry eval: %s: %s\n", fd_status_name(st), fd_foundry_error(m.fd));
        r = 1;
    } else {
        if (json) printf("{\"positions\": [");
        for (size_t i = 0; i < n; i++) {
            const int32_t *top = tops + i * TOP;
            const float *val = vals + i * TOP;
            if (json) {
                printf("%s\n  {\"token\": %d, \"top5_ids\": [", i ? "," : "", ids[i]);
                for (int k = 0; k < TOP; k++) printf("%s%d", k ? ", " : "", top[k]);
                printf("], \"top5_logits\": [");
                for (int k = 0; k < TOP; k++) printf("%s", k ? ", " : ""), json_float(val[k]);
                printf("]}");
            } else {
                printf("%4zu  token %-7d", i, ids[i]);
                for (int k = 0; k < TOP; k++) printf("  %7d %9.4f", top[k], val[k]);
                putchar('\n');
            }
        }
        if (json) printf("\n]}\n");
        r = fflush(stdout) || ferror(stdout) ? 1 : 0;
        if (r) fprintf(stderr, "foundry eval: writing the output failed\n");
    }
    fd_state_destroy(s);
    free(logits);
    free(vals);
    free(tops);
    free(ids);
    cli_model_close(&m);
    return r;
}
