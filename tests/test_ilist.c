/* test_ilist.c — the persistent decode step's instruction list
 * (kernel/ilist.h) and its lowering from the layer plan
 * (model/ilist_lower.h): every architecture's presets at 1, 7 and 132 blocks
 * lower to lists the validator accepts; each rule of the validator catches a
 * fault planted in a valid list, by its message; and two CPU executors run
 * the lists with every instruction a no-op that records its reads and
 * writes: one in the global order, one interleaving simulated blocks at
 * random (a block stalls while a wait is unmet) over several steps with the
 * counters never reset — no deadlock, and every read sees exactly the writes
 * the global order says it should. The executors know nothing of the
 * validator's method (vector clocks): they are a check of it. */
#include "check.h"
#include "base/mem.h"
#include "kernel/ilist.h"
#include "model/arch/arch.h"
#include "model/ilist_lower.h"

static const fd_arch *const archs[] = { &FD_ARCH_QWEN2, &FD_ARCH_QWEN3, &FD_ARCH_LLAMA, &FD_ARCH_SMOLLM3,
                                        &FD_ARCH_MISTRAL };
#define N_ARCHS (sizeof archs / sizeof archs[0])

static int lower(const fd_arch *a, const fd_model_hparams *hp, uint32_t blocks, fd_ilist *l)
{
    fd_error err = { 0 };
    fd_status st = fd_ilist_lower(a, hp, &(fd_ilower_opts){ .blocks = blocks, .wdtype = FD_Q8_0 }, l, &err);
    CHECK_OK(st, &err);
    return st == FD_OK;
}

static int lower_preset(const char *name, uint32_t blocks, fd_ilist *l)
{
    fd_model_hparams hp;
    const fd_arch *a = fd_arch_preset_find(name, &hp);
    CHECK(a != NULL);
    return a && lower(a, &hp, blocks, l);
}

/* ---- the executors: per element, the instruction that writes it this step
 * and how many readers come before that write in the global order */

typedef struct exec {
    const fd_ilist *l;
    uint64_t *off;              /* (n_buf + 1) */
    uint32_t *writer;           /* (elements) */
    uint32_t *early;            /* (elements) readers before the writer in the global order */
    uint32_t *reads, *written;  /* (elements) this step's reads before the write, and whether it was written */
    int bad;                    /* a read or write out of its order */
} exec;

static void exec_init(exec *x, const fd_ilist *l)
{
    x->l = l;
    x->off = fd_calloc(l->n_buf + 1, sizeof *x->off);
    for (uint32_t b = 0; b < l->n_buf; b++) x->off[b + 1] = x->off[b] + l->buf[b].elems;
    uint64_t n = x->off[l->n_buf];
    x->writer = fd_calloc(n, sizeof *x->writer), x->early = fd_calloc(n, sizeof *x->early);
    x->reads = fd_calloc(n, sizeof *x->reads), x->written = fd_calloc(n, sizeof *x->written);
    for (uint64_t e = 0; e < n; e++) x->writer[e] = FD_INONE;
    for (uint32_t i = 0; i < l->n_ins; i++)
        for (uint32_t k = 0; k < l->ins[i].n_rng; k++) {
            const fd_irange *r = &l->rng[l->ins[i].rng0 + k];
            for (uint64_t e = r->lo; r->write && e < r->hi; e++) x->writer[x->off[r->buf] + e] = i;
        }
    for (uint32_t i = 0; i < l->n_ins; i++)
        for (uint32_t k = 0; k < l->ins[i].n_rng; k++) {
            const fd_irange *r = &l->rng[l->ins[i].rng0 + k];
            for (uint64_t e = r->lo; !r->write && e < r->hi; e++) {
                uint32_t w = x->writer[x->off[r->buf] + e];
                if (w != FD_INONE && w > i) x->early[x->off[r->buf] + e]++;
            }
        }
    x->bad = 0;
}

static void exec_free(exec *x)
{
    fd_free(x->off), fd_free(x->writer), fd_free(x->early), fd_free(x->reads), fd_free(x->written);
}

static void exec_step_begin(exec *x)
{
    uint64_t n = x->off[x->l->n_buf];
    memset(x->reads, 0, n * sizeof *x->reads);
    memset(x->written, 0, n * sizeof *x->written);
}

/* Instruction i as a no-op: its reads must see the writes before it in the
 * global order and none after; its writes must follow the reads before it. */
static void exec_run(exec *x, uint32_t i)
{
    const fd_ilist *l = x->l;
    for (uint32_t k = 0; k < l->ins[i].n_rng; k++) {
        const fd_irange *r = &l->rng[l->ins[i].rng0 + k];
        for (uint64_t e = x->off[r->buf] + r->lo; !r->write && e < x->off[r->buf] + r->hi; e++) {
            uint32_t w = x->writer[e];
            if (w == i || w == FD_INONE) continue;
            if (w < i && !x->written[e]) x->bad++;   /* read before its write */
            if (w > i && x->written[e]) x->bad++;    /* read after a later write */
            if (w > i) x->reads[e]++;
        }
    }
    for (uint32_t k = 0; k < l->ins[i].n_rng; k++) {
        const fd_irange *r = &l->rng[l->ins[i].rng0 + k];
        for (uint64_t e = x->off[r->buf] + r->lo; r->write && e < x->off[r->buf] + r->hi; e++) {
            if (x->reads[e] != x->early[e]) x->bad++;   /* overwrites what an earlier reader has not read */
            x->written[e] = 1;
        }
    }
}

/* A xorshift generator: the seeds make the interleavings reproducible. */
static uint64_t next(uint64_t *s)
{
    *s ^= *s << 13, *s ^= *s >> 7, *s ^= *s << 17;
    return *s;
}

/* `steps` steps of simulated blocks in a random interleaving, with the
 * device's scheme (DESIGN.md): a block reads the epoch word when it starts,
 * stalls while a wait (c, t) has c - epoch * per_step < t, and takes a ticket
 * from the done counter at the end of its list; the last block's ticket
 * (blocks - 1) sets done back to 0 and moves the epoch on. Returns the blocks
 * stalled forever (0: no deadlock); x->bad counts reads and writes out of
 * order, wrong epochs and counters not at steps * per_step. */
static uint32_t exec_random(exec *x, uint64_t seed, uint32_t steps)
{
    const fd_ilist *l = x->l;
    uint32_t nb = l->n_blocks, *at = fd_calloc(nb, sizeof *at), *epoch = fd_calloc(nb, sizeof *epoch);
    uint32_t *ctr = fd_calloc(l->n_ctr ? l->n_ctr : 1, sizeof *ctr), *ready = fd_calloc(nb, sizeof *ready);
    uint32_t done = 0, epoch_word = 0, stuck = 0;
    for (uint32_t s = 0; s < steps && !stuck; s++) {
        exec_step_begin(x);
        uint32_t finished = 0;
        char *begun = fd_calloc(nb, 1);
        for (uint32_t b = 0; b < nb; b++) at[b] = l->block_start[b];
        while (finished < nb) {
            uint32_t n = 0;
            for (uint32_t b = 0; b < nb; b++) {
                if (begun[b] && at[b] == l->block_start[b + 1]) continue;   /* done */
                int ok = 1;
                if (begun[b]) {
                    const fd_instr *t = &l->ins[l->block_ins[at[b]]];
                    for (uint32_t k = 0; ok && k < t->n_wait; k++) {
                        const fd_iwait *w = &l->wait[t->wait0 + k];
                        ok = (int32_t)(ctr[w->counter] - epoch[b] * l->ctr[w->counter].per_step - w->target) >= 0;
                    }
                }
                if (ok) ready[n++] = b;
            }
            if (!n) {
                stuck = nb - finished;
                break;
            }
            uint32_t b = ready[next(&seed) % n];
            if (!begun[b]) {   /* the block starts: its epoch from the done counter */
                begun[b] = 1;
                epoch[b] = epoch_word;
                if (epoch[b] != s) x->bad++;
            } else {
                uint32_t i = l->block_ins[at[b]++];
                exec_run(x, i);
                if (l->ins[i].signal != FD_INONE) ctr[l->ins[i].signal]++;
            }
            if (begun[b] && at[b] == l->block_start[b + 1]) {
                finished++;
                if (done++ == nb - 1) done = 0, epoch_word++;   /* the last ticket */
            }
        }
        fd_free(begun);
    }
    for (uint32_t c = 0; !stuck && c < l->n_ctr; c++)   /* the counters only grew, by per_step a step */
        if (ctr[c] != steps * l->ctr[c].per_step) x->bad++;
    if (!stuck && (epoch_word != steps || done)) x->bad++;
    fd_free(at), fd_free(epoch), fd_free(ctr), fd_free(ready);
    return stuck;
}

/* ---- the lowering of every architecture */

static void test_lower_all(void)
{
    static const uint32_t blocks[] = { 1, 7, 132 };
    for (size_t n = 0; n < N_ARCHS; n++)
    for (size_t p = 0; p < archs[n]->n_presets; p++)
        for (size_t b = 0; b < 3; b++) {
            const fd_arch *a = archs[n];
            fd_model_hparams hp = a->presets[p].hp;
            fd_ilist l;
            if (!lower(a, &hp, blocks[b], &l)) continue;
            fd_error err = { 0 };
            CHECK_OK(fd_ilist_validate(&l, &err), &err);
            /* the expected members: the plan's steps per layer, then the head, argmax and advance */
            uint32_t count[FD_IM_COUNT] = { 0 };
            for (uint32_t i = 0; i < l.n_ins; i++) count[l.ins[i].member]++;
            int qkn = (a->plan[0].opts & FD_STEP_QK_NORM) != 0;
            CHECK_EQ(count[FD_IM_QKV] != 0, !qkn);
            CHECK_EQ(count[FD_IM_QK_NORM], qkn ? hp.n_layers * (hp.n_heads + 2 * hp.n_kv_heads) : 0);
            CHECK_EQ(count[FD_IM_ARGMAX], count[FD_IM_HEAD]);
            CHECK_EQ(count[FD_IM_PICK], 1);
            CHECK_EQ(count[FD_IM_ADVANCE], 1);
            CHECK(count[FD_IM_PROJ_RES] >= 2 * hp.n_layers && count[FD_IM_GLU] >= hp.n_layers);
            CHECK_EQ(l.ins[l.n_ins - 1].member, FD_IM_ADVANCE);
            /* every row of each product computed once: the head's rows cover the vocabulary */
            uint64_t head_rows = 0;
            for (uint32_t i = 0; i < l.n_ins; i++)
                if (l.ins[i].member == FD_IM_HEAD) head_rows += l.ins[i].row1 - l.ins[i].row0;
            CHECK_EQ(head_rows, hp.vocab);
            /* a product's ranges on distinct blocks (a run of one member, layer and signal in the global order) */
            uint32_t *per = fd_calloc(blocks[b], sizeof *per);
            for (uint32_t i = 0, r0 = 0; i <= l.n_ins; i++) {
                if (i < l.n_ins && l.ins[i].member == l.ins[r0].member && l.ins[i].layer == l.ins[r0].layer &&
                    l.ins[i].signal == l.ins[r0].signal)
                    continue;
                uint32_t most = 0, cap = (i - r0 + blocks[b] - 1) / blocks[b];
                for (uint32_t j = r0; j < i; j++) most = ++per[l.ins[j].block] > most ? per[l.ins[j].block] : most;
                for (uint32_t j = r0; j < i; j++) per[l.ins[j].block] = 0;
                CHECK(most <= cap);
                r0 = i;
            }
            fd_free(per);
            /* balanced by bytes: no block streams more than 1.02x the mean (the big models, 132 blocks) */
            if (blocks[b] == 132 && hp.n_layers > 8) {
                uint64_t *by = fd_calloc(132, sizeof *by), sum = 0, mx = 0;
                for (uint32_t i = 0; i < l.n_ins; i++) by[l.ins[i].block] += l.ins[i].wbytes, sum += l.ins[i].wbytes;
                for (int k = 0; k < 132; k++) mx = by[k] > mx ? by[k] : mx;
                CHECK((double)mx <= 1.02 * (double)sum / 132);
                fd_free(by);
            }
            /* the global-order executor: one block at a time in the order */
            exec x;
            exec_init(&x, &l);
            exec_step_begin(&x);
            for (uint32_t i = 0; i < l.n_ins; i++) exec_run(&x, i);
            CHECK_EQ(x.bad, 0);
            exec_free(&x);
            fd_ilist_free(&l);
        }
}

/* The attention of a query head (an instruction per head and split) waits only for the counter of its kv group
 * g, whose signallers write exactly that group's q heads and cache rows (the finest grain). */
static void test_fine_waits(void)
{
    fd_ilist l;
    if (!lower_preset("qwen2.5-0.5b", 132, &l)) return;
    uint32_t hd = 64, rep = 7, attends = 0;
    for (uint32_t i = 0; i < l.n_ins; i++) {
        const fd_instr *t = &l.ins[i];
        if (t->member != FD_IM_ATTEND || t->layer != 3) continue;
        attends++;
        CHECK_EQ(t->n_wait, 1);
        uint32_t c = l.wait[t->wait0].counter, g = t->row0 / 8 / rep;   /* 8 splits: 132 / 14 heads, at most 8 */
        char want[24];
        snprintf(want, sizeof want, "qkv.3.%u", g);
        CHECK_STR(l.ctr[c].name, want);
        for (uint32_t j = 0; j < l.n_ins; j++) {
            if (l.ins[j].signal != c) continue;
            for (uint32_t k = 0; k < l.ins[j].n_rng; k++) {
                const fd_irange *r = &l.rng[l.ins[j].rng0 + k];
                if (!r->write) continue;
                uint64_t lo = !strcmp(l.buf[r->buf].name, "q.3") ? (uint64_t)g * rep * hd : (uint64_t)g * hd;
                uint64_t hi = !strcmp(l.buf[r->buf].name, "q.3") ? lo + rep * hd : lo + hd;
                CHECK(r->lo >= lo && r->hi <= hi);
            }
        }
    }
    CHECK_EQ(attends, 14 * 8);
    fd_ilist_free(&l);
}

/* Many seeds of random interleavings over three steps: no deadlock, reads in order, epochs right. */
static void test_random_interleavings(void)
{
    static const struct { const char *preset; uint32_t blocks, seeds; } runs[] = {
        { "tiny", 7, 200 }, { "qwen3-tiny", 13, 200 }, { "smollm3-tiny", 5, 200 }, { "mistral-tiny", 1, 20 },
        { "llama-tiny", 132, 20 }, { "qwen2.5-0.5b", 132, 3 },
    };
    for (size_t r = 0; r < sizeof runs / sizeof runs[0]; r++) {
        fd_ilist l;
        if (!lower_preset(runs[r].preset, runs[r].blocks, &l)) continue;
        exec x;
        exec_init(&x, &l);
        for (uint32_t s = 0; s < runs[r].seeds; s++) {
            uint32_t stuck = exec_random(&x, 0x9e3779b97f4a7c15ull * (s + 1), 3);
            CHECK_EQ(stuck, 0);
            CHECK_EQ(x.bad, 0);
            if (stuck || x.bad) break;
        }
        exec_free(&x);
        fd_ilist_free(&l);
    }
}

/* ---- each rule catches a planted fault */

/* The tiny Qwen2 at 7 blocks, valid. */
static int base(fd_ilist *l)
{
    if (!lower_preset("tiny", 7, l)) return 0;
    fd_error err = { 0 };
    CHECK_OK(fd_ilist_validate(l, &err), &err);
    return 1;
}

static uint32_t find(const fd_ilist *l, fd_imember m, uint32_t layer, uint32_t nth)
{
    for (uint32_t i = 0; i < l->n_ins; i++)
        if (l->ins[i].member == m && l->ins[i].layer == layer && !nth--) return i;
    return FD_INONE;
}

/* The validator refuses l with a message naming instruction i (FD_INONE: none) and `rule`, and containing `what`. */
static void refused(const fd_ilist *l, uint32_t i, const char *rule, const char *what)
{
    fd_error err = { 0 };
    CHECK_EQ(fd_ilist_validate(l, &err), FD_ERR_INVALID);
    char r[48], ins[24];
    snprintf(r, sizeof r, "rule %s:", rule);
    CHECK_CONTAINS(err.msg, r);
    if (i != FD_INONE) {
        snprintf(ins, sizeof ins, "ilist: #%u ", i);
        CHECK_CONTAINS(err.msg, ins);
    }
    if (what) CHECK_CONTAINS(err.msg, what);
}

static void test_rule_race_removed_wait(void)
{
    fd_ilist l;
    if (!base(&l)) return;
    uint32_t i = find(&l, FD_IM_HEAD, FD_INONE, 3);   /* reads h.8, written by the last downs on every block */
    l.ins[i].n_wait = 0;
    refused(&l, i, "race", "reads h.8[");
    /* and the random executor sees the race the validator names */
    exec x;
    exec_init(&x, &l);
    int seen = 0;
    for (uint32_t s = 0; s < 200 && !seen; s++) {
        CHECK_EQ(exec_random(&x, s + 1, 1), 0);
        seen = x.bad != 0;
    }
    CHECK(seen);
    exec_free(&x);
    fd_ilist_free(&l);
}

/* An argmax reads the logits its block's head range wrote, ordered by program order alone: on another block it
 * races. */
static void test_rule_race_program_order(void)
{
    fd_ilist l;
    if (!base(&l)) return;
    uint32_t i = find(&l, FD_IM_ARGMAX, FD_INONE, 2);
    l.ins[i].block = (l.ins[i].block + 1) % l.n_blocks;
    CHECK_OK(fd_ilist_place(&l), NULL);
    refused(&l, i, "race", "reads logits[");
    fd_ilist_free(&l);
}

/* Built by hand with the builder: #0 on block 0 reads a carried element that #1 on block 1 overwrites later in
 * the step; without #1 waiting for #0 the write may land first. */
static void test_rule_race_write_after_read(void)
{
    static const char *const names[] = { "reader", "writer" };
    fd_ilist l;
    uint32_t a, c;
    fd_ilist_init(&l, 2, 1024, 2, names, 2);
    CHECK_OK(fd_ilist_buffer(&l, "a", 4, FD_IBUF_CARRIED, &a), NULL);
    CHECK_OK(fd_ilist_counter(&l, "read", &c), NULL);
    CHECK_OK(fd_ilist_push(&l, &(fd_instr){ .member = 0, .layer = FD_INONE, .row1 = 1, .block = 0, .signal = c }), NULL);
    CHECK_OK(fd_ilist_range(&l, 0, a, 0, 4), NULL);
    CHECK_OK(fd_ilist_push(&l, &(fd_instr){ .member = 1, .layer = FD_INONE, .row1 = 1, .block = 1,
                                            .signal = FD_INONE }), NULL);
    CHECK_OK(fd_ilist_range(&l, 1, a, 2, 3), NULL);
    CHECK_OK(fd_ilist_place(&l), NULL);
    refused(&l, 0, "race", "reads a[2..3), which #1 later writes (write after read)");
    CHECK_OK(fd_ilist_wait(&l, c), NULL);   /* #1 waits for #0's signal */
    fd_error err = { 0 };
    CHECK_OK(fd_ilist_validate(&l, &err), &err);
    exec x;
    exec_init(&x, &l);
    CHECK_EQ(exec_random(&x, 7, 4), 0);
    CHECK_EQ(x.bad, 0);
    exec_free(&x);
    fd_ilist_free(&l);
}

static void test_rule_block_order(void)
{
    fd_ilist l;
    if (!base(&l)) return;
    uint32_t *b = l.block_ins + l.block_start[2], t = b[4];
    b[4] = b[5], b[5] = t;
    refused(&l, t, "block-order", "block 2 runs it after");
    fd_ilist_free(&l);
}

static void test_rule_wait_order(void)
{
    fd_ilist l;
    if (!base(&l)) return;
    uint32_t i = find(&l, FD_IM_GLU, 1, 0), j = find(&l, FD_IM_GLU, 2, 0);
    l.wait[l.ins[i].wait0].counter = l.ins[j].signal;   /* layer 1's GLU waits on layer 2's */
    char want[64];
    snprintf(want, sizeof want, "counter ff.2, which #%u at or after it", j);
    refused(&l, i, "wait-order", want);
    exec x;   /* a cycle: layer 2's GLU comes after layer 1's through h; the executor stalls */
    exec_init(&x, &l);
    CHECK(exec_random(&x, 11, 1) > 0);
    exec_free(&x);
    fd_ilist_free(&l);
}

static void test_rule_write_overlap(void)
{
    fd_ilist l;
    if (!base(&l)) return;
    uint32_t i = find(&l, FD_IM_GLU, 0, 1);
    for (uint32_t k = 0; k < l.ins[i].n_rng; k++)
        if (l.rng[l.ins[i].rng0 + k].write) l.rng[l.ins[i].rng0 + k].lo -= 3;   /* 3 rows of the part before */
    refused(&l, i, "write-overlap", "writes ff.0[");
    fd_ilist_free(&l);
}

static void test_rule_placement(void)
{
    fd_ilist l;
    if (!base(&l)) return;
    /* drop block 3's first instruction from its list */
    uint32_t i = l.block_ins[l.block_start[3]], n = l.block_start[l.n_blocks];
    memmove(l.block_ins + l.block_start[3], l.block_ins + l.block_start[3] + 1,
            (n - l.block_start[3] - 1) * sizeof *l.block_ins);
    for (uint32_t b = 4; b <= l.n_blocks; b++) l.block_start[b]--;
    refused(&l, i, "placement", "in no block's list");
    fd_ilist_place(&l);
    /* and one in two lists: block 0's last becomes block 1's first too */
    uint32_t dup = l.block_ins[l.block_start[1] - 1];
    l.block_ins[l.block_start[1]] = dup;
    refused(&l, dup, "placement", "in the lists of blocks 0 and 1");
    fd_ilist_free(&l);
}

static void test_rule_counter_target(void)
{
    fd_ilist l;
    if (!base(&l)) return;
    uint32_t i = find(&l, FD_IM_PROJ_RES, 2, 0);
    /* 7 blocks over 4 heads: one context split, so att.2's writers are the 4 heads' attention */
    l.wait[l.ins[i].wait0].target--;   /* one writer of att.2 fewer: a race the count hides */
    refused(&l, i, "counter-target", "waits for 3 signals on counter att.2, which 4 instructions before it give");
    l.wait[l.ins[i].wait0].target += 2;   /* one more than ever come: never met */
    refused(&l, i, "counter-target", "waits for 5 signals on counter att.2");
    uint32_t none;   /* a counter nothing signals */
    CHECK_OK(fd_ilist_counter(&l, "none", &none), NULL);
    uint32_t c = l.wait[l.ins[i].wait0].counter;
    l.wait[l.ins[i].wait0].counter = none;
    refused(&l, i, "counter-target", "waits on counter none, which nothing signals");
    l.wait[l.ins[i].wait0].counter = c;
    exec x;   /* and the random executor stalls on it */
    exec_init(&x, &l);
    CHECK(exec_random(&x, 5, 1) > 0);
    exec_free(&x);
    fd_ilist_free(&l);
}

static void test_rule_counter_count(void)
{
    fd_ilist l;
    if (!base(&l)) return;
    l.ctr[l.ins[find(&l, FD_IM_ARGMAX, FD_INONE, 0)].signal].per_step++;
    refused(&l, FD_INONE, "counter-count", "counter amax counts 8 signals a step, 7 instructions");
    fd_ilist_free(&l);
}

static void test_rule_unwritten(void)
{
    fd_ilist l;
    if (!base(&l)) return;
    uint32_t ghost, i = find(&l, FD_IM_PICK, FD_INONE, 0);
    CHECK_OK(fd_ilist_buffer(&l, "ghost", 16, 0, &ghost), NULL);
    l.rng[l.ins[i].rng0].buf = ghost, l.rng[l.ins[i].rng0].lo = 0, l.rng[l.ins[i].rng0].hi = 16;
    refused(&l, i, "unwritten", "reads ghost[0..16)");
    fd_ilist_free(&l);
}

static void test_rule_bounds(void)
{
    fd_ilist l;
    if (!base(&l)) return;
    uint32_t i = find(&l, FD_IM_EMBED, FD_INONE, 0);
    l.rng[l.ins[i].rng0 + 1].hi = 257;   /* its write of h.0, one past the 256 elements */
    refused(&l, i, "bounds", "writes h.0[0..257) of 256 elements");
    fd_ilist_free(&l);
}

static void test_rule_smem(void)
{
    fd_ilist l;
    if (!base(&l)) return;
    uint32_t i = find(&l, FD_IM_GLU, 3, 2);
    l.ins[i].smem = l.smem_budget + 1;
    refused(&l, i, "smem", "over the block's");
    fd_ilist_free(&l);
}

static void test_rule_coresidency(void)
{
    fd_ilist l;
    if (!base(&l)) return;
    l.resident = 6;
    refused(&l, FD_INONE, "co-residency", "7 blocks, 6 co-resident");
    fd_ilist_free(&l);
}

/* A plan the lowering cannot express is refused, not lowered wrong. */
static void test_lower_refusals(void)
{
    fd_model_hparams hp;
    const fd_arch *a = fd_arch_preset_find("tiny", &hp);
    fd_ilist l;
    fd_error err = { 0 };
    CHECK(a != NULL);
    if (!a) return;
    hp.n_kv_heads = 3;   /* 4 heads over 3 kv heads */
    CHECK_EQ(fd_ilist_lower(a, &hp, &(fd_ilower_opts){ .blocks = 7, .wdtype = FD_F16 }, &l, &err), FD_ERR_INVALID);
    CHECK_CONTAINS(err.msg, "cannot lower 7 blocks");
    fd_ilist_free(&l);
    fd_arch bad = *a;
    fd_plan_step plan[5];
    memcpy(plan, a->plan, sizeof plan);
    plan[1] = plan[2];   /* o_proj before the attention: att never written */
    bad.plan = plan;
    fd_error_clear(&err);
    fd_arch_preset_find("tiny", &hp);
    CHECK_EQ(fd_ilist_lower(&bad, &hp, &(fd_ilower_opts){ .blocks = 7, .wdtype = FD_F16 }, &l, &err), FD_ERR_INVALID);
    CHECK_CONTAINS(err.msg, "reads att, which no step before it writes whole");
    fd_ilist_free(&l);
}

/* The N-th allocation fails, for every N of a lowering and its validation: FD_ERR_NOMEM with its message, and
 * nothing leaks (make asan / valgrind). */
static void test_alloc_faults(void)
{
    fd_model_hparams hp;
    const fd_arch *a = fd_arch_preset_find("qwen3-tiny", &hp);
    CHECK(a != NULL);
    for (long n = 1; a && n < 10000; n++) {
        fd_ilist l;
        fd_error err = { 0 };
        fd_mem_fail_after(n, 0);
        fd_status st = fd_ilist_lower(a, &hp, &(fd_ilower_opts){ .blocks = 7, .wdtype = FD_Q4_0 }, &l, &err);
        if (st == FD_OK) st = fd_ilist_validate(&l, &err);
        long used = fd_mem_count();
        fd_mem_fail_after(0, 0);
        fd_ilist_free(&l);
        if (st == FD_OK) {
            CHECK(used < n);   /* every allocation ran: the walk is complete */
            CHECK(n > 10);
            break;
        }
        CHECK_EQ(st, FD_ERR_NOMEM);
        CHECK_CONTAINS(err.msg, "ilist: out of memory");
    }
}

TEST_MAIN(test_lower_all, test_alloc_faults, test_fine_waits, test_random_interleavings, test_rule_race_removed_wait,
          test_rule_race_program_order, test_rule_race_write_after_read, test_rule_block_order, test_rule_wait_order, test_rule_write_overlap,
          test_rule_placement, test_rule_counter_target, test_rule_counter_count, test_rule_unwritten,
          test_rule_bounds, test_rule_smem, test_rule_coresidency, test_lower_refusals)
