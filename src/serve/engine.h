/* engine.h — the sequences of the server: slots (one fd_state each), the
 * bounded queue of requests waiting for one, and the loop that interleaves
 * their prefill and decode chunks on one thread.
 *
 * Layer: serve. A job is made and freed by an HTTP thread; between
 * srv_engine_submit and the job's `done` the engine writes its outputs
 * under the engine's lock, and the HTTP thread reads them with
 * srv_engine_wait. The submitting thread must wait for `done` before it frees
 * the job, also after cancelling it (srv_job_cancel): cancelling is seen at
 * the next round. */
#ifndef FD_SERVE_ENGINE_H
#define FD_SERVE_ENGINE_H

#include <pthread.h>
#include <signal.h>
#include "base/sbuf.h"
#include "foundry/forward.h"

typedef enum { SRV_FINISH_STOP, SRV_FINISH_LENGTH, SRV_FINISH_CANCELLED, SRV_FINISH_ERROR } srv_finish;

typedef struct srv_job {
    /* in: set before submit, read-only after */
    int32_t *ids;               /* the prompt's tokens (n >= 1; owned by the submitter) */
    size_t n;
    size_t max_tokens;          /* 0: to the end of the context */
    size_t min_tokens;          /* end-of-generation tokens before this many are skipped */
    int ignore_eos;
    int hold;                   /* 1: keep the text until the end (tool calls are parsed whole) */
    fd_sampler samp;
    const char *const *stop;    /* NULL-terminated, may be NULL */
    /* out: under the engine's lock */
    fd_sbuf text;               /* produced and not yet taken */
    int done;
    srv_finish finish;
    size_t prompt_tokens, cached_tokens, gen_tokens;
    char error[256];
    /* the engine's own */
    pthread_cond_t cv;          /* signalled when text arrives or the job is done (made by submit) */
    volatile sig_atomic_t cancel;
    struct srv_job *next;       /* in the queue */
} srv_job;

typedef struct srv_engine srv_engine;

typedef struct srv_metrics {
    uint64_t requests, rejected, prompt_tokens, cached_tokens, gen_tokens;
    double decode_seconds;      /* time spent in decode chunks */
    unsigned queued, active, parallel;
    uint64_t cache_tokens, cache_capacity;   /* tokens held by all slots, and room for */
} srv_metrics;

/* parallel slots of ctx tokens each (0: the upload's), a queue of `queue`. */
fd_status srv_engine_create(fd_foundry *fd, const fd_model *m, const fd_weights *w, unsigned parallel, unsigned queue,
                            uint32_t ctx, int no_graph, srv_engine **out) FD_MUST_USE;
void srv_engine_destroy(srv_engine *e);
uint32_t srv_engine_ctx(const srv_engine *e);
/* 0 queued; 1 the queue is full; 2 the engine is stopping. Either way the
 * caller ends with srv_job_fini (after `done` when it was queued). */
int srv_engine_submit(srv_engine *e, srv_job *j);
void srv_job_fini(srv_job *j);
/* Waits until j has text or is done (at most `seconds`); moves the text into
 * *chunk (appended) and returns j->done. */
int srv_engine_wait(srv_engine *e, srv_job *j, fd_sbuf *chunk, double seconds);
void srv_job_cancel(srv_job *j);
/* Runs until stopped and drained; the first device failure's status. */
fd_status srv_engine_run(srv_engine *e) FD_MUST_USE;
/* Stop accepting; running jobs get drain_seconds to finish. Signal-safe. */
void srv_engine_stop(srv_engine *e, double drain_seconds);
void srv_engine_metrics(srv_engine *e, srv_metrics *m);

#endif
