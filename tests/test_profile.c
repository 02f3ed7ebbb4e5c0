/* test_profile.c — profiling: scope paths, aggregates on known durations (a
 * fake clock), fd_run's spans named after kernels with their bytes, the
 * table's order, JSON Lines and the Chrome trace parsed back (nesting and
 * timestamps), the measured copy bandwidth, allocation failures; the event
 * path and graph replays over a CPU backend given fake events and graphs.
 * The GPU itself is tests/test_profile_gpu.c. */
#include <jansson.h>
#include <unistd.h>
#include "check.h"
#include "gpu.h"
#include "foundry/ops.h"
#include "foundry/profile.h"
#include "core/internal.h"
#include "profile/profile.h"
#include "base/mem.h"

static uint64_t fake_ns;
static uint64_t fake_clock(void *u) { (void)u; return fake_ns; }

/* A CPU foundry profiling on the fake clock (time 0 at the start). */
static fd_foundry *make_faked(void)
{
    fd_foundry *fd = make_cpu();
    if (!fd) return NULL;
    CHECK_OK(fd_profile_enable(fd, 1), NULL);
    fake_ns = 1000000;
    fd_prof_set_clock(fd->prof_obj, fake_clock, NULL);
    CHECK_OK(fd_profile_reset(fd), NULL);
    return fd;
}

/* A scope lasting `us` microseconds of fake time. */
static void timed_scope(fd_foundry *fd, const char *name, uint64_t us)
{
    CHECK_OK(fd_scope_begin(fd, name), NULL);
    fake_ns += us * 1000;
    CHECK_OK(fd_scope_end(fd), NULL);
}

static const fd_profile_stats *row(const fd_profile_summary *s, fd_profile_kind kind, const char *name)
{
    for (size_t i = 0; s && i < s->n; i++)
        if (s->rows[i].kind == kind && !strcmp(s->rows[i].name, name)) return &s->rows[i];
    fprintf(stderr, "no %s row '%s'\n", kind == FD_PROFILE_KERNEL ? "kernel" : "path", name);
    return NULL;
}

/* The text table, as a string the caller frees. */
static char *table_of(fd_foundry *fd, int top_n)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    CHECK_OK(fd_profile_write_table(fd, f, top_n), NULL);
    fclose(f);
    return buf;
}

/* y = a + a over n zeros (free .a and .y). */
static fd_add_args add_args(fd_foundry *fd, int64_t n)
{
    fd_tensor *a = NULL, *y = NULL;
    CHECK_OK(fd_tensor_alloc(fd, FD_F32, 1, &n, FD_INIT_ZEROS, NULL, &a), NULL);
    CHECK_OK(fd_tensor_alloc(fd, FD_F32, 1, &n, FD_INIT_ZEROS, NULL, &y), NULL);
    return (fd_add_args){ .a = a, .b = a, .y = y, .n = (uint32_t)n };
}

static void test_off_is_a_no_op(void)
{
    fd_foundry *fd = make_cpu();
    CHECK(fd_profile_enabled(fd) == 0);
    CHECK_OK(fd_scope_begin(fd, "x"), NULL);
    CHECK_OK(fd_scope_end(fd), NULL);
    CHECK_OK(fd_scope_end(fd), NULL);                 /* off: nothing to close, nothing refused */
    fd_profile_summary *s = NULL;
    CHECK_OK(fd_profile_report(fd, &s), NULL);
    CHECK(s && s->n == 0 && s->spans == 0);
    CHECK_STR(s ? s->timing : NULL, "monotonic clock");
    fd_profile_summary_free(s);
    CHECK_OK(fd_profile_enable(fd, 1), NULL);
    CHECK_EQ(fd_scope_end(fd), FD_ERR_STATE);          /* on: an end without a begin is misuse */
    CHECK_CONTAINS(fd_foundry_error(fd), "no scope is open");
    fd_foundry_destroy(fd);
}

static void test_nested_paths(void)
{
    fd_foundry *fd = make_faked();
    CHECK_OK(fd_scope_begin(fd, "decode"), NULL);
    for (int l = 0; l < 2; l++) {
        char name[32];
        snprintf(name, sizeof name, "layer.%d", l);
        CHECK_OK(fd_scope_begin(fd, name), NULL);
        timed_scope(fd, "attn", 5);
        timed_scope(fd, "mlp", 7);
        CHECK_OK(fd_scope_end(fd), NULL);
    }
    CHECK_OK(fd_scope_end(fd), NULL);
    fd_profile_summary *s = NULL;
    CHECK_OK(fd_profile_report(fd, &s), NULL);
    CHECK_EQ(s->spans, 7);
    CHECK_EQ(s->nkernels, 0);
    const fd_profile_stats *r = row(s, FD_PROFILE_PATH, "decode/layer.1/attn");
    CHECK(r && r->count == 1);
    if (r) CHECK_NEAR(r->total_s, 5e-6, 1e-12);
    r = row(s, FD_PROFILE_PATH, "decode");
    if (r) CHECK_NEAR(r->total_s, 24e-6, 1e-12);
    r = row(s, FD_PROFILE_PATH, "decode/layer.0");
    if (r) CHECK_NEAR(r->total_s, 12e-6, 1e-12);
    CHECK(s->rows[0].total_s >= s->rows[s->n - 1].total_s);   /* costliest first */
    CHECK_STR(s->rows[0].name, "decode");
    fd_profile_summary_free(s);
    fd_foundry_destroy(fd);
}

static void test_aggregates(void)
{
    fd_foundry *fd = make_faked();
    /* 20 calls of 1..20 us, shuffled: total 210, mean 10.5, median 10.5, p95 19 (the 19th smallest) */
    static const int us[20] = { 7, 3, 20, 1, 14, 9, 18, 2, 11, 5, 16, 4, 13, 8, 19, 6, 12, 10, 17, 15 };
    for (int i = 0; i < 20; i++) {
        timed_scope(fd, "k", (uint64_t)us[i]);
        fake_ns += 3000;                                 /* gaps do not count */
    }
    for (int i = 1; i <= 5; i++) timed_scope(fd, "odd", (uint64_t)i * 10);   /* median of an odd count: 30 */
    fd_profile_summary *s = NULL;
    CHECK_OK(fd_profile_report(fd, &s), NULL);
    const fd_profile_stats *r = row(s, FD_PROFILE_PATH, "k");
    if (r) {
        CHECK_EQ(r->count, 20);
        CHECK_NEAR(r->total_s * 1e6, 210, 1e-6);
        CHECK_NEAR(r->mean_s * 1e6, 10.5, 1e-6);
        CHECK_NEAR(r->median_s * 1e6, 10.5, 1e-6);
        CHECK_NEAR(r->p95_s * 1e6, 19, 1e-6);
        CHECK_NEAR(r->min_s * 1e6, 1, 1e-6);
        CHECK_NEAR(r->max_s * 1e6, 20, 1e-6);
        CHECK_EQ(r->bytes, 0);
        CHECK(r->GBps == 0);
    }
    r = row(s, FD_PROFILE_PATH, "odd");
    if (r) {
        CHECK_NEAR(r->median_s * 1e6, 30, 1e-6);
        CHECK_NEAR(r->p95_s * 1e6, 50, 1e-6);            /* ceil(4.75) = 5th */
    }
    fd_profile_summary_free(s);
    /* reset drops everything */
    CHECK_OK(fd_profile_reset(fd), NULL);
    CHECK_OK(fd_profile_report(fd, &s), NULL);
    CHECK(s && s->n == 0);
    fd_profile_summary_free(s);
    fd_foundry_destroy(fd);
}

/* Three adds in a scope, another outside: spans named after the variant, bytes and GB/s from the kernel. */
static void test_run_spans(void)
{
    fd_foundry *fd = make_cpu();
    int64_t n = 1024;
    fd_tensor *a, *b, *y;
    CHECK_OK(fd_tensor_alloc(fd, FD_F32, 1, &n, FD_INIT_ZEROS, NULL, &a), NULL);
    CHECK_OK(fd_tensor_alloc(fd, FD_F32, 1, &n, FD_INIT_ZEROS, NULL, &b), NULL);
    CHECK_OK(fd_tensor_alloc(fd, FD_F32, 1, &n, FD_INIT_ZEROS, NULL, &y), NULL);
    fd_add_args args = { .a = a, .b = b, .y = y, .n = (uint32_t)n };
    CHECK_OK(fd_run(fd, &FD_ADD, &args), NULL);        /* off: not recorded */
    CHECK_OK(fd_profile_enable(fd, 1), NULL);
    CHECK_OK(fd_scope_begin(fd, "step"), NULL);
    for (int i = 0; i < 3; i++) CHECK_OK(fd_run(fd, &FD_ADD, &args), NULL);
    CHECK_OK(fd_scope_end(fd), NULL);
    CHECK_OK(fd_run(fd, &FD_ADD, &args), NULL);
    fd_add_args bad = args;
    bad.n = (uint32_t)n * 2;
    CHECK(fd_run(fd, &FD_ADD, &bad) != FD_OK);         /* refused before launch: no span */
    fd_foundry_clear_error(fd);
    CHECK_OK(fd_foundry_sync(fd), NULL);
    fd_profile_summary *s = NULL;
    CHECK_OK(fd_profile_report(fd, &s), NULL);
    char name[64];
    fd_kernel_variant_name(&FD_ADD, (fd_dtype[]){ FD_F32, FD_F32, FD_F32 }, name, sizeof name);
    CHECK_EQ(s->nkernels, 1);
    const fd_profile_stats *k = row(s, FD_PROFILE_KERNEL, name);
    if (k) {
        CHECK_EQ(k->count, 4);
        CHECK_EQ(k->bytes, 4 * 12 * n);
        CHECK(k->total_s > 0 && k->GBps > 0);
        CHECK(s->copy_Bps > 0 && k->copy_fraction > 0);
        CHECK_NEAR(k->copy_fraction, k->GBps * 1e9 / s->copy_Bps, 1e-9);
    }
    char path[80];
    snprintf(path, sizeof path, "step/%s", name);
    const fd_profile_stats *p = row(s, FD_PROFILE_PATH, path);
    CHECK(p && p->count == 3 && p->leaf_kind == 1);
    p = row(s, FD_PROFILE_PATH, "step");
    CHECK(p && p->bytes == (uint64_t)(3 * 12 * n));                 /* a scope carries its kernels' bytes */
    p = row(s, FD_PROFILE_PATH, name);
    CHECK(p && p->count == 1);
    printf("profile: add n=%lld on the CPU: %.2f us median, copy bandwidth %.1f GB/s\n", (long long)n,
           k ? k->median_s * 1e6 : 0, s->copy_Bps / 1e9);
    fd_profile_summary_free(s);
    CHECK_OK(fd_profile_enable(fd, 0), NULL);
    (void)fd_tensor_free(a), (void)fd_tensor_free(b), (void)fd_tensor_free(y);
    fd_foundry_destroy(fd);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    if (s && fread(s, 1, (size_t)n, f) != (size_t)n) n = 0;
    if (s) s[n] = '\0';
    fclose(f);
    return s;
}

static void test_table_order(void)
{
    fd_foundry *fd = make_faked();
    timed_scope(fd, "cheap", 1);
    timed_scope(fd, "dear", 100);
    timed_scope(fd, "middling", 10);
    char *buf = table_of(fd, 2);
    CHECK_CONTAINS(buf, "3 spans");
    CHECK_CONTAINS(buf, "monotonic clock");
    CHECK_CONTAINS(buf, "GB/s (measured)");
    CHECK_CONTAINS(buf, "scopes, costliest first (2 of 3)");
    const char *d = buf ? strstr(buf, "dear") : NULL, *m = buf ? strstr(buf, "middling") : NULL;
    CHECK(d && m && d < m);
    CHECK(buf && !strstr(buf, "cheap"));                 /* beyond the top 2 */
    printf("%s", buf ? buf : "");
    free(buf);
    fd_foundry_destroy(fd);
}

/* Every "X" event of a parsed trace: its name, path, ts and dur. */
typedef struct { const char *name, *path; double ts, dur; } xev;

static void test_trace_and_jsonl(void)
{
    fd_foundry *fd = make_cpu();
    int64_t n = 4096;
    fd_tensor *a, *y;
    CHECK_OK(fd_tensor_alloc(fd, FD_F32, 1, &n, FD_INIT_ZEROS, NULL, &a), NULL);
    CHECK_OK(fd_tensor_alloc(fd, FD_F32, 1, &n, FD_INIT_ZEROS, NULL, &y), NULL);
    CHECK_OK(fd_profile_enable(fd, 1), NULL);
    CHECK_OK(fd_scope_begin(fd, "decode"), NULL);
    for (int l = 0; l < 3; l++) {
        CHECK_OK(fd_scope_begin(fd, l == 1 ? "layer \"1\"" : "layer"), NULL);   /* a name that needs escaping */
        CHECK_OK(fd_run(fd, &FD_ADD, &(fd_add_args){ .a = a, .b = a, .y = y, .n = (uint32_t)n }), NULL);
        CHECK_OK(fd_run(fd, &FD_ONES, &(fd_ones_args){ .y = y, .n = (uint32_t)n }), NULL);
        CHECK_OK(fd_scope_end(fd), NULL);
    }
    CHECK_OK(fd_scope_end(fd), NULL);
    char dir[] = "/tmp/fd_profile_XXXXXX", trace[64], jsonl[64];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(trace, sizeof trace, "%s/trace.json", dir);
    snprintf(jsonl, sizeof jsonl, "%s/profile.jsonl", dir);
    CHECK_OK(fd_profile_write_trace(fd, trace), NULL);
    CHECK_OK(fd_profile_write_jsonl(fd, jsonl), NULL);
    CHECK_EQ(fd_profile_write_trace(fd, "/nonexistent-dir/t.json"), FD_ERR_IO);
    CHECK_CONTAINS(fd_foundry_error(fd), "/nonexistent-dir/t.json");
    fd_foundry_clear_error(fd);

    json_error_t je;
    json_t *root = json_load_file(trace, 0, &je);
    if (!root) fprintf(stderr, "trace: %s at line %d\n", je.text, je.line);
    CHECK(root != NULL);
    json_t *evs = json_object_get(root, "traceEvents");
    CHECK(json_is_array(evs));
    xev x[64];
    size_t nx = 0;
    for (size_t i = 0; i < json_array_size(evs); i++) {
        json_t *e = json_array_get(evs, i);
        const char *ph = json_string_value(json_object_get(e, "ph"));
        CHECK(ph != NULL);
        CHECK(json_is_integer(json_object_get(e, "pid")) && json_is_integer(json_object_get(e, "tid")));
        if (!ph || strcmp(ph, "X") || nx == 64) continue;
        x[nx] = (xev){ json_string_value(json_object_get(e, "name")),
                       json_string_value(json_object_get(json_object_get(e, "args"), "path")),
                       json_number_value(json_object_get(e, "ts")), json_number_value(json_object_get(e, "dur")) };
        CHECK(x[nx].name && x[nx].path && x[nx].ts >= 0 && x[nx].dur >= 0);
        nx++;
    }
    CHECK_EQ(nx, 10);                                     /* decode, 3 layers, 6 kernels */
    for (size_t i = 1; i < nx; i++) CHECK(x[i].ts >= x[i - 1].ts);   /* sorted by start */
    /* nesting: a span whose path extends another's lies within it; any two are nested or disjoint */
    int nested = 0;
    for (size_t i = 0; i < nx; i++)
        for (size_t j = 0; j < nx; j++) {
            if (i == j) continue;
            double ie = x[i].ts + x[i].dur, je_ = x[j].ts + x[j].dur;
            int inside = x[j].ts >= x[i].ts && je_ <= ie + 1e-3;
            int disjoint = je_ <= x[i].ts + 1e-3 || x[j].ts >= ie - 1e-3;
            CHECK(inside || disjoint || (x[i].ts >= x[j].ts && ie <= je_ + 1e-3));
            size_t li = strlen(x[i].path);
            if (!strncmp(x[j].path, x[i].path, li) && x[j].path[li] == '/' && inside && j > i) nested++;
        }
    CHECK_EQ(nested, 3 + 6 + 6);                          /* layers in decode; kernels in layer and decode */
    CHECK_STR(x[0].name, "decode");
    CHECK_STR(x[1].path, "decode/layer");
    CHECK_STR(x[3].name, "ones_f32");
    CHECK_STR(x[4].name, "layer \"1\"");
    json_decref(root);

    char *text = slurp(jsonl);
    CHECK(text != NULL);
    int lines = 0, kernels = 0, meta = 0;
    for (char *line = text ? strtok(text, "\n") : NULL; line; line = strtok(NULL, "\n")) {
        json_t *o = json_loads(line, 0, &je);
        CHECK(o != NULL);
        const char *type = json_string_value(json_object_get(o, "type"));
        lines++;
        if (type && !strcmp(type, "meta")) {
            meta++;
            CHECK(json_number_value(json_object_get(o, "copy_Bps")) > 0);
        }
        if (type && !strcmp(type, "kernel")) {
            kernels++;
            CHECK_EQ(json_integer_value(json_object_get(o, "count")), 3);
            CHECK(json_number_value(json_object_get(o, "median_us")) >= 0);
        }
        json_decref(o);
    }
    CHECK_EQ(meta, 1);
    CHECK_EQ(kernels, 2);
    CHECK_EQ(lines, 1 + 2 + 1 + 2 + 4);                  /* meta, 2 kernels; paths: decode, 2 layer paths, 4 kernel leaves */
    free(text);
    unlink(trace), unlink(jsonl), rmdir(dir);
    (void)fd_tensor_free(a), (void)fd_tensor_free(y);
    fd_foundry_destroy(fd);
}

static void test_copy_bandwidth(void)
{
    fd_foundry *fd = make_cpu();
    double bw = 0, again = 0;
    CHECK_OK(fd_device_copy_bandwidth(fd, &bw), NULL);
    CHECK(bw > 1e8 && bw < 1e13);                         /* 0.1 GB/s .. 10 TB/s: a measurement, not a guess */
    CHECK_OK(fd_device_copy_bandwidth(fd, &again), NULL);
    CHECK(again == bw);                                   /* measured once, cached */
    printf("profile: CPU copy bandwidth %.1f GB/s\n", bw / 1e9);
    fd_foundry_destroy(fd);
}

/* Every allocation the profiler makes may fail: a clear status, nothing leaks (ASan). */
static void test_alloc_failures(void)
{
    int failed = 0;
    for (long k = 1; k < 40; k++) {
        fd_foundry *fd = make_cpu();
        fd->copy_Bps = 1e9;                              /* no measurement in this loop */
        fd_mem_fail_after(k, 0);
        fd_status st = fd_profile_enable(fd, 1);
        for (int i = 0; i < 70 && st == FD_OK; i++) {   /* past the first growth of every array */
            char name[16];
            snprintf(name, sizeof name, "s%d", i % 7);
            st = fd_scope_begin(fd, name);
            if (st == FD_OK) st = fd_scope_end(fd);
        }
        fd_profile_summary *s = NULL;
        if (st == FD_OK) st = fd_profile_report(fd, &s);
        fd_mem_fail_after(0, 0);
        if (st != FD_OK) {
            failed++;
            CHECK_EQ(st, FD_ERR_NOMEM);
            CHECK_CONTAINS(fd_foundry_error(fd), "out of memory");
        }
        fd_profile_summary_free(s);
        fd_foundry_destroy(fd);
    }
    CHECK(failed > 5);
}

/* ---- a CPU foundry whose backend pretends to have device events and graphs ----
 * Each event takes the next microsecond of a fake device clock; an event is
 * complete once the fake device has reached it (done_upto), and synchronize
 * completes everything. The profiler must never read an incomplete event. */
typedef struct { uint64_t t; } fake_ev;
static uint64_t dev_clock, done_upto;
static long evs_live, elapsed_early, graph_dummy;

static fd_status fake_record(fd_backend *b, void **ev, fd_error *err)
{
    (void)b;
    fake_ev *e = malloc(sizeof *e);
    if (!e) return fd_error_set(err, FD_ERR_NOMEM, "fake event");
    e->t = dev_clock += 1000;
    evs_live++;
    *ev = e;
    return FD_OK;
}
static int fake_done(fd_backend *b, void *ev) { (void)b; return ((fake_ev *)ev)->t <= done_upto; }
static fd_status fake_elapsed(fd_backend *b, void *a, void *e, float *ms, fd_error *err)
{
    (void)b, (void)err;
    if (((fake_ev *)e)->t > done_upto) elapsed_early++;   /* a real device would stall here */
    *ms = (float)((double)(((fake_ev *)e)->t - ((fake_ev *)a)->t) / 1e6);
    return FD_OK;
}
static void fake_free(fd_backend *b, void *ev) { (void)b; free(ev); evs_live--; }
static fd_status fake_sync(fd_backend *b, fd_error *err) { (void)b, (void)err; done_upto = UINT64_MAX; return FD_OK; }
static fd_status fake_graph_begin(fd_backend *b, fd_error *err) { (void)b, (void)err; return FD_OK; }
static fd_status fake_graph_end(fd_backend *b, void **g, fd_error *err) { (void)b, (void)err; *g = &graph_dummy; return FD_OK; }
static fd_status fake_graph_launch(fd_backend *b, void *g, fd_error *err) { (void)b, (void)g, (void)err; dev_clock += 50000; return FD_OK; }
static void fake_graph_free(fd_backend *b, void *g) { (void)b, (void)g; }

static fd_foundry *make_fake_device(void)
{
    fd_foundry *fd = make_cpu();
    if (!fd) return NULL;
    fd_backend *b = fd->be;
    b->event_record = fake_record, b->event_done = fake_done, b->event_elapsed = fake_elapsed;
    b->event_free = fake_free, b->synchronize = fake_sync;
    b->graph_begin = fake_graph_begin, b->graph_end = fake_graph_end, b->graph_launch = fake_graph_launch;
    b->graph_free = fake_graph_free;
    fd->copy_Bps = 1e12;                                  /* no measurement with fake events */
    dev_clock = done_upto = 0;
    evs_live = elapsed_early = 0;
    return fd;
}

static void test_device_events_resolved_without_stalls(void)
{
    fd_foundry *fd = make_fake_device();
    fd_add_args args = add_args(fd, 64);
    CHECK_OK(fd_profile_enable(fd, 1), NULL);             /* origin event at 1 us */
    done_upto = 0;                                        /* the device has done nothing yet */
    CHECK_OK(fd_scope_begin(fd, "step"), NULL);
    for (int i = 0; i < 200; i++) CHECK_OK(fd_run(fd, &FD_ADD, &args), NULL);   /* 400 marks: two resolution passes */
    const fd_prof_span *sp;
    CHECK_EQ(fd_prof_spans(fd->prof_obj, &sp), 0);        /* nothing complete, nothing read */
    done_upto = dev_clock / 2;                            /* half the work is done */
    for (int i = 0; i < 150; i++) CHECK_OK(fd_run(fd, &FD_ADD, &args), NULL);
    size_t resolved = fd_prof_spans(fd->prof_obj, &sp);
    CHECK(resolved > 50 && resolved < 200);               /* the completed part, read in passing */
    for (size_t i = 0; i < resolved; i++) CHECK(fd_prof_mark_ns(fd->prof_obj, sp[i].end) <= done_upto - 1000);
    CHECK(evs_live <= 702 - 2 * (long)resolved);          /* 702 marks so far; read ones are freed as it goes */
    CHECK_OK(fd_scope_end(fd), NULL);
    CHECK_OK(fd_foundry_sync(fd), NULL);                  /* resolves the rest */
    CHECK_EQ(fd_prof_spans(fd->prof_obj, &sp), 351);
    CHECK_EQ(evs_live, 1);                                /* only the newest mark keeps its event */
    CHECK_EQ(elapsed_early, 0);
    fd_profile_summary *s = NULL;
    CHECK_OK(fd_profile_report(fd, &s), NULL);
    CHECK_STR(s ? s->timing : NULL, "device events");
    const fd_profile_stats *k = s && s->nkernels ? &s->rows[0] : NULL, *st = row(s, FD_PROFILE_PATH, "step");
    CHECK(k && k->count == 350);
    if (k) CHECK_NEAR(k->median_s, 1e-6, 1e-12);          /* begin and end events one fake microsecond apart */
    if (st) CHECK_NEAR(st->total_s, 701e-6, 1e-12);       /* 700 kernel marks and the scope's end */
    if (k && st) CHECK_NEAR(k->copy_fraction, k->GBps * 1e9 / 1e12, 1e-9);
    fd_profile_summary_free(s);
    (void)fd_tensor_free(args.a), (void)fd_tensor_free(args.y);
    fd_foundry_destroy(fd);
    CHECK_EQ(evs_live, 0);                                /* every event freed */
}

static void test_graph_replays_timed_whole(void)
{
    fd_foundry *fd = make_fake_device();
    fd_add_args args = add_args(fd, 64);
    CHECK_OK(fd_profile_enable(fd, 1), NULL);
    fd_graph *g = NULL;
    CHECK_OK(fd_graph_begin(fd), NULL);
    long before = evs_live;
    CHECK_OK(fd_scope_begin(fd, "ignored"), NULL);        /* nothing is recorded into a capture */
    for (int i = 0; i < 4; i++) CHECK_OK(fd_run(fd, &FD_ADD, &args), NULL);
    CHECK_OK(fd_scope_end(fd), NULL);
    CHECK_EQ(evs_live, before);
    CHECK_OK(fd_graph_end(fd, &g), NULL);
    CHECK(fd_profile_enabled(fd));
    CHECK_OK(fd_scope_begin(fd, "decode"), NULL);
    for (int i = 0; i < 5; i++) CHECK_OK(fd_graph_launch(fd, g), NULL);
    CHECK_OK(fd_scope_end(fd), NULL);
    fd_profile_summary *s = NULL;
    CHECK_OK(fd_profile_report(fd, &s), NULL);
    CHECK(s && s->graph_replays == 5 && s->nkernels == 0);
    const fd_profile_stats *r = row(s, FD_PROFILE_PATH, "decode/graph");
    CHECK(r && r->count == 5 && r->leaf_kind == 2);
    if (r) CHECK_NEAR(r->median_s, 51e-6, 1e-12);         /* the replay's 50 us and the event's own step */
    for (size_t i = 0; s && i < s->n; i++) CHECK(!strstr(s->rows[i].name, "ignored"));
    fd_profile_summary_free(s);
    char *buf = table_of(fd, 5);
    CHECK_CONTAINS(buf, "graph replays: 5, each timed whole");
    CHECK_CONTAINS(buf, "timed by device events");
    free(buf);
    fd_graph_free(fd, g);
    (void)fd_tensor_free(args.a), (void)fd_tensor_free(args.y);
    fd_foundry_destroy(fd);
}

TEST_MAIN(test_off_is_a_no_op, test_nested_paths, test_aggregates, test_run_spans, test_table_order,
          test_trace_and_jsonl, test_copy_bandwidth, test_alloc_failures,
          test_device_events_resolved_without_stalls, test_graph_replays_timed_whole)
