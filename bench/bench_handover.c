/* bench_handover.c — the floor of a persistent decode step (issue: decode as
 * one persistent kernel): how long one all-blocks hand-over takes (one block
 * per multiprocessor arriving on a device counter and waiting for all, no
 * arithmetic), timed as chains of 1..256 hand-overs in one launch replayed
 * from a graph; the slope is the cost of a hand-over, the intercept a launch.
 * Then the bound it implies for a step of each model shape and weight dtype:
 *   hand-overs per step x cost + bytes read per step / copy bandwidth,
 * with 5 dependent instructions per layer (QKV, attention, o_proj, gate/up,
 * down) and 4 more (embedding, lm_head, chooser, position). Bytes: every 2-D
 * weight as the dtype stores it, the lm_head (the embedding when tied) and
 * the f32 norms and biases. One JSON document on stdout. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "foundry/model.h"
#include "foundry/ops.h"
#include "foundry/profile.h"
#include "bench.h"

const char *bench_name = "bench_handover";

typedef struct { fd_handover_args a; } ctx;
static fd_status step(fd_foundry *fd, void *c, int i) { (void)i; return fd_run(fd, &FD_HANDOVER, &((ctx *)c)->a); }

/* Bytes of a (rows, cols) weight in dtype t. */
static double wbytes(fd_dtype t, uint64_t rows, uint64_t cols)
{
    return (double)rows * (double)(cols / fd_dtype_block_elems(t)) * (double)fd_dtype_block_bytes(t);
}

static double step_bytes(const fd_model_hparams *h, fd_dtype t)
{
    uint64_t D = h->hidden, q = (uint64_t)h->n_heads * h->head_dim, kv = (uint64_t)h->n_kv_heads * h->head_dim;
    double layer = wbytes(t, q + 2 * kv, D) + wbytes(t, D, q) + wbytes(t, 2 * (uint64_t)h->ffn, D) +
                   wbytes(t, D, h->ffn) + 4.0 * (2 * D + q + 2 * kv);
    return h->n_layers * layer + wbytes(t, h->vocab, D) + 4.0 * D;
}

int main(void)
{
    fd_foundry *fd = NULL;
    fd_error err = { 0 };
    if (fd_foundry_create(&(fd_options){ .backend = FD_BACKEND_AUTO }, &fd, &err)) {
        fprintf(stderr, "%s: %s\n", bench_name, err.msg);
        return 1;
    }
    int gpu = fd_foundry_backend(fd) == FD_BACKEND_CUDA;
    unsigned blocks = gpu ? fd_foundry_multiprocessors(fd) : 1;
    fd_tensor *state = NULL;
    if (fd_tensor_alloc(fd, FD_I32, 1, (int64_t[]){ 2 }, FD_INIT_ZEROS, NULL, &state)) die(fd, "alloc");
    static const unsigned chain[] = { 1, 2, 4, 8, 16, 32, 64, 128, 256 };
    enum { N = sizeof chain / sizeof chain[0] };
    double us[N], sx = 0, sy = 0, sxx = 0, sxy = 0;
    printf("{\n  \"backend\": \"%s\", \"blocks\": %u,\n  \"chains\": [", gpu ? "cuda" : "cpu", blocks);
    for (int i = 0; i < N; i++) {
        ctx c = { { .state = state, .stages = chain[i], .blocks = blocks } };
        us[i] = 1e6 * bench_time_steps(fd, step, &c, 1, 50, 7);
        printf("%s\n    {\"handovers\": %u, \"us_per_launch\": %.3f}", i ? "," : "", chain[i], us[i]);
        sx += chain[i], sy += us[i], sxx += (double)chain[i] * chain[i], sxy += chain[i] * us[i];
    }
    double slope = (N * sxy - sx * sy) / (N * sxx - sx * sx), icept = (sy - slope * sx) / N;
    /* the counters say every block arrived at every hand-over of every launch */
    uint32_t st[2];
    if (fd_tensor_read(state, st, sizeof st)) die(fd, "read");
    double bw = 0;
    if (fd_device_copy_bandwidth(fd, &bw)) bw = 0;
    printf("\n  ],\n  \"us_per_handover\": %.4f, \"us_per_launch\": %.3f, \"arrivals\": %u, \"arrivals_at_last_end\": %u,\n"
           "  \"copy_GBps\": %.1f,\n  \"bounds\": [", slope, icept, st[0], st[1], bw / 1e9);
    static const char *const shapes[] = { "qwen2.5-0.5b", "qwen2.5-1.5b", "qwen2.5-3b" };
    static const fd_dtype dts[] = { FD_F16, FD_Q8_0, FD_Q4_0 };
    int first = 1;
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        fd_model_hparams h;
        if (fd_model_preset(shapes[s], &h)) continue;
        double hand = (5.0 * h.n_layers + 4) * slope;
        for (size_t d = 0; d < sizeof dts / sizeof dts[0]; d++) {
            double bytes = step_bytes(&h, dts[d]), copy_us = bw > 0 ? 1e6 * bytes / bw : 0;
            double bound = hand + copy_us;
            printf("%s\n    {\"shape\": \"%s\", \"dtype\": \"%s\", \"MB\": %.1f, \"handovers\": %u, \"handover_us\": %.1f, "
                   "\"copy_us\": %.1f, \"bound_us\": %.1f, \"bound_tok_s\": %.0f, \"bound_copy_fraction\": %.3f}",
                   first ? "" : ",", shapes[s], fd_dtype_name(dts[d]), bytes / 1e6, 5 * h.n_layers + 4, hand, copy_us,
                   bound, bound > 0 ? 1e6 / bound : 0, bound > 0 ? copy_us / bound : 0);
            first = 0;
        }
    }
    printf("\n  ]\n}\n");
    if (fd_tensor_free(state)) die(fd, "free");
    fd_foundry_destroy(fd);
    return 0;
}
