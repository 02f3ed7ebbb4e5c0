/* gen_args.c — generation options shared by `run` and `chat` (see gen_args.h).
 *
 * Layer: cli. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include "cli/cli.h"
#include "cli/gen_args.h"

static fd_session *volatile running;   /* for the SIGINT handler */

static void on_sigint(int sig)
{
    (void)sig;
    if (running) fd_session_cancel(running);
}

void gen_sigint_begin(fd_session *s)
{
    running = s;
    signal(SIGINT, on_sigint);
}

void gen_sigint_end(void)
{
    signal(SIGINT, SIG_DFL);
    running = NULL;
}
#include "foundry/profile.h"

static const char *rest_help(void);

void gen_args_usage(FILE *f, const char *n_help)
{
    fprintf(f, "  -n N                    %s\n%s", n_help, rest_help());
}

static const char *rest_help(void)
{
    return ""
           "  --temp T                temperature (0: greedy; default: the model's generation config, else 0.8)\n"
           "  --top-k K               keep the K most likely tokens (0: off; default: the model's, else 40)\n"
           "  --top-p P               keep the smallest set with probability >= P (1: off; default the model's, else 0.95)\n"
           "  --min-p P               drop tokens below P x the most likely one's probability (0: off; default 0.05)\n"
           "  --repeat-penalty R      divide (multiply) repeated tokens' positive (negative) logits (1: off)\n"
           "  --presence-penalty P    subtract P from every repeated token's logit (0: off)\n"
           "  --frequency-penalty F   subtract F x the count of every repeated token (0: off)\n"
           "  --repeat-last-n N       tokens the penalties look back over (default 64, 0 off, -1 the whole context)\n"
           "  --seed S                sampling seed (default 0)\n"
           "  --stop STR              stop when the text contains STR (repeatable, up to 16)\n"
           "  --ignore-eos            do not stop at the model's end-of-generation tokens\n"
           "  --no-graph              launch every step's kernels instead of replaying a captured decode graph\n"
           "  --persistent            decode steps as one persistent kernel (GPU, experimental; elsewhere the\n"
           "                          per-kernel step runs and the log says why); --no-persistent: off, the default\n"
           "  --profile               print the costliest kernels and scopes at the end (with a decode graph its\n"
           "                          replays are timed whole; with --no-graph every kernel is)\n"
           "  --trace FILE            write a Chrome trace (ui.perfetto.dev) at the end; implies --profile\n";
}

static int flag(const char *o, run_args *a)
{
    if (!strcmp(o, "--chat")) a->chat = 1;
    else if (!strcmp(o, "--ignore-eos")) a->ignore_eos = 1;
    else if (!strcmp(o, "--no-graph")) a->no_graph = 1;
    else if (!strcmp(o, "--persistent")) a->persistent = 1;
    else if (!strcmp(o, "--no-persistent")) a->persistent = 0;
    else if (!strcmp(o, "--profile")) a->profile = 1;
    else return 0;
    return 1;
}

/* One option with a value; 1 if taken, 0 if unknown, 2 on a bad value. */
static int valued(const char *cmd, const char *o, const char *v, run_args *a)
{
    uint64_t u;
    double d;
#define U_(lo, hi) if (cli_parse_u64(cmd, o, v, lo, hi, &u)) return 2
#define F_(lo, hi) if (cli_parse_float(cmd, o, v, lo, hi, &d)) return 2
    if (!strcmp(o, "-p") || !strcmp(o, "--prompt")) a->prompt = v;
    else if (!strcmp(o, "-s") || !strcmp(o, "--system")) a->system = v;
    else if (!strcmp(o, "--trace")) a->trace = v, a->profile = 1;
    else if (!strcmp(o, "-n")) { U_(0, 1u << 24); a->n = u; }
    else if (!strcmp(o, "--temp")) { F_(0, 100); a->samp.temperature = (float)d; a->sampler_set = 1; }
    else if (!strcmp(o, "--top-k")) { U_(0, 1u << 30); a->samp.top_k = (int32_t)u; a->top_k_set = 1; }
    else if (!strcmp(o, "--top-p")) { F_(0, 1); a->samp.top_p = (float)d; a->top_p_set = 1; }
    else if (!strcmp(o, "--min-p")) { F_(0, 1); a->samp.min_p = (float)d; }
    else if (!strcmp(o, "--repeat-penalty")) { F_(0.01, 100); a->samp.repeat_penalty = (float)d; a->penalty_set = 1; }
    else if (!strcmp(o, "--presence-penalty")) { F_(-100, 100); a->samp.presence_penalty = (float)d; }
    else if (!strcmp(o, "--frequency-penalty")) { F_(-100, 100); a->samp.frequency_penalty = (float)d; }
    else if (!strcmp(o, "--repeat-last-n")) {
        if (!strcmp(v, "-1")) a->samp.last_n = -1;
        else { U_(0, 1u << 24); a->samp.last_n = (int32_t)u; }
    }
    else if (!strcmp(o, "--seed")) { U_(0, UINT64_MAX); a->samp.seed = u; }
    else if (!strcmp(o, "--stop")) {
        if (a->nstop == MAX_STOPS) return cli_usage_error(cmd, "at most %d --stop strings", MAX_STOPS);
        a->stop[a->nstop++] = v;
    }
    else return 0;
#undef U_
#undef F_
    return 1;
}

int gen_args_parse(const char *cmd, int argc, char **argv, run_args *a, void (*usage)(FILE *))
{
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        int r = cli_model_arg(cmd, &a->m, argc, argv, &i);
        if (r == 2) return 2;
        if (r || flag(o, a)) continue;
        if (!strcmp(o, "--help") || !strcmp(o, "-h")) {
            usage(stdout);
            return -1;
        }
        if (o[0] != '-') return cli_unknown(cmd, o);
        static const char *const takes_value[] = { "-p", "--prompt", "-s", "--system", "-n", "--temp", "--top-k",
            "--top-p", "--min-p", "--repeat-penalty", "--presence-penalty", "--frequency-penalty", "--repeat-last-n",
            "--seed", "--stop", "--trace" };
        size_t k = 0;
        while (k < sizeof takes_value / sizeof takes_value[0] && strcmp(o, takes_value[k])) k++;
        if (k == sizeof takes_value / sizeof takes_value[0]) return cli_unknown(cmd, o);
        const char *v = cli_value(cmd, argc, argv, &i);
        if (!v) return 2;
        r = valued(cmd, o, v, a);
        if (r == 2) return 2;
        if (!r) return cli_unknown(cmd, o);
    }
    return 0;
}

void gen_args_defaults(run_args *a, const fd_model *m)
{
    const fd_generation_defaults *g = &fd_model_describe(m)->gen;
    fd_sampler d;
    fd_sampler_defaults(&d);
    /* transformers' neutral values (temperature 1, top_k 0, top_p 1) mean "not set" in the files */
    if (!a->sampler_set) a->samp.temperature = g->temperature > 0 && g->temperature != 1.0f ? g->temperature : d.temperature;
    if (!a->top_k_set) a->samp.top_k = g->top_k > 0 ? g->top_k : d.top_k;
    if (!a->top_p_set) a->samp.top_p = g->top_p > 0 && g->top_p < 1 ? g->top_p : d.top_p;
    if (!a->penalty_set) a->samp.repeat_penalty = g->repetition_penalty > 0 ? g->repetition_penalty : d.repeat_penalty;
}

int gen_print(void *user, const char *text, size_t len)
{
    (void)user;
    if (fwrite(text, 1, len, stdout) != len) return 1;
    return fflush(stdout) != 0 || ferror(stdout);
}

const char *gen_stop_name(fd_stop_reason r)
{
    static const char *const names[] = { "none", "end of generation", "stop string", "token limit",
                                         "context full", "cancelled" };
    return (unsigned)r < sizeof names / sizeof names[0] ? names[r] : "?";
}

void gen_print_stats(const fd_gen_stats *ps, const fd_gen_stats *gs, double load_seconds)
{
    /* the prompt's last token runs with the first generated one: prefill took the others */
    size_t fed = ps->prompt_tokens > ps->cached_tokens + 1 ? ps->prompt_tokens - ps->cached_tokens - 1 : 0;
    char pp[32] = "n/a";
    if (fed && ps->prompt_seconds > 0) snprintf(pp, sizeof pp, "%.1f", fed / ps->prompt_seconds);
    printf("\n[prompt: %zu tokens (%zu reused), %s tok/s | generation: %zu tokens, %.1f tok/s | stop: %s | "
           "load %.2f s]\n", ps->prompt_tokens, ps->cached_tokens, pp, gs->gen_tokens,
           gs->gen_seconds > 0 ? gs->gen_tokens / gs->gen_seconds : 0.0, gen_stop_name(gs->stop), load_seconds);
}

fd_status gen_profile_start(const char *cmd, const run_args *a, fd_foundry *fd)
{
    fd_status st = a->profile ? fd_profile_enable(fd, 1) : FD_OK;
    if (st != FD_OK) fprintf(stderr, "foundry %s: --profile: %s\n", cmd, fd_foundry_error(fd));
    return st;
}

int gen_profile_report(const char *cmd, const run_args *a, fd_foundry *fd)
{
    if (!a->profile) return 0;
    fd_status st = fd_profile_write_table(fd, stdout, 10);
    if (st == FD_OK && a->trace) st = fd_profile_write_trace(fd, a->trace);
    if (st == FD_OK) return 0;
    fprintf(stderr, "foundry %s: profile: %s\n", cmd, fd_foundry_error(fd));
    return 1;
}
