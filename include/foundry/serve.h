/* serve.h — an OpenAI-compatible HTTP server over one uploaded model:
 * /v1/chat/completions, /v1/completions, /v1/models, /health, /metrics.
 *
 * Layer: serve (public). The server borrows the foundry, model and weights
 * (they must outlive it) and owns everything else: one fd_state per
 * sequence slot, the HTTP listener (civetweb's worker threads parse HTTP and
 * JSON, render templates and tokenize) and the request queue. Device work
 * happens on one thread only, the one that calls fd_server_run.
 *
 *   fd_server *s;
 *   FD_TRY(fd_server_create(fd, model, weights, &opt, &s, &err));  // listening now
 *   fd_server_run(s);           // until fd_server_stop (a signal handler may call it)
 *   fd_server_destroy(s);
 *
 * States: listening --run--> serving --stop--> draining (new requests 503;
 * running ones finish until drain_seconds, then are cancelled) --> run
 * returns --destroy--> closed. */
#ifndef FOUNDRY_SERVE_H
#define FOUNDRY_SERVE_H

#include "foundry/forward.h"
#include "foundry/ops.h"

typedef struct fd_server fd_server;

typedef struct fd_server_options {
    const char *host;           /* address to bind; NULL: 127.0.0.1 */
    unsigned port;              /* 0: any free port (fd_server_port says which) */
    unsigned parallel;          /* sequences decoded at once; 0: 1 */
    unsigned queue;             /* requests that may wait for a slot; more get 503; 0: 64 */
    uint32_t ctx;               /* tokens per sequence; 0: the upload's */
    const char *api_key;        /* NULL: no key; else every /v1 request needs "Authorization: Bearer KEY" */
    const char *cors;           /* NULL: no CORS headers; else the Access-Control-Allow-Origin value */
    const char *model_name;     /* the id /v1/models lists and requests may name; NULL: "foundry" */
    const char *template_path;  /* where the chat template comes from (fd_template_load); NULL: no chat */
    const fd_sampler *defaults; /* sampling a request does not set; NULL: fd_sampler_defaults */
    double drain_seconds;       /* after stop, how long running requests may finish; 0: 10 */
    int no_graph;               /* 1: no captured decode graph */
} fd_server_options;

/* Binds, starts the HTTP threads and creates the sequences' states. On
 * failure *out is NULL and err says what (an address in use names it). */
fd_status fd_server_create(fd_foundry *fd, const fd_model *m, const fd_weights *w, const fd_server_options *o,
                           fd_server **out, fd_error *err) FD_MUST_USE;
/* The port it listens on. */
unsigned fd_server_port(const fd_server *s);
/* Serves on the calling thread until fd_server_stop and the drain; returns
 * the first device error (the server answers 500 after one), else FD_OK. */
fd_status fd_server_run(fd_server *s) FD_MUST_USE;
/* Asks run to drain and return; safe from a signal handler and any thread. */
void fd_server_stop(fd_server *s);
/* Stops the HTTP threads (waiting for them) and frees everything. */
void fd_server_destroy(fd_server *s);
const char *fd_server_error(const fd_server *s);

#endif
