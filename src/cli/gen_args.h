/* gen_args.h — the generation options `run` and `chat` share (sampling,
 * stops, limits), their parsing and help, the model's defaults for them,
 * and streaming text to stdout.
 *
 * Layer: cli. */
#ifndef FD_CLI_GEN_ARGS_H
#define FD_CLI_GEN_ARGS_H

#include <stdio.h>
#include "cli/model_args.h"
#include "foundry/generate.h"

#define MAX_STOPS 16

typedef struct run_args {
    cli_model_args m;
    const char *prompt;         /* run: -p */
    const char *system;         /* chat: -s */
    size_t n;                   /* -n: tokens per reply */
    fd_sampler samp;
    int sampler_set, top_k_set, top_p_set, penalty_set, chat, ignore_eos, no_graph;
    int persistent;             /* --persistent (1) / --no-persistent (0): decode steps as one persistent kernel */
    int profile;                /* --profile (or --trace) */
    const char *trace;          /* --trace FILE: a Chrome trace */
    const char *stop[MAX_STOPS + 1];
    int nstop;
} run_args;

/* Parses argv[1..] into a (defaults set by the caller); 0, -1 after
 * --help (printed with `usage`), or an exit status (message printed). */
int gen_args_parse(const char *cmd, int argc, char **argv, run_args *a, void (*usage)(FILE *));
/* The help lines of the generation options; n_help describes -n (its
 * default and what 0 means differ per command). */
void gen_args_usage(FILE *f, const char *n_help);
/* Sampling defaults the user did not set, from the model's generation config. */
void gen_args_defaults(run_args *a, const fd_model *m);
/* Writes text to stdout and flushes; non-zero on a write error (stops generation). */
int gen_print(void *user, const char *text, size_t len);
const char *gen_stop_name(fd_stop_reason r);
/* Ctrl-C cancels session s's generation (not the program) until gen_sigint_end. */
void gen_sigint_begin(fd_session *s);
void gen_sigint_end(void);
/* --profile: turns profiling on (the message printed on failure). */
fd_status gen_profile_start(const char *cmd, const run_args *a, fd_foundry *fd);
/* --profile: the costliest kernels and scopes to stdout, and --trace's file;
 * 0, or 1 with the message printed. */
int gen_profile_report(const char *cmd, const run_args *a, fd_foundry *fd);
/* Prints "prompt: ... | generation: ... tok/s | stop: ..." to stdout. */
void gen_print_stats(const fd_gen_stats *ps, const fd_gen_stats *gs, double load_seconds);

#endif
