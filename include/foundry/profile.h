/* profile.h — where the time goes: named scopes, per-kernel device timing,
 * aggregates and three exporters (a text table, JSON Lines, a Chrome trace).
 *
 * Layer: profile (public). Profiling is off until fd_profile_enable; off, a
 * scope call and fd_run's hook cost one branch each. On, every fd_run opens
 * a scope named after the kernel's variant ("add_f32", "gemv_q8_0_f32_f32")
 * under the scopes the caller opened, so spans nest into paths such as
 * "decode/layer.3/attn/gemv_q8_0_f32_f32".
 *
 * Timing: on a GPU a span is a pair of device events on the stream, read back
 * without stalling it — a span is resolved once its end event has completed
 * (checked without waiting as spans accumulate) and at the latest at the next
 * fd_foundry_sync, fd_tensor_read from the device, or report. On the CPU it
 * is the host's monotonic clock.
 *
 * Graphs: launches recorded between fd_graph_begin and fd_graph_end are not
 * timed (nothing is recorded into a capture: scopes opened or closed while
 * capturing are ignored, so do not straddle the capture with one). Each
 * fd_graph_launch is timed whole, as a span named "graph"; the report says
 * so (graph_replays). To time a step's kernels one by one, run it eagerly.
 *
 *   fd_profile_enable(fd, 1);
 *   FD_TRY(fd_scope_begin(fd, "decode")); ...fd_run...; FD_TRY(fd_scope_end(fd));
 *   fd_profile_write_table(fd, stdout, 10);
 *   fd_profile_write_trace(fd, "trace.json");   // opens in ui.perfetto.dev */
#ifndef FOUNDRY_PROFILE_H
#define FOUNDRY_PROFILE_H

#include <stdint.h>
#include <stdio.h>
#include "foundry/status.h"

typedef struct fd_foundry fd_foundry;

/* Turns profiling on (1) or off (0). The first time on creates the profiler
 * (kept until the foundry is destroyed); what was recorded stays until
 * fd_profile_reset. FD_ERR_NOMEM if the profiler cannot be made. */
fd_status fd_profile_enable(fd_foundry *fd, int on) FD_MUST_USE;
int       fd_profile_enabled(const fd_foundry *fd);
/* Drops every span recorded so far and the open scopes (waits for the device). */
fd_status fd_profile_reset(fd_foundry *fd) FD_MUST_USE;

/* Opens a scope named `name` (copied) inside the innermost open one; a no-op
 * while profiling is off or a graph is being recorded. fd_scope_end closes
 * the innermost: FD_ERR_STATE if none is open. */
fd_status fd_scope_begin(fd_foundry *fd, const char *name) FD_MUST_USE;
fd_status fd_scope_end(fd_foundry *fd) FD_MUST_USE;

typedef enum {
    FD_PROFILE_KERNEL,    /* one kernel variant, every call wherever it ran */
    FD_PROFILE_PATH       /* one scope path ("decode/layer.3/attn"); kernels are leaves of paths too */
} fd_profile_kind;

/* Aggregates of one kernel or path. Median: the middle value (the mean of
 * the two middle ones for an even count); p95: the nearest-rank 95th
 * percentile (the ceil(0.95 n)-th smallest). */
typedef struct fd_profile_stats {
    fd_profile_kind kind;
    const char *name;       /* variant name or path; owned by the summary */
    int         leaf_kind;  /* paths: 0 scope, 1 kernel, 2 graph replay */
    uint64_t    count;
    double      total_s, mean_s, median_s, p95_s, min_s, max_s;
    uint64_t    bytes;      /* the kernels' declared bytes (fd_kernel.bytes) over all calls, nested kernels included */
    double      GBps;       /* bytes / total_s / 1e9; 0 without bytes */
    double      copy_fraction; /* GBps over the measured copy bandwidth; 0 when that is unknown */
} fd_profile_stats;

typedef struct fd_profile_summary {
    fd_profile_stats *rows;  /* kernels, then paths; each part by total time, costliest first */
    size_t   n, nkernels;    /* rows[0..nkernels) are kernels */
    uint64_t spans;          /* timed spans (scopes, kernels, graph replays) */
    uint64_t graph_replays;  /* fd_graph_launch calls, each timed whole */
    double   copy_Bps;       /* fd_device_copy_bandwidth, 0 if it could not be measured */
    const char *timing;      /* "device events" or "monotonic clock" */
    const char *device;      /* fd_foundry_device_name: the foundry's string */
} fd_profile_summary;

/* Waits for the device, resolves every span and aggregates them; measures the
 * copy bandwidth first if this foundry has not yet (a notice in the log if
 * it cannot: copy_fraction is then 0). *out is NULL on failure; free it with
 * fd_profile_summary_free. */
fd_status fd_profile_report(fd_foundry *fd, fd_profile_summary **out) FD_MUST_USE;
void      fd_profile_summary_free(fd_profile_summary *s);

/* Exporters (each reports first). The table: a header line (spans, timing,
 * copy bandwidth, graph replays), then the `top_n` costliest kernels and the
 * `top_n` costliest scope paths (0: all). JSON Lines: one object per line,
 * {"type":"meta",...} then one {"type":"kernel"|"path",...} per row. The
 * trace: Chrome's JSON trace format, one complete ("X") event per span with
 * ts and dur in microseconds from the start of profiling; it opens in
 * Perfetto (ui.perfetto.dev) and chrome://tracing. FD_ERR_IO names the file
 * that could not be written. */
fd_status fd_profile_write_table(fd_foundry *fd, FILE *f, int top_n) FD_MUST_USE;
fd_status fd_profile_write_jsonl(fd_foundry *fd, const char *path) FD_MUST_USE;
fd_status fd_profile_write_trace(fd_foundry *fd, const char *path) FD_MUST_USE;

/* Bytes per second the device copies at — read and write counted, as a
 * kernel's declared bytes are — measured once per foundry by timing
 * device-to-device copies of buffers far above the last-level cache
 * (256 MiB each on a GPU, at least 1 GiB moved, median of 7) and cached; on
 * the CPU a memcpy of 64 MiB buffers. The first call takes a fraction of a
 * second and needs the buffers' memory (FD_ERR_NOMEM if even a quarter of
 * it cannot be had). */
fd_status fd_device_copy_bandwidth(fd_foundry *fd, double *bytes_per_s) FD_MUST_USE;

#endif
