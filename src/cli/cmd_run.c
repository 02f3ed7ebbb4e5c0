/* cmd_run.c — `foundry run`: a prompt in, streamed text out, with prompt
 * and generation speeds; and `foundry demo`, the main job: the same on a
 * random-weight model of the Qwen2.5-0.5B shape (a small one on the CPU)
 * with the repository's Qwen2.5 vocabulary — no download, no model file.
 *
 * Layer: cli. Ctrl-C cancels the generation cleanly; the statistics still
 * print. With --profile the prompt and the generation are scopes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/cli.h"
#include "cli/gen_args.h"
#include "foundry/profile.h"

static void run_usage(FILE *f)
{
    fprintf(f, "usage: foundry run (-m MODEL | --synthetic NAME) -p PROMPT [options]\n"
               "  -p, --prompt TEXT       the prompt\n"
               "  --chat                  wrap the prompt in the model's chat template as a user turn\n"
               "  -s, --system TEXT       with --chat: a system message\n");
    gen_args_usage(f, "tokens to generate (default 128; 0: until end of generation or the context is full)");
    fputs(cli_model_help(), f);
    fputs("  Ctrl-C stops the prompt or the generation; the exit status is then 130\n", f);
}

static void demo_usage(FILE *f)
{
    fprintf(f, "usage: foundry demo [--backend auto|cpu|cuda] [-n N] [-p PROMPT] [options]\n"
               "  generates from a fixed prompt on Qwen2 with random weights: the Qwen2.5-0.5B shape on a GPU,\n"
               "  a small one on the CPU, the repository's Qwen2.5 vocabulary; greedy unless --temp is given\n"
               "  -p, --prompt TEXT       the prompt (default: a fixed one)\n");
    gen_args_usage(f, "tokens to generate (default 64; 0: until end of generation or the context is full)");
    fputs(cli_model_help(), f);
}

/* Generates from a->prompt (as a chat turn with --chat) and prints the
 * statistics; an exit status. */
static int generate(const char *cmd, run_args *a, cli_model *m)
{
    fd_session *s = NULL;
    fd_chat *chat = NULL;
    fd_error err = { 0 };
    fd_status st = fd_session_create(m->fd, m->model, m->weights,
                                     &(fd_session_options){ .ctx = a->m.ctx, .no_graph = a->no_graph,
                                                            .persistent = a->persistent }, &s);
    fd_gen_stats ps = { 0 }, gs = { 0 };
    fd_gen_options g = { .max_tokens = a->n, .sampler = &a->samp, .stop = a->stop, .ignore_eos = a->ignore_eos };
    if (st == FD_OK && a->chat) st = fd_chat_create(s, cli_model_template_path(&a->m), a->system, &chat, &err);
    if (st == FD_OK) st = gen_profile_start(cmd, a, m->fd);
    gen_sigint_begin(s);
    if (st == FD_OK && chat) {
        st = fd_chat_say(chat, a->prompt, &g, gen_print, NULL, &gs, &err);
        ps = gs;
    } else if (st == FD_OK) {
        if ((st = fd_scope_begin(m->fd, "prompt")) == FD_OK) st = fd_session_feed_text(s, a->prompt, strlen(a->prompt), &ps);
        if (st == FD_OK && (st = fd_scope_end(m->fd)) == FD_OK) st = fd_scope_begin(m->fd, "generate");
        if (st == FD_OK) st = fd_session_generate(s, &g, gen_print, NULL, &gs);
        if (st == FD_OK) st = fd_scope_end(m->fd);
    }
    gen_sigint_end();
    int bad_out = fflush(stdout) != 0 || ferror(stdout);
    if (st != FD_OK)
        fprintf(stderr, "foundry %s: %s: %s\n", cmd, fd_status_name(st), err.msg[0] ? err.msg : fd_foundry_error(m->fd));
    else if (gs.stop == FD_STOP_CONTEXT)
        fprintf(stderr, "foundry %s: the context of %u tokens is full: generation ended there\n", cmd,
                fd_session_ctx(s));
    else if (gs.stop == FD_STOP_CANCELLED && !bad_out)
        fprintf(stderr, "foundry %s: cancelled\n", cmd);
    if (st == FD_OK) gen_print_stats(&ps, &gs, m->load_seconds);
    if (st == FD_OK && gen_profile_report(cmd, a, m->fd)) st = FD_ERR_IO;
    fd_chat_destroy(chat);
    fd_session_destroy(s);
    if (bad_out) fprintf(stderr, "foundry %s: writing the output failed\n", cmd);
    if (st != FD_OK || bad_out) return 1;
    return gs.stop == FD_STOP_CANCELLED ? 130 : 0;   /* 128 + SIGINT, as a shell reports a Ctrl-C */
}

int cmd_run(int argc, char **argv)
{
    run_args a = { .m = { .backend = FD_BACKEND_AUTO }, .n = 128, .samp = { .last_n = 64 } };
    fd_sampler_defaults(&a.samp);
    int r = gen_args_parse("run", argc, argv, &a, run_usage);
    if (r) return r < 0 ? 0 : r;
    if (!a.prompt) return cli_usage_error("run", "-p PROMPT is required");
    if (a.trace && (r = cli_output_check("run", "--trace", a.trace, &a.m))) return r;
    if (!*a.prompt) return cli_usage_error("run", "the prompt (-p) is empty");
    if (a.system && !a.chat) return cli_usage_error("run", "-s (a system message) needs --chat");
    cli_model m;
    if ((r = cli_model_open("run", &a.m, &m))) return r;
    gen_args_defaults(&a, m.model);
    r = generate("run", &a, &m);
    cli_model_close(&m);
    return r;
}

int cmd_demo(int argc, char **argv)
{
    run_args a = { .m = { .backend = FD_BACKEND_AUTO }, .n = 64 };
    fd_sampler_defaults(&a.samp);
    a.samp.temperature = 0;   /* greedy unless asked */
    a.prompt = "The quick brown fox jumps over the lazy dog. Once upon a time,";
    int r = gen_args_parse("demo", argc, argv, &a, demo_usage);
    if (r) return r < 0 ? 0 : r;
    if (a.m.model) return cli_usage_error("demo", "runs its own random model; use `foundry run -m MODEL` for yours");
    if (!*a.prompt) return cli_usage_error("demo", "the prompt (-p) is empty");
    if (a.system || a.chat)   /* its vocabulary's template would wrap noise: demo shows plain generation */
        return cli_usage_error("demo", "%s: demo generates from a plain prompt; use `foundry run --chat`",
                               a.chat ? "--chat" : "-s");
    if (a.trace && (r = cli_output_check("demo", "--trace", a.trace, &a.m))) return r;
    /* the 0.5B shape on a GPU, a small one on the CPU: chosen once the foundry exists */
    a.m.synthetic_gpu = "qwen2.5-0.5b";
    a.m.synthetic_cpu = "tiny";
    if (!a.m.ctx) a.m.ctx = 1024;
    cli_model m;
    if ((r = cli_model_open("demo", &a.m, &m))) return r;
    printf("foundry demo: Qwen2 of the %s shape with RANDOM weights — no download; the text is noise, the speed is "
           "real — %s decoding on the %s\n---\n%s", m.shape, a.samp.temperature > 0 ? "sampled" : "greedy",
           m.gpu ? "GPU" : "CPU", a.prompt);
    fflush(stdout);
    r = generate("demo", &a, &m);
    cli_model_close(&m);
    return r;
}
