/* stats.c — aggregation of resolved spans into per-kernel and per-path rows:
 * count, total, mean, median, p95, min, max, bytes, GB/s and the fraction of
 * the device's copy bandwidth.
 *
 * Layer: profile. A summary is one allocation block of rows and the strings
 * they point at, plus the rows' array; fd_prof_summary_free frees both. */
#include <stdlib.h>
#include <string.h>
#include "profile/profile.h"
#include "base/mem.h"

#define PATH_MAX_CHARS 1024

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static int cmp_total(const void *a, const void *b)
{
    const fd_profile_stats *x = a, *y = b;
    if (x->total_s != y->total_s) return x->total_s < y->total_s ? 1 : -1;
    return strcmp(x->name, y->name);
}

/* Fills the timing fields of r from its n durations (sorted here). */
static void fill(fd_profile_stats *r, uint64_t *d, size_t n, double copy_Bps)
{
    qsort(d, n, sizeof *d, cmp_u64);
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++) total += d[i];
    r->count = n;
    r->total_s = total * 1e-9;
    r->mean_s = n ? r->total_s / (double)n : 0;
    r->median_s = !n ? 0 : n % 2 ? d[n / 2] * 1e-9 : (d[n / 2 - 1] + d[n / 2]) * 0.5e-9;
    size_t rank = (n * 95 + 99) / 100;          /* ceil(0.95 n) */
    r->p95_s = n ? d[rank ? rank - 1 : 0] * 1e-9 : 0;
    r->min_s = n ? d[0] * 1e-9 : 0;
    r->max_s = n ? d[n - 1] * 1e-9 : 0;
    r->GBps = r->bytes && total ? (double)r->bytes / r->total_s / 1e9 : 0;
    r->copy_fraction = copy_Bps > 0 ? r->GBps * 1e9 / copy_Bps : 0;
}

void fd_prof_summary_free(fd_profile_summary *s)
{
    if (!s) return;
    fd_free(s->rows);
    fd_free(s);
}

fd_status fd_prof_summarize(fd_profiler *p, double copy_Bps, const char *device, fd_profile_summary **out,
                            fd_error *err)
{
    *out = NULL;
    const fd_prof_span *sp;
    size_t ns = fd_prof_spans(p, &sp), nn = fd_prof_nnodes(p), nk = 0, np = 0, nd = 0, chars = 0;
    fd_status rc = FD_OK;
    fd_profile_summary *s = fd_calloc(1, sizeof *s);
    uint64_t *cnt = fd_calloc(nn, sizeof *cnt), *byt = fd_calloc(nn, sizeof *byt), *d = NULL;
    size_t *krow = fd_calloc(nn, sizeof *krow), *prow = fd_calloc(nn, sizeof *prow), *fillat = NULL;
    char path[PATH_MAX_CHARS];
    if (!s || !cnt || !byt || !krow || !prow) goto nomem;
    for (size_t i = 0; i < ns; i++) cnt[sp[i].node]++, byt[sp[i].node] += sp[i].bytes;
    /* rows: one per distinct kernel name, then one per path with spans */
    for (uint32_t v = 1; v < nn; v++) {
        if (!cnt[v] || fd_prof_node_kind(p, v) != FD_SPAN_KERNEL) continue;
        size_t r = 0;
        for (uint32_t u = 1; u < v && r == 0; u++)
            if (cnt[u] && fd_prof_node_kind(p, u) == FD_SPAN_KERNEL && !strcmp(fd_prof_node_name(p, u), fd_prof_node_name(p, v)))
                r = krow[u];
        if (r == 0) {
            r = ++nk;            /* 1-based while counting */
            chars += strlen(fd_prof_node_name(p, v)) + 1;
        }
        krow[v] = r;
        nd += cnt[v];
    }
    for (uint32_t v = 1; v < nn; v++)
        if (cnt[v]) {
            prow[v] = nk + np++;
            fd_prof_node_path(p, v, path, sizeof path);
            chars += strlen(path) + 1;
            nd += cnt[v];
        }
    size_t nrows = nk + np;
    s->rows = fd_malloc(nrows * sizeof *s->rows + chars + 1);
    d = fd_malloc((nd + 1) * sizeof *d);
    fillat = fd_calloc(nrows + 1, sizeof *fillat);
    if (!s->rows || !d || !fillat) goto nomem;
    memset(s->rows, 0, nrows * sizeof *s->rows);
    char *str = (char *)(s->rows + nrows);
    for (uint32_t v = 1; v < nn; v++) {      /* names, bytes, and each row's first slot in d */
        if (!cnt[v]) continue;
        fd_profile_stats *pr = &s->rows[prow[v]];
        fd_prof_node_path(p, v, path, sizeof path);
        pr->kind = FD_PROFILE_PATH;
        pr->name = strcpy(str, path), str += strlen(path) + 1;
        pr->leaf_kind = (int)fd_prof_node_kind(p, v);
        pr->bytes = byt[v];
        pr->count = cnt[v];
        if (krow[v]) {
            fd_profile_stats *kr = &s->rows[krow[v] - 1];
            if (!kr->name) {
                kr->kind = FD_PROFILE_KERNEL;
                kr->leaf_kind = FD_SPAN_KERNEL;
                kr->name = strcpy(str, fd_prof_node_name(p, v)), str += strlen(kr->name) + 1;
            }
            kr->bytes += byt[v];
            kr->count += cnt[v];
        }
    }
    for (size_t r = 0, at = 0; r < nrows; r++) fillat[r] = at, at += s->rows[r].count;
    {
        size_t *next = fillat;   /* a row's next free slot; its end once every span is placed */
        for (size_t i = 0; i < ns; i++) {
            uint64_t b = fd_prof_mark_ns(p, sp[i].begin), e = fd_prof_mark_ns(p, sp[i].end);
            uint64_t dur = e > b ? e - b : 0;
            d[next[prow[sp[i].node]]++] = dur;
            if (krow[sp[i].node]) d[next[krow[sp[i].node] - 1]++] = dur;
        }
        for (size_t r = 0; r < nrows; r++) {
            size_t n = (size_t)s->rows[r].count;
            fill(&s->rows[r], d + next[r] - n, n, copy_Bps);
        }
    }
    qsort(s->rows, nk, sizeof *s->rows, cmp_total);
    qsort(s->rows + nk, np, sizeof *s->rows, cmp_total);
    s->n = nrows;
    s->nkernels = nk;
    s->spans = ns;
    for (uint32_t v = 1; v < nn; v++)
        if (fd_prof_node_kind(p, v) == FD_SPAN_GRAPH) s->graph_replays += cnt[v];
    s->copy_Bps = copy_Bps;
    s->timing = fd_prof_timing(p);
    s->device = device ? device : "";
    goto done;
nomem:
    rc = fd_error_set(err, FD_ERR_NOMEM, "profile: out of memory for the summary");
    fd_prof_summary_free(s);
    s = NULL;
done:
    fd_free(cnt), fd_free(byt), fd_free(krow), fd_free(prow), fd_free(d), fd_free(fillat);
    *out = s;
    return rc;
}
