/* export.c — the profile's three outputs: a text table of the costliest
 * kernels and scopes, JSON Lines of every row, and a Chrome trace (JSON)
 * that Perfetto opens.
 *
 * Layer: profile. Each works on a summary made by fd_prof_summarize; the
 * trace also reads the resolved spans. Files are written whole and closed
 * here; a failure names the file. */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include "profile/profile.h"
#include "base/mem.h"

static const char *const leaf_names[] = { "scope", "kernel", "graph" };

static void header(const fd_profile_summary *s, FILE *f)
{
    fprintf(f, "profile: %llu spans on %s, timed by %s; copy bandwidth ", (unsigned long long)s->spans,
            s->device[0] ? s->device : "the device", s->timing);
    if (s->copy_Bps > 0) fprintf(f, "%.1f GB/s (measured)\n", s->copy_Bps / 1e9);
    else fprintf(f, "unknown (not measured)\n");
    if (s->graph_replays)
        fprintf(f, "graph replays: %llu, each timed whole (kernels inside a graph are not timed one by one)\n",
                (unsigned long long)s->graph_replays);
}

static void rows(const fd_profile_stats *r, size_t n, int top_n, const char *what, const char *col, FILE *f)
{
    size_t shown = top_n > 0 && (size_t)top_n < n ? (size_t)top_n : n;
    fprintf(f, "%s, costliest first (%zu of %zu):\n", what, shown, n);
    if (!n) return;
    fprintf(f, "  %10s %8s %10s %10s %10s %9s %6s  %s\n", "total ms", "calls", "mean us", "median us", "p95 us",
            "GB/s", "copy%", col);
    for (size_t i = 0; i < shown; i++) {
        fprintf(f, "  %10.3f %8llu %10.2f %10.2f %10.2f ", r[i].total_s * 1e3, (unsigned long long)r[i].count,
                r[i].mean_s * 1e6, r[i].median_s * 1e6, r[i].p95_s * 1e6);
        if (r[i].bytes) fprintf(f, "%9.1f ", r[i].GBps);
        else fprintf(f, "%9s ", "-");
        if (r[i].bytes && r[i].copy_fraction > 0) fprintf(f, "%5.1f%%", r[i].copy_fraction * 100);
        else fprintf(f, "%6s", "-");
        fprintf(f, "  %s\n", r[i].name);
    }
}

fd_status fd_prof_write_table(const fd_profile_summary *s, FILE *f, int top_n, fd_error *err)
{
    header(s, f);
    rows(s->rows, s->nkernels, top_n, "kernels", "kernel", f);
    /* scope paths (and graph replays); kernels' own paths are in the kernel rows */
    fd_profile_stats *sc = fd_malloc((s->n - s->nkernels + 1) * sizeof *sc);
    if (!sc) return fd_error_set(err, FD_ERR_NOMEM, "profile: out of memory");
    size_t n = 0;
    for (size_t i = s->nkernels; i < s->n; i++)
        if (s->rows[i].leaf_kind != FD_SPAN_KERNEL) sc[n++] = s->rows[i];
    rows(sc, n, top_n, "scopes", "path", f);
    fd_free(sc);
    if (ferror(f)) return fd_error_set(err, FD_ERR_IO, "profile: cannot write the table: %s", strerror(errno));
    return FD_OK;
}

static fd_status close_file(FILE *f, const char *path, fd_error *err)
{
    int bad = ferror(f);
    if (fclose(f) != 0 || bad) return fd_error_set(err, FD_ERR_IO, "profile: cannot write %s: %s", path, strerror(errno));
    return FD_OK;
}

static FILE *open_file(const char *path, fd_error *err)
{
    FILE *f = path ? fopen(path, "w") : NULL;
    if (!f) fd_error_set(err, FD_ERR_IO, "profile: cannot open %s: %s", path ? path : "(null)", strerror(errno));
    return f;
}

static int put_line(FILE *f, json_t *o)
{
    char *line = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(o);
    if (!line) return -1;
    fputs(line, f);
    fputc('\n', f);
    free(line);   /* jansson's allocator */
    return 0;
}

fd_status fd_prof_write_jsonl(const fd_profile_summary *s, const char *path, fd_error *err)
{
    FILE *f = open_file(path, err);
    if (!f) return err ? err->status : FD_ERR_IO;
    int bad = put_line(f, json_pack("{s:s, s:s, s:s, s:f, s:I, s:I, s:s}", "type", "meta", "device", s->device,
                                    "timing", s->timing, "copy_Bps", s->copy_Bps, "spans", (json_int_t)s->spans,
                                    "graph_replays", (json_int_t)s->graph_replays, "graphs", "replays timed whole"));
    for (size_t i = 0; i < s->n && !bad; i++) {
        const fd_profile_stats *r = &s->rows[i];
        json_t *o = json_pack("{s:s, s:s, s:I, s:f, s:f, s:f, s:f, s:f, s:f, s:I, s:f, s:f}", "type",
                              r->kind == FD_PROFILE_KERNEL ? "kernel" : "path", "name", r->name, "count",
                              (json_int_t)r->count, "total_us", r->total_s * 1e6, "mean_us", r->mean_s * 1e6,
                              "median_us", r->median_s * 1e6, "p95_us", r->p95_s * 1e6, "min_us", r->min_s * 1e6,
                              "max_us", r->max_s * 1e6, "bytes", (json_int_t)r->bytes, "GBps", r->GBps,
                              "copy_fraction", r->copy_fraction);
        if (o && r->kind == FD_PROFILE_PATH) json_object_set_new(o, "leaf", json_string(leaf_names[r->leaf_kind]));
        bad = put_line(f, o);
    }
    fd_status st = close_file(f, path, err);
    if (bad && st == FD_OK) return fd_error_set(err, FD_ERR_NOMEM, "profile: out of memory writing %s", path);
    return st;
}

/* A JSON string: quotes, backslashes and control characters escaped. */
static void put_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') fprintf(f, "\\%c", c);
        else if (c < 0x20) fprintf(f, "\\u%04x", c);
        else fputc(c, f);
    }
    fputc('"', f);
}

/* Spans in the order they started; for equal times the one recorded first (the outer span). */
typedef struct { uint64_t ns; uint32_t mark; size_t i; } start_key;

static int cmp_start(const void *a, const void *b)
{
    const start_key *x = a, *y = b;
    if (x->ns != y->ns) return x->ns < y->ns ? -1 : 1;
    return (x->mark > y->mark) - (x->mark < y->mark);
}

fd_status fd_prof_write_trace(const fd_profiler *p, const fd_profile_summary *s, const char *path, fd_error *err)
{
    const fd_prof_span *sp;
    size_t n = fd_prof_spans(p, &sp);
    start_key *idx = fd_malloc((n + 1) * sizeof *idx);
    if (!idx) return fd_error_set(err, FD_ERR_NOMEM, "profile: out of memory for the trace");
    for (size_t i = 0; i < n; i++) idx[i] = (start_key){ fd_prof_mark_ns(p, sp[i].begin), sp[i].begin, i };
    qsort(idx, n, sizeof *idx, cmp_start);
    FILE *f = open_file(path, err);
    if (!f) {
        fd_free(idx);
        return err ? err->status : FD_ERR_IO;
    }
    fprintf(f, "{\"displayTimeUnit\": \"ns\",\n \"otherData\": {\"device\": ");
    put_str(f, s->device);
    fprintf(f, ", \"timing\": \"%s\", \"copy_Bps\": %.0f, \"graphs\": \"replays timed whole\"},\n", s->timing,
            s->copy_Bps);
    fprintf(f, " \"traceEvents\": [\n  {\"name\": \"process_name\", \"ph\": \"M\", \"pid\": 1, \"tid\": 1, "
               "\"args\": {\"name\": ");
    put_str(f, s->device[0] ? s->device : "foundry");
    fprintf(f, "}},\n  {\"name\": \"thread_name\", \"ph\": \"M\", \"pid\": 1, \"tid\": 1, \"args\": {\"name\": \"%s\"}}",
            strcmp(s->timing, "device events") ? "host" : "stream");
    char pathbuf[1024];
    for (size_t k = 0; k < n; k++) {
        const fd_prof_span *x = &sp[idx[k].i];
        uint64_t b = fd_prof_mark_ns(p, x->begin), e = fd_prof_mark_ns(p, x->end);
        fd_span_kind kind = fd_prof_node_kind(p, x->node);
        fprintf(f, ",\n  {\"name\": ");
        put_str(f, fd_prof_node_name(p, x->node));
        fprintf(f, ", \"cat\": \"%s\", \"ph\": \"X\", \"ts\": %llu.%03u, \"dur\": %llu.%03u, \"pid\": 1, \"tid\": 1, "
                   "\"args\": {\"path\": ", leaf_names[kind], (unsigned long long)(b / 1000), (unsigned)(b % 1000),
                (unsigned long long)((e > b ? e - b : 0) / 1000), (unsigned)((e > b ? e - b : 0) % 1000));
        fd_prof_node_path(p, x->node, pathbuf, sizeof pathbuf);
        put_str(f, pathbuf);
        fprintf(f, ", \"bytes\": %llu}}", (unsigned long long)x->bytes);
    }
    fprintf(f, "\n ]\n}\n");
    fd_free(idx);
    return close_file(f, path, err);
}
