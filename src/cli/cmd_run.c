/* cmd_run.c — `foundry run`: a prompt in, streamed text out, with prompt
 * and generation speeds; and `foundry demo`, the main job: the same on a
 * random-weight model of the Qwen2.5-0.5B shape (a small one on the CPU)
 * with the repository's Qwen2.5 vocabulary — no download, no model file.
 *
 * Layer: cli. Ctrl-C cancels the generation cleanly and the statistics
 * still print. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/cli.h"
#include "cli/model_args.h"
#include "foundry/generate.h"

#define MAX_STOPS 16

static fd_session *volatile running;   /* for the SIGINT handler */

static void on_sigint(int sig)
{
    (void)sig;
    if (running) fd_session_cancel(running);
}

static int on_text(void *user, const char *text, size_t len)
{
    (void)user;
    if (fwrite(text, 1, len, stdout) != len) return 1;
    fflush(stdout);
    return ferror(stdout) ? 1 : 0;
}

static const char *stop_name(fd_stop_reason r)
{
    static const char *const names[] = { "none", "end of generation", "stop string", "token limit",
                                         "context full", "cancelled" };
    return names[r];
}

typedef struct run_args {
    cli_model_args m;
    const char *prompt;
    size_t n;
    fd_sampler samp;
    int sampler_set, chat, ignore_eos, no_graph;
    const char *stop[MAX_STOPS + 1];
    int nstop;
} run_args;

static void usage(FILE *f)
{
    fprintf(f, "usage: foundry run (-m MODEL | --synthetic NAME) -p PROMPT [options]\n"
               "  -p, --prompt TEXT       the prompt\n"
               "  -n N                    tokens to generate (default 128)\n"
               "  --temp T                temperature (0: greedy; default: the model's, else 0.8)\n"
               "  --top-k K  --top-p P  --min-p P\n"
               "  --repeat-penalty R  --presence-penalty P  --frequency-penalty F\n"
               "  --repeat-last-n N       tokens the penalties look back over (default 64, 0 off, -1 all)\n"
               "  --seed S                sampling seed (default 0)\n"
               "  --stop STR              stop when the text contains STR (repeatable)\n"
               "  --chat                  wrap the prompt in the model's chat template as a user turn\n"
               "  --ignore-eos            do not stop at the model's end-of-generation tokens\n"
               "  --no-graph              launch every step's kernels (no captured decode graph)\n"
               "%s", cli_model_help());
}

/* Parses run's options from argv[1..]; 0, or an exit status. */
static int parse(const char *cmd, int argc, char **argv, run_args *a)
{
    int r;
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        uint64_t u;
        double d;
        if ((r = cli_model_arg(cmd, &a->m, argc, argv, &i))) {
            if (r == 2) return 2;
            continue;
        }
        if (!strcmp(o, "--help") || !strcmp(o, "-h")) {
            usage(stdout);
            return -1;
        }
        if (!strcmp(o, "--chat")) { a->chat = 1; continue; }
        if (!strcmp(o, "--ignore-eos")) { a->ignore_eos = 1; continue; }
        if (!strcmp(o, "--no-graph")) { a->no_graph = 1; continue; }
        if (i + 1 >= argc) {
            fprintf(stderr, "foundry %s: %s\n", cmd, strncmp(o, "-", 1) ? "unexpected argument" : "option needs a value");
            return 2;
        }
        const char *v = argv[++i];
        if (!strcmp(o, "-p") || !strcmp(o, "--prompt")) a->prompt = v;
        else if (!strcmp(o, "-n")) { if (cli_parse_u64(cmd, o, v, 0, 1u << 24, &u)) return 2; a->n = u; }
        else if (!strcmp(o, "--temp")) { if (cli_parse_float(cmd, o, v, 0, 100, &d)) return 2; a->samp.temperature = (float)d; a->sampler_set = 1; }
        else if (!strcmp(o, "--top-k")) { if (cli_parse_u64(cmd, o, v, 0, 1u << 30, &u)) return 2; a->samp.top_k = (int32_t)u; }
        else if (!strcmp(o, "--top-p")) { if (cli_parse_float(cmd, o, v, 0, 1, &d)) return 2; a->samp.top_p = (float)d; }
        else if (!strcmp(o, "--min-p")) { if (cli_parse_float(cmd, o, v, 0, 1, &d)) return 2; a->samp.min_p = (float)d; }
        else if (!strcmp(o, "--repeat-penalty")) { if (cli_parse_float(cmd, o, v, 0, 100, &d)) return 2; a->samp.repeat_penalty = (float)d; }
        else if (!strcmp(o, "--presence-penalty")) { if (cli_parse_float(cmd, o, v, -100, 100, &d)) return 2; a->samp.presence_penalty = (float)d; }
        else if (!strcmp(o, "--frequency-penalty")) { if (cli_parse_float(cmd, o, v, -100, 100, &d)) return 2; a->samp.frequency_penalty = (float)d; }
        else if (!strcmp(o, "--repeat-last-n")) {
            if (!strcmp(v, "-1")) a->samp.last_n = -1;
            else if (cli_parse_u64(cmd, o, v, 0, 1u << 24, &u)) return 2;
            else a->samp.last_n = (int32_t)u;
        }
        else if (!strcmp(o, "--seed")) { if (cli_parse_u64(cmd, o, v, 0, UINT64_MAX, &u)) return 2; a->samp.seed = u; }
        else if (!strcmp(o, "--stop")) {
            if (a->nstop == MAX_STOPS) { fprintf(stderr, "foundry %s: at most %d --stop strings\n", cmd, MAX_STOPS); return 2; }
            a->stop[a->nstop++] = v;
        }
        else {
            fprintf(stderr, "foundry %s: unknown option '%s'\n", cmd, o);
            return 2;
        }
    }
    return 0;
}

/* Generates from a->prompt on model m and prints the statistics; an exit status. */
static int generate(const char *cmd, run_args *a, cli_model *m, int quiet_stats)
{
    fd_session *s = NULL;
    fd_status st = fd_session_create(m->fd, m->model, m->weights,
                                     &(fd_session_options){ .ctx = a->m.ctx, .no_graph = a->no_graph }, &s);
    fd_gen_stats ps = { 0 }, gs = { 0 };
    if (st == FD_OK) st = fd_session_feed_text(s, a->prompt, strlen(a->prompt), &ps);
    if (st == FD_OK) {
        running = s;
        signal(SIGINT, on_sigint);
        fd_gen_options g = { .max_tokens = a->n, .sampler = &a->samp, .stop = a->stop, .ignore_eos = a->ignore_eos };
        st = fd_session_generate(s, &g, on_text, NULL, &gs);
        signal(SIGINT, SIG_DFL);
        running = NULL;
    }
    int bad_out = fflush(stdout) != 0 || ferror(stdout);
    if (st != FD_OK) {
        fprintf(stderr, "\nfoundry %s: %s: %s\n", cmd, fd_status_name(st), fd_foundry_error(m->fd));
    } else {
        if (gs.stop == FD_STOP_CONTEXT) fprintf(stderr, "\nfoundry %s: the context of %u tokens is full\n", cmd, a->m.ctx);
        size_t fed = ps.prompt_tokens > ps.cached_tokens ? ps.prompt_tokens - ps.cached_tokens : 0;
        if (!quiet_stats) putchar('\n');
        printf("\nprompt: %zu tokens, %.1f tok/s | generation: %zu tokens, %.1f tok/s | stop: %s | load %.2f s\n",
               ps.prompt_tokens, ps.prompt_seconds > 0 ? fed / ps.prompt_seconds : 0.0, gs.gen_tokens,
               gs.gen_seconds > 0 ? gs.gen_tokens / gs.gen_seconds : 0.0, stop_name(gs.stop), m->load_seconds);
    }
    fd_session_destroy(s);
    if (bad_out) fprintf(stderr, "foundry %s: writing the output failed\n", cmd);
    return st != FD_OK || bad_out ? 1 : 0;
}

static void sampler_defaults(run_args *a, const fd_model *m)
{
    const fd_generation_defaults *g = &fd_model_describe(m)->gen;
    fd_sampler d;
    fd_sampler_defaults(&d);
    if (!a->sampler_set) a->samp.temperature = g->temperature > 0 && g->temperature != 1.0f ? g->temperature : d.temperature;
    if (!a->samp.top_k) a->samp.top_k = g->top_k ? g->top_k : d.top_k;
    if (!a->samp.top_p) a->samp.top_p = g->top_p < 1 ? g->top_p : d.top_p;
    if (!a->samp.repeat_penalty) a->samp.repeat_penalty = g->repetition_penalty > 0 ? g->repetition_penalty : d.repeat_penalty;
}

int cmd_run(int argc, char **argv)
{
    run_args a = { .m = { .backend = FD_BACKEND_AUTO }, .n = 128, .samp = { .last_n = 64 } };
    int r = parse("run", argc, argv, &a);
    if (r) return r < 0 ? 0 : r;
    if (!a.prompt) {
        fprintf(stderr, "foundry run: -p PROMPT is required\n");
        return 2;
    }
    cli_model m;
    if ((r = cli_model_open("run", &a.m, &m))) return r;
    sampler_defaults(&a, m.model);
    r = generate("run", &a, &m, 0);
    cli_model_close(&m);
    return r;
}

int cmd_demo(int argc, char **argv)
{
    run_args a = { .m = { .backend = FD_BACKEND_AUTO }, .n = 64, .samp = { .temperature = 0 } };
    a.prompt = "The quick brown fox jumps over the lazy dog. Once upon a time,";
    a.sampler_set = 1;
    int r = parse("demo", argc, argv, &a);
    if (r) return r < 0 ? 0 : r;
    if (a.m.model) {
        fprintf(stderr, "foundry demo: runs its own random model; use `foundry run -m MODEL` for yours\n");
        return 2;
    }
    /* the 0.5B shape on a GPU, a small one on the CPU */
    fd_foundry *probe = NULL;
    fd_error err = { 0 };
    int gpu = 0;
    if (a.m.backend != FD_BACKEND_CPU && fd_foundry_create(&(fd_options){ .backend = a.m.backend,
                                                                          .log_level = FD_LOG_ERROR }, &probe, &err) == FD_OK)
        gpu = fd_foundry_backend(probe) == FD_BACKEND_CUDA;
    fd_foundry_destroy(probe);
    if (!a.m.synthetic) a.m.synthetic = gpu ? "qwen2.5-0.5b" : "tiny";
    if (!a.m.ctx) a.m.ctx = 1024;
    printf("foundry demo: Qwen2 of the %s shape with RANDOM weights (no download: the text below is noise, the "
           "speed is real), greedy decoding on the %s\n", a.m.synthetic, gpu ? "GPU" : "CPU");
    cli_model m;
    if ((r = cli_model_open("demo", &a.m, &m))) return r;
    printf("prompt: %s\n---\n%s", a.prompt, a.prompt);
    fflush(stdout);
    r = generate("demo", &a, &m, 0);
    cli_model_close(&m);
    return r;
}
