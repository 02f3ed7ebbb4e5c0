/* cmd_chat.c — `foundry chat`: an interactive multi-turn chat through the
 * model's own chat template. One user turn per line of stdin (a terminal or
 * a pipe, for scripts and tests); `/reset` starts over; Ctrl-D (end of
 * input) leaves. Ctrl-C stops the reply being written, not the chat.
 *
 * Layer: cli. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli/cli.h"
#include "cli/gen_args.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: foundry chat (-m MODEL | --synthetic NAME) [-s SYSTEM] [options]\n"
               "  one user turn per line of stdin; /reset starts over; Ctrl-D leaves\n"
               "  -s, --system TEXT       a system message\n");
    gen_args_usage(f, "tokens per reply (default 512; 0: until end of generation or the context is full)");
    fputs(cli_model_help(), f);
    fputs("  a line that cannot be said (not UTF-8, longer than the context) is refused and the chat goes on;\n"
          "  the oldest turns are dropped when the conversation outgrows the context\n", f);
}

/* A turn's failure that refuses the line and lets the chat go on: its text
 * (not UTF-8, too long) or the template's verdict on it. Memory, device and
 * output failures end the chat. */
static int refusal(fd_status st)
{
    return st == FD_ERR_INVALID || st == FD_ERR_RANGE || st == FD_ERR_FORMAT;
}

int cmd_chat(int argc, char **argv)
{
    run_args a = { .m = { .backend = FD_BACKEND_AUTO }, .n = 512 };
    fd_sampler_defaults(&a.samp);
    int r = gen_args_parse("chat", argc, argv, &a, usage);
    if (r) return r < 0 ? 0 : r;
    if (a.prompt) return cli_usage_error("chat", "-p: the turns come from stdin, one per line");
    if (a.chat) return cli_usage_error("chat", "--chat: chat always uses the chat template");
    if (a.trace && (r = cli_output_check("chat", "--trace", a.trace, &a.m))) return r;
    cli_model m;
    if ((r = cli_model_open("chat", &a.m, &m))) return r;
    gen_args_defaults(&a, m.model);
    fd_session *s = NULL;
    fd_chat *chat = NULL;
    fd_error err = { 0 };
    fd_status st = fd_session_create(m.fd, m.model, m.weights,
                                     &(fd_session_options){ .ctx = a.m.ctx, .no_graph = a.no_graph,
                                                            .persistent = a.persistent }, &s);
    if (st == FD_OK) st = fd_chat_create(s, cli_model_template_path(&a.m), a.system, &chat, &err);
    if (st == FD_OK) st = gen_profile_start("chat", &a, m.fd);
    int tty = isatty(0), status = 0;
    char *line = NULL;
    size_t cap = 0;
    fd_gen_options g = { .max_tokens = a.n, .sampler = &a.samp, .stop = a.stop, .ignore_eos = a.ignore_eos };
    while (st == FD_OK) {
        if (tty) fputs("> ", stdout), fflush(stdout);
        ssize_t n = getline(&line, &cap, stdin);
        if (n < 0) break;
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = 0;
        if (!n) continue;
        if (!strcmp(line, "/reset")) {
            st = fd_chat_reset(chat);
            if (tty) puts("(conversation reset)");
            continue;
        }
        fd_gen_stats gs = { 0 };
        err = (fd_error){ 0 };
        gen_sigint_begin(s);
        st = fd_chat_say(chat, line, &g, gen_print, NULL, &gs, &err);
        gen_sigint_end();
        if (refusal(st)) {   /* the line, not the chat: say why and take the next one */
            fprintf(stderr, "foundry chat: %s\n", err.msg[0] ? err.msg : fd_foundry_error(m.fd));
            if (tty) fputs("(not said; the conversation is as it was)\n", stdout);
            st = FD_OK;
            continue;
        }
        if (st == FD_OK && gs.dropped_messages)
            fprintf(stderr, "foundry chat: the %zu oldest messages were dropped to fit the context of %u tokens\n",
                    gs.dropped_messages, fd_session_ctx(s));
        if (st == FD_OK) gen_print_stats(&gs, &gs, m.load_seconds);
        if (st == FD_OK && gs.stop == FD_STOP_CONTEXT)
            fprintf(stderr, "foundry chat: the context of %u tokens is full: the next turn drops the oldest ones "
                    "(or /reset)\n", fd_session_ctx(s));
    }
    if (st != FD_OK) {
        fprintf(stderr, "foundry chat: %s: %s\n", fd_status_name(st), err.msg[0] ? err.msg : fd_foundry_error(m.fd));
        status = 1;
    }
    if (st == FD_OK && gen_profile_report("chat", &a, m.fd)) status = 1;
    if (fflush(stdout) || ferror(stdout)) {
        fprintf(stderr, "foundry chat: writing the output failed\n");
        status = 1;
    }
    free(line);
    fd_chat_destroy(chat);
    fd_session_destroy(s);
    cli_model_close(&m);
    return status;
}
