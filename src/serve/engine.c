/* engine.c — the server's sequences (engine.h): slots, queue and the one
 * thread that runs every device step.
 *
 * Layer: serve. Invariants:
 *   1. Only the engine thread (srv_engine_run) touches a slot's fd_state.
 *   2. A slot's cache holds tok[0..ntok-1) when ntok > 0 (the last token is
 *      pending, run by the next decode), as generate.h's sessions keep it;
 *      a finished slot keeps them, so a later job whose prompt starts with
 *      the same tokens prefills only the rest (prefix reuse).
 *   3. Each round gives every running slot one chunk: a prefill pass of
 *      prompt tokens (fd_state_prefill_chunk), or CHUNK decoded ones — fair
 *      interleaving, no sequence waits for another's whole prompt or reply.
 *   4. Job outputs, the queue and the counters change under `mu`; `done` is
 *      set last, after which the engine never touches the job again.
 * Job states: queued --(a free slot: start)--> prefilling --> decoding
 * --(eos, stop string, limit, cancel, error: finish)--> done. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "base/mem.h"
#include "base/util.h"
#include "foundry/tokenizer.h"
#include "serve/engine.h"

#define CHUNK 8              /* decode steps per round per slot (generate.c's chunk: one device round trip) */

typedef struct slot {
    fd_state *st;
    int32_t *tok;            /* (ctx + 1) the tokens of the cache (invariant 2) */
    size_t ntok;
    srv_job *job;            /* NULL: free */
    size_t fed;              /* prompt tokens in the cache while prefilling */
    fd_detok dt;
    fd_sbuf held;            /* text not yet handed to the job (it may start a stop string) */
    uint64_t used;           /* when it last started a job (least recently used goes first) */
} slot;

struct srv_engine {
    fd_foundry *fd;
    const fd_model *model;
    const fd_tokenizer *tk;
    slot *slots;
    unsigned n, queue_cap;
    uint32_t ctx;
    pthread_mutex_t mu;
    pthread_cond_t work;        /* the engine has a job */
    srv_job *qhead, *qtail;
    unsigned nq;
    volatile sig_atomic_t stop_req;
    volatile sig_atomic_t drain_ms;
    srv_metrics m;
    uint64_t stamp;
};

fd_status srv_engine_create(fd_foundry *fd, const fd_model *m, const fd_weights *w, unsigned parallel, unsigned queue,
                            uint32_t ctx, int no_graph, srv_engine **out)
{
    *out = NULL;
    srv_engine *e = fd_calloc(1, sizeof *e);
    if (!e || !(e->slots = fd_calloc(parallel ? parallel : 1, sizeof *e->slots))) {
        fd_free(e);
        return FD_ERR_NOMEM;
    }
    e->fd = fd;
    e->model = m;
    e->tk = fd_model_describe(m)->tokenizer;
    e->n = parallel ? parallel : 1;
    e->queue_cap = queue;
    e->drain_ms = 10000;
    pthread_mutex_init(&e->mu, NULL);
    pthread_cond_init(&e->work, NULL);
    fd_status st = FD_OK;
    for (unsigned i = 0; i < e->n && st == FD_OK; i++) {
        slot *s = &e->slots[i];
        st = fd_state_create(fd, w, ctx, &s->st);
        if (st != FD_OK) break;
        fd_state_use_graph(s->st, !no_graph);
        e->ctx = fd_state_ctx(s->st);
        if (!(s->tok = fd_malloc(((size_t)e->ctx + 1) * sizeof *s->tok))) st = FD_ERR_NOMEM;
        if (st == FD_OK) st = fd_state_warm(s->st);
    }
    if (st != FD_OK) {
        srv_engine_destroy(e);
        return st;
    }
    e->m.parallel = e->n;
    e->m.cache_capacity = (uint64_t)e->n * e->ctx;
    *out = e;
    return FD_OK;
}

void srv_engine_destroy(srv_engine *e)
{
    if (!e) return;
    for (unsigned i = 0; i < e->n; i++) {
        fd_state_destroy(e->slots[i].st);
        fd_free(e->slots[i].tok);
        fd_free(fd_sbuf_take(&e->slots[i].held));
    }
    pthread_mutex_destroy(&e->mu);
    pthread_cond_destroy(&e->work);
    fd_free(e->slots);
    fd_free(e);
}

uint32_t srv_engine_ctx(const srv_engine *e) { return e->ctx; }
void srv_job_cancel(srv_job *j) { j->cancel = 1; }

void srv_job_fini(srv_job *j)
{
    pthread_cond_destroy(&j->cv);
    fd_free(fd_sbuf_take(&j->text));
}

void srv_engine_stop(srv_engine *e, double drain_seconds)
{
    e->drain_ms = (sig_atomic_t)(drain_seconds > 0 ? drain_seconds * 1000 : 10000);
    e->stop_req = 1;
}

int srv_engine_submit(srv_engine *e, srv_job *j)
{
    pthread_cond_init(&j->cv, NULL);
    pthread_mutex_lock(&e->mu);
    unsigned active = 0;
    for (unsigned i = 0; i < e->n; i++) active += e->slots[i].job != NULL;
    int r = e->stop_req ? 2 : (e->nq >= e->queue_cap && active + e->nq >= e->n) ? 1 : 0;
    if (!r) {
        j->next = NULL;
        if (e->qtail) e->qtail->next = j;
        else e->qhead = j;
        e->qtail = j;
        e->nq++;
        e->m.requests++;
        pthread_cond_signal(&e->work);
    } else {
        e->m.rejected++;
    }
    pthread_mutex_unlock(&e->mu);
    return r;
}

int srv_engine_wait(srv_engine *e, srv_job *j, fd_sbuf *chunk, double seconds)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    double t = ts.tv_sec + ts.tv_nsec * 1e-9 + seconds;
    ts.tv_sec = (time_t)t;
    ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
    pthread_mutex_lock(&e->mu);
    while (!j->done && !j->text.len)
        if (pthread_cond_timedwait(&j->cv, &e->mu, &ts)) break;
    if (j->text.len) {
        fd_sbuf_catn(chunk, j->text.s, j->text.len);
        j->text.len = 0;
        j->text.s[0] = 0;
    }
    int done = j->done;
    pthread_mutex_unlock(&e->mu);
    return done;
}

void srv_engine_metrics(srv_engine *e, srv_metrics *m)
{
    pthread_mutex_lock(&e->mu);
    *m = e->m;
    m->queued = e->nq;
    m->active = 0;
    for (unsigned i = 0; i < e->n; i++) m->active += e->slots[i].job != NULL;
    pthread_mutex_unlock(&e->mu);
}

/* ---- the engine thread */

static int is_eos(const srv_engine *e, const srv_job *j, int32_t id)
{
    if (j->ignore_eos) return 0;
    const int32_t *eos;
    size_t n = e->tk ? fd_tokenizer_eos(e->tk, &eos) : 0;
    for (size_t i = 0; i < n; i++)
        if (eos[i] == id) return 1;
    const fd_generation_defaults *d = &fd_model_describe(e->model)->gen;
    for (uint32_t i = 0; i < d->n_eos; i++)
        if (d->eos_ids[i] == id) return 1;
    return 0;
}

/* Hands the job what of `held` cannot begin a stop string (all of it when
 * final); returns 1 when a stop string was found (the text before it goes). */
static int emit(srv_engine *e, slot *s, int final)
{
    fd_sbuf *h = &s->held;
    srv_job *j = s->job;
    if (!h->s) return 0;
    size_t safe = h->len, cut = (size_t)-1;
    for (const char *const *p = j->stop; p && *p; p++) {
        size_t sl = strlen(*p);
        if (!sl) continue;
        const char *f = strstr(h->s, *p);
        if (f && (size_t)(f - h->s) < cut) cut = (size_t)(f - h->s);
        for (size_t k = sl - 1; k > 0 && !final; k--)   /* a tail of held that starts a stop string waits */
            if (k <= h->len && !strncmp(h->s + h->len - k, *p, k) && h->len - k < safe) {
                safe = h->len - k;
                break;
            }
    }
    if (cut != (size_t)-1) safe = cut;
    else if (j->hold && !final) return 0;
    while (safe > 0 && safe < h->len && ((unsigned char)h->s[safe] & 0xC0) == 0x80) safe--;
    if (j->hold && cut != (size_t)-1 && !final) return 1;   /* finish() hands it over */
    if (safe) {
        pthread_mutex_lock(&e->mu);
        fd_sbuf_catn(&j->text, h->s, safe);
        pthread_cond_signal(&j->cv);
        pthread_mutex_unlock(&e->mu);
    }
    memmove(h->s, h->s + safe, h->len - safe + 1);
    h->len -= safe;
    if (cut != (size_t)-1) {   /* the stop string and what follows are dropped */
        h->len = 0;
        h->s[0] = 0;
    }
    return cut != (size_t)-1;
}

static void finish(srv_engine *e, slot *s, srv_finish why, const char *error)
{
    srv_job *j = s->job;
    if (why != SRV_FINISH_ERROR && why != SRV_FINISH_CANCELLED) {
        char tail[8];
        size_t n = 0;
        fd_error err = { 0 };
        if (e->tk && fd_tokenizer_decode_flush(e->tk, &s->dt, tail, sizeof tail, &n, &err) == FD_OK && n)
            fd_sbuf_catn(&s->held, tail, n);
        emit(e, s, 1);
    }
    memset(&s->dt, 0, sizeof s->dt);
    s->held.len = 0;
    if (s->held.s) s->held.s[0] = 0;
    pthread_mutex_lock(&e->mu);
    j->finish = why;
    if (error) snprintf(j->error, sizeof j->error, "%s", error);
    e->m.prompt_tokens += j->prompt_tokens;
    e->m.cached_tokens += j->cached_tokens;
    e->m.gen_tokens += j->gen_tokens;
    j->done = 1;
    s->job = NULL;
    pthread_cond_signal(&j->cv);
    pthread_mutex_unlock(&e->mu);
}

static size_t common(const int32_t *a, size_t na, const int32_t *b, size_t nb)
{
    size_t k = 0;
    while (k < na && k < nb && a[k] == b[k]) k++;
    return k;
}

/* Moves queued jobs into free slots, each to the slot whose cache shares the
 * longest prefix with its prompt (the least recently used among equals).
 * Called with mu held. */
static void assign(srv_engine *e)
{
    while (e->qhead) {
        slot *best = NULL;
        size_t best_k = 0;
        srv_job *j = e->qhead;
        for (unsigned i = 0; i < e->n; i++) {
            slot *s = &e->slots[i];
            if (s->job) continue;
            size_t k = s->ntok ? common(s->tok, s->ntok - 1, j->ids, j->n - 1) : 0;
            if (!best || k > best_k || (k == best_k && s->used < best->used)) best = s, best_k = k;
        }
        if (!best) return;
        e->qhead = j->next;
        if (!e->qhead) e->qtail = NULL;
        e->nq--;
        best->job = j;
        best->used = ++e->stamp;
        best->fed = (size_t)-1;   /* start() runs outside the lock */
    }
}

static fd_status start(slot *s)
{
    srv_job *j = s->job;
    size_t k = s->ntok ? common(s->tok, s->ntok - 1, j->ids, j->n - 1) : 0;
    FD_TRY(fd_state_rewind(s->st, (uint32_t)k));
    memcpy(s->tok, j->ids, j->n * sizeof *j->ids);
    s->ntok = k + 1;   /* until the prompt is in: the cache holds tok[0..k) */
    s->fed = k;
    j->prompt_tokens = j->n;
    j->cached_tokens = k;
    fd_state_set_sampler(s->st, &j->samp);
    return FD_OK;
}

static fd_status prefill(slot *s)
{
    srv_job *j = s->job;
    size_t m = j->n - 1 - s->fed, pass = fd_state_prefill_chunk(s->st);   /* one pass: the state's chunk */
    if (m > pass) m = pass;
    FD_TRY(fd_state_prefill(s->st, j->ids + s->fed, m, NULL, NULL));
    s->fed += m;
    s->ntok = s->fed + 1;
    return FD_OK;
}

/* One decode chunk; 1 when the job finished. */
static int decode(srv_engine *e, slot *s, fd_status *st)
{
    srv_job *j = s->job;
    uint32_t p0 = fd_state_pos(s->st);
    size_t k = j->gen_tokens ? CHUNK : 1, room = e->ctx - p0;   /* the first token alone: time to first token */
    if (j->max_tokens && j->max_tokens - j->gen_tokens < k) k = j->max_tokens - j->gen_tokens;
    if (k > room) k = room;
    if (!k) {
        finish(e, s, SRV_FINISH_LENGTH, NULL);
        return 1;
    }
    int32_t out[CHUNK];
    double t0 = fd_now_seconds();
    if ((*st = fd_state_decode(s->st, s->tok[s->ntok - 1], k, out)) != FD_OK) return 0;
    double dt = fd_now_seconds() - t0;
    pthread_mutex_lock(&e->mu);
    e->m.decode_seconds += dt;
    pthread_mutex_unlock(&e->mu);
    for (size_t i = 0; i < k; i++) {
        s->tok[s->ntok++] = out[i];
        j->gen_tokens++;
        int stop = 0;
        if (is_eos(e, j, out[i])) {
            if (j->gen_tokens > j->min_tokens) stop = 1;   /* before min_tokens: skipped, not shown */
        } else if (e->tk) {
            char buf[512];
            size_t n = 0;
            fd_error err = { 0 };
            if (fd_tokenizer_decode_next(e->tk, &s->dt, out[i], buf, sizeof buf, &n, &err) == FD_OK && n)
                fd_sbuf_catn(&s->held, buf, n);
            stop = emit(e, s, 0);
        }
        if (stop) {
            if ((*st = fd_state_rewind(s->st, p0 + (uint32_t)i + 1)) != FD_OK) return 0;   /* forget steps past it */
            finish(e, s, SRV_FINISH_STOP, NULL);
            return 1;
        }
    }
    return 0;
}

/* One round over the slots; FD_OK, or a device failure (its job finished with the message). */
static fd_status round_(srv_engine *e)
{
    fd_status first = FD_OK;
    for (unsigned i = 0; i < e->n; i++) {
        slot *s = &e->slots[i];
        if (!s->job) continue;
        fd_status st = FD_OK;
        if (s->job->cancel) {
            if (s->fed == (size_t)-1) s->fed = 0;
            finish(e, s, SRV_FINISH_CANCELLED, NULL);
            continue;
        }
        if (s->fed == (size_t)-1) st = start(s);
        if (st == FD_OK && s->fed < s->job->n - 1) st = prefill(s);
        else if (st == FD_OK) decode(e, s, &st);
        if (st != FD_OK) {
            if (first == FD_OK) first = st;
            s->ntok = 0;   /* the cache is in doubt: forget it */
            if (fd_state_rewind(s->st, 0) != FD_OK) s->ntok = 0;   /* already forgotten above */
            finish(e, s, SRV_FINISH_ERROR, fd_foundry_error(e->fd));
        }
    }
    uint64_t held = 0;
    for (unsigned i = 0; i < e->n; i++) held += fd_state_pos(e->slots[i].st);
    pthread_mutex_lock(&e->mu);
    e->m.cache_tokens = held;
    pthread_mutex_unlock(&e->mu);
    return first;
}

fd_status srv_engine_run(srv_engine *e)
{
    fd_status first = FD_OK;
    double stop_at = 0;
    for (;;) {
        pthread_mutex_lock(&e->mu);
        if (e->stop_req && !stop_at) stop_at = fd_now_seconds() + e->drain_ms / 1000.0;
        if (stop_at && fd_now_seconds() > stop_at) {   /* the drain is over: cancel the rest */
            for (srv_job *j = e->qhead; j; j = j->next) j->cancel = 1;
            for (unsigned i = 0; i < e->n; i++)
                if (e->slots[i].job) e->slots[i].job->cancel = 1;
        }
        while (e->qhead && e->qhead->cancel) {   /* cancelled while queued */
            srv_job *j = e->qhead;
            e->qhead = j->next;
            if (!e->qhead) e->qtail = NULL;
            e->nq--;
            j->finish = SRV_FINISH_CANCELLED;
            j->done = 1;
            pthread_cond_signal(&j->cv);
        }
        assign(e);
        unsigned active = 0;
        for (unsigned i = 0; i < e->n; i++) active += e->slots[i].job != NULL;
        if (!active) {
            if (stop_at) {
                pthread_mutex_unlock(&e->mu);
                return first;
            }
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += 50 * 1000000L;   /* a stop request from a signal handler is seen within 50 ms */
            if (ts.tv_nsec >= 1000000000L) ts.tv_sec++, ts.tv_nsec -= 1000000000L;
            pthread_cond_timedwait(&e->work, &e->mu, &ts);
            pthread_mutex_unlock(&e->mu);
            continue;
        }
        pthread_mutex_unlock(&e->mu);
        fd_status st = round_(e);
        if (first == FD_OK) first = st;
    }
}
