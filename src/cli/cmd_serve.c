/* cmd_serve.c — `foundry serve`: the OpenAI-compatible HTTP server
 * (serve.h) over one model, until SIGTERM or SIGINT; then it stops
 * accepting, lets running requests finish for --drain seconds, and exits.
 *
 * Layer: cli. Prints one line when listening ("foundry serve: listening on
 * http://HOST:PORT ..."): scripts and tests read the port from it (--port 0
 * picks a free one). */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include "cli/cli.h"
#include "cli/gen_args.h"
#include "foundry/serve.h"

static fd_server *volatile serving;   /* for the signal handler */

static void on_signal(int sig)
{
    (void)sig;
    if (serving) fd_server_stop(serving);
}

static void usage(FILE *f)
{
    fprintf(f, "usage: foundry serve (-m MODEL | --synthetic NAME) [--host 127.0.0.1] [--port 8080] [--parallel N]\n"
               "                     [-c CTX] [--api-key KEY] [--cors ORIGIN] [options]\n"
               "  POST /v1/chat/completions, POST /v1/completions, GET /v1/models, /health, /metrics\n"
               "  --host ADDR         address to listen on (default 127.0.0.1: this machine only)\n"
               "  --port N            port (default 8080; 0: any free one, printed)\n"
               "  --parallel N        sequences generated at once, each with its own cache (default 4)\n"
               "  --queue N           requests that may wait for a sequence; more get 503 (default 64)\n"
               "  --api-key KEY       require \"Authorization: Bearer KEY\" on /v1 routes\n"
               "  --cors ORIGIN       answer browsers from ORIGIN (Access-Control-Allow-Origin)\n"
               "  --alias NAME        the model id clients name (default: the file's name, or the synthetic shape)\n"
               "  --drain S           seconds running requests may finish after SIGTERM (default 10)\n"
               "  --no-graph          launch every step's kernels instead of replaying a captured decode graph\n"
               "  -c, --ctx N         tokens per sequence (default: the model's, at most 4096)\n"
               "%s", cli_model_help());
}

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    while (s && !s[1] && s > p) {   /* a folder given with a trailing slash */
        const char *q = s - 1;
        while (q > p && *q != '/') q--;
        return *q == '/' ? q + 1 : q;
    }
    return s ? s + 1 : p;
}

int cmd_serve(int argc, char **argv)
{
    run_args a = { .m = { .backend = FD_BACKEND_AUTO } };
    fd_sampler_defaults(&a.samp);
    fd_server_options o = { .port = 8080, .parallel = 4, .queue = 64 };
    const char *alias = NULL;
    uint64_t u;
    double d;
    int r;
    for (int i = 1; i < argc; i++) {
        const char *opt = argv[i], *v;
        if ((r = cli_model_arg("serve", &a.m, argc, argv, &i))) {
            if (r == 2) return 2;
        } else if (!strcmp(opt, "--help") || !strcmp(opt, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(opt, "--no-graph")) {
            o.no_graph = 1;
        } else if (!strcmp(opt, "--host") || !strcmp(opt, "--api-key") || !strcmp(opt, "--cors") ||
                   !strcmp(opt, "--alias")) {
            if (!(v = cli_value("serve", argc, argv, &i))) return 2;
            if (!strcmp(opt, "--host")) o.host = v;
            else if (!strcmp(opt, "--api-key")) o.api_key = v;
            else if (!strcmp(opt, "--cors")) o.cors = v;
            else alias = v;
        } else if (!strcmp(opt, "--port") || !strcmp(opt, "--parallel") || !strcmp(opt, "--queue")) {
            if (!(v = cli_value("serve", argc, argv, &i))) return 2;
            if (cli_parse_u64("serve", opt, v, !strcmp(opt, "--port") ? 0 : 1, !strcmp(opt, "--port") ? 65535 : 1024, &u))
                return 2;
            if (!strcmp(opt, "--port")) o.port = (unsigned)u;
            else if (!strcmp(opt, "--parallel")) o.parallel = (unsigned)u;
            else o.queue = (unsigned)u;
        } else if (!strcmp(opt, "--drain")) {
            if (!(v = cli_value("serve", argc, argv, &i)) || cli_parse_float("serve", opt, v, 0.001, 3600, &d)) return 2;
            o.drain_seconds = d;
        } else {
            return cli_unknown("serve", opt);
        }
    }
    cli_model m;
    if ((r = cli_model_open("serve", &a.m, &m))) return r;
    gen_args_defaults(&a, m.model);
    o.defaults = &a.samp;
    o.ctx = a.m.ctx;
    o.model_name = alias ? alias : a.m.model ? base_name(a.m.model) : m.shape;
    o.template_path = cli_model_template_path(&a.m);
    fd_server *s = NULL;
    fd_error err = { 0 };
    /* SIGTERM and SIGINT go to this thread only: the HTTP threads made now
     * inherit the blocked mask, so a signal never interrupts a reply's write
     * (an EINTR there would read as a client that hung up). */
    sigset_t term;
    sigemptyset(&term);
    sigaddset(&term, SIGTERM);
    sigaddset(&term, SIGINT);
    pthread_sigmask(SIG_BLOCK, &term, NULL);
    fd_status st = fd_server_create(m.fd, m.model, m.weights, &o, &s, &err);
    pthread_sigmask(SIG_UNBLOCK, &term, NULL);
    if (st != FD_OK) {
        cli_fail("serve", st, &err);
        cli_model_close(&m);
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);   /* a client that hangs up is a failed write, not the end of the server */
    serving = s;
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    printf("foundry serve: listening on http://%s:%u (model %s, %u sequences, %s)\n", o.host ? o.host : "127.0.0.1",
           fd_server_port(s), o.model_name, o.parallel, m.gpu ? "cuda" : "cpu");
    fflush(stdout);
    st = fd_server_run(s);
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    serving = NULL;
    int status = 0;
    if (st != FD_OK) status = cli_fail("serve", st, &(fd_error){ .status = st });
    fd_server_destroy(s);
    cli_model_close(&m);
    printf("foundry serve: stopped\n");
    return cli_check_stdout("serve", status);
}
