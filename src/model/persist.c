/* persist.c — the persistent decode kernel of a state: its members (the
 * per-kernel step's own kernels, forward.c's fd_decode_calls, over row
 * ranges), its generated source, its program and its launch (persist.h).
 *
 * Layer: model. How it is made (fd_persist_create):
 *   1. members: per plan step of every layer and per launch outside the
 *      layers, the kernel and arguments the per-kernel step runs, packed as
 *      fd_run packs them (kernel/pack.c) into one table per member indexed
 *      by slot (layer * steps + step); a member's slots must share one kernel
 *      (one weight dtype per product), else the model is not accepted;
 *   2. source: per member, its kernel's device code and its wrapper
 *      (ops/persist/m_*.cuh) in a namespace of its own, two dispatchers
 *      over them, then ops/persist/runtime.cuh; compiled by NVRTC and cached
 *      like any other kernel (FD_KERNEL_COOPERATIVE);
 *   3. blocks: one per multiprocessor, fewer where the occupancy calculator
 *      keeps fewer resident; the list lowered for them (ilist_lower.c),
 *      validated (fd_ilist_validate), encoded (persist_list.c), uploaded.
 * A step is one cooperative launch; what changes per step (the epoch, the
 * counters, pos, the token) lives in device memory, so a captured graph
 * replays it. Activations are the per-kernel step's buffers (h, q, att, ff):
 * the list's versions of one activation share one buffer, which is sound
 * because every writer of a version waits, through its input's counter, for
 * every reader of the version before it (the residual's in-place update is
 * the per-kernel step's too). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/hash.h"
#include "base/mem.h"
#include "base/sbuf.h"
#include "core/internal.h"
#include "foundry/profile.h"
#include "kernel/codegen.h"
#include "model/device.h"
#include "model/persist.h"
#include "ops/gemv/layout.cuh"

#define MAX_BLOCKS 256                /* the argmax ranges' pairs go to the state's amax_part: room for 256 */
#define WATCHDOG_NS 1000000000ull     /* a wait spinning this long stops the step (1 s) */
#define MAX_TENSORS 32

#define PERSIST_ARGS(IN, OUT, PARAM)                                                                            \
    IN(prog, FD_IDS)               /* the program (ops/persist/prog.cuh), bytes as i32 */                      \
    OUT(state, FD_IDS)             /* (n_ctr + FD_PSTATE_WORDS) u32: counters, epoch, done, error */           \
    OUT(timeline, FD_IDS)          /* (n_ins, 3) u64: %globaltimer before the waits, after, after the signal */ \
    PARAM(uint64_t, watchdog_ns)                                                                                \
    PARAM(uint32_t, blocks) PARAM(uint32_t, threads) PARAM(uint32_t, smem)                                      \
    PARAM(uint32_t, trace)         /* 1: write the timeline (profiling on) */                                  \
    PARAM(uint32_t, ring_slot)     /* the weight ring (ops/persist/ring.cuh): bytes a slot, */                 \
    PARAM(uint32_t, ring_slots)    /* and slots, at the end of the dynamic shared memory (0: no ring) */
FD_KERNEL_ARGS(fd_persist_args, PERSIST_ARGS)

/* Each member's wrapper (its device function over a row range); COMBINE runs none (m_attend.cuh says why). */
static const char *const wrapper[FD_IM_COUNT] = {
    [FD_IM_EMBED] = "ops/persist/m_embed.cuh", [FD_IM_QKV] = "ops/persist/m_qkv.cuh",
    [FD_IM_QKV_ROWS] = "ops/persist/m_qkv_rows.cuh", [FD_IM_QK_NORM] = "ops/persist/m_qk_norm.cuh",
    [FD_IM_ATTEND] = "ops/persist/m_attend.cuh",
    [FD_IM_PROJ_RES] = "ops/persist/m_gemv.cuh", [FD_IM_GLU] = "ops/persist/m_gemv.cuh",
    [FD_IM_HEAD] = "ops/persist/m_gemv.cuh", [FD_IM_ARGMAX] = "ops/persist/m_argmax.cuh",
    [FD_IM_PICK] = "ops/persist/m_pick.cuh", [FD_IM_ADVANCE] = "ops/persist/m_advance.cuh",
};

typedef struct member {
    const fd_kernel *k;          /* NULL: no slot yet */
    fd_dtype dt[MAX_TENSORS];    /* its variant */
    uint32_t size, count;        /* bytes of one packed struct; slots */
    unsigned char *args;         /* (count, size) */
    uint32_t cols;               /* a product's columns (shared memory), 0 for other members */
    int quant;                   /* its weights are quantized (the int8 input layout) */
    uint32_t nout;               /* GEMV-based: products a row, */
    uint64_t rb;                 /* and bytes of a row of cols */
} member;

struct fd_persist {
    fd_state *s;
    fd_foundry *fd;
    fd_ilist list;
    member m[FD_IM_COUNT];
    fd_kernel kernel;
    char name[64];
    char *cuda;
    fd_tensor *prog, *state, *timeline;
    int traced;                  /* the last launch wrote the timeline */
    fd_tensor **used;            /* the members' tensors, once each: fd_run never sees them */
    unsigned char *used_out;     /* 1 where a member writes it */
    uint32_t n_used, cap_used;
    uint32_t blocks, threads, smem, n_ctr;
    uint32_t ring_slot, ring_slots;   /* the weight ring: bytes a slot, slots (0: rows stream from memory) */
    uint64_t watchdog_ns;
    int sampled;                 /* the state sampled when it was made: the list ends with the head */
};

/* Threads a block (runtime.cuh's FD_PERSIST_THREADS): the attention's 4 warps, or 8 with
 * FOUNDRY_PERSIST_WARPS=8 (the attention member then runs 8 warps, AD_WARPS; for the comparison). */
static uint32_t block_threads(void)
{
    const char *e = getenv("FOUNDRY_PERSIST_WARPS");
    return e && !strcmp(e, "8") ? 256 : 128;
}

static int plant_stuck;
void fd_persist_test_plant_stuck(int on) { plant_stuck = on; }

/* ---- members */

/* The weight policy's dtype of a compound on the GEMV stages, or -1. */
static int weight_dtype(const fd_kernel *k)
{
    const fd_compound *c = fd_compound_of(k);
    const fd_stage *w = c ? fd_compound_stage(c, 1) : NULL;   /* FD_GEMV_WEIGHTS, the QKV family's too */
    return w ? (int)w->dtype : -1;
}

/* Records call c's tensors, so that a launch uploads what the host staged in
 * them (the token, the position; a no-op for the rest) and marks what the
 * members write: fd_run does both for its own arguments, and the persistent
 * kernel's are in its program. */
static fd_status note_tensors(fd_persist *p, const fd_dec_call *c, const fd_arg_table *t, fd_error *err)
{
    for (size_t i = 0; i < t->n; i++) {
        if (t->args[i].type != FD_PT_TENSOR) continue;
        fd_tensor *x = fd_kernel_arg_tensor(&c->a, &t->args[i]);
        if (!x) continue;
        int out = t->args[i].role == FD_ARG_OUT;
        uint32_t j = 0;
        while (j < p->n_used && p->used[j] != x) j++;
        if (j == p->n_used) {
            if (p->n_used == p->cap_used) {
                uint32_t cap = p->cap_used ? 2 * p->cap_used : 32;
                fd_tensor **u = fd_realloc(p->used, cap * sizeof *u);
                if (u) p->used = u;
                unsigned char *o = u ? fd_realloc(p->used_out, cap) : NULL;
                if (!o) return fd_error_set(err, FD_ERR_NOMEM, "persist: out of memory");
                p->used_out = o, p->cap_used = cap;
            }
            p->used[p->n_used] = x, p->used_out[p->n_used++] = 0;
        }
        p->used_out[j] |= (unsigned char)out;
    }
    return FD_OK;
}

/* Slot `slot` of member mi: call c's arguments checked and packed. */
static fd_status put(fd_persist *p, fd_imember mi, uint32_t count, uint32_t slot, const fd_dec_call *c, uint32_t cols,
                     fd_error *err)
{
    member *m = &p->m[mi];
    fd_arg_table t = c->k->args(c->k);
    fd_dtype dt[MAX_TENSORS] = { 0 };
    if (t.n > MAX_TENSORS) return fd_error_set(err, FD_ERR_UNSUPPORTED, "persist: %s: too many arguments", c->k->name);
    if (fd_kernel_validate(p->fd, c->k, &t, &c->a, dt) != FD_OK)
        return fd_error_set(err, FD_ERR_INVALID, "persist: member %s: %s", fd_imember_names[mi], fd_foundry_error(p->fd));
    FD_TRY(note_tensors(p, c, &t, err));
    if (!m->k) {
        m->k = c->k;
        memcpy(m->dt, dt, sizeof dt);
        m->size = (uint32_t)t.size;   /* the device indexes an array of its struct: sizeof, as the host's */
        m->count = count;
        m->cols = cols;
        m->quant = weight_dtype(c->k) >= 0 && fd_dtype_is_quant((fd_dtype)weight_dtype(c->k));
        if (!(m->args = fd_calloc(count, m->size))) return fd_error_set(err, FD_ERR_NOMEM, "persist: out of memory");
    } else if (m->k != c->k || memcmp(m->dt, dt, sizeof dt)) {
        return fd_error_set(err, FD_ERR_UNSUPPORTED, "member %s runs %s in one layer and %s in another (a weight "
                            "dtype per product and layer: not one kernel)", fd_imember_names[mi], m->k->name,
                            c->k->name);
    }
    if (m->cols < cols) {
        int w = weight_dtype(c->k);
        m->cols = cols;
        m->nout = (uint32_t)fd_compound_products(fd_compound_of(c->k));
        if (w < 0 || fd_dtype_row_bytes((fd_dtype)w, cols, &m->rb, err) != FD_OK)
            return fd_error_set(err, FD_ERR_UNSUPPORTED, "persist: member %s: no row size for %u columns",
                                fd_imember_names[mi], cols);
    }
    return fd_kernel_pack(p->fd, c->k, &t, &c->a, m->args + (size_t)slot * m->size, m->size) == FD_OK
               ? FD_OK
               : fd_error_set(err, FD_ERR_INVALID, "persist: %s", fd_foundry_error(p->fd));
}

static fd_status gather_layers(fd_persist *p, fd_error *err)
{
    fd_state *s = p->s;
    const fd_arch *a = s->w->arch;
    uint32_t L = s->w->hp.n_layers, steps = (uint32_t)a->n_steps;
    for (uint32_t l = 0; l < L; l++)
        for (uint32_t i = 0; i < steps; i++) {
            const fd_plan_step *st = &a->plan[i];
            fd_dec_call c[2];
            int n = fd_decode_calls(s, l, st, c);
            if (!n)
                return fd_error_set(err, FD_ERR_UNSUPPORTED, "plan step op %d has no member", (int)st->op);
            uint32_t slot = l * steps + i;
            switch (st->op) {
            case FD_OP_QKV:
                if (n == 1) {   /* one kernel: products, bias, RoPE, cache */
                    FD_TRY(put(p, FD_IM_QKV, L * steps, slot, &c[0], c[0].a.qkv.cols, err));
                    break;
                }   /* q/k normalized per head: the products' rows, then a head at a time */
                FD_TRY(put(p, FD_IM_QKV_ROWS, L * steps, slot, &c[0], c[0].a.gemv.cols, err));
                FD_TRY(put(p, FD_IM_QK_NORM, L * steps, slot, &c[1], 0, err));
                break;
            case FD_OP_ATTEND: FD_TRY(put(p, FD_IM_ATTEND, L * steps, slot, &c[0], 0, err)); break;
            case FD_OP_PROJ_RES: FD_TRY(put(p, FD_IM_PROJ_RES, L * steps, slot, &c[0], c[0].a.gemv.cols, err)); break;
            case FD_OP_GLU: FD_TRY(put(p, FD_IM_GLU, L * steps, slot, &c[0], c[0].a.gemv.cols, err)); break;
            }
        }
    return FD_OK;
}

static fd_status gather(fd_persist *p, fd_error *err)
{
    fd_dec_call c;
    FD_TRY(gather_layers(p, err));
    fd_decode_embed(p->s, &c);
    FD_TRY(put(p, FD_IM_EMBED, 1, 0, &c, 0, err));
    fd_decode_head(p->s, &c);
    FD_TRY(put(p, FD_IM_HEAD, 1, 0, &c, c.a.gemv.cols, err));
    if (p->sampled) return FD_OK;   /* the sampler and the advance run as kernels after the launch */
    fd_decode_argmax(p->s, p->s->amax_part, &c);
    FD_TRY(put(p, FD_IM_ARGMAX, 1, 0, &c, 0, err));
    FD_TRY(put(p, FD_IM_PICK, 1, 0, &c, 0, err));
    fd_decode_advance(p->s, &c);
    return put(p, FD_IM_ADVANCE, 1, 0, &c, 0, err);
}

/* Dynamic shared memory: the largest GEMV member's layout (ops/gemv/layout.cuh, as family.c sizes it): its x,
 * then its warps' staging (without the ring) and the cross-warp sums; with the ring (`slots` of p->ring_slot
 * bytes), the ring from the next 128-byte boundary on. */
static uint32_t shared_bytes(const fd_persist *p, uint32_t slots)
{
    uint32_t most = 0;
    for (int i = 0; i < FD_IM_COUNT; i++) {
        const member *m = &p->m[i];
        if (!m->k || !m->cols) continue;
        uint32_t xs = m->quant ? FD_GEMV_XQ_BYTES(m->cols) : 4 * ((m->cols + FD_GEMV_FLOAT_XS_ROUND - 1) & ~3u);
        uint32_t stage = slots ? 0 : 8 * (m->quant ? FD_GEMV_STAGE_BYTES : FD_GEMV_FLOAT_STAGE_BYTES);
        uint32_t n = xs + stage + FD_GEMV_RED_BYTES;
        if (n > most) most = n;
    }
    return slots ? ((most + 127) & ~127u) + slots * p->ring_slot : most;
}

#define RING_SLOT (32u << 10)   /* bytes a ring slot, unless a row needs more or FOUNDRY_PERSIST_SLOT says */

/* The ring's slot: RING_SLOT, or room for a chunk of one row of every product of the widest GEMV member
 * (gemv_range.cuh: a product's window is the slot / products rounded down to 16, the rows plus up to 30 bytes
 * of 16-byte alignment); 0 (no ring) on devices before sm_90 (bulk copies) or with FOUNDRY_PERSIST_SLOT=0.
 * arch 0: the CPU, making the program for tools/cuemu. */
static uint32_t ring_slot(const fd_persist *p, int arch)
{
    const char *e = getenv("FOUNDRY_PERSIST_SLOT");
    uint64_t slot = e ? strtoull(e, NULL, 10) : RING_SLOT;
    if (!slot || (arch && (arch & 0xffff) < 90)) return 0;
    for (int i = 0; i < FD_IM_COUNT; i++) {
        const member *m = &p->m[i];
        uint64_t need = m->k && m->cols ? m->nout * ((m->rb + 32 + 15) & ~15ull) : 0;
        if (need > slot) slot = need;
    }
    slot = (slot + 127) & ~127ull;
    return slot <= (1u << 20) ? (uint32_t)slot : 0;
}

/* ---- source */

/* The kernel's variant: every tensor argument (prog, state, timeline) i32 words. */
static void i32_variant(fd_dtype *dt)
{
    for (int i = 0; i < MAX_TENSORS; i++) dt[i] = FD_I32;
}

static fd_status persist_dispatch(const void *a_, fd_dispatch *d, fd_error *err)
{
    const fd_persist_args *a = a_;
    (void)err;
    d->grid[0] = a->blocks;
    d->block[0] = a->threads;
    d->shared_bytes = a->smem;
    d->pdl = 0;
    return FD_OK;
}

static fd_status persist_cpu(const fd_kernel *k, const void *a, fd_error *err)
{
    (void)k, (void)a;
    return fd_error_set(err, FD_ERR_UNSUPPORTED, "the persistent step runs on a GPU; on the CPU the per-kernel step "
                        "(its twin) runs");
}

/* The dispatchers over the members: fd_persist_run (the member's code; the GEMV-based ones take the ring's
 * count of chunks consumed), fd_persist_prefetch (its weights into L2) and fd_persist_issue (chunk c of its
 * weights into a ring slot: GEMV-based members only, false past their last). */
static void dispatchers(fd_sbuf *b, const fd_persist *p)
{
    static const char *const fn[3] = { "run", "prefetch", "issue" }, *const suffix[3] = { "", "_prefetch", "_issue" };
    static const char *const params[3] = { "unsigned char *smem, u32 &seq", "u32 i0, u32 n",
                                           "u32 c, unsigned char *buf, u32 slot, u32 bar" };
    for (int f = 0; f < 3; f++) {
        fd_sbuf_printf(b, "__device__ __forceinline__ %s fd_persist_%s(const unsigned char *prog, const fd_phdr *hd, "
                       "const fd_pins &in, %s) {\n  switch (in.member) {\n", f == 2 ? "bool" : "void", fn[f], params[f]);
        for (int i = 0; i < FD_IM_COUNT; i++) {
            if (!p->m[i].k || !wrapper[i] || (f == 2 && !p->m[i].cols)) continue;
            const char *call = f == 0 ? (p->m[i].cols ? "smem, in.row0, in.row1, in.aux, seq" : "smem, in.row0, in.row1, in.aux")
                               : f == 1 ? "in.row0, in.row1, i0, n" : "in.row0, in.row1, c, buf, slot, bar";
            fd_sbuf_printf(b, "  case %d: %sm_%s::fd_member%s(((const m_%s::fd_args *)(prog + hd->margs[%d]))[in.slot], "
                           "%s);%s\n", i, f == 2 ? "return " : "", fd_imember_names[i], suffix[f],
                           fd_imember_names[i], i, call, f == 2 ? "" : " break;");
        }
        fd_sbuf_printf(b, "  default: %s;\n  }\n}\n", f == 2 ? "return false" : "break");
    }
}

static fd_status make_source(fd_persist *p, fd_error *err)
{
    fd_cuh_seen seen;
    fd_sbuf b = { 0 };
    FD_TRY(fd_kernel_prelude_seen(&seen, err));
    fd_sbuf_printf(&b, "/* the persistent decode step of %s (model/persist.c): members, then the runtime */\n",
                   p->s->w->arch->name);
    fd_status st = fd_cuh_expand(&b, "#include \"ops/persist/prog.cuh\"\n#include \"ops/persist/ring.cuh\"\n", &seen, err);
    for (int i = 0; st == FD_OK && i < FD_IM_COUNT; i++) {
        if (!p->m[i].k || !wrapper[i]) continue;
        char ns[32], extra[96];
        snprintf(ns, sizeof ns, "m_%s", fd_imember_names[i]);
        snprintf(extra, sizeof extra, "#include \"%s\"\n", wrapper[i]);
        const fd_model_hparams *hp = &p->s->w->hp;
        char pre[160] = "";
        if (p->m[i].cols) snprintf(pre, sizeof pre, "#include \"ops/persist/rows2d.cuh\"\n");   /* GEMV-based */
        if (i == FD_IM_QKV_ROWS)   /* the heads its rows fall in (its arguments are a plain GEMV's) */
            snprintf(pre, sizeof pre, "#include \"ops/persist/rows2d.cuh\"\n#define FD_PQ_HEADS %uu\n"
                     "#define FD_PQ_KV %uu\n#define FD_PQ_HD %uu\n", hp->n_heads, hp->n_kv_heads, hp->head_dim);
        if (i == FD_IM_ATTEND)   /* one instance of the attention's block, for this head_dim, a warp per 32 threads */
            snprintf(pre, sizeof pre, "#define AD_HEAD_DIM %u\n#define AD_WARPS %u\n", hp->head_dim, p->threads / 32);
        st = fd_kernel_member_source(&b, p->m[i].k, p->m[i].dt, ns, pre[0] ? pre : NULL, extra, &seen, err);
    }
    dispatchers(&b, p);
    const char *ahead = getenv("FOUNDRY_PERSIST_AHEAD");   /* "0": the prefetch a whole instruction ahead off (A/B) */
    if (ahead && !strcmp(ahead, "0")) fd_sbuf_cat(&b, "#define FD_PERSIST_AHEAD 0\n");
    fd_sbuf_printf(&b, "#define FD_PERSIST_THREADS %u\n", p->threads);
    fd_sbuf_cat(&b, "#include \"ops/persist/runtime.cuh\"\n");
    p->cuda = fd_sbuf_take(&b);
    if (st == FD_OK && !p->cuda) st = fd_error_set(err, FD_ERR_NOMEM, "persist: out of memory generating source");
    if (st != FD_OK) return st;
    int w = weight_dtype(p->m[FD_IM_GLU].k);
    /* the source's hash in the name: a kernel's identity in the foundry's table is (descriptor, code address,
     * name), and a later persist (another mode, or another shape of the same architecture) may get the
     * freed one's addresses */
    snprintf(p->name, sizeof p->name, "persist_%s_%s%s_%08x", p->s->w->arch->name,
             w >= 0 ? fd_dtype_name((fd_dtype)w) : "x", p->sampled ? "_logits" : "",
             (unsigned)fd_hash64(FD_HASH_SEED, p->cuda, strlen(p->cuda)));
    p->kernel = (fd_kernel){ .name = p->name, .args = fd_persist_args_table, .flags = FD_KERNEL_COOPERATIVE,
                             .max_block = p->threads, .dispatch = persist_dispatch, .cpu = persist_cpu, .cuda = p->cuda };
    return FD_OK;
}

/* The ring's slots at most: FD_RING_MAX, or FOUNDRY_PERSIST_SLOTS (2..FD_RING_MAX); fd_persist_create takes
 * fewer where the shared memory holds fewer. */
static uint32_t ring_slots_most(void)
{
    const char *e = getenv("FOUNDRY_PERSIST_SLOTS");
    int n = e ? atoi(e) : FD_RING_MAX;
    return n < 2 ? 2 : n > FD_RING_MAX ? FD_RING_MAX : (uint32_t)n;
}

/* Members and source, on any backend (`foundry kernels --compile-all` makes it on the CPU). */
static fd_status prepare(fd_state *s, fd_persist **out, fd_error *err)
{
    *out = NULL;
    fd_persist *p = fd_calloc(1, sizeof *p);
    if (!p) return fd_error_set(err, FD_ERR_NOMEM, "persist: out of memory");
    p->s = s;
    p->fd = s->fd;
    p->watchdog_ns = WATCHDOG_NS;
    p->threads = block_threads();
    p->sampled = s->sampling;
    fd_status st = gather(p, err);
    if (st == FD_OK) st = make_source(p, err);
    if (st != FD_OK) {
        fd_persist_destroy(p);
        return st;
    }
    p->ring_slot = ring_slot(p, fd_foundry_arch(p->fd));
    p->ring_slots = p->ring_slot ? ring_slots_most() : 0;
    p->smem = shared_bytes(p, p->ring_slots);
    *out = p;
    return FD_OK;
}

fd_status fd_state_persistent_source(fd_state *s, char *name, size_t cap, char **src, uint32_t *smem, fd_error *err)
{
    fd_persist *p;
    *src = NULL;
    FD_TRY(prepare(s, &p, err));
    *smem = shared_bytes(p, p->ring_slot ? 2 : 0);   /* the least a launch takes: the ring at 2 slots */
    fd_persist_destroy(p);
    return fd_persist_source(s, 1, name, cap, src, err);
}

fd_status fd_persist_source(fd_state *s, int whole, char *name, size_t cap, char **src, fd_error *err)
{
    fd_persist *p;
    *src = NULL;
    FD_TRY(prepare(s, &p, err));
    fd_dtype dt[MAX_TENSORS];
    i32_variant(dt);
    snprintf(name, cap, "%s", p->name);
    fd_status st = FD_OK;
    if (whole) st = fd_kernel_source(&p->kernel, dt, src, err);
    else if (!(*src = fd_malloc(strlen(p->cuda) + 1))) st = fd_error_set(err, FD_ERR_NOMEM, "persist: out of memory");
    else memcpy(*src, p->cuda, strlen(p->cuda) + 1);
    fd_persist_destroy(p);
    return st;
}

/* ---- the device side */

/* The list for p->blocks blocks, validated; with the test hook, one wait raised past what a step signals. */
static fd_status list_for(fd_persist *p, uint32_t resident, fd_error *err)
{
    const fd_weights *w = p->s->w;
    int wd = weight_dtype(p->m[FD_IM_GLU].k);
    fd_ilower_opts o = { .blocks = p->blocks, .wdtype = wd >= 0 ? (fd_dtype)wd : FD_F16, .ctx_hint = p->s->ctx,
                         .attn_splits = p->s->splits, .resident = resident, .logits_only = p->sampled };
    FD_TRY(fd_ilist_lower(w->arch, &w->hp, &o, &p->list, err));
    FD_TRY(fd_ilist_validate(&p->list, err));
    if (plant_stuck && p->list.n_wait) p->list.wait[p->list.n_wait - 1].target++;
    return FD_OK;
}

static fd_status encode(fd_persist *p, void **prog, size_t *bytes, fd_error *err)
{
    const void *margs[FD_IM_COUNT];
    uint32_t msize[FD_IM_COUNT], mcount[FD_IM_COUNT];
    for (int i = 0; i < FD_IM_COUNT; i++) {
        int runs = p->m[i].k && wrapper[i];
        margs[i] = p->m[i].args, msize[i] = p->m[i].size, mcount[i] = runs ? p->m[i].count : 0;
    }
    static const unsigned char none[16 * 4096];   /* COMBINE: no code, but its instructions name slots */
    mcount[FD_IM_COMBINE] = p->m[FD_IM_ATTEND].count;
    msize[FD_IM_COMBINE] = 16, margs[FD_IM_COMBINE] = none;
    if (mcount[FD_IM_COMBINE] > 4096) return fd_error_set(err, FD_ERR_UNSUPPORTED, "persist: more than 4096 slots");
    return fd_persist_encode(&p->list, (uint32_t)p->s->w->arch->n_steps, margs, msize, mcount, prog, bytes, err);
}

static fd_status upload(fd_persist *p, fd_error *err)
{
    void *prog = NULL;
    size_t bytes = 0;
    FD_TRY(encode(p, &prog, &bytes, err));
    p->n_ctr = p->list.n_ctr;
    fd_status st = fd_tensor_alloc(p->fd, FD_I32, 1, (int64_t[]){ (int64_t)(bytes / 4) }, FD_INIT_COPY, prog, &p->prog);
    if (st == FD_OK)
        st = fd_tensor_alloc(p->fd, FD_I32, 1, (int64_t[]){ (int64_t)(p->n_ctr + FD_PSTATE_WORDS) }, FD_INIT_ZEROS, NULL,
                             &p->state);
    if (st == FD_OK)
        st = fd_tensor_alloc(p->fd, FD_I32, 1, (int64_t[]){ 6 * (int64_t)p->list.n_ins }, FD_INIT_ZEROS, NULL,
                             &p->timeline);
    if (st != FD_OK) fd_error_set(err, st, "persist: %s", fd_foundry_error(p->fd));
    fd_free(prog);
    return st;
}

fd_status fd_persist_program(fd_state *s, uint32_t blocks, void **prog, size_t *bytes, uint32_t *n_ctr, uint32_t *smem,
                             uint32_t ring[2], fd_error *err)
{
    fd_persist *p;
    *prog = NULL;
    FD_TRY(prepare(s, &p, err));
    p->blocks = blocks;
    fd_status st = blocks && blocks <= MAX_BLOCKS ? FD_OK : fd_error_set(err, FD_ERR_RANGE, "persist: %u blocks "
                                                                         "(1..%d)", blocks, MAX_BLOCKS);
    if (st == FD_OK) st = list_for(p, blocks, err);
    if (st == FD_OK) st = encode(p, prog, bytes, err);
    *n_ctr = p->list.n_ctr;
    *smem = p->smem;
    ring[0] = p->ring_slot, ring[1] = p->ring_slots;
    fd_persist_destroy(p);
    return st;
}

fd_status fd_persist_create(fd_state *s, fd_persist **out, fd_error *err)
{
    *out = NULL;
    if (fd_foundry_backend(s->fd) != FD_BACKEND_CUDA)
        return fd_error_set(err, FD_ERR_UNSUPPORTED, "the CPU runs the per-kernel step");
    fd_persist *p;
    FD_TRY(prepare(s, &p, err));
    fd_dtype dt[MAX_TENSORS];
    i32_variant(dt);
    unsigned resident = 0, sms = fd_foundry_multiprocessors(s->fd);
    fd_status st;
    for (;;) {   /* the most ring slots a multiprocessor's shared memory holds, down to 2, else none */
        p->smem = shared_bytes(p, p->ring_slots);
        st = fd_kernel_resident(s->fd, &p->kernel, dt, p->threads, p->smem, &resident);
        if ((st == FD_OK && resident) || !p->ring_slots) break;
        p->ring_slots = p->ring_slots > 2 ? p->ring_slots - 1 : 0;
    }
    if (st != FD_OK) fd_error_set(err, st, "persist: %s", fd_foundry_error(s->fd));
    else if (!resident)
        st = fd_error_set(err, FD_ERR_UNSUPPORTED, "no block of %s fits a multiprocessor (%u threads, %u shared bytes)",
                          p->name, p->threads, p->smem);
    p->blocks = resident < sms ? resident : sms;
    if (p->blocks > MAX_BLOCKS) p->blocks = MAX_BLOCKS;
    const char *e = getenv("FOUNDRY_PERSIST_BLOCKS");   /* fewer blocks, for finding a fault: 1 runs the list in order */
    int fewer = e ? atoi(e) : 0;
    if (fewer > 0 && (unsigned)fewer < p->blocks) p->blocks = (unsigned)fewer;
    if (st == FD_OK) st = list_for(p, resident, err);
    if (st == FD_OK) st = upload(p, err);
    if (st != FD_OK) {
        fd_persist_destroy(p);
        return st;
    }
    *out = p;
    return FD_OK;
}

void fd_persist_destroy(fd_persist *p)
{
    if (!p) return;
    fd_tensor *t[] = { p->prog, p->state, p->timeline };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) (void)fd_tensor_free(t[i]);
    for (int i = 0; i < FD_IM_COUNT; i++) fd_free(p->m[i].args);
    fd_free(p->used);
    fd_free(p->used_out);
    fd_ilist_free(&p->list);
    fd_free(p->cuda);
    fd_free(p);
}

fd_status fd_persist_launch(fd_persist *p)
{
    for (uint32_t i = 0; i < p->n_used; i++) FD_TRY(fd_tensor_flush(p->used[i]));
    int trace = fd_profile_enabled(p->fd);
    FD_TRY(fd_run(p->fd, &p->kernel, &(fd_persist_args){ .prog = p->prog, .state = p->state, .timeline = p->timeline,
                                                         .watchdog_ns = p->watchdog_ns, .blocks = p->blocks,
                                                         .threads = p->threads, .smem = p->smem, .trace = (uint32_t)trace,
                                                         .ring_slot = p->ring_slot, .ring_slots = p->ring_slots }));
    p->traced |= trace;
    for (uint32_t i = 0; i < p->n_used; i++)
        if (p->used_out[i]) fd_tensor_mark_device_written(p->used[i]);
    return FD_OK;
}

fd_status fd_persist_check(fd_persist *p)
{
    uint32_t word = 0;
    FD_TRY(fd_tensor_read_range(p->state, (p->n_ctr + FD_PSTATE_ERROR) * sizeof word, &word, sizeof word));
    if (!word) return FD_OK;
    char d[128];
    fd_ilist_describe(&p->list, word - 1, d, sizeof d);
    size_t n = (p->n_ctr + FD_PSTATE_WORDS) * sizeof(uint32_t);
    unsigned char *zero = fd_calloc(1, n);   /* counters, epoch, tickets: a fresh start */
    fd_status st = zero ? fd_tensor_write(p->state, zero, n) : FD_ERR_NOMEM;
    fd_free(zero);
    if (st != FD_OK) return fd_fail(p->fd, st, "persistent step: resetting its counters after the watchdog: %s",
                                    fd_status_name(st));
    return fd_fail(p->fd, FD_ERR_DEVICE, "persistent step: the watchdog stopped the wait of %s after %.1f s without "
                   "its signal; the step's results are not valid", d, (double)p->watchdog_ns * 1e-9);
}

int fd_persist_test_uses(struct fd_state *s, const fd_tensor *t)
{
    fd_persist *p;
    fd_error err = { 0 };
    if (prepare(s, &p, &err) != FD_OK) return -1;
    int r = 0;
    for (uint32_t i = 0; i < p->n_used; i++)
        if (p->used[i] == t) r = 1 + p->used_out[i];
    fd_persist_destroy(p);
    return r;
}

fd_status fd_persist_stamps(fd_persist *p, const fd_ilist **list, uint64_t **stamps, fd_error *err)
{
    *stamps = NULL;
    *list = &p->list;
    if (!p->traced)
        return fd_error_set(err, FD_ERR_STATE, "persistent timeline: no persistent step ran while profiling was on");
    size_t n = 3 * (size_t)p->list.n_ins;
    uint64_t *t = fd_malloc(n * sizeof *t);
    if (!t) return fd_error_set(err, FD_ERR_NOMEM, "persistent timeline: out of memory");
    if (fd_tensor_read(p->timeline, t, n * sizeof *t) != FD_OK) {
        fd_free(t);
        return fd_error_set(err, FD_ERR_DEVICE, "persistent timeline: %s", fd_foundry_error(p->fd));
    }
    *stamps = t;
    return FD_OK;
}

int fd_persist_sampled(const fd_persist *p) { return p->sampled; }

const char *fd_persist_describe(const fd_persist *p, uint32_t *blocks, uint32_t *threads, uint32_t *smem,
                                uint32_t ring[2])
{
    if (ring) ring[0] = p->ring_slot, ring[1] = p->ring_slots;
    if (blocks) *blocks = p->blocks;
    if (threads) *threads = p->threads;
    if (smem) *smem = p->smem;
    return p->name;
}
