/* profile.c — the profiler's records: the path tree, the open spans, the
 * time marks and their resolution.
 *
 * Layer: profile. Invariants:
 *   1. nodes[0] is the root (no name); a node's path is its ancestors' names
 *      joined by '/'. A (parent, name, kind) triple has one node.
 *   2. marks[] are in the order they were recorded, which on a GPU is the
 *      stream's order. marks[0] is the origin (time 0). marks[0..resolved)
 *      have their time; with the clock every mark is resolved when made.
 *   3. A device mark's time is its predecessor's plus the event interval
 *      between them (short intervals keep float milliseconds exact); its
 *      event is freed once its successor is resolved, so at most one
 *      resolved mark holds an event.
 *   4. spans[] are closed spans in closing order (their end marks rise);
 *      spans[0..done) have both marks resolved.
 * States of a mark: recorded --fd_prof_resolve (event complete, or synced)-->
 * resolved. Of a span: open (stack[]) --fd_prof_pop--> closed --resolve-->
 * resolved; fd_prof_drop discards an open span, fd_prof_reset everything. */
#include <string.h>
#include <time.h>
#include "profile/profile.h"
#include "base/mem.h"

#define MAX_DEPTH 64
#define RESOLVE_EVERY 256     /* unresolved device marks before a non-waiting resolution pass */

typedef struct node {
    char *name;
    uint32_t parent, child, sibling;   /* 0: none (the root is never a child) */
    fd_span_kind kind;
} node;

typedef struct mark {
    void *ev;                  /* device event, NULL once freed or with the clock */
    uint64_t ns;               /* from the origin; valid when resolved */
} mark;

typedef struct open_span {
    uint32_t node, begin;
    uint64_t bytes;
} open_span;

struct fd_profiler {
    fd_backend *be;             /* borrowed */
    int events;                 /* device events, else the clock */
    uint64_t (*now)(void *);    /* the clock, in ns */
    void *now_user;
    uint64_t origin_ns;         /* clock reading of marks[0] */
    node *nodes;
    uint32_t nnodes, capnodes;
    mark *marks;
    uint32_t nmarks, capmarks, resolved;
    open_span stack[MAX_DEPTH];
    size_t depth;
    fd_prof_span *spans;
    size_t nspans, done;
    uint32_t capspans;
};

static uint64_t mono_ns(void *user)
{
    (void)user;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Grows *arr (of `size`-byte items) to hold one more than `n`. */
static fd_status grow(void **arr, uint32_t *cap, size_t n, size_t size, fd_error *err)
{
    if (n < *cap) return FD_OK;
    size_t c = *cap ? (size_t)*cap * 2 : 64;
    if (c > UINT32_MAX) return fd_error_set(err, FD_ERR_RANGE, "profile: more than 4G records");
    void *q = fd_realloc(*arr, c * size);
    if (!q) return fd_error_set(err, FD_ERR_NOMEM, "profile: out of memory");
    *arr = q;
    *cap = (uint32_t)c;
    return FD_OK;
}

static fd_status add_mark(fd_profiler *p, uint32_t *id, fd_error *err)
{
    FD_TRY(grow((void **)&p->marks, &p->capmarks, p->nmarks, sizeof *p->marks, err));
    mark *m = &p->marks[p->nmarks];
    m->ev = NULL;
    m->ns = 0;
    if (p->events) {
        FD_TRY(p->be->event_record(p->be, &m->ev, err));
    } else {
        uint64_t t = p->now(p->now_user);
        m->ns = t > p->origin_ns ? t - p->origin_ns : 0;
        p->resolved = p->nmarks + 1;
    }
    *id = p->nmarks++;
    return FD_OK;
}

static void free_records(fd_profiler *p)
{
    for (uint32_t i = 0; i < p->nmarks; i++)
        if (p->marks[i].ev) p->be->event_free(p->be, p->marks[i].ev);
    for (uint32_t i = 1; i < p->nnodes; i++) fd_free(p->nodes[i].name);
    p->nmarks = p->resolved = 0;
    p->nnodes = 1;
    p->nodes[0] = (node){ 0 };
    p->depth = p->nspans = p->done = 0;
}

static fd_status start(fd_profiler *p, fd_error *err)
{
    uint32_t origin;
    p->origin_ns = p->now(p->now_user);
    FD_TRY(add_mark(p, &origin, err));
    p->resolved = 1;            /* the origin is time 0 by definition */
    return FD_OK;
}

fd_status fd_prof_create(fd_backend *be, fd_profiler **out, fd_error *err)
{
    *out = NULL;
    fd_profiler *p = fd_calloc(1, sizeof *p);
    if (!p) return fd_error_set(err, FD_ERR_NOMEM, "profile: out of memory");
    p->be = be;
    p->events = be->event_record && be->event_elapsed && be->event_free;
    p->now = mono_ns;
    fd_status st = grow((void **)&p->nodes, &p->capnodes, 0, sizeof *p->nodes, err);
    if (st == FD_OK) {
        p->nnodes = 1;
        p->nodes[0] = (node){ 0 };
        st = start(p, err);
    }
    if (st != FD_OK) {
        fd_prof_destroy(p);
        return st;
    }
    *out = p;
    return FD_OK;
}

void fd_prof_destroy(fd_profiler *p)
{
    if (!p) return;
    if (p->nodes) free_records(p);
    fd_free(p->nodes);
    fd_free(p->marks);
    fd_free(p->spans);
    fd_free(p);
}

fd_status fd_prof_reset(fd_profiler *p, fd_error *err)
{
    free_records(p);
    return start(p, err);
}

void fd_prof_set_clock(fd_profiler *p, uint64_t (*now_ns)(void *user), void *user)
{
    p->now = now_ns ? now_ns : mono_ns;
    p->now_user = user;
    p->origin_ns = p->now(p->now_user);
}

const char *fd_prof_timing(const fd_profiler *p) { return p->events ? "device events" : "monotonic clock"; }
size_t fd_prof_depth(const fd_profiler *p) { return p->depth; }

/* The child of `parent` with this name and kind, made if new. */
static fd_status child(fd_profiler *p, uint32_t parent, const char *name, fd_span_kind kind, uint32_t *out,
                       fd_error *err)
{
    uint32_t c = p->nodes[parent].child;
    for (; c; c = p->nodes[c].sibling)
        if (p->nodes[c].kind == kind && !strcmp(p->nodes[c].name, name)) {
            *out = c;
            return FD_OK;
        }
    FD_TRY(grow((void **)&p->nodes, &p->capnodes, p->nnodes, sizeof *p->nodes, err));
    char *copy = fd_strdup(name);
    if (!copy) return fd_error_set(err, FD_ERR_NOMEM, "profile: out of memory");
    c = p->nnodes++;
    p->nodes[c] = (node){ copy, parent, 0, p->nodes[parent].child, kind };
    p->nodes[parent].child = c;
    *out = c;
    return FD_OK;
}

fd_status fd_prof_push(fd_profiler *p, const char *name, fd_span_kind kind, fd_error *err)
{
    if (p->depth == MAX_DEPTH)
        return fd_error_set(err, FD_ERR_RANGE, "profile: scopes nested deeper than %d (an fd_scope_end missing?)",
                            MAX_DEPTH);
    if (!name || !name[0]) return fd_error_set(err, FD_ERR_INVALID, "profile: a scope needs a name");
    open_span *s = &p->stack[p->depth];
    FD_TRY(child(p, p->depth ? p->stack[p->depth - 1].node : 0, name, kind, &s->node, err));
    FD_TRY(add_mark(p, &s->begin, err));
    s->bytes = 0;
    p->depth++;
    return FD_OK;
}

fd_status fd_prof_pop(fd_profiler *p, uint64_t bytes, fd_error *err)
{
    if (!p->depth) return fd_error_set(err, FD_ERR_STATE, "fd_scope_end: no scope is open");
    FD_TRY(grow((void **)&p->spans, &p->capspans, p->nspans, sizeof *p->spans, err));
    uint32_t end;
    FD_TRY(add_mark(p, &end, err));
    for (size_t i = 0; i < p->depth; i++) p->stack[i].bytes += bytes;
    open_span *s = &p->stack[--p->depth];
    p->spans[p->nspans++] = (fd_prof_span){ s->node, s->begin, end, s->bytes };
    if (p->events && p->be->event_done && p->nmarks - p->resolved >= RESOLVE_EVERY)
        return fd_prof_resolve(p, 0, err);
    return FD_OK;
}

void fd_prof_drop(fd_profiler *p)
{
    if (p->depth) p->depth--;
}

fd_status fd_prof_resolve(fd_profiler *p, int synced, fd_error *err)
{
    while (p->resolved < p->nmarks) {
        mark *m = &p->marks[p->resolved], *prev = m - 1;
        if (!synced) {
            int d = p->be->event_done ? p->be->event_done(p->be, m->ev) : 0;
            if (d < 0) return fd_error_set(err, FD_ERR_DEVICE, "profile: cannot query a timing event");
            if (!d) break;
        }
        float ms = 0;
        FD_TRY(p->be->event_elapsed(p->be, prev->ev, m->ev, &ms, err));
        m->ns = prev->ns + (ms > 0 ? (uint64_t)((double)ms * 1e6 + 0.5) : 0);
        p->be->event_free(p->be, prev->ev);
        prev->ev = NULL;
        p->resolved++;
    }
    while (p->done < p->nspans && p->spans[p->done].end < p->resolved) p->done++;
    return FD_OK;
}

size_t fd_prof_spans(const fd_profiler *p, const fd_prof_span **spans)
{
    *spans = p->spans;
    return p->done;
}

uint32_t fd_prof_nnodes(const fd_profiler *p) { return p->nnodes; }
uint64_t fd_prof_mark_ns(const fd_profiler *p, uint32_t mark) { return p->marks[mark].ns; }
const char *fd_prof_node_name(const fd_profiler *p, uint32_t node) { return p->nodes[node].name; }
uint32_t fd_prof_node_parent(const fd_profiler *p, uint32_t node) { return p->nodes[node].parent; }
fd_span_kind fd_prof_node_kind(const fd_profiler *p, uint32_t node) { return p->nodes[node].kind; }

void fd_prof_node_path(const fd_profiler *p, uint32_t node, char *buf, size_t cap)
{
    uint32_t chain[MAX_DEPTH + 1];
    size_t n = 0, len = 0;
    for (uint32_t c = node; c && n < MAX_DEPTH + 1; c = p->nodes[c].parent) chain[n++] = c;
    if (cap) buf[0] = '\0';
    while (n-- && len + 1 < cap) {
        int w = snprintf(buf + len, cap - len, "%s%s", len ? "/" : "", p->nodes[chain[n]].name);
        if (w < 0) break;
        len += (size_t)w;
    }
}
