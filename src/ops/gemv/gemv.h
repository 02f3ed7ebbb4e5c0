/* gemv.h — what another family built on the GEMV's stages shares with it:
 * the launch shape, the dispatch and the CPU composition over a view of the
 * products, whatever struct holds them.
 *
 * Layer: ops (internal). Legend: K = cols; w[i]: (rows[i], K). */
#ifndef FD_OPS_GEMV_GEMV_H
#define FD_OPS_GEMV_GEMV_H

#include "ops/ops.h"

typedef struct fd_gemv_view {
    fd_tensor *w[3];        /* the products' weights; w[1], w[2] NULL when fewer */
    uint32_t rows[3];
    uint32_t cols;
    fd_tensor *x, *norm_w;  /* the input, and the RMSNorm stage's weight (or NULL) */
    float eps;
} fd_gemv_view;

/* Grid, block and shared memory of the GEMV main stage for these products. */
fd_status fd_gemv_view_dispatch(const fd_gemv_view *v, fd_dispatch *d, fd_error *err);
/* Runs compound c on the CPU: its input stage into xs, every product, then
 * its epilogue row by row (io: fd_gemv_io), `args` passed to the stages. */
fd_status fd_gemv_view_cpu(const fd_compound *c, const void *args, const fd_gemv_view *v, fd_error *err);

/* The device defines of a compound on the GEMV's main: FD_NOUT. */
int fd_gemv_defines(const fd_compound *c, char *buf, size_t cap);

#endif
