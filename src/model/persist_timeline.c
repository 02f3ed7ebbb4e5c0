/* persist_timeline.c — where the persistent step's time goes: the per-block
 * timeline of the last step launched while profiling was on (three
 * %globaltimer stamps per instruction, ops/persist/runtime.cuh) as a Chrome
 * trace, and a per-member summary.
 *
 * Layer: model. A block is a trace thread; each instruction shows as its
 * wait (before the stamps' first and second, when it waited at all) and its
 * run (the member, to its signal). Times are the device's, from the step's
 * first stamp: they do not share a time base with the profiler's events. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "base/mem.h"
#include "model/persist.h"

typedef struct member_sum {
    uint64_t n, run_ns, wait_ns;
} member_sum;

static void trace_event(FILE *f, const char *name, const char *cat, uint64_t b, uint64_t e, uint32_t tid)
{
    uint64_t d = e > b ? e - b : 0;
    fprintf(f, ",\n  {\"name\": \"%s\", \"cat\": \"%s\", \"ph\": \"X\", \"ts\": %llu.%03u, \"dur\": %llu.%03u, "
               "\"pid\": 1, \"tid\": %u}", name, cat, (unsigned long long)(b / 1000), (unsigned)(b % 1000),
            (unsigned long long)(d / 1000), (unsigned)(d % 1000), tid);
}

static fd_status write_trace(const fd_ilist *l, const uint64_t *t, uint64_t t0, const char *path, fd_error *err)
{
    FILE *f = fopen(path, "w");
    if (!f) return fd_error_set(err, FD_ERR_IO, "persistent timeline: cannot open %s: %s", path, strerror(errno));
    fprintf(f, "{\"displayTimeUnit\": \"ns\",\n \"otherData\": {\"timing\": \"device %%globaltimer\"},\n"
               " \"traceEvents\": [\n  {\"name\": \"process_name\", \"ph\": \"M\", \"pid\": 1, \"tid\": 0, "
               "\"args\": {\"name\": \"persistent step\"}}");
    for (uint32_t b = 0; b < l->n_blocks; b++)
        fprintf(f, ",\n  {\"name\": \"thread_name\", \"ph\": \"M\", \"pid\": 1, \"tid\": %u, \"args\": {\"name\": "
                   "\"block %u\"}}", b, b);
    for (uint32_t i = 0; i < l->n_ins; i++) {
        const uint64_t *s = t + 3 * (size_t)i;
        char what[96];
        fd_ilist_describe(l, i, what, sizeof what);
        if (s[1] > s[0]) trace_event(f, "wait", "wait", s[0] - t0, s[1] - t0, l->ins[i].block);
        trace_event(f, what, l->member_names[l->ins[i].member], s[1] - t0, s[2] - t0, l->ins[i].block);
    }
    fprintf(f, "\n ]\n}\n");
    int bad = ferror(f);
    if (fclose(f) != 0 || bad)
        return fd_error_set(err, FD_ERR_IO, "persistent timeline: cannot write %s: %s", path, strerror(errno));
    return FD_OK;
}

static void write_summary(const fd_persist *p, const fd_ilist *l, const uint64_t *t, uint64_t t0, uint64_t t1,
                          FILE *f)
{
    member_sum m[FD_IM_COUNT] = { { 0 } };
    uint64_t idle = 0, idle_max = 0;
    for (uint32_t i = 0; i < l->n_ins; i++) {
        const uint64_t *s = t + 3 * (size_t)i;
        member_sum *x = &m[l->ins[i].member < FD_IM_COUNT ? l->ins[i].member : 0];
        x->n++;
        x->run_ns += s[2] - s[1];
        x->wait_ns += s[1] - s[0];
    }
    for (uint32_t b = 0; b < l->n_blocks; b++) {   /* from the block's last signal to the step's end */
        uint32_t k0 = l->block_start[b], k1 = l->block_start[b + 1];
        uint64_t end = k1 > k0 ? t[3 * (size_t)l->block_ins[k1 - 1] + 2] : t0;
        idle += t1 - end;
        if (t1 - end > idle_max) idle_max = t1 - end;
    }
    double B = l->n_blocks, step = (double)(t1 - t0);
    uint32_t threads, ring[2];
    fd_persist_describe(p, NULL, &threads, NULL, ring);
    fprintf(f, "persistent step (the last profiled one, device %%globaltimer): %.1f us on %u blocks of %u threads, "
            "weight ring %u x %u bytes\n", step * 1e-3, l->n_blocks, threads, ring[1], ring[0]);
    fprintf(f, "  %-10s %8s %14s %15s %10s\n", "member", "instrs", "run us/block", "wait us/block", "run share");
    for (int k = 0; k < FD_IM_COUNT; k++) {
        if (!m[k].n) continue;
        fprintf(f, "  %-10s %8llu %14.2f %15.2f %9.1f%%\n", l->member_names[k], (unsigned long long)m[k].n,
                (double)m[k].run_ns / B * 1e-3, (double)m[k].wait_ns / B * 1e-3,
                step > 0 ? 100.0 * (double)m[k].run_ns / B / step : 0.0);
    }
    fprintf(f, "  idle after a block's last instruction: mean %.2f us, most %.2f us\n", (double)idle / B * 1e-3,
            (double)idle_max * 1e-3);
}

fd_status fd_persist_timeline(fd_persist *p, const char *path, FILE *summary, fd_error *err)
{
    const fd_ilist *l;
    uint64_t *t;
    FD_TRY(fd_persist_stamps(p, &l, &t, err));
    uint64_t t0 = UINT64_MAX, t1 = 0;
    fd_status st = FD_OK;
    for (uint32_t i = 0; i < l->n_ins && st == FD_OK; i++) {
        const uint64_t *s = t + 3 * (size_t)i;
        if (!(s[0] && s[0] <= s[1] && s[1] <= s[2]))
            st = fd_error_set(err, FD_ERR_STATE, "persistent timeline: instruction %u has no stamps in order (%llu, "
                              "%llu, %llu): the step did not finish", i, (unsigned long long)s[0],
                              (unsigned long long)s[1], (unsigned long long)s[2]);
        if (s[0] < t0) t0 = s[0];
        if (s[2] > t1) t1 = s[2];
    }
    if (st == FD_OK && path) st = write_trace(l, t, t0, path, err);
    if (st == FD_OK && summary) write_summary(p, l, t, t0, t1, summary);
    fd_free(t);
    return st;
}
