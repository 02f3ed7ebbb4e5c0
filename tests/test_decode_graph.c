/* test_decode_graph.c — the decode step as one captured graph (GPU), replayed
 * for 64 steps with only device-side updates (the position, the token, the
 * history advance on the device): every step's chosen id equals an eager
 * run's, and the K/V rows and logits equal the CPU's within the bounds below
 * when the CPU is fed the same tokens. Also (CPU, CI): the memory plan refuses
 * a model that cannot fit, naming its parts; a step past the context is
 * refused with FD_ERR_RANGE and nothing is written. And a state whose page
 * table is a permutation computes what the identity's computes, bit for bit
 * (CPU, and the GPU with its graph): prompt logits, chosen ids (greedy and
 * sampled with a repeat penalty, which reads the device's history), cache.
 * And the prefill chunk (fd_state_set_prefill_chunk, FOUNDRY_PREFILL_CHUNK):
 * passes of 16 and 48 tokens give every position's logits of a single pass
 * within 1e-5 (CPU; 1e-3 on a GPU, whose GEMM tile follows the pass's rows);
 * out-of-range settings are refused; a pool too small for a pass grows.
 * Bounds: K/V rows ||gpu - cpu|| / ||cpu|| <= 2e-3 (f16 storage of values
 * computed in f32 with different summation orders); logits <= 1e-3. */
#include <string.h>
#include <time.h>
#include "check.h"
#include "gpu.h"
#include "foundry/forward.h"
#include "model/device.h"
#include "core/internal.h"   /* the foundry's list of tensors: a prefill keeps one chunk's handles */

#define VOCAB FD_TEST_DATA "/tokenizer/ggml-vocab-qwen2.gguf"
#define STEPS 64

static fd_model *tiny_model(void)
{
    fd_random_options ro = { .dtype = FD_F16, .seed = 9, .vocab_gguf = NULL };
    fd_model *m = NULL;
    fd_error err = { 0 };
    CHECK_OK(fd_model_preset("tiny", &ro.hp), (fd_error *)NULL);
    ro.hp.n_layers = 2;
    CHECK_OK(fd_model_random(&ro, &m, &err), &err);
    return m;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Back to the 5-token prompt and the STEPS steps again, timed: the ids into out. */
static double redecode_seconds(fd_state *st, int32_t *out)
{
    CHECK_OK(fd_state_rewind(st, 5), (fd_error *)NULL);
    double t0 = now();
    CHECK_OK(fd_state_decode(st, 7, STEPS, out), (fd_error *)NULL);
    return now() - t0;
}

static void test_gpu_graph_replay(void)
{
    fd_foundry *gpu = make_gpu();
    if (!gpu) SKIP("%s", gpu_why);
    fd_foundry *cpu = make_cpu();
    fd_model *m = tiny_model();
    fd_weights *wg = NULL, *wc = NULL;
    CHECK_OK(fd_model_upload(gpu, m, &(fd_upload_options){ .ctx = 128 }, &wg), (fd_error *)NULL);
    CHECK_OK(fd_model_upload(cpu, m, &(fd_upload_options){ .ctx = 128 }, &wc), (fd_error *)NULL);
    fd_state *g = NULL, *e = NULL, *c = NULL;
    CHECK_OK(fd_state_create(gpu, wg, 128, &g), (fd_error *)NULL);
    CHECK_OK(fd_state_create(gpu, wg, 128, &e), (fd_error *)NULL);
    CHECK_OK(fd_state_create(cpu, wc, 128, &c), (fd_error *)NULL);
    fd_state_use_graph(g, 1);
    fd_state_use_graph(e, 0);
    int32_t prompt[5] = { 100, 2000, 30000, 400, 5 }, ids_g[STEPS], ids_e[STEPS];
    CHECK_OK(fd_state_prefill(g, prompt, 5, NULL, NULL), (fd_error *)NULL);
    CHECK_OK(fd_state_prefill(e, prompt, 5, NULL, NULL), (fd_error *)NULL);
    double t0 = now();
    CHECK_OK(fd_state_decode(g, 7, STEPS, ids_g), (fd_error *)NULL);   /* step 1 eager, then one graph replayed */
    double tg = now() - t0;
    t0 = now();
    CHECK_OK(fd_state_decode(e, 7, STEPS, ids_e), (fd_error *)NULL);
    double te = now() - t0;
    int same = 0;
    for (int i = 0; i < STEPS; i++) same += ids_g[i] == ids_e[i];
    CHECK_EQ(same, STEPS);
    CHECK(g->graph[0] != NULL);   /* the replays did come from the short-context bucket's captured graph */
    /* the CPU fed the same tokens: logits at every step, then the caches */
    size_t V = fd_model_describe(m)->hp.vocab;
    float *lc = malloc(V * sizeof *lc), *lg = malloc(V * sizeof *lg);
    CHECK_OK(fd_state_prefill(c, prompt, 5, NULL, NULL), (fd_error *)NULL);
    double worst_logit = 0;
    int32_t tok = 7;
    for (int i = 0; i < STEPS; i++) {
        CHECK_OK(fd_state_step(c, tok, lc), (fd_error *)NULL);
        tok = ids_g[i];
    }
    /* the GPU's last logits: one more eager step on a third state fed the same tokens */
    fd_state *f = NULL;
    CHECK_OK(fd_state_create(gpu, wg, 128, &f), (fd_error *)NULL);
    CHECK_OK(fd_state_prefill(f, prompt, 5, NULL, NULL), (fd_error *)NULL);
    tok = 7;
    for (int i = 0; i < STEPS; i++) {
        CHECK_OK(fd_state_step(f, tok, lg), (fd_error *)NULL);
        tok = ids_g[i];
    }
    worst_logit = rel_err(lg, lc, V);
    const fd_model_hparams *hp = &fd_model_describe(m)->hp;
    size_t row = hp->head_dim, nkv = (size_t)fd_tensor_numel(g->kv);   /* every page of both states (same table) */
    float *kg = malloc(nkv * sizeof *kg), *kc = malloc(nkv * sizeof *kc);
    CHECK_OK(fd_tensor_read_f32(g->kv, kg, nkv), (fd_error *)NULL);
    CHECK_OK(fd_tensor_read_f32(c->kv, kc, nkv), (fd_error *)NULL);
    double worst_kv = 0;
    for (size_t r = 0; r < nkv / row; r++) {
        size_t P = FD_KV_PAGE, p = (r / ((size_t)hp->n_kv_heads * P)) % fd_kv_pages(128) * P + r % P;
        if (p >= 5 + STEPS) continue;   /* positions never written stay zero on both (identity tables) */
        worst_kv = fmax(worst_kv, rel_err(kg + r * row, kc + r * row, row));
    }
    /* the time per step, with every kernel compiled and the graph captured: back to the prompt, then again */
    int32_t again[STEPS];
    double first = tg;
    tg = redecode_seconds(g, again);
    CHECK(memcmp(again, ids_g, sizeof again) == 0);
    te = redecode_seconds(e, again);
    printf("decode graph: %d of %d ids equal eager; K/V rows vs CPU %.2e; logits vs CPU %.2e; %.1f us/step "
           "replayed, %.1f us/step eager (first pass, compiling and capturing: %.1f us/step)\n", same, STEPS,
           worst_kv, worst_logit, tg / STEPS * 1e6, te / STEPS * 1e6, first / STEPS * 1e6);
    CHECK(worst_kv <= 2e-3);
    CHECK(worst_logit <= 1e-3);
    free(lc), free(lg), free(kg), free(kc);
    fd_state_destroy(f), fd_state_destroy(g), fd_state_destroy(e), fd_state_destroy(c);
    fd_weights_release(gpu), fd_weights_release(cpu);
    fd_model_close(m);
    fd_foundry_destroy(gpu), fd_foundry_destroy(cpu);
}

static void test_memory_plan_and_context_end(void)
{
    fd_foundry *cpu = make_cpu();
    fd_model *m = tiny_model();
    fd_weights *w = NULL;
    /* a context whose KV cache no machine here holds: refused before anything is allocated */
    CHECK(fd_model_upload(cpu, m, &(fd_upload_options){ .ctx = 1u << 30 }, &w) == FD_ERR_NOMEM);
    CHECK(w == NULL);
    CHECK_CONTAINS(fd_foundry_error(cpu), "does not fit");
    CHECK_CONTAINS(fd_foundry_error(cpu), "KV cache");
    fd_foundry_clear_error(cpu);
    CHECK_OK(fd_model_upload(cpu, m, &(fd_upload_options){ .ctx = 16 }, &w), (fd_error *)NULL);
    /* a second model's weights while these are uploaded: refused by the registry */
    fd_model *other = tiny_model();
    fd_weights *w2 = NULL;
    CHECK(fd_model_upload(cpu, other, NULL, &w2) == FD_ERR_STATE);
    fd_foundry_clear_error(cpu);
    fd_state *s = NULL;
    CHECK_OK(fd_state_create(cpu, w, 8, &s), (fd_error *)NULL);
    int32_t ids[8] = { 1, 2, 3, 4, 5, 6, 7, 8 }, out[4];
    CHECK_OK(fd_state_prefill(s, ids, 7, NULL, NULL), (fd_error *)NULL);
    CHECK_OK(fd_state_decode(s, 9, 1, out), (fd_error *)NULL);       /* the 8th position: the last */
    CHECK(fd_state_decode(s, out[0], 1, out) == FD_ERR_RANGE);        /* past it: refused */
    CHECK_CONTAINS(fd_foundry_error(cpu), "context is full");
    fd_foundry_clear_error(cpu);
    CHECK_EQ(fd_state_pos(s), 8);
    fd_state_destroy(s);
    fd_weights_release(cpu);
    fd_model_close(m), fd_model_close(other);
    fd_foundry_destroy(cpu);
}

/* A sequence's positions [0, C) of a state's cache as (2 L, KV, C, hd) f32, read through its table. */
static float *logical_cache(fd_state *s)
{
    const fd_model_hparams *hp = &s->w->hp;
    uint32_t np = fd_kv_pages(s->ctx), KV = hp->n_kv_heads, hd = hp->head_dim;
    size_t n = (size_t)fd_tensor_numel(s->kv), per = n / (2 * hp->n_layers);
    float *all = malloc(n * sizeof *all), *out = malloc((size_t)2 * hp->n_layers * KV * s->ctx * hd * sizeof *out);
    int32_t *tab = malloc(np * sizeof *tab);
    CHECK_OK(fd_tensor_read_f32(s->kv, all, n), (fd_error *)NULL);
    CHECK_OK(fd_tensor_read(s->pages, tab, np * sizeof *tab), (fd_error *)NULL);
    for (uint32_t l = 0; l < 2 * hp->n_layers; l++)
        for (uint32_t j = 0; j < KV; j++)
            for (uint32_t p = 0; p < s->ctx; p++)
                memcpy(out + (((size_t)l * KV + j) * s->ctx + p) * hd, all + l * per + fd_kv_row(tab, KV, j, p) * hd,
                       hd * sizeof *out);
    free(all), free(tab);
    return out;
}

static void permuted_state(fd_foundry *fd)
{
    const uint32_t C = 200, N = 70, STEPS2 = 60;   /* 4 pages; the prompt ends in page 1, decode reaches page 2 */
    fd_model *m = tiny_model();
    fd_weights *w = NULL;
    CHECK_OK(fd_model_upload(fd, m, &(fd_upload_options){ .ctx = C }, &w), (fd_error *)NULL);
    fd_state *s[2] = { NULL, NULL };
    for (int i = 0; i < 2; i++) {
        CHECK_OK(fd_state_create(fd, w, C, &s[i]), (fd_error *)NULL);
        fd_state_use_graph(s[i], 1);
    }
    int32_t perm[4] = { 2, 0, 3, 1 };   /* the cache is all zeros: any table gives the same empty cache */
    CHECK_EQ(fd_tensor_numel(s[1]->pages), 4);
    CHECK_OK(fd_tensor_write(s[1]->pages, perm, sizeof perm), (fd_error *)NULL);
    uint32_t V = w->hp.vocab;
    int32_t prompt[70], ids[2][2][60];
    for (uint32_t i = 0; i < N; i++) prompt[i] = (int32_t)((i * 7919u + 13) % V);
    float *lg[2];
    fd_sampler pen;
    fd_sampler_defaults(&pen);
    pen.repeat_penalty = 1.3f, pen.seed = 5;
    for (int i = 0; i < 2; i++) {
        lg[i] = malloc(V * sizeof *lg[i]);
        CHECK_OK(fd_state_prefill(s[i], prompt, N - 1, lg[i], NULL), (fd_error *)NULL);
        CHECK_OK(fd_state_decode(s[i], prompt[N - 1], STEPS2 / 2, ids[i][0]), (fd_error *)NULL);
        fd_state_set_sampler(s[i], &pen);
        CHECK_OK(fd_state_decode(s[i], ids[i][0][STEPS2 / 2 - 1], STEPS2 / 2, ids[i][0] + STEPS2 / 2),
                 (fd_error *)NULL);
        fd_state_set_sampler(s[i], NULL);
    }
    CHECK(!memcmp(lg[0], lg[1], V * sizeof *lg[0]));
    CHECK(!memcmp(ids[0][0], ids[1][0], sizeof ids[0][0]));
    float *c0 = logical_cache(s[0]), *c1 = logical_cache(s[1]);
    size_t nl = (size_t)2 * w->hp.n_layers * w->hp.n_kv_heads * C * w->hp.head_dim;
    CHECK(!memcmp(c0, c1, nl * sizeof *c0));
    float *raw0 = read_f32(s[0]->kv), *raw1 = read_f32(s[1]->kv);
    CHECK(memcmp(raw0, raw1, nl * sizeof *raw0) != 0);   /* the layouts do differ: the table was used */
    printf("permuted page table (%s): prompt logits, %u ids, cache equal to the identity's\n",
           fd_foundry_backend(fd) == FD_BACKEND_CUDA ? "gpu" : "cpu", STEPS2);
    free(c0), free(c1), free(raw0), free(raw1), free(lg[0]), free(lg[1]);
    fd_state_destroy(s[0]), fd_state_destroy(s[1]);
    fd_weights_release(fd);
    fd_model_close(m);
}

/* tiny's shape (2 layers) with a 1,024-token vocabulary: every position's logits stay cheap to keep. */
static fd_model *small_vocab_model(void)
{
    fd_random_options ro = { .dtype = FD_F16, .seed = 11, .vocab_gguf = NULL };
    fd_model *m = NULL;
    fd_error err = { 0 };
    CHECK_OK(fd_model_preset("tiny", &ro.hp), (fd_error *)NULL);
    ro.hp.n_layers = 2, ro.hp.vocab = 1024;
    CHECK_OK(fd_model_random(&ro, &m, &err), &err);
    return m;
}

#define CHUNK_N 150   /* prompt tokens: 9 passes of 16 and a part, 3 of 48 and a part, 1 of the default */

/* The logits of every position of the CHUNK_N-token prompt, prefilled in passes of `chunk` tokens (0: the
 * default), (CHUNK_N, V) f32, the caller's to free. */
static int live_tensors(const fd_foundry *fd)
{
    int n = 0;
    for (const fd_tensor *t = fd->tensors; t; t = t->next) n++;
    return n;
}

static float *chunked_logits(fd_foundry *fd, fd_weights *w, const int32_t *ids, uint32_t chunk)
{
    fd_state *s = NULL;
    float *all = malloc((size_t)CHUNK_N * w->hp.vocab * sizeof *all);
    CHECK_OK(fd_state_create(fd, w, 256, &s), (fd_error *)NULL);
    if (chunk) CHECK_OK(fd_state_set_prefill_chunk(s, chunk), (fd_error *)NULL);
    int before = live_tensors(fd);
    CHECK_OK(fd_state_prefill(s, ids, CHUNK_N, NULL, all), (fd_error *)NULL);
    CHECK_EQ(fd_state_pos(s), CHUNK_N);
    /* one chunk's pooled handles stay (7 with every position's logits), not every chunk's: a server prefills
     * for days on one foundry */
    CHECK(live_tensors(fd) - before <= 7);
    fd_state_destroy(s);
    return all;
}

/* The worst relative error of a position's logits against the reference's. */
static double worst_row(const float *a, const float *ref, uint32_t V)
{
    double worst = 0;
    for (size_t i = 0; i < CHUNK_N; i++) worst = fmax(worst, rel_err(a + i * V, ref + i * V, V));
    return worst;
}

static void prefill_chunks(fd_foundry *fd)
{
    fd_model *m = small_vocab_model();
    fd_weights *w = NULL;
    CHECK_OK(fd_model_upload(fd, m, &(fd_upload_options){ .ctx = 256 }, &w), (fd_error *)NULL);
    uint32_t V = w->hp.vocab;
    int32_t ids[CHUNK_N];
    for (uint32_t i = 0; i < CHUNK_N; i++) ids[i] = (int32_t)((i * 7919u + 13) % V);
    float *ref = chunked_logits(fd, w, ids, 0), *c16 = chunked_logits(fd, w, ids, 16);
    float *c48 = chunked_logits(fd, w, ids, 48);
    double e16 = worst_row(c16, ref, V), e48 = worst_row(c48, ref, V);
    double bound = fd_foundry_backend(fd) == FD_BACKEND_CPU ? 1e-5 : 1e-3;
    printf("prefill chunk (%s): %d tokens in passes of 16 and 48 against one of %d: worst position %.2e, %.2e\n",
           fd_foundry_backend(fd) == FD_BACKEND_CUDA ? "gpu" : "cpu", CHUNK_N, FD_PREFILL_CHUNK, e16, e48);
    CHECK(e16 <= bound);
    CHECK(e48 <= bound);
    free(ref), free(c16), free(c48);
    fd_weights_release(fd);
    fd_model_close(m);
}

static void test_prefill_chunks(void) { ON_CPU(prefill_chunks); }

static void test_gpu_prefill_chunks(void) { ON_GPU(prefill_chunks); }

/* The setting's range, by the call and by the environment; and a pool that holds fewer tokens than a pass
 * grows to hold them, the logits those of the default foundry's. */
static void test_prefill_chunk_setting(void)
{
    fd_foundry *fd = make_cpu(), *small = NULL;
    fd_model *m = small_vocab_model();
    fd_weights *w = NULL;
    CHECK_OK(fd_model_upload(fd, m, &(fd_upload_options){ .ctx = 256 }, &w), (fd_error *)NULL);
    fd_state *s = NULL;
    CHECK_OK(fd_state_create(fd, w, 256, &s), (fd_error *)NULL);
    CHECK_EQ(fd_state_prefill_chunk(s), FD_PREFILL_CHUNK);
    const uint32_t bad[] = { 0, 8, 24, 8208, 1u << 31 };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK(fd_state_set_prefill_chunk(s, bad[i]) == FD_ERR_INVALID);
        CHECK_CONTAINS(fd_foundry_error(fd), "a multiple of 16 from 16 to 8192");
        fd_foundry_clear_error(fd);
    }
    CHECK_EQ(fd_state_prefill_chunk(s), FD_PREFILL_CHUNK);   /* kept */
    CHECK_OK(fd_state_set_prefill_chunk(s, 8192), (fd_error *)NULL);
    fd_state_destroy(s);
    setenv("FOUNDRY_PREFILL_CHUNK", "32", 1);
    CHECK_OK(fd_state_create(fd, w, 256, &s), (fd_error *)NULL);
    CHECK_EQ(fd_state_prefill_chunk(s), 32);
    fd_state_destroy(s);
    const char *refused[] = { "40", "0", "8200", "64x", "-32" };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        setenv("FOUNDRY_PREFILL_CHUNK", refused[i], 1);
        CHECK(fd_state_create(fd, w, 256, &s) == FD_ERR_INVALID);
        CHECK(s == NULL);
        CHECK_CONTAINS(fd_foundry_error(fd), "FOUNDRY_PREFILL_CHUNK=");
        fd_foundry_clear_error(fd);
    }
    setenv("FOUNDRY_PREFILL_CHUNK", "", 1);   /* empty: as if unset */
    CHECK_OK(fd_state_create(fd, w, 256, &s), (fd_error *)NULL);
    CHECK_EQ(fd_state_prefill_chunk(s), FD_PREFILL_CHUNK);
    fd_state_destroy(s);
    unsetenv("FOUNDRY_PREFILL_CHUNK");
    int32_t ids[CHUNK_N];
    for (uint32_t i = 0; i < CHUNK_N; i++) ids[i] = (int32_t)((i * 104729u + 7) % w->hp.vocab);
    float *ref = chunked_logits(fd, w, ids, 48);
    fd_weights_release(fd);
    /* a 64 KiB pool: a few tokens of a pass with every position's logits (about 16 KB a token here) */
    fd_error err = { 0 };
    CHECK_OK(fd_foundry_create(&(fd_options){ .backend = FD_BACKEND_CPU, .log = quiet_log, .pool_bytes = 64 << 10 },
                               &small, &err), &err);
    CHECK_OK(fd_model_upload(small, m, &(fd_upload_options){ .ctx = 256 }, &w), (fd_error *)NULL);
    float *grown = chunked_logits(small, w, ids, 48);
    /* grown to a pass of 48 (about 16 KB a token here), not to the whole prompt nor the default's 512 */
    CHECK(fd_pool_capacity(small) >= (size_t)48 * 16000 && fd_pool_capacity(small) < (size_t)CHUNK_N * 16000);
    double e = worst_row(grown, ref, w->hp.vocab);
    printf("prefill chunk: a 64 KiB pool grew to %.2f MiB for passes of 48; worst position %.2e\n",
           fd_pool_capacity(small) / 1048576.0, e);
    CHECK(e <= 1e-5);
    free(ref), free(grown);
    fd_weights_release(small);
    fd_model_close(m);
    fd_foundry_destroy(small), fd_foundry_destroy(fd);
}

static void test_permuted_state(void) { ON_CPU(permuted_state); }

static void test_gpu_permuted_state(void) { ON_GPU(permuted_state); }

TEST_MAIN(test_memory_plan_and_context_end, test_permuted_state, test_prefill_chunks, test_prefill_chunk_setting,
          test_gpu_graph_replay, test_gpu_permuted_state, test_gpu_prefill_chunks)
