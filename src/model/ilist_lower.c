/* ilist_lower.c — the decode step's instruction list from the layer plan
 * (ilist_lower.h): embed, per layer the plan's steps, the head, the argmax
 * (per head range on the block that wrote it, then one pick) and the
 * position's advance (or, for a sampled step, the list ends with the
 * head), each product's rows split over the blocks.
 *
 * Layer: model. How it lowers:
 *   - every activation version is a buffer of its own ("h.3": the residual
 *     after layer 1's attention; a few hundred KiB for a whole model), so
 *     the only hazards within a step are read-after-write, and the carried
 *     buffers (token, position, history entry, the cache rows at pos) are
 *     read before the one instruction that writes them;
 *   - a product's rows are split into about `blocks` ranges (never across a
 *     kv group or a head where a finer wait needs that), each range placed
 *     on the block that streams the fewest weight bytes so far among those
 *     without a range of the same product: the blocks' shares balance by
 *     bytes (within 1% at 132 blocks), and a block's list holds one range of
 *     each product in turn, so while it waits for a product's input it can
 *     prefetch that product's weights (read-only);
 *   - waits at the finest grain the members allow: a GEMV waits for every
 *     writer of its input vector (one counter per activation version); the
 *     attention of a head (each head and context split an instruction of its
 *     own) waits for the q/k/v rows of its kv group only (a counter per
 *     group), a context split's merge for its group's splits.
 *     The residual rows a PROJ_RES reads are ordered transitively (its
 *     input's producers waited on all of them); the validator checks it. */
#include <stdio.h>
#include <string.h>
#include "model/ilist_lower.h"
#include "base/mem.h"

const char *const fd_imember_names[FD_IM_COUNT] = {
#define FD_IMEMBER_NAME_(m, name) name,
    FD_IMEMBER_LIST(FD_IMEMBER_NAME_)
#undef FD_IMEMBER_NAME_
};

#define RING (64u << 10)        /* shared memory a GEMV stages its weights through */
#define OVERHEAD 4096u          /* bytes a block's share counts per instruction besides its weights */

static const char *const act_name[FD_ACT_COUNT] = { "h", "q", "att", "ff" };

typedef struct lower {
    fd_ilist *l;
    const fd_model_hparams *hp;
    fd_error *err;
    uint64_t *load;               /* (blocks) bytes each block's list streams so far */
    char *used;                   /* (blocks) the block has a range of the current product */
    uint32_t n_used;
    uint32_t blocks, splits, ctx;
    double bpe;                   /* weight bytes per element */
    uint32_t layer, step;         /* the layer and plan step being lowered (FD_INONE outside the layers) */
    uint32_t cur[FD_ACT_COUNT];   /* each activation's current version (buffer), or FD_INONE */
    uint32_t ready[FD_ACT_COUNT]; /* the counter all its writers signal, or FD_INONE (written per group) */
    uint32_t nver[FD_ACT_COUNT];
    uint32_t qkv_ctr;             /* the first of the layer's kv groups' counters, or FD_INONE */
    uint32_t kbuf, vbuf;          /* the layer's cache rows at pos */
    uint32_t ids, pos, hist;
    int logits_only;              /* the list ends with the head (fd_ilower_opts) */
} lower;

static uint32_t act_width(const fd_model_hparams *hp, fd_act_name n)
{
    return n == FD_ACT_H ? hp->hidden : n == FD_ACT_FF ? hp->ffn : hp->n_heads * hp->head_dim;
}

/* A new product: its ranges go to distinct blocks while there are blocks left (a block with two ranges of one
 * product would double that product's time). */
static void product(lower *lw)
{
    memset(lw->used, 0, lw->blocks);
    lw->n_used = 0;
}

/* The block streaming the fewest bytes so far among those without a range of this product; it takes `bytes`
 * more. */
static uint32_t pick(lower *lw, uint64_t bytes)
{
    if (lw->n_used == lw->blocks) product(lw);
    uint32_t b = FD_INONE;
    for (uint32_t k = 0; k < lw->blocks; k++)
        if (!lw->used[k] && (b == FD_INONE || lw->load[k] < lw->load[b])) b = k;
    lw->used[b] = 1, lw->n_used++;
    lw->load[b] += bytes + OVERHEAD;
    return b;
}

/* An instruction on `block`, or FD_INONE: on the block pick() chooses. */
static fd_status push_on(lower *lw, uint32_t block, fd_imember m, uint32_t r0, uint32_t r1, uint64_t wbytes,
                         uint32_t smem_x, uint32_t signal)
{
    fd_instr in = { .member = m, .layer = lw->layer, .step = lw->step, .row0 = r0, .row1 = r1, .signal = signal,
                    .wbytes = wbytes,
                    .smem = smem_x + (uint32_t)(wbytes < RING ? wbytes : RING) };
    if (block == FD_INONE) in.block = pick(lw, wbytes);
    else in.block = block, lw->load[block] += wbytes + OVERHEAD;
    return fd_ilist_push(lw->l, &in);
}

static fd_status push(lower *lw, fd_imember m, uint32_t r0, uint32_t r1, uint64_t wbytes, uint32_t smem_x,
                      uint32_t signal)
{
    return push_on(lw, FD_INONE, m, r0, r1, wbytes, smem_x, signal);
}

static fd_status rd(lower *lw, uint32_t buf, uint64_t lo, uint64_t hi) { return fd_ilist_range(lw->l, 0, buf, lo, hi); }
static fd_status wr(lower *lw, uint32_t buf, uint64_t lo, uint64_t hi) { return fd_ilist_range(lw->l, 1, buf, lo, hi); }

/* A new version of activation n: its buffer and, unless `per_group`, the counter its writers signal. */
static fd_status new_version(lower *lw, fd_act_name n, int per_group)
{
    char name[24];
    snprintf(name, sizeof name, "%s.%u", act_name[n], lw->nver[n]++);
    FD_TRY(fd_ilist_buffer(lw->l, name, act_width(lw->hp, n), 0, &lw->cur[n]));
    lw->ready[n] = FD_INONE;
    return per_group ? FD_OK : fd_ilist_counter(lw->l, name, &lw->ready[n]);
}

/* `n` counters "what.L.k", the first into *first. */
static fd_status counters(lower *lw, const char *what, uint32_t n, uint32_t *first)
{
    char name[24];
    for (uint32_t k = 0; k < n; k++) {
        uint32_t id;
        snprintf(name, sizeof name, "%s.%u.%u", what, lw->layer, k);
        FD_TRY(fd_ilist_counter(lw->l, name, &id));
        if (!k) *first = id;
    }
    return FD_OK;
}

static uint64_t wbytes(const lower *lw, uint64_t rows, uint64_t cols) { return (uint64_t)(lw->bpe * (double)(rows * cols) + 0.5); }

/* Splits `n_seg` segments of `units` into about `parts` ranges in all, none
 * across a segment; emit pushes the instruction of each. */
typedef fd_status (*emit_fn)(lower *lw, uint32_t seg, uint32_t u0, uint32_t u1, const void *ctx);
static fd_status split(lower *lw, uint32_t n_seg, uint32_t units, uint32_t parts, emit_fn emit, const void *ctx)
{
    uint32_t ps = parts / n_seg;
    product(lw);
    if (ps < 1) ps = 1;
    if (ps > units) ps = units;
    for (uint32_t s = 0; s < n_seg; s++)
        for (uint32_t k = 0; k < ps; k++)
            FD_TRY(emit(lw, s, (uint32_t)((uint64_t)units * k / ps), (uint32_t)((uint64_t)units * (k + 1) / ps), ctx));
    return FD_OK;
}

/* Reads of a whole activation, after a wait on its writers. */
static fd_status read_whole(lower *lw, fd_act_name n)
{
    FD_TRY(fd_ilist_wait(lw->l, lw->ready[n]));
    return rd(lw, lw->cur[n], 0, act_width(lw->hp, n));
}

/* ---- the members' emitters */

static fd_status emit_embed(lower *lw, uint32_t seg, uint32_t u0, uint32_t u1, const void *ctx)
{
    (void)seg, (void)ctx;
    FD_TRY(push(lw, FD_IM_EMBED, u0, u1, wbytes(lw, 1, u1 - u0), 0, lw->ready[FD_ACT_H]));
    FD_TRY(rd(lw, lw->ids, 0, 1));
    return wr(lw, lw->cur[FD_ACT_H], u0, u1);
}

/* A GEMV over rows [u0, u1) of a product whose input is read whole.
 * ctx: { member, in act, out act, old out version (or FD_INONE), products per row }. */
typedef struct gemv_ctx { fd_imember m; fd_act_name in, out; uint32_t old_out, products; } gemv_ctx;
static fd_status emit_gemv(lower *lw, uint32_t seg, uint32_t u0, uint32_t u1, const void *ctx)
{
    (void)seg;
    const gemv_ctx *c = ctx;
    uint32_t cols = act_width(lw->hp, c->in);
    FD_TRY(push(lw, c->m, u0, u1, wbytes(lw, (uint64_t)c->products * (u1 - u0), cols), 4 * cols, lw->ready[c->out]));
    FD_TRY(read_whole(lw, c->in));
    if (c->old_out != FD_INONE) FD_TRY(rd(lw, c->old_out, u0, u1));   /* the residual: ordered transitively */
    return wr(lw, lw->cur[c->out], u0, u1);
}

/* Rotary pairs [u0, u1) of kv group g: slot j < rep is q head g rep + j, then k, then v; pair i of a slot is
 * rows i and i + hd / 2 (RoPE rotates them together). */
static fd_status emit_qkv(lower *lw, uint32_t g, uint32_t u0, uint32_t u1, const void *ctx)
{
    (void)ctx;
    const fd_model_hparams *hp = lw->hp;
    uint32_t hd = hp->head_dim, half = hd / 2, rep = hp->n_heads / hp->n_kv_heads, units = (rep + 2) * half;
    FD_TRY(push(lw, FD_IM_QKV, g * units + u0, g * units + u1, wbytes(lw, 2ull * (u1 - u0), hp->hidden),
                4 * hp->hidden, lw->qkv_ctr + g));
    FD_TRY(read_whole(lw, FD_ACT_H));
    FD_TRY(rd(lw, lw->pos, 0, 1));
    for (uint32_t u = u0; u < u1;) {
        uint32_t j = u / half, i0 = u % half, i1 = u1 - j * half < half ? u1 - j * half : half;
        uint32_t buf = j < rep ? lw->cur[FD_ACT_Q] : j == rep ? lw->kbuf : lw->vbuf;
        uint64_t base = j < rep ? (uint64_t)(g * rep + j) * hd : (uint64_t)g * hd;
        FD_TRY(wr(lw, buf, base + i0, base + i1));
        FD_TRY(wr(lw, buf, base + half + i0, base + half + i1));
        u = j * half + i1;
    }
    return FD_OK;
}

/* Rows [u0, u1) of head slot s of y (group-major: group g's rep q heads, its k head, its v head). */
typedef struct rows_ctx { uint32_t y, ctr; } rows_ctx;
static fd_status emit_qkv_rows(lower *lw, uint32_t s, uint32_t u0, uint32_t u1, const void *ctx)
{
    const rows_ctx *c = ctx;
    uint32_t hd = lw->hp->head_dim;
    FD_TRY(push(lw, FD_IM_QKV_ROWS, s * hd + u0, s * hd + u1, wbytes(lw, u1 - u0, lw->hp->hidden), 4 * lw->hp->hidden,
                c->ctr + s));
    FD_TRY(read_whole(lw, FD_ACT_H));
    return wr(lw, c->y, (uint64_t)s * hd + u0, (uint64_t)s * hd + u1);
}

static fd_status lower_qkv(lower *lw, const fd_plan_step *st)
{
    const fd_model_hparams *hp = lw->hp;
    uint32_t KV = hp->n_kv_heads, hd = hp->head_dim, rep = hp->n_heads / KV;
    char name[24];
    if (st->in != FD_ACT_H || st->out != FD_ACT_Q)
        return fd_error_set(lw->err, FD_ERR_INVALID, "ilist: layer %u: a QKV step reads h and writes q", lw->layer);
    FD_TRY(new_version(lw, FD_ACT_Q, 1));
    snprintf(name, sizeof name, "k.%u", lw->layer);
    FD_TRY(fd_ilist_buffer(lw->l, name, (uint64_t)KV * hd, FD_IBUF_CARRIED, &lw->kbuf));
    snprintf(name, sizeof name, "v.%u", lw->layer);
    FD_TRY(fd_ilist_buffer(lw->l, name, (uint64_t)KV * hd, FD_IBUF_CARRIED, &lw->vbuf));
    FD_TRY(counters(lw, "qkv", KV, &lw->qkv_ctr));
    if (!(st->opts & FD_STEP_QK_NORM)) return split(lw, KV, (rep + 2) * (hd / 2), lw->blocks, emit_qkv, NULL);
    /* q/k normalized per head: the products' rows into y, then a head at a time */
    uint32_t slots = KV * (rep + 2);
    rows_ctx c;
    snprintf(name, sizeof name, "y.%u", lw->layer);
    FD_TRY(fd_ilist_buffer(lw->l, name, (uint64_t)slots * hd, 0, &c.y));
    FD_TRY(counters(lw, "y", slots, &c.ctr));
    FD_TRY(split(lw, slots, hd, lw->blocks, emit_qkv_rows, &c));
    product(lw);
    for (uint32_t s = 0; s < slots; s++) {
        uint32_t g = s / (rep + 2), j = s % (rep + 2);
        FD_TRY(push(lw, FD_IM_QK_NORM, s, s + 1, 0, 4 * hd, lw->qkv_ctr + g));
        FD_TRY(fd_ilist_wait(lw->l, c.ctr + s));
        FD_TRY(rd(lw, c.y, (uint64_t)s * hd, (uint64_t)(s + 1) * hd));
        FD_TRY(rd(lw, lw->pos, 0, 1));
        uint32_t buf = j < rep ? lw->cur[FD_ACT_Q] : j == rep ? lw->kbuf : lw->vbuf;
        uint64_t base = j < rep ? (uint64_t)(g * rep + j) * hd : (uint64_t)g * hd;
        FD_TRY(wr(lw, buf, base, base + hd));
    }
    return FD_OK;
}

/* Per query head, `splits` context splits (each the head over its share of the cache; the heads of a kv group
 * run on different blocks, as the per-kernel attention's blocks do), merged by a COMBINE per kv group when there
 * are several: the last split of a head to finish merges them (m_attend.cuh), the COMBINE orders att's readers. */
static fd_status lower_attend(lower *lw, const fd_plan_step *st)
{
    const fd_model_hparams *hp = lw->hp;
    uint32_t H = hp->n_heads, KV = hp->n_kv_heads, hd = hp->head_dim, rep = H / KV, S = lw->splits;
    uint64_t per = hd + 2, part_g = (uint64_t)rep * S * per, cache = 4ull * lw->ctx / S * hd;
    uint32_t part = FD_INONE, part_ctr = FD_INONE, q = lw->cur[FD_ACT_Q];
    if (st->in != FD_ACT_Q || st->out != FD_ACT_ATT || lw->qkv_ctr == FD_INONE)
        return fd_error_set(lw->err, FD_ERR_INVALID, "ilist: layer %u: ATTEND reads the q of a QKV step before it "
                            "and writes att", lw->layer);
    FD_TRY(new_version(lw, FD_ACT_ATT, 0));
    if (S > 1) {   /* (H, S, hd + 2), head-major: a group's heads are one range */
        char name[24];
        snprintf(name, sizeof name, "part.%u", lw->layer);
        FD_TRY(fd_ilist_buffer(lw->l, name, KV * part_g, 0, &part));
        FD_TRY(counters(lw, "part", KV, &part_ctr));
    }
    product(lw);
    for (uint32_t h = 0; h < H; h++)
        for (uint32_t s = 0; s < S; s++) {
            uint32_t g = h / rep;
            FD_TRY(push(lw, FD_IM_ATTEND, h * S + s, h * S + s + 1, cache, 4 * (uint32_t)(3 * hd),
                        S > 1 ? part_ctr + g : lw->ready[FD_ACT_ATT]));
            FD_TRY(fd_ilist_wait(lw->l, lw->qkv_ctr + g));
            FD_TRY(rd(lw, q, (uint64_t)h * hd, (uint64_t)(h + 1) * hd));
            FD_TRY(rd(lw, lw->kbuf, (uint64_t)g * hd, (uint64_t)(g + 1) * hd));
            FD_TRY(rd(lw, lw->vbuf, (uint64_t)g * hd, (uint64_t)(g + 1) * hd));
            FD_TRY(rd(lw, lw->pos, 0, 1));
            uint64_t at = ((uint64_t)h * S + s) * per;
            if (S > 1) FD_TRY(wr(lw, part, at, at + per));
            else FD_TRY(wr(lw, lw->cur[FD_ACT_ATT], (uint64_t)h * hd, (uint64_t)(h + 1) * hd));
        }
    product(lw);
    for (uint32_t g = 0; S > 1 && g < KV; g++) {
        FD_TRY(push(lw, FD_IM_COMBINE, g, g + 1, 0, 4 * (uint32_t)part_g, lw->ready[FD_ACT_ATT]));
        FD_TRY(fd_ilist_wait(lw->l, part_ctr + g));
        FD_TRY(rd(lw, part, g * part_g, (g + 1) * part_g));
        FD_TRY(wr(lw, lw->cur[FD_ACT_ATT], (uint64_t)g * rep * hd, (uint64_t)(g + 1) * rep * hd));
    }
    return FD_OK;
}

static fd_status lower_step(lower *lw, const fd_plan_step *st)
{
    if (st->in >= FD_ACT_COUNT || st->out >= FD_ACT_COUNT)
        return fd_error_set(lw->err, FD_ERR_INVALID, "ilist: layer %u: a step names activation %d -> %d", lw->layer,
                            (int)st->in, (int)st->out);
    switch (st->op) {
    case FD_OP_QKV: return lower_qkv(lw, st);
    case FD_OP_ATTEND: return lower_attend(lw, st);
    case FD_OP_PROJ_RES:
    case FD_OP_GLU: {
        int res = st->op == FD_OP_PROJ_RES;
        if (lw->ready[st->in] == FD_INONE || (res && lw->cur[st->out] == FD_INONE) || st->in == st->out)
            return fd_error_set(lw->err, FD_ERR_INVALID, "ilist: layer %u: %s reads %s, which no step before it "
                                "writes whole", lw->layer, fd_imember_names[res ? FD_IM_PROJ_RES : FD_IM_GLU],
                                act_name[st->in]);
        gemv_ctx c = { res ? FD_IM_PROJ_RES : FD_IM_GLU, st->in, st->out, res ? lw->cur[st->out] : FD_INONE,
                       res ? 1 : 2 };
        FD_TRY(new_version(lw, st->out, 0));
        return split(lw, 1, act_width(lw->hp, st->out), lw->blocks, emit_gemv, &c);
    }
    }
    return fd_error_set(lw->err, FD_ERR_INVALID, "ilist: layer %u: step op %d has no instruction-list lowering",
                        lw->layer, (int)st->op);
}

static fd_status lower_all(lower *lw, const fd_arch *a)
{
    const fd_model_hparams *hp = lw->hp;
    fd_ilist *l = lw->l;
    uint32_t logits, amax, c_amax, c_token, P = lw->blocks < hp->vocab ? lw->blocks : hp->vocab;
    FD_TRY(fd_ilist_buffer(l, "ids", 1, FD_IBUF_CARRIED, &lw->ids));
    FD_TRY(fd_ilist_buffer(l, "pos", 1, FD_IBUF_CARRIED, &lw->pos));
    FD_TRY(fd_ilist_buffer(l, "hist", 1, FD_IBUF_CARRIED, &lw->hist));   /* the history entry at pos + 1 */
    lw->layer = lw->step = FD_INONE;
    FD_TRY(new_version(lw, FD_ACT_H, 0));
    uint32_t ep = hp->hidden / 256;
    FD_TRY(split(lw, 1, hp->hidden, ep < 1 ? 1 : ep, emit_embed, NULL));
    for (uint32_t L = 0; L < hp->n_layers; L++) {
        lw->layer = L;
        lw->qkv_ctr = FD_INONE;
        for (size_t i = 0; i < a->n_steps; i++) {
            lw->step = (uint32_t)i;
            FD_TRY(lower_step(lw, &a->plan[i]));
        }
    }
    lw->layer = lw->step = FD_INONE;
    /* the head's ranges; each block's argmax over the range it just wrote needs no wait (program order), the
     * pick waits for every range's maximum */
    FD_TRY(fd_ilist_buffer(l, "logits", hp->vocab, 0, &logits));
    product(lw);
    uint32_t first = l->n_ins;
    for (uint32_t k = 0; k < P; k++) {
        uint32_t r0 = (uint32_t)((uint64_t)hp->vocab * k / P), r1 = (uint32_t)((uint64_t)hp->vocab * (k + 1) / P);
        FD_TRY(push(lw, FD_IM_HEAD, r0, r1, wbytes(lw, r1 - r0, hp->hidden), 4 * hp->hidden, FD_INONE));
        FD_TRY(read_whole(lw, FD_ACT_H));
        FD_TRY(wr(lw, logits, r0, r1));
    }
    if (lw->logits_only) return fd_ilist_place(l);   /* the sampler and the advance follow as kernels */
    FD_TRY(fd_ilist_buffer(l, "amax", 2ull * P, 0, &amax));   /* (P, 2): each range's largest logit and its id */
    FD_TRY(fd_ilist_counter(l, "amax", &c_amax));
    FD_TRY(fd_ilist_counter(l, "token", &c_token));
    for (uint32_t k = 0; k < P; k++) {
        const fd_instr *h = &l->ins[first + k];
        uint32_t r0 = h->row0, r1 = h->row1;
        FD_TRY(push_on(lw, h->block, FD_IM_ARGMAX, r0, r1, 0, 1024, c_amax));
        FD_TRY(rd(lw, logits, r0, r1));
        FD_TRY(wr(lw, amax, 2ull * k, 2ull * k + 2));
    }
    product(lw);
    FD_TRY(push(lw, FD_IM_PICK, 0, 1, 0, 1024, c_token));
    FD_TRY(fd_ilist_wait(l, c_amax));
    FD_TRY(rd(lw, amax, 0, 2ull * P));
    FD_TRY(wr(lw, lw->ids, 0, 1));
    FD_TRY(push(lw, FD_IM_ADVANCE, 0, 1, 0, 0, FD_INONE));
    FD_TRY(fd_ilist_wait(l, c_token));
    FD_TRY(rd(lw, lw->ids, 0, 1));
    FD_TRY(rd(lw, lw->pos, 0, 1));
    FD_TRY(wr(lw, lw->pos, 0, 1));
    FD_TRY(wr(lw, lw->hist, 0, 1));
    return fd_ilist_place(l);
}

fd_status fd_ilist_lower(const fd_arch *a, const fd_model_hparams *hp, const fd_ilower_opts *o, fd_ilist *out,
                         fd_error *err)
{
    uint32_t S = o->attn_splits;
    fd_ilist_init(out, o->blocks, o->smem_budget ? o->smem_budget : 227u << 10, o->resident ? o->resident : o->blocks,
                  fd_imember_names, FD_IM_COUNT);
    if (!o->blocks || !hp->n_layers || !hp->hidden || !hp->n_heads || !hp->n_kv_heads || hp->n_heads % hp->n_kv_heads ||
        !hp->head_dim || hp->head_dim % 2 || !hp->ffn || !hp->vocab)
        return fd_error_set(err, FD_ERR_INVALID, "ilist: cannot lower %u blocks over L %u D %u H %u KV %u hd %u F %u "
                            "V %u", o->blocks, hp->n_layers, hp->hidden, hp->n_heads, hp->n_kv_heads, hp->head_dim,
                            hp->ffn, hp->vocab);
    if (!S) {   /* a block per head and split */
        S = o->blocks / hp->n_heads;
        S = S < 1 ? 1 : S > 8 ? 8 : S;
    }
    lower lw = { .l = out, .hp = hp, .err = err, .blocks = o->blocks, .splits = S,
                 .ctx = o->ctx_hint ? o->ctx_hint : 1024, .qkv_ctr = FD_INONE, .logits_only = o->logits_only,
                 .bpe = (double)fd_dtype_block_bytes(o->wdtype) / (double)fd_dtype_block_elems(o->wdtype) };
    for (int n = 0; n < FD_ACT_COUNT; n++) lw.cur[n] = lw.ready[n] = FD_INONE;
    lw.load = fd_calloc(o->blocks, sizeof *lw.load);
    lw.used = fd_calloc(o->blocks, 1);
    fd_status st = lw.load && lw.used ? lower_all(&lw, a) : FD_ERR_NOMEM;
    if (st == FD_ERR_NOMEM) fd_error_set(err, st, "ilist: out of memory lowering %u layers", hp->n_layers);
    else if (st != FD_OK) fd_error_set(err, st, "ilist: lowering failed");
    fd_free(lw.load), fd_free(lw.used);
    return st;
}
