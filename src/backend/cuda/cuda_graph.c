/* cuda_graph.c — CUDA graphs (capture of the stream's launches, replay) and
 * timing events for the CUDA backend.
 *
 * Layer: backend/cuda. States of the stream:
 *     idle --graph_begin (cuStreamBeginCapture_v2)--> capturing
 *     capturing --graph_end (cuStreamEndCapture + instantiate)--> idle
 * A graph handed out by graph_end is a CUgraphExec the caller frees with
 * graph_free; an event from event_record is freed with event_free. Events
 * recorded during capture do not time the replay. */
#include "backend/cuda/cuda_int.h"

static fd_status cu_graph_begin(fd_backend *b, fd_error *err)
{
    cu_backend *c = cu_of(b);
    if (c->capturing) return fd_error_set(err, FD_ERR_STATE, "cuda: graph_begin while already capturing");
    FD_TRY(fd_cu_use(c, err));
    FD_TRY(fd_cu_check(c, c->cu.StreamBeginCapture(c->stream, CU_STREAM_CAPTURE_MODE_THREAD_LOCAL), err,
                       "cuStreamBeginCapture"));
    c->capturing = 1;
    return FD_OK;
}

static fd_status cu_graph_end(fd_backend *b, void **graph, fd_error *err)
{
    cu_backend *c = cu_of(b);
    CUgraph g = NULL;
    CUgraphExec exec = NULL;
    *graph = NULL;
    if (!c->capturing) return fd_error_set(err, FD_ERR_STATE, "cuda: graph_end without graph_begin");
    c->capturing = 0;
    FD_TRY(fd_cu_use(c, err));
    FD_TRY(fd_cu_check(c, c->cu.StreamEndCapture(c->stream, &g), err, "cuStreamEndCapture"));
    if (!g) return fd_error_set(err, FD_ERR_DEVICE, "cuStreamEndCapture: capture produced no graph");
    fd_status st = fd_cu_check(c, c->cu.GraphInstantiateWithFlags(&exec, g, 0), err, "cuGraphInstantiateWithFlags");
    (void)c->cu.GraphDestroy(g);
    if (st == FD_OK) *graph = exec;
    return st;
}

static fd_status cu_graph_launch(fd_backend *b, void *graph, fd_error *err)
{
    cu_backend *c = cu_of(b);
    if (!graph) return fd_error_set(err, FD_ERR_INVALID, "cuda: graph_launch of a NULL graph");
    FD_TRY(fd_cu_use(c, err));
    return fd_cu_check(c, c->cu.GraphLaunch((CUgraphExec)graph, c->stream), err, "cuGraphLaunch");
}

static void cu_graph_free(fd_backend *b, void *graph)
{
    cu_backend *c = cu_of(b);
    if (graph && fd_cu_use(c, NULL) == FD_OK) (void)c->cu.GraphExecDestroy((CUgraphExec)graph);
}

static fd_status cu_event_record(fd_backend *b, void **ev, fd_error *err)
{
    cu_backend *c = cu_of(b);
    CUevent e = NULL;
    *ev = NULL;
    FD_TRY(fd_cu_use(c, err));
    FD_TRY(fd_cu_check(c, c->cu.EventCreate(&e, CU_EVENT_DEFAULT), err, "cuEventCreate"));
    fd_status st = fd_cu_check(c, c->cu.EventRecord(e, c->stream), err, "cuEventRecord");
    if (st != FD_OK) {
        (void)c->cu.EventDestroy(e);
        return st;
    }
    *ev = e;
    return FD_OK;
}

static fd_status cu_event_elapsed(fd_backend *b, void *a, void *bev, float *ms, fd_error *err)
{
    cu_backend *c = cu_of(b);
    *ms = 0;
    if (!a || !bev) return fd_error_set(err, FD_ERR_INVALID, "cuda: event_elapsed of a NULL event");
    FD_TRY(fd_cu_use(c, err));
    FD_TRY(fd_cu_check(c, c->cu.EventSynchronize((CUevent)bev), err, "cuEventSynchronize"));
    return fd_cu_check(c, c->cu.EventElapsedTime(ms, (CUevent)a, (CUevent)bev), err, "cuEventElapsedTime");
}

/* 1 when the work before the event has finished; never waits. */
static int cu_event_done(fd_backend *b, void *ev)
{
    cu_backend *c = cu_of(b);
    if (!ev || fd_cu_use(c, NULL) != FD_OK) return -1;
    CUresult r = c->cu.EventQuery((CUevent)ev);
    return r == CUDA_SUCCESS ? 1 : r == CUDA_ERROR_NOT_READY ? 0 : -1;
}

static void cu_event_free(fd_backend *b, void *ev)
{
    cu_backend *c = cu_of(b);
    if (ev && fd_cu_use(c, NULL) == FD_OK) (void)c->cu.EventDestroy((CUevent)ev);
}

void fd_cu_graph_init(cu_backend *c)
{
    fd_backend *b = &c->base;
    b->graph_begin = cu_graph_begin;
    b->graph_end = cu_graph_end;
    b->graph_launch = cu_graph_launch;
    b->graph_free = cu_graph_free;
    b->event_record = cu_event_record;
    b->event_elapsed = cu_event_elapsed;
    b->event_free = cu_event_free;
    b->event_done = cu_event_done;
}
