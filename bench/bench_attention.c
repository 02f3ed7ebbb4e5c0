/* bench_attention.c — decode attention, prefill attention, argmax and the
 * sampler timed on the GPU, printed one JSON line per case.
 *
 * Decode rotates over 24 layers' caches (a model's step: working set above
 * L2 for long contexts) at Qwen2.5-0.5B's (H 14, KV 2, hd 64) and 1.5B's (H
 * 12, KV 2, hd 128) shapes, at positions n from 128 to 32,768, with the
 * splits fd_attn_decode_splits picks for the capacity (and head_splits for a block a head), the launches replayed
 * from a captured graph (as a decode step runs them); it reports the median
 * time per launch, the GB/s over the k/v bytes it must read (2 * KV * n * hd
 * * 2) and their fraction of the device's copy bandwidth measured here.
 * The sampler: µs per call over 151,936 logits, the defaults, then top-k off
 * with top-p and min-p, top-p alone, no filter, top-k alone, and greedy (the floor of both ways).
 * Usage: bench_attention [--quick] [--sample: the sampler alone]. FOUNDRY_PDL=0 turns programmatic
 * dependent launch off. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "foundry/ops.h"
#include "foundry/profile.h"
#include "bench.h"

const char *bench_name = "bench_attention";

#define LAYERS 24

static fd_tensor *make(fd_foundry *fd, fd_dtype dt, int ndim, const int64_t *dims, fd_init init)
{
    fd_tensor *t = NULL;
    if (fd_tensor_alloc(fd, dt, ndim, dims, init, NULL, &t)) die(fd, "alloc");
    return t;
}

/* The identity page table of a context of C (what a state's own pages use) and a cache of its pages. */
static fd_tensor *identity_pages(fd_foundry *fd, uint32_t C)
{
    uint32_t n = fd_kv_pages(C);
    int32_t *t = malloc(n * sizeof *t);
    if (!t) die(fd, "alloc");
    for (uint32_t i = 0; i < n; i++) t[i] = (int32_t)i;
    fd_tensor *out = NULL;
    if (fd_tensor_alloc(fd, FD_I32, 1, (int64_t[]){ n }, FD_INIT_COPY, t, &out)) die(fd, "alloc");
    free(t);
    return out;
}

static fd_tensor *cache(fd_foundry *fd, uint32_t KV, uint32_t C, uint32_t hd)
{
    return make(fd, FD_F16, 3, (int64_t[]){ fd_kv_pages(C), (int64_t)KV * FD_KV_PAGE, hd }, FD_INIT_ONES);
}

/* median seconds per call of run(i) over `reps` batches of `n` calls */
typedef fd_status (*step_fn)(fd_foundry *fd, void *ctx, int i);
static double timeit(fd_foundry *fd, step_fn f, void *ctx, int n, int reps)
{
    double t[32];
    for (int i = 0; i < n; i++) if (f(fd, ctx, i)) die(fd, "warm-up");
    if (fd_foundry_sync(fd)) die(fd, "sync");
    for (int r = 0; r < reps; r++) {
        double t0 = bench_now();
        for (int i = 0; i < n; i++) if (f(fd, ctx, i)) die(fd, "launch");
        if (fd_foundry_sync(fd)) die(fd, "sync");
        t[r] = (bench_now() - t0) / n;
    }
    return bench_median(t, reps);
}

typedef struct { fd_attn_decode_args a[LAYERS]; } decode_ctx;
static fd_status decode_step(fd_foundry *fd, void *c, int i) { return fd_run(fd, &FD_ATTN_DECODE, &((decode_ctx *)c)->a[i % LAYERS]); }

static double copy_Bps;   /* the device's copy bandwidth, measured once */

static void bench_decode_splits(fd_foundry *fd, uint32_t H, uint32_t KV, uint32_t hd, uint32_t C, uint32_t S,
                                uint32_t HS, int quick);

/* FOUNDRY_ATTN_SPLITS="109 32 16" times those split counts too, in both modes (model/state.c reads the first
 * for the model). */
static void bench_decode(fd_foundry *fd, uint32_t H, uint32_t KV, uint32_t hd, uint32_t C, int quick)
{
    unsigned sms = fd_foundry_multiprocessors(fd);
    uint32_t S = fd_attn_decode_splits(H, KV, C, sms);
    bench_decode_splits(fd, H, KV, hd, C, S, fd_attn_decode_head_splits(H, S, sms), quick);
    const char *e = getenv("FOUNDRY_ATTN_SPLITS");
    for (char *end; e && *e; e = end) {
        unsigned long v = strtoul(e, &end, 10);
        if (end == e) break;
        if (v >= 1 && v <= 256) bench_decode_splits(fd, H, KV, hd, C, (uint32_t)v, (uint32_t)v, quick);
        while (*end == ' ' || *end == ',') end++;
    }
}

static void bench_decode_splits(fd_foundry *fd, uint32_t H, uint32_t KV, uint32_t hd, uint32_t C, uint32_t S,
                                uint32_t HS, int quick)
{
    decode_ctx c;
    fd_tensor *q = make(fd, FD_F32, 1, (int64_t[]){ H * hd }, FD_INIT_ONES), *y = make(fd, FD_F32, 1, (int64_t[]){ H * hd }, FD_INIT_ZEROS);
    fd_tensor *part = make(fd, FD_F32, 1, (int64_t[]){ (int64_t)fd_attn_decode_part_floats(H, hd, S) }, FD_INIT_ZEROS);
    fd_tensor *count = make(fd, FD_I32, 1, (int64_t[]){ (int64_t)fd_attn_decode_count_ints(H) }, FD_INIT_ZEROS);
    fd_tensor *pos = make(fd, FD_I32, 1, (int64_t[]){ 1 }, FD_INIT_ZEROS), *pages = identity_pages(fd, C);
    fd_tensor *kc[LAYERS], *vc[LAYERS];
    for (int l = 0; l < LAYERS; l++) {
        kc[l] = cache(fd, KV, C, hd);
        vc[l] = cache(fd, KV, C, hd);
        c.a[l] = (fd_attn_decode_args){ .q = q, .kc = kc[l], .vc = vc[l], .pos = pos, .pages = pages, .y = y,
                                        .part = part,
                                        .count = count, .heads = H, .kv_heads = KV, .head_dim = hd, .ctx = C,
                                        .splits = S, .head_splits = HS, .scale = 0.125f };
    }
    const uint32_t ns[] = { 128, 1024, 4096, 8192, 16384, 32768 };
    for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++) {
        if (ns[i] > C) continue;
        int32_t p = (int32_t)ns[i] - 1;
        if (fd_tensor_write(pos, &p, sizeof p) || fd_tensor_flush(pos)) die(fd, "pos");
        double s = bench_time_steps(fd, decode_step, &c, LAYERS, LAYERS * (quick ? 4 : 20), quick ? 3 : 11);
        double bytes = 4.0 * KV * ns[i] * hd;
        printf("{\"case\":\"attn_decode\",\"H\":%u,\"KV\":%u,\"hd\":%u,\"C\":%u,\"splits\":%u,\"head_splits\":%u,"
               "\"n\":%u,\"us\":%.2f,\"GBps\":%.0f,\"fraction_of_copy_bw\":%.3f}\n", H, KV, hd, C, S, HS, ns[i], s * 1e6,
               bytes / s * 1e-9, copy_Bps > 0 ? bytes / s / copy_Bps : 0.0);
    }
    for (int l = 0; l < LAYERS; l++) (void)fd_tensor_free(kc[l]), (void)fd_tensor_free(vc[l]);
    fd_tensor *all[] = { q, y, part, count, pos, pages };
    for (size_t i = 0; i < 6; i++) (void)fd_tensor_free(all[i]);
}

static fd_status run_one(fd_foundry *fd, void *c, int i)
{
    (void)i;
    void **p = c;
    return fd_run(fd, p[0], p[1]);
}

static void bench_prefill(fd_foundry *fd, uint32_t H, uint32_t KV, uint32_t hd, uint32_t T, int quick)
{
    const uint32_t C = 4096;
    fd_tensor *q = make(fd, FD_F32, 2, (int64_t[]){ T, H * hd }, FD_INIT_ONES), *y = make(fd, FD_F32, 2, (int64_t[]){ T, H * hd }, FD_INIT_ZEROS);
    fd_tensor *kc = cache(fd, KV, C, hd), *vc = cache(fd, KV, C, hd);
    fd_tensor *pos = make(fd, FD_I32, 1, (int64_t[]){ 1 }, FD_INIT_ZEROS), *pages = identity_pages(fd, C);
    fd_attn_prefill_args a = { .q = q, .kc = kc, .vc = vc, .pos = pos, .pages = pages, .y = y, .tokens = T, .heads = H,
                               .kv_heads = KV, .head_dim = hd, .ctx = C, .scale = 0.125f };
    /* the SIMT kernel, then the tensor-core one where it takes this head_dim */
    const fd_kernel *ks[2] = { &FD_ATTN_PREFILL, fd_attn_prefill_kernel(hd) };
    for (int k = 0; k < 2 && (k == 0 || ks[1] != ks[0]); k++) {
        void *c[2] = { (void *)ks[k], &a };
        double s = timeit(fd, run_one, c, quick ? 5 : 20, quick ? 3 : 11);
        double flops = 4.0 * H * hd * (double)T * (T + 1) / 2;   /* q.k and p.v over the causal triangle */
        printf("{\"case\":\"%s\",\"H\":%u,\"KV\":%u,\"hd\":%u,\"T\":%u,\"us\":%.2f,\"GFLOPs\":%.0f}\n", ks[k]->name, H, KV,
               hd, T, s * 1e6, flops / s * 1e-9);
    }
    fd_tensor *all[] = { q, y, kc, vc, pos, pages };
    for (size_t i = 0; i < 6; i++) (void)fd_tensor_free(all[i]);
}

static void bench_argmax(fd_foundry *fd, int quick)
{
    const uint32_t n = 151936, valid = 151665;
    fd_tensor *x = make(fd, FD_F32, 1, (int64_t[]){ n }, FD_INIT_ONES), *y = make(fd, FD_I32, 1, (int64_t[]){ 1 }, FD_INIT_ZEROS);
    fd_tensor *part = make(fd, FD_I32, 1, (int64_t[]){ 512 }, FD_INIT_ZEROS), *count = make(fd, FD_I32, 1, (int64_t[]){ 1 }, FD_INIT_ZEROS);
    fd_argmax_args a = { .x = x, .y = y, .part = part, .count = count, .n = n, .valid = valid };
    void *c[2] = { (void *)&FD_ARGMAX, &a };
    double s = timeit(fd, run_one, c, quick ? 20 : 200, quick ? 3 : 11);
    printf("{\"case\":\"argmax\",\"n\":%u,\"us\":%.2f}\n", n, s * 1e6);
    fd_tensor *all[] = { x, y, part, count };
    for (size_t i = 0; i < 4; i++) (void)fd_tensor_free(all[i]);
}

typedef struct { fd_sample_args a; } sample_ctx;
static fd_status sample_step(fd_foundry *fd, void *c, int i) { (void)i; return fd_run(fd, &FD_SAMPLE, &((sample_ctx *)c)->a); }

/* The sampler over Qwen2's vocabulary, LM-like logits (a broad body, a few
 * high ones), a 64-token penalty window. */
static void bench_sample(fd_foundry *fd, int quick)
{
    const uint32_t n = 151936, valid = 151665, cap = 1024;
    float *l = malloc(n * sizeof *l);
    int32_t hist[1024];
    uint64_t r = 88172645463325252ull;
    for (uint32_t i = 0; i < n; i++) {
        r ^= r << 13, r ^= r >> 7, r ^= r << 17;
        l[i] = (float)((r >> 11) * (1.0 / 9007199254740992.0)) * 6 - 2 + (r % 2000 == 0 ? 14 : 0);
    }
    for (int j = 0; j < 1024; j++) hist[j] = (int32_t)((j * 7919u) % valid);
    fd_tensor *lt = NULL, *ht = NULL, *pos = NULL, *ids = NULL, *counts = NULL;
    int32_t p = 500;
    if (fd_tensor_alloc(fd, FD_F32, 1, (int64_t[]){ n }, FD_INIT_COPY, l, &lt) ||
        fd_tensor_alloc(fd, FD_I32, 1, (int64_t[]){ cap }, FD_INIT_COPY, hist, &ht) ||
        fd_tensor_alloc(fd, FD_I32, 1, (int64_t[]){ 1 }, FD_INIT_COPY, &p, &pos) ||
        fd_tensor_alloc(fd, FD_I32, 1, (int64_t[]){ 1 }, FD_INIT_ZEROS, NULL, &ids) ||
        fd_tensor_alloc(fd, FD_I32, 1, (int64_t[]){ (int64_t)fd_sample_scratch_ints(n) }, FD_INIT_ZEROS, NULL, &counts))
        die(fd, "alloc");
    static const struct { int32_t k; float p, mp; const char *name; } cfgs[] = {
        { 40, 0.95f, 0.05f, "top_k 40 top_p 0.95 min_p 0.05 rep 1.1" },   /* the defaults: the list */
        { 0, 0.95f, 0.05f, "top_p 0.95 min_p 0.05 rep 1.1" },             /* the grid pass from here on */
        { 0, 0.95f, 0, "top_p 0.95 rep 1.1" },
        { 0, 1, 0, "rep 1.1" },
        { 40, 1, 0, "top_k 40 rep 1.1" },   /* the list without top-p and min-p: what they add to the defaults */
        { 1, 1, 0, "top_k 1 rep 1.1" },     /* greedy: phase 1 and the ticket, the floor of either way */
    };
    for (size_t cfg = 0; cfg < sizeof cfgs / sizeof cfgs[0]; cfg++) {
        fd_sampler sm;
        fd_sampler_defaults(&sm);
        sm.repeat_penalty = 1.1f, sm.top_k = cfgs[cfg].k, sm.top_p = cfgs[cfg].p, sm.min_p = cfgs[cfg].mp;
        sample_ctx c = { { .logits = lt, .hist = ht, .pos = pos, .ids = ids, .counts = counts, .n = n, .valid = valid,
                           .cap = cap } };
        fd_sample_set(&c.a, &sm);
        double s = bench_time_steps(fd, sample_step, &c, 1, quick ? 20 : 100, quick ? 3 : 11);
        printf("{\"case\":\"sample\",\"n\":%u,\"filters\":\"%s\",\"us\":%.2f}\n", n, cfgs[cfg].name, s * 1e6);
    }
    fd_tensor *all[] = { lt, ht, pos, ids, counts };
    for (size_t i = 0; i < 5; i++) (void)fd_tensor_free(all[i]);
    free(l);
}

int main(int argc, char **argv)
{
    int quick = 0, sample_only = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--quick")) quick = 1;
        else if (!strcmp(argv[i], "--sample")) sample_only = 1;
        else {
            fprintf(stderr, "bench_attention: unknown argument '%s' (usage: bench_attention [--quick] [--sample])\n",
                    argv[i]);
            return 2;
        }
    }
    fd_foundry *fd = NULL;
    fd_error e = { 0 };
    if (fd_foundry_create(&(fd_options){ .backend = FD_BACKEND_CUDA }, &fd, &e)) {
        fprintf(stderr, "bench_attention: no GPU: %s\n", e.msg);
        return 77;
    }
    if (fd_device_copy_bandwidth(fd, &copy_Bps)) copy_Bps = 0;
    printf("{\"case\":\"copy\",\"GBps\":%.0f,\"multiprocessors\":%u}\n", copy_Bps * 1e-9,
           fd_foundry_multiprocessors(fd));
    if (sample_only) {
        bench_sample(fd, quick);
        fd_foundry_destroy(fd);
        return 0;
    }
    bench_decode(fd, 14, 2, 64, 4096, quick);
    bench_decode(fd, 14, 2, 64, 32768, quick);
    bench_decode(fd, 12, 2, 128, 32768, quick);
    bench_sample(fd, quick);
    bench_prefill(fd, 14, 2, 64, 300, quick);
    bench_prefill(fd, 12, 2, 128, 512, quick);
    bench_prefill(fd, 16, 8, 128, 4096, quick);   /* a 4,096-token prompt at once */
    bench_argmax(fd, quick);
    fd_foundry_destroy(fd);
    return 0;
}
