/* test_profile_gpu.c — profiling on a GPU (exit 77 without one): spans timed
 * by device events, positive and nested; issuing launches does not wait for
 * the device; the copy bandwidth is measured and kernels' fractions of it
 * are plausible; graph replays are timed whole and nothing is recorded into
 * a capture. */
#include <time.h>
#include "check.h"
#include "gpu.h"
#include "foundry/ops.h"
#include "foundry/profile.h"

static const fd_profile_stats *row(const fd_profile_summary *s, fd_profile_kind kind, const char *name)
{
    for (size_t i = 0; s && i < s->n; i++)
        if (s->rows[i].kind == kind && !strcmp(s->rows[i].name, name)) return &s->rows[i];
    return NULL;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void test_gpu_events(void)
{
    fd_foundry *fd = make_gpu();
    if (!fd) SKIP("%s", gpu_why);
    int64_t n = 32 << 20;                                 /* 384 MB per add: ~100 us of device time each */
    fd_tensor *a, *b, *y;
    CHECK_OK(fd_tensor_alloc(fd, FD_F32, 1, &n, FD_INIT_ZEROS, NULL, &a), NULL);
    CHECK_OK(fd_tensor_alloc(fd, FD_F32, 1, &n, FD_INIT_ZEROS, NULL, &b), NULL);
    CHECK_OK(fd_tensor_alloc(fd, FD_F32, 1, &n, FD_INIT_ZEROS, NULL, &y), NULL);
    fd_add_args args = { .a = a, .b = b, .y = y, .n = (uint32_t)n };
    CHECK_OK(fd_run(fd, &FD_ADD, &args), NULL);           /* compiled, warm */
    CHECK_OK(fd_foundry_sync(fd), NULL);
    double bw = 0;
    CHECK_OK(fd_device_copy_bandwidth(fd, &bw), NULL);
    CHECK_OK(fd_profile_enable(fd, 1), NULL);
    const int calls = 150;                                /* 300 marks: past the non-waiting resolution threshold */
    double t0 = now_s();
    CHECK_OK(fd_scope_begin(fd, "adds"), NULL);
    for (int i = 0; i < calls; i++) CHECK_OK(fd_run(fd, &FD_ADD, &args), NULL);
    CHECK_OK(fd_scope_end(fd), NULL);
    double issue = now_s() - t0;
    fd_profile_summary *s = NULL;
    CHECK_OK(fd_profile_report(fd, &s), NULL);
    CHECK_STR(s ? s->timing : NULL, "device events");
    const fd_profile_stats *k = s && s->nkernels ? &s->rows[0] : NULL, *sc = row(s, FD_PROFILE_PATH, "adds");
    CHECK(k && k->count == (uint64_t)calls && k->min_s > 0);
    CHECK(sc && sc->count == 1);
    if (k && sc) {
        CHECK(sc->total_s >= k->total_s * 0.99);         /* the scope holds its kernels */
        CHECK(issue < 0.5 * k->total_s);                  /* issuing did not wait for the device */
        CHECK(k->copy_fraction > 0.3 && k->copy_fraction < 1.2);
        printf("profile: GPU add %lld: median %.1f us, %.0f GB/s = %.0f%% of copy bandwidth %.0f GB/s; "
               "issued %d in %.2f ms vs %.2f ms of device time\n", (long long)n, k->median_s * 1e6, k->GBps,
               k->copy_fraction * 100, bw / 1e9, calls, issue * 1e3, k->total_s * 1e3);
    }
    fd_profile_summary_free(s);
    (void)fd_tensor_free(a), (void)fd_tensor_free(b), (void)fd_tensor_free(y);
    fd_foundry_destroy(fd);
}

static void test_gpu_graph_replays(void)
{
    fd_foundry *fd = make_gpu();
    if (!fd) SKIP("%s", gpu_why);
    int64_t n = 1 << 20;
    fd_tensor *a, *y;
    CHECK_OK(fd_tensor_alloc(fd, FD_F32, 1, &n, FD_INIT_ZEROS, NULL, &a), NULL);
    CHECK_OK(fd_tensor_alloc(fd, FD_F32, 1, &n, FD_INIT_ZEROS, NULL, &y), NULL);
    fd_add_args args = { .a = a, .b = a, .y = y, .n = (uint32_t)n };
    CHECK_OK(fd_run(fd, &FD_ADD, &args), NULL);
    CHECK_OK(fd_profile_enable(fd, 1), NULL);
    fd_graph *g = NULL;
    CHECK_OK(fd_graph_begin(fd), NULL);
    CHECK_OK(fd_scope_begin(fd, "ignored"), NULL);        /* nothing is recorded into a capture */
    for (int i = 0; i < 4; i++) CHECK_OK(fd_run(fd, &FD_ADD, &args), NULL);
    CHECK_OK(fd_scope_end(fd), NULL);
    CHECK_OK(fd_graph_end(fd, &g), NULL);
    CHECK_OK(fd_scope_begin(fd, "decode"), NULL);
    for (int i = 0; i < 5; i++) CHECK_OK(fd_graph_launch(fd, g), NULL);
    CHECK_OK(fd_scope_end(fd), NULL);
    fd_profile_summary *s = NULL;
    CHECK_OK(fd_profile_report(fd, &s), NULL);
    CHECK(s && s->graph_replays == 5 && s->nkernels == 0);
    const fd_profile_stats *r = row(s, FD_PROFILE_PATH, "decode/graph");
    CHECK(r && r->count == 5 && r->min_s > 0 && r->leaf_kind == 2);
    CHECK(row(s, FD_PROFILE_PATH, "ignored") == NULL);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    CHECK_OK(fd_profile_write_table(fd, f, 5), NULL);
    fclose(f);
    CHECK_CONTAINS(buf, "each timed whole");
    free(buf);
    fd_profile_summary_free(s);
    fd_graph_free(fd, g);
    (void)fd_tensor_free(a), (void)fd_tensor_free(y);
    fd_foundry_destroy(fd);
}

TEST_MAIN(test_gpu_events, test_gpu_graph_replays)
