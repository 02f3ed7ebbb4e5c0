/* graph.c — recording a stream of launches once and replaying it, over the
 * backend's optional graph members. While recording, profiling is paused
 * (fd->prof NULL: nothing may be recorded into the capture); with profiling
 * on, each replay is timed whole as a span named "graph". */
#include "core/internal.h"
#include "profile/profile.h"

fd_status fd_graph_begin(fd_foundry *fd)
{
    if (!fd->be->graph_begin)
        return fd_fail(fd, FD_ERR_UNSUPPORTED, "graphs: the %s backend cannot record launches", fd->be->name);
    FD_TRY(fd->be->graph_begin(fd->be, &fd->err));
    fd->capturing = 1;
    fd->prof = NULL;
    return FD_OK;
}

fd_status fd_graph_end(fd_foundry *fd, fd_graph **out)
{
    void *g = NULL;
    *out = NULL;
    if (!fd->be->graph_end) return fd_fail(fd, FD_ERR_UNSUPPORTED, "graphs: not supported by %s", fd->be->name);
    fd->capturing = 0;
    fd->prof = fd->prof_on ? fd->prof_obj : NULL;
    FD_TRY(fd->be->graph_end(fd->be, &g, &fd->err));
    *out = g;
    return FD_OK;
}

fd_status fd_graph_launch(fd_foundry *fd, fd_graph *g)
{
    if (!fd->be->graph_launch) return fd_fail(fd, FD_ERR_UNSUPPORTED, "graphs: not supported by %s", fd->be->name);
    if (!fd->prof) return fd->be->graph_launch(fd->be, g, &fd->err);
    FD_TRY(fd_prof_push(fd->prof, "graph", FD_SPAN_GRAPH, &fd->err));
    fd_status st = fd->be->graph_launch(fd->be, g, &fd->err);
    if (st != FD_OK) {
        fd_prof_drop(fd->prof);
        return st;
    }
    return fd_prof_pop(fd->prof, 0, &fd->err);
}

void fd_graph_free(fd_foundry *fd, fd_graph *g)
{
    if (g && fd->be->graph_free) fd->be->graph_free(fd->be, g);
}
