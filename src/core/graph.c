/* graph.c — recording a stream of launches once and replaying it, over the
 * backend's optional graph members. */
#include "core/internal.h"

fd_status fd_graph_begin(fd_foundry *fd)
{
    if (!fd->be->graph_begin)
        return fd_fail(fd, FD_ERR_UNSUPPORTED, "graphs: the %s backend cannot record launches", fd->be->name);
    FD_TRY(fd->be->graph_begin(fd->be, &fd->err));
    fd->capturing = 1;
    return FD_OK;
}

fd_status fd_graph_end(fd_foundry *fd, fd_graph **out)
{
    void *g = NULL;
    *out = NULL;
    if (!fd->be->graph_end) return fd_fail(fd, FD_ERR_UNSUPPORTED, "graphs: not supported by %s", fd->be->name);
    fd->capturing = 0;
    FD_TRY(fd->be->graph_end(fd->be, &g, &fd->err));
    *out = g;
    return FD_OK;
}

fd_status fd_graph_launch(fd_foundry *fd, fd_graph *g)
{
    if (!fd->be->graph_launch) return fd_fail(fd, FD_ERR_UNSUPPORTED, "graphs: not supported by %s", fd->be->name);
    return fd->be->graph_launch(fd->be, g, &fd->err);
}

void fd_graph_free(fd_foundry *fd, fd_graph *g)
{
    if (g && fd->be->graph_free) fd->be->graph_free(fd->be, g);
}
