/* profile.h — the profiler object core and kernel drive: a stack of open
 * spans, the spans closed so far, time marks, and their aggregation.
 *
 * Layer: profile (internal). It knows the backend (events through its table)
 * and nothing above; the foundry owns one (core/profiling.c) and forwards the
 * public fd_profile_* calls to it. Not thread-safe, like its foundry. */
#ifndef FD_PROFILE_PROFILE_H
#define FD_PROFILE_PROFILE_H

#include <stdint.h>
#include <stdio.h>
#include "backend/backend.h"
#include "foundry/profile.h"

typedef struct fd_profiler fd_profiler;

typedef enum { FD_SPAN_SCOPE, FD_SPAN_KERNEL, FD_SPAN_GRAPH } fd_span_kind;

/* A profiler over backend `be` (borrowed; it must outlive the profiler).
 * Device events when the backend has them, else the monotonic clock. Records
 * its origin mark (time 0) at once. *out is NULL on failure. */
fd_status fd_prof_create(fd_backend *be, fd_profiler **out, fd_error *err);
/* Frees every event and record; call after the device is idle. NULL: no-op. */
void fd_prof_destroy(fd_profiler *p);

/* Opens a span named `name` (copied once per path) inside the innermost open
 * one and records its start mark. */
fd_status fd_prof_push(fd_profiler *p, const char *name, fd_span_kind kind, fd_error *err);
/* Closes the innermost span, recording its end mark; `bytes` are added to it
 * and every span around it. FD_ERR_STATE if none is open. */
fd_status fd_prof_pop(fd_profiler *p, uint64_t bytes, fd_error *err);
/* Closes the innermost span without keeping it (what it timed failed). */
void fd_prof_drop(fd_profiler *p);
size_t fd_prof_depth(const fd_profiler *p);

/* Reads the time of every mark whose event has completed, oldest first,
 * stopping at the first that has not; `synced`: the device is idle, so every
 * mark has. Never waits on the device. */
fd_status fd_prof_resolve(fd_profiler *p, int synced, fd_error *err);
/* Drops everything recorded and the open spans; a new origin. Device idle. */
fd_status fd_prof_reset(fd_profiler *p, fd_error *err);

/* Aggregates the resolved spans (call fd_prof_resolve(p, 1) first).
 * copy_Bps: the device's copy bandwidth for copy_fraction (0: unknown). */
fd_status fd_prof_summarize(fd_profiler *p, double copy_Bps, const char *device, fd_profile_summary **out,
                            fd_error *err);
void fd_prof_summary_free(fd_profile_summary *s);
const char *fd_prof_timing(const fd_profiler *p);

/* Exporters (export.c) over a summary, and for the trace the resolved spans. */
fd_status fd_prof_write_table(const fd_profile_summary *s, FILE *f, int top_n, fd_error *err);
fd_status fd_prof_write_jsonl(const fd_profile_summary *s, const char *path, fd_error *err);
fd_status fd_prof_write_trace(const fd_profiler *p, const fd_profile_summary *s, const char *path, fd_error *err);

/* Measures the copy bandwidth (bandwidth.c); see fd_device_copy_bandwidth. */
fd_status fd_prof_copy_bandwidth(fd_backend *be, double *bytes_per_s, fd_error *err);

/* Tests: a clock in nanoseconds replacing the monotonic one (CPU timing
 * only), so aggregates can be checked on known durations. */
void fd_prof_set_clock(fd_profiler *p, uint64_t (*now_ns)(void *user), void *user);

/* One resolved span, for the trace exporter (export.c). */
typedef struct fd_prof_span {
    uint32_t node;              /* its path (fd_prof_node_*) */
    uint32_t begin, end;        /* marks */
    uint64_t bytes;
} fd_prof_span;
size_t      fd_prof_spans(const fd_profiler *p, const fd_prof_span **spans);   /* resolved ones */
uint32_t    fd_prof_nnodes(const fd_profiler *p);                           /* nodes, the root (0) included */
uint64_t    fd_prof_mark_ns(const fd_profiler *p, uint32_t mark);
const char *fd_prof_node_name(const fd_profiler *p, uint32_t node);
uint32_t    fd_prof_node_parent(const fd_profiler *p, uint32_t node);         /* 0: the root */
fd_span_kind fd_prof_node_kind(const fd_profiler *p, uint32_t node);
/* "a/b/c" for a node, written to buf (truncated to cap). */
void        fd_prof_node_path(const fd_profiler *p, uint32_t node, char *buf, size_t cap);

#endif
