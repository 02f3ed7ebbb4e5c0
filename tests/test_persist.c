/* test_persist.c — the persistent decode kernel (model/persist.c, ops/persist/).
 *
 * CPU: the program encoding (persist_list.c) holds what the list says, field
 * for field, at 1, 3, 7 and 132 blocks, and refuses an instruction without
 * its argument struct; the generated source of a tiny random Qwen2 compiles
 * with NVRTC (skips without NVRTC) in f16, bf16, q8_0 and q4_0, a Qwen3's in
 * f16.
 * GPU (skip without one, saying why): teacher-forced steps of the persistent
 * kernel against the per-kernel step (Qwen2 in f16, q8_0, q4_0; Qwen3 in f16
 * and q8_0), logits within 1e-3 relative max-norm
 * at every step and the chosen ids equal unless the per-kernel logits' top
 * two are within 1e-3 of each other (a near tie either may take); greedy
 * decoding through a captured graph chooses what the per-kernel step
 * chooses; a planted wait that never passes ends in the watchdog's error
 * naming the instruction, not a hang. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "check.h"
#include "gpu.h"
#include "base/mem.h"
#include "backend/backend.h"
#include "foundry/forward.h"
#include "foundry/profile.h"
#include "model/device.h"
#include "model/persist.h"

#define TF_STEPS 256

/* A tiny random model of `preset`'s shape ("tiny": Qwen2; "qwen3-tiny": Qwen3, q/k normalized per head). */
static fd_model *tiny_model(const char *preset, fd_dtype dt, uint32_t layers)
{
    fd_random_options ro = { .dtype = dt, .seed = 11, .vocab_gguf = NULL };
    fd_model *m = NULL;
    fd_error err = { 0 };
    CHECK_OK(fd_model_preset(preset, &ro.hp), (fd_error *)NULL);
    ro.hp.n_layers = layers;
    ro.hp.vocab = 4096;
    CHECK_OK(fd_model_random(&ro, &m, &err), &err);
    return m;
}

/* ---- the program's encoding (CPU) */

static void check_program(const fd_ilist *l, uint32_t steps, const unsigned char *p, size_t bytes,
                          const uint32_t *mcount)
{
    fd_phdr h;
    memcpy(&h, p, sizeof h);
    CHECK_EQ(h.magic, FD_PPROG_MAGIC);
    CHECK_EQ(h.bytes, bytes);
    CHECK_EQ(h.n_ins, l->n_ins);
    CHECK_EQ(h.n_wait, l->n_wait);
    CHECK_EQ(h.n_blocks, l->n_blocks);
    CHECK_EQ(h.n_ctr, l->n_ctr);
    const fd_pins *ins = (const fd_pins *)(p + h.ins);
    const fd_pwait *w = (const fd_pwait *)(p + h.wait);
    const uint32_t *bs = (const uint32_t *)(p + h.block_start), *bi = (const uint32_t *)(p + h.block_ins);
    const uint32_t *per = (const uint32_t *)(p + h.per_step);
    uint32_t ranges = 0, bad = 0;
    for (uint32_t i = 0; i < l->n_ins; i++) {
        const fd_instr *in = &l->ins[i];
        bad += ins[i].member != in->member || ins[i].row0 != in->row0 || ins[i].row1 != in->row1;
        bad += ins[i].wait0 != in->wait0 || ins[i].n_wait != in->n_wait;
        bad += ins[i].signal != (in->signal == FD_INONE ? FD_PNONE : in->signal);
        bad += ins[i].slot != (in->layer == FD_INONE ? 0 : in->layer * steps + in->step);
        bad += ins[i].slot >= mcount[in->member];
        if (in->member == FD_IM_ARGMAX) bad += ins[i].aux != ranges++;
    }
    uint32_t picks = 0;
    for (uint32_t i = 0; i < l->n_ins; i++)
        if (l->ins[i].member == FD_IM_PICK) bad += ins[i].aux != ranges, picks++;
    for (uint32_t i = 0; i < l->n_wait; i++) bad += w[i].counter != l->wait[i].counter || w[i].target != l->wait[i].target;
    for (uint32_t b = 0; b <= l->n_blocks; b++) bad += bs[b] != l->block_start[b];
    for (uint32_t k = 0; k < l->block_start[l->n_blocks]; k++) bad += bi[k] != l->block_ins[k];
    for (uint32_t c = 0; c < l->n_ctr; c++) bad += per[c] != l->ctr[c].per_step;
    CHECK_EQ(bad, 0);
    CHECK(picks ? ranges > 0 : ranges == 0);   /* a greedy list's argmax ranges; a sampled one ends with the head */
    /* every section 16-byte aligned and inside the program; member m's structs where the header says */
    unsigned off[] = { h.ins, h.wait, h.block_start, h.block_ins, h.per_step };
    for (size_t i = 0; i < sizeof off / sizeof off[0]; i++) CHECK(off[i] % 16 == 0 && off[i] < bytes);
    for (int m = 0; m < FD_IM_COUNT; m++) {
        if (!mcount[m]) {
            CHECK_EQ(h.margs[m], 0);
            continue;
        }
        CHECK(h.margs[m] % 16 == 0 && h.margs[m] + (size_t)mcount[m] * h.msize[m] <= bytes);
        CHECK_EQ(p[h.margs[m]], (unsigned char)(m + 1));   /* the fake structs' first byte */
    }
}

static void test_encode(void)
{
    fd_model_hparams hp;
    const fd_arch *a = fd_arch_preset_find("tiny", &hp);
    CHECK(a != NULL);
    if (!a) return;
    const uint32_t blocks[] = { 1, 3, 7, 132 }, steps = (uint32_t)a->n_steps;
    unsigned char args[FD_IM_COUNT][64 * 16];
    const void *margs[FD_IM_COUNT];
    uint32_t msize[FD_IM_COUNT], mcount[FD_IM_COUNT];
    for (int m = 0; m < FD_IM_COUNT; m++) {
        memset(args[m], m + 1, sizeof args[m]);
        margs[m] = args[m], msize[m] = 16, mcount[m] = m == FD_IM_EMBED || m >= FD_IM_HEAD ? 1 : hp.n_layers * steps;
    }
    for (size_t k = 0; k < sizeof blocks / sizeof blocks[0]; k++) {
        fd_ilist l;
        fd_error err = { 0 };
        CHECK_OK(fd_ilist_lower(a, &hp, &(fd_ilower_opts){ .blocks = blocks[k], .wdtype = FD_Q8_0 }, &l, &err), &err);
        CHECK_OK(fd_ilist_validate(&l, &err), &err);
        void *p = NULL;
        size_t bytes = 0;
        CHECK_OK(fd_persist_encode(&l, steps, margs, msize, mcount, &p, &bytes, &err), &err);
        if (p) check_program(&l, steps, p, bytes, mcount);
        fd_free(p);
        /* a member with fewer argument structs than its instructions name: refused, naming the instruction */
        mcount[FD_IM_GLU] = 1;
        CHECK_EQ(fd_persist_encode(&l, steps, margs, msize, mcount, &p, &bytes, &err), FD_ERR_INVALID);
        CHECK(p == NULL);
        CHECK_CONTAINS(err.msg, "glu L0");
        mcount[FD_IM_GLU] = hp.n_layers * steps;
        /* a sampled step's list: the greedy one up to its last head range, then nothing (the sampler and the
         * advance run as kernels after the launch) */
        fd_ilist ls;
        CHECK_OK(fd_ilist_lower(a, &hp, &(fd_ilower_opts){ .blocks = blocks[k], .wdtype = FD_Q8_0, .logits_only = 1 },
                                &ls, &err), &err);
        CHECK_OK(fd_ilist_validate(&ls, &err), &err);
        uint32_t heads = 0, tail = 0;
        for (uint32_t i = 0; i < l.n_ins; i++) {
            heads += l.ins[i].member == FD_IM_HEAD;
            tail += l.ins[i].member >= FD_IM_ARGMAX;
        }
        CHECK(heads > 0 && tail == heads + 2);   /* an argmax a head range, the pick, the advance */
        CHECK_EQ(ls.n_ins, l.n_ins - tail);
        CHECK(ls.n_ins && ls.ins[ls.n_ins - 1].member == FD_IM_HEAD);
        for (uint32_t i = 0; i < ls.n_ins && i < l.n_ins; i++) CHECK_EQ(ls.ins[i].member, l.ins[i].member);
        CHECK_OK(fd_persist_encode(&ls, steps, margs, msize, mcount, &p, &bytes, &err), &err);
        if (p) check_program(&ls, steps, p, bytes, mcount);
        fd_free(p);
        fd_ilist_free(&ls);
        fd_ilist_free(&l);
    }
}

/* ---- the generated source (CPU; NVRTC) */

static void test_source_compiles(void)
{
    char why[512];
    if (!fd_nvrtc_available(why, sizeof why)) SKIP("no NVRTC: %s", why);
    const fd_dtype dts[] = { FD_F16, FD_BF16, FD_Q8_0, FD_Q4_0, FD_F16, FD_Q8_0 };
    fd_foundry *cpu = make_cpu();
    for (size_t i = 0; i < sizeof dts / sizeof dts[0]; i++) {
        fd_model *m = tiny_model(i < 4 ? "tiny" : "qwen3-tiny", dts[i], 2);
        fd_weights *w = NULL;
        fd_state *s = NULL;
        CHECK_OK(fd_model_upload(cpu, m, &(fd_upload_options){ .ctx = 64 }, &w), (fd_error *)NULL);
        CHECK_OK(fd_state_create(cpu, w, 64, &s), (fd_error *)NULL);
        if (i == 5 && s) {   /* a sampled step's kernel: the list ends with the head, no argmax members */
            fd_sampler smp;
            fd_sampler_defaults(&smp);
            fd_state_set_sampler(s, &smp);
        }
        char name[64], *src = NULL;
        fd_error err = { 0 };
        CHECK_OK(fd_persist_source(s, 1, name, sizeof name, &src, &err), &err);
        int regs = -1, spills = -1;
        double secs = 0;
        if (src) CHECK_OK(fd_nvrtc_compile_offline(90, name, src, &regs, &spills, &secs, &err), &err);
        fprintf(stderr, "%s: %d registers, %d spill bytes, %.2f s\n", name, regs, spills, secs);
        CHECK(regs > 0);
        CHECK_EQ(strstr(name, "_logits") != NULL, i == 5);
        CHECK_EQ(src && strstr(src, "namespace m_argmax") != NULL, i != 5);
        fd_kernel_source_free(src);
        fd_state_destroy(s);
        fd_weights_release(cpu);
        fd_model_close(m);
    }
    fd_foundry_destroy(cpu);
}

/* The launch uploads what the host staged in the members' tensors and marks what they write: the persistent
 * kernel's arguments are its program and state, so fd_run sees none of them (stop 20's fault on a GPU, where
 * the token and position the host wrote were never uploaded). */
static void test_launch_tensors(void)
{
    fd_foundry *cpu = make_cpu();
    fd_model *m = tiny_model("tiny", FD_Q8_0, 2);
    fd_weights *w = NULL;
    fd_state *s = NULL;
    CHECK_OK(fd_model_upload(cpu, m, &(fd_upload_options){ .ctx = 64 }, &w), (fd_error *)NULL);
    CHECK_OK(w ? fd_state_create(cpu, w, 64, &s) : FD_ERR_INVALID, (fd_error *)NULL);
    if (s) {
        CHECK_EQ(fd_persist_test_uses(s, s->ids), 2);      /* read by embed, written by the pick */
        CHECK_EQ(fd_persist_test_uses(s, s->pos), 2);      /* read by most, advanced */
        CHECK_EQ(fd_persist_test_uses(s, s->hist), 2);     /* the choice at pos + 1 */
        CHECK_EQ(fd_persist_test_uses(s, s->logits), 2);
        CHECK_EQ(fd_persist_test_uses(s, s->kc[1]), 2);
        CHECK_EQ(fd_persist_test_uses(s, s->w->embd), 1);  /* weights: read, never marked */
        CHECK_EQ(fd_persist_test_uses(s, s->kv), 0);       /* the cache as a whole: its layers' views are named */
    }
    fd_state_destroy(s);
    fd_weights_release(cpu);
    fd_model_close(m);
    fd_foundry_destroy(cpu);
}

/* ---- on a GPU */

/* A tiny random model of `layers` layers in dt, uploaded to gpu (fd_weights_release, then fd_model_close *m). */
static fd_weights *uploaded(fd_foundry *gpu, const char *preset, fd_dtype dt, uint32_t layers, fd_model **m)
{
    fd_weights *w = NULL;
    *m = tiny_model(preset, dt, layers);
    CHECK_OK(fd_model_upload(gpu, *m, &(fd_upload_options){ .ctx = 320 }, &w), (fd_error *)NULL);
    return w;
}

/* A state of w, the persistent step and the graph on or off. */
static fd_state *state_of(fd_foundry *fd, fd_weights *w, int persistent, int graph)
{
    fd_state *s = NULL;
    CHECK_OK(fd_state_create(fd, w, 320, &s), (fd_error *)NULL);
    if (s) fd_state_use_persistent(s, persistent);
    if (s) fd_state_use_graph(s, graph);
    return s;
}

/* max |a - b| / max |b| over n */
static double rel_max(const float *a, const float *b, size_t n)
{
    double e = 0, m = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - b[i]);
        if (d > e) e = d;
        if (fabs(b[i]) > m) m = fabs(b[i]);
    }
    return m > 0 ? e / m : e;
}

/* The argmax of x[0, n) and the gap to the runner-up. */
static int32_t top1(const float *x, size_t n, double *gap)
{
    size_t b = 0, c = n > 1 ? 1 : 0;
    for (size_t i = 1; i < n; i++)
        if (x[i] > x[b]) c = b, b = i;
        else if (i != b && (c == b || x[i] > x[c])) c = i;
    *gap = n > 1 ? (double)x[b] - x[c] : 1e30;
    return (int32_t)b;
}

/* rel_max of two states' tensor t (any dtype, read whole and widened to f32): where a persistent step first
 * departs from the per-kernel one, for the log. -1 when it cannot read them. */
static double state_diff(fd_tensor *a, fd_tensor *b)
{
    size_t n = (size_t)fd_tensor_numel(a), bytes = fd_tensor_bytes(a);
    unsigned char *ra = fd_malloc(bytes), *rb = fd_malloc(bytes);
    float *fa = fd_malloc(n * sizeof *fa), *fb = fd_malloc(n * sizeof *fb);
    double e = -1;
    if (ra && rb && fa && fb && fd_tensor_read(a, ra, bytes) == FD_OK && fd_tensor_read(b, rb, bytes) == FD_OK) {
        fd_dequantize_row(fd_tensor_dtype(a), ra, fa, n);
        fd_dequantize_row(fd_tensor_dtype(b), rb, fb, n);
        e = rel_max(fb, fa, n);
    }
    fd_free(ra), fd_free(rb), fd_free(fa), fd_free(fb);
    return e;
}

/* After the first step: each activation of the persistent state against the per-kernel one's (the last
 * layer's q, attention output and GLU output; the residual; the whole KV cache; the logits), and the
 * position and token words — which member departs first. */
static void first_step_report(fd_state *pk, fd_state *ps)
{
    int32_t w[4] = { 0 };
    int ok = fd_tensor_read(pk->pos, &w[0], 4) == FD_OK && fd_tensor_read(ps->pos, &w[1], 4) == FD_OK &&
             fd_tensor_read(pk->ids, &w[2], 4) == FD_OK && fd_tensor_read(ps->ids, &w[3], 4) == FD_OK;
    fprintf(stderr, "first step, persistent vs per-kernel (rel max-norm): q %.3g, att %.3g, act %.3g, h %.3g, "
            "kv %.3g, logits %.3g; pos %d / %d, ids %d / %d%s\n", state_diff(pk->q, ps->q),
            state_diff(pk->att, ps->att), state_diff(pk->act, ps->act), state_diff(pk->h, ps->h),
            state_diff(pk->kv, ps->kv), state_diff(pk->logits, ps->logits), w[0], w[1], w[2], w[3],
            ok ? "" : " (unread)");
}

static void teacher_forced(fd_foundry *gpu, const char *preset, fd_dtype dt)
{
    fd_model *m;
    fd_weights *w = uploaded(gpu, preset, dt, 4, &m);
    fd_state *pk = state_of(gpu, w, 0, 0), *ps = state_of(gpu, w, 1, 0);
    size_t V = w->hp.vocab;
    float *lk = fd_malloc(V * sizeof *lk), *lp = fd_malloc(V * sizeof *lp);
    double worst = 0;
    int bad_ids = 0, ties = 0;
    uint64_t r = 0x2545f4914f6cdd1dull;
    for (int t = 0; pk && ps && lk && lp && t < TF_STEPS; t++) {
        r ^= r << 13, r ^= r >> 7, r ^= r << 17;
        int32_t id = (int32_t)(r % V);
        CHECK_OK(fd_state_step(pk, id, lk), (fd_error *)NULL);
        fd_status st = fd_state_step(ps, id, lp);
        if (st != FD_OK) {
            fprintf(stderr, "step %d: %s: %s\n", t, fd_status_name(st), fd_foundry_error(gpu));
            CHECK_OK(st, (fd_error *)NULL);
            break;
        }
        CHECK(ps->persist != NULL && !ps->persist_off);   /* it ran persistent, not the fallback */
        if (t == 0) first_step_report(pk, ps);
        double e = rel_max(lp, lk, V), gap, gap2;
        if (e > worst) worst = e;
        int32_t a = top1(lk, V, &gap), b = top1(lp, V, &gap2);
        if (a != b) {   /* a near tie: the per-kernel top two closer than the logits' bound */
            double norm = 0;
            for (size_t i = 0; i < V; i++) norm = fabs(lk[i]) > norm ? fabs(lk[i]) : norm;
            if (gap <= 2e-3 * norm) ties++;
            else bad_ids++;
        }
    }
    fprintf(stderr, "%s %s: %d teacher-forced steps: logits rel max-norm %.3g, ids unequal %d (near ties %d)\n",
            preset, fd_dtype_name(dt), TF_STEPS, worst, bad_ids, ties);
    CHECK(worst <= 1e-3);
    CHECK_EQ(bad_ids, 0);
    fd_free(lk), fd_free(lp);
    fd_state_destroy(pk), fd_state_destroy(ps);
    fd_weights_release(gpu);
    fd_model_close(m);
}

static void test_gpu_teacher_forced(void)
{
    fd_foundry *gpu = make_gpu();
    if (!gpu) SKIP("%s", gpu_why);
    teacher_forced(gpu, "tiny", FD_F16);
    teacher_forced(gpu, "tiny", FD_Q8_0);
    teacher_forced(gpu, "tiny", FD_Q4_0);
    teacher_forced(gpu, "qwen3-tiny", FD_F16);
    teacher_forced(gpu, "qwen3-tiny", FD_Q8_0);
    setenv("FOUNDRY_PERSIST_SLOT", "1", 1);   /* the weight ring at its smallest: two slots, each reused a lot */
    setenv("FOUNDRY_PERSIST_SLOTS", "2", 1);
    teacher_forced(gpu, "tiny", FD_Q8_0);
    setenv("FOUNDRY_PERSIST_SLOT", "0", 1);   /* no ring: rows streamed, prefetched into L2 */
    teacher_forced(gpu, "tiny", FD_F16);
    unsetenv("FOUNDRY_PERSIST_SLOT");
    unsetenv("FOUNDRY_PERSIST_SLOTS");
    fd_foundry_destroy(gpu);
}

/* Decoding through a captured graph replayed over several calls (the epoch moves on every step with no host
 * write), greedy or sampled (smp): the ids of the persistent steps replayed and eager, and the per-kernel
 * step's. A sampled step's persistent list ends with the head; the sampler and the advance follow it. */
static void decode_three(fd_foundry *gpu, const fd_sampler *smp)
{
    fd_model *m;
    fd_weights *w = uploaded(gpu, "tiny", FD_BF16, 4, &m);
    fd_state *s[3] = { state_of(gpu, w, 1, 1), state_of(gpu, w, 1, 0), state_of(gpu, w, 0, 1) };
    int32_t prompt[5] = { 1, 17, 400, 3000, 9 }, out[3][96];
    for (int k = 0; k < 3; k++) {
        if (!s[k]) continue;
        fd_state_set_sampler(s[k], smp);
        CHECK_OK(fd_state_prefill(s[k], prompt, 5, NULL, NULL), (fd_error *)NULL);
        int32_t last = 7;
        for (int c = 0; c < 3; c++) {   /* three calls of 32 steps: replays across calls */
            CHECK_OK(fd_state_decode(s[k], last, 32, out[k] + 32 * c), (fd_error *)NULL);
            last = out[k][32 * c + 31];
        }
    }
    CHECK(s[0] && s[0]->persist && s[0]->graph[0]);   /* ctx 320: the short-context bucket's graph */
    CHECK(s[0] && s[0]->persist && fd_persist_sampled(s[0]->persist) == (smp != NULL));
    /* no error left behind: the ring's size search probes sizes past what a block may have (an H100 run's
     * watchdog then reported the probe's message, the foundry's first error, instead of its own) */
    CHECK_EQ(fd_foundry_status(gpu), FD_OK);
    CHECK(!memcmp(out[0], out[1], sizeof out[0]));   /* one kernel, replayed or launched */
    int same = 0;
    while (same < 96 && out[0][same] == out[2][same]) same++;
    fprintf(stderr, "graph, %s: persistent and per-kernel choose the same first %d of 96 tokens\n",
            smp ? "sampled" : "greedy", same);
    CHECK(same >= 32);   /* a near tie may part them later (the teacher-forced test bounds the logits) */
    if (s[0] && smp) {   /* back to greedy: the persistent step is made again, with its argmax */
        int32_t more[8];
        fd_state_set_sampler(s[0], NULL);
        CHECK_OK(fd_state_decode(s[0], out[0][95], 8, more), (fd_error *)NULL);
        CHECK(s[0]->persist && !fd_persist_sampled(s[0]->persist));
    }
    for (int k = 0; k < 3; k++) fd_state_destroy(s[k]);
    fd_weights_release(gpu);
    fd_model_close(m);
}

static void test_gpu_graph(void)
{
    fd_foundry *gpu = make_gpu();
    if (!gpu) SKIP("%s", gpu_why);
    fd_sampler smp;
    fd_sampler_defaults(&smp);
    smp.seed = 1234, smp.repeat_penalty = 1.1f;
    decode_three(gpu, NULL);
    decode_three(gpu, &smp);
    fd_foundry_destroy(gpu);
}

/* The per-block timeline: none before a step ran while profiling; then the summary names the members and the
 * Chrome trace holds a thread per block. */
static void test_gpu_timeline(void)
{
    fd_foundry *gpu = make_gpu();
    if (!gpu) SKIP("%s", gpu_why);
    fd_model *m;
    fd_weights *w = uploaded(gpu, "tiny", FD_F16, 2, &m);
    fd_state *s = state_of(gpu, w, 1, 0);
    char path[] = "/tmp/fd_persist_timeline_XXXXXX", buf[4096] = "";
    int fdesc = mkstemp(path);
    CHECK(fdesc >= 0);
    if (fdesc >= 0) close(fdesc);
    CHECK_OK(s ? fd_state_step(s, 5, NULL) : FD_ERR_INVALID, (fd_error *)NULL);
    CHECK_EQ(s ? fd_state_persistent_timeline(s, path, NULL) : FD_OK, FD_ERR_STATE);   /* not profiling yet */
    CHECK_OK(fd_profile_enable(gpu, 1), (fd_error *)NULL);
    CHECK_OK(s ? fd_state_step(s, 7, NULL) : FD_ERR_INVALID, (fd_error *)NULL);
    FILE *sum = tmpfile();
    CHECK_OK(s && sum ? fd_state_persistent_timeline(s, path, sum) : FD_ERR_INVALID, (fd_error *)NULL);
    if (sum) {
        rewind(sum);
        size_t n = fread(buf, 1, sizeof buf - 1, sum);
        buf[n] = 0;
        fclose(sum);
    }
    fprintf(stderr, "%s", buf);
    CHECK_CONTAINS(buf, "persistent step");
    CHECK_CONTAINS(buf, "glu");
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    buf[n] = 0;
    if (f) fclose(f);
    CHECK_CONTAINS(buf, "\"block 0\"");
    remove(path);
    CHECK_OK(fd_profile_enable(gpu, 0), (fd_error *)NULL);
    fd_state_destroy(s);
    fd_weights_release(gpu);
    fd_model_close(m);
    fd_foundry_destroy(gpu);
}

/* A wait raised past what a step signals: the watchdog's error naming the instruction within seconds, then the
 * per-kernel step. */
static void test_gpu_watchdog(void)
{
    fd_foundry *gpu = make_gpu();
    if (!gpu) SKIP("%s", gpu_why);
    fd_model *m;
    fd_weights *w = uploaded(gpu, "tiny", FD_F16, 2, &m);
    fd_persist_test_plant_stuck(1);
    fd_state *s = state_of(gpu, w, 1, 1);
    int32_t out[4];
    fd_status st = s ? fd_state_decode(s, 5, 4, out) : FD_ERR_INVALID;
    fd_persist_test_plant_stuck(0);
    CHECK_EQ(st, FD_ERR_DEVICE);
    CHECK_CONTAINS(fd_foundry_error(gpu), "watchdog stopped the wait of #");
    CHECK(s && s->persist_off);
    CHECK_OK(s ? fd_state_rewind(s, 0) : FD_ERR_INVALID, (fd_error *)NULL);
    CHECK_OK(s ? fd_state_decode(s, 5, 4, out) : FD_ERR_INVALID, (fd_error *)NULL);   /* the per-kernel step */
    fd_state_destroy(s);
    fd_weights_release(gpu);
    fd_model_close(m);
    fd_foundry_destroy(gpu);
}

TEST_MAIN(test_encode, test_launch_tensors, test_source_compiles, test_gpu_teacher_forced, test_gpu_graph, test_gpu_timeline, test_gpu_watchdog)
