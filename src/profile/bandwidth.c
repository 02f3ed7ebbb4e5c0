/* bandwidth.c — the device's copy bandwidth, measured: the figure kernels'
 * GB/s are compared with (never a table of device names).
 *
 * Layer: profile. Two buffers far above the last-level cache are filled,
 * then copied one into the other through the backend's `copy`, each copy
 * timed alone (device events on a GPU, the monotonic clock on the CPU); the
 * median copy gives the figure, counting the bytes read and written as a
 * kernel's declared bytes do. The foundry caches the result. */
#include <stdlib.h>
#include "profile/profile.h"
#include "base/util.h"

#define GPU_BUF  ((size_t)256 << 20)    /* per buffer: 512 MiB working set, far above a 50 MB L2 */
#define CPU_BUF  ((size_t)64 << 20)     /* per buffer: 128 MiB, above any L3 this runs on */
#define MIN_MOVED ((size_t)1 << 30)     /* at least 1 GiB moved by the timed copies */
#define REPS 7
#define MAX_REPS 32

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Seconds of each of `reps` copies of n bytes from src to dst. */
static fd_status time_copies(fd_backend *be, fd_devptr dst, fd_devptr src, size_t n, int reps, double *t,
                             fd_error *err)
{
    int events = be->event_record && be->event_elapsed && be->event_free;
    void *ev[MAX_REPS + 1] = { 0 };
    fd_status rc = be->copy(be, dst, src, n, err);            /* warm-up */
    if (rc == FD_OK) rc = be->synchronize(be, err);
    for (int r = 0; r < reps && rc == FD_OK; r++) {
        if (events) {
            if (r == 0) rc = be->event_record(be, &ev[0], err);
            if (rc == FD_OK) rc = be->copy(be, dst, src, n, err);
            if (rc == FD_OK) rc = be->event_record(be, &ev[r + 1], err);
        } else {
            double t0 = fd_now_seconds();
            rc = be->copy(be, dst, src, n, err);
            t[r] = fd_now_seconds() - t0;
        }
    }
    if (rc == FD_OK) rc = be->synchronize(be, err);
    for (int r = 0; r < reps && rc == FD_OK && events; r++) {
        float ms = 0;
        rc = be->event_elapsed(be, ev[r], ev[r + 1], &ms, err);
        t[r] = ms * 1e-3;
    }
    for (int r = 0; r <= reps && events; r++)
        if (ev[r]) be->event_free(be, ev[r]);
    return rc;
}

fd_status fd_prof_copy_bandwidth(fd_backend *be, double *bytes_per_s, fd_error *err)
{
    *bytes_per_s = 0;
    size_t full = be->compile ? GPU_BUF : CPU_BUF, n = full;
    fd_devptr a = 0, b = 0;
    fd_error e = { 0 };
    /* less if memory is short (a loaded model), down to a quarter */
    while (be->alloc(be, n, &a, &e) != FD_OK || be->alloc(be, n, &b, &e) != FD_OK) {
        if (a) be->release(be, a);
        a = 0;
        if (n <= full / 4)
            return fd_error_set(err, FD_ERR_NOMEM, "copy bandwidth: cannot allocate two buffers of %zu MiB: %s",
                                n >> 20, e.msg);
        n /= 2;
        fd_error_clear(&e);
    }
    int reps = (int)(MIN_MOVED / (2 * n) + 1);
    if (reps < REPS) reps = REPS;
    if (reps > MAX_REPS) reps = MAX_REPS;
    double t[MAX_REPS];
    fd_status rc = FD_OK;
    if (be->memset8) rc = be->memset8(be, a, 0x5a, n, err);     /* touch every page, off the zero page */
    if (rc == FD_OK && be->memset8) rc = be->memset8(be, b, 0xa5, n, err);
    if (rc == FD_OK) rc = time_copies(be, b, a, n, reps, t, err);
    be->release(be, a);
    be->release(be, b);
    if (rc != FD_OK) return rc;
    qsort(t, (size_t)reps, sizeof t[0], cmp_d);
    double med = reps % 2 ? t[reps / 2] : 0.5 * (t[reps / 2 - 1] + t[reps / 2]);
    if (!(med > 0)) return fd_error_set(err, FD_ERR_DEVICE, "copy bandwidth: a copy of %zu bytes took no time", n);
    *bytes_per_s = 2.0 * (double)n / med;
    return FD_OK;
}
