/* ilist.c — the instruction list's builder and validator (ilist.h has the
 * structure and the invariants checked here).
 *
 * Layer: kernel. The validator checks the rules in an order where each may
 * rely on the ones before: placement and block order first (program order is
 * then well defined), counters next (a wait's signallers then all precede
 * it), writes' bounds and overlaps, then happens-before: a vector clock per
 * instruction (for each block, how many instructions of its list are known
 * done when it starts), merged along program order and along each wait from
 * the counter's signallers. A read and the write of the same element are
 * ordered when the earlier one's position is under the later one's clock. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "base/mem.h"
#include "kernel/ilist.h"

void fd_ilist_init(fd_ilist *l, uint32_t n_blocks, uint32_t smem_budget, uint32_t resident,
                   const char *const *member_names, uint32_t n_members)
{
    memset(l, 0, sizeof *l);
    l->n_blocks = n_blocks;
    l->smem_budget = smem_budget;
    l->resident = resident;
    l->member_names = member_names;
    l->n_members = n_members;
}

void fd_ilist_free(fd_ilist *l)
{
    fd_free(l->ins), fd_free(l->rng), fd_free(l->wait), fd_free(l->buf), fd_free(l->ctr);
    fd_free(l->block_start), fd_free(l->block_ins);
    memset(l, 0, sizeof *l);
}

/* Room for one more element of *p (n used of *cap, `size` bytes each). */
static fd_status grow(void **p, uint32_t n, uint32_t *cap, size_t size)
{
    if (n < *cap) return FD_OK;
    uint32_t c = *cap ? 2 * *cap : 64;
    void *q = fd_realloc(*p, (size_t)c * size);
    if (!q) return FD_ERR_NOMEM;
    *p = q;
    *cap = c;
    return FD_OK;
}

fd_status fd_ilist_buffer(fd_ilist *l, const char *name, uint64_t elems, unsigned flags, uint32_t *id)
{
    FD_TRY(grow((void **)&l->buf, l->n_buf, &l->cap_buf, sizeof *l->buf));
    fd_ibuf *b = &l->buf[l->n_buf];
    snprintf(b->name, sizeof b->name, "%s", name);
    b->elems = elems;
    b->flags = flags;
    *id = l->n_buf++;
    return FD_OK;
}

fd_status fd_ilist_counter(fd_ilist *l, const char *name, uint32_t *id)
{
    FD_TRY(grow((void **)&l->ctr, l->n_ctr, &l->cap_ctr, sizeof *l->ctr));
    snprintf(l->ctr[l->n_ctr].name, sizeof l->ctr[l->n_ctr].name, "%s", name);
    l->ctr[l->n_ctr].per_step = 0;
    *id = l->n_ctr++;
    return FD_OK;
}

fd_status fd_ilist_push(fd_ilist *l, const fd_instr *in)
{
    FD_TRY(grow((void **)&l->ins, l->n_ins, &l->cap_ins, sizeof *l->ins));
    fd_instr *t = &l->ins[l->n_ins++];
    *t = *in;
    t->rng0 = l->n_rng, t->n_rng = 0;
    t->wait0 = l->n_wait, t->n_wait = 0;
    if (t->signal != FD_INONE && t->signal < l->n_ctr) l->ctr[t->signal].per_step++;
    return FD_OK;
}

fd_status fd_ilist_range(fd_ilist *l, int write, uint32_t buf, uint64_t lo, uint64_t hi)
{
    if (!l->n_ins) return FD_ERR_STATE;
    FD_TRY(grow((void **)&l->rng, l->n_rng, &l->cap_rng, sizeof *l->rng));
    l->rng[l->n_rng++] = (fd_irange){ buf, write, lo, hi };
    l->ins[l->n_ins - 1].n_rng++;
    return FD_OK;
}

fd_status fd_ilist_wait(fd_ilist *l, uint32_t counter)
{
    if (!l->n_ins || counter >= l->n_ctr) return FD_ERR_STATE;
    FD_TRY(grow((void **)&l->wait, l->n_wait, &l->cap_wait, sizeof *l->wait));
    l->wait[l->n_wait++] = (fd_iwait){ counter, l->ctr[counter].per_step };
    l->ins[l->n_ins - 1].n_wait++;
    return FD_OK;
}

fd_status fd_ilist_place(fd_ilist *l)
{
    fd_free(l->block_start), fd_free(l->block_ins);
    l->block_start = fd_calloc((size_t)l->n_blocks + 1, sizeof *l->block_start);
    l->block_ins = fd_calloc(l->n_ins ? l->n_ins : 1, sizeof *l->block_ins);
    if (!l->block_start || !l->block_ins) return FD_ERR_NOMEM;
    for (uint32_t i = 0; i < l->n_ins; i++) {
        if (l->ins[i].block >= l->n_blocks) return FD_ERR_INVALID;
        l->block_start[l->ins[i].block + 1]++;
    }
    for (uint32_t b = 0; b < l->n_blocks; b++) l->block_start[b + 1] += l->block_start[b];
    uint32_t *fill = fd_calloc(l->n_blocks ? l->n_blocks : 1, sizeof *fill);
    if (!fill) return FD_ERR_NOMEM;
    for (uint32_t i = 0; i < l->n_ins; i++) {
        uint32_t b = l->ins[i].block;
        l->block_ins[l->block_start[b] + fill[b]++] = i;
    }
    fd_free(fill);
    return FD_OK;
}

void fd_ilist_describe(const fd_ilist *l, uint32_t i, char *buf, size_t cap)
{
    const fd_instr *t = &l->ins[i];
    const char *m = t->member < l->n_members && l->member_names ? l->member_names[t->member] : "?";
    char layer[16] = "";
    if (t->layer != FD_INONE) snprintf(layer, sizeof layer, " L%u", t->layer);
    snprintf(buf, cap, "#%u %s%s rows %u..%u on block %u", i, m, layer, t->row0, t->row1, t->block);
}

/* ---- the validator */

typedef struct vstate {
    const fd_ilist *l;
    fd_error *err;
    uint32_t *where;    /* (n_ins) block of each instruction, from the lists */
    uint32_t *pos;      /* (n_ins) its position in that block's list */
    uint64_t *off;      /* (n_buf + 1) first element of each buffer in `writer` */
    uint32_t *writer;   /* (off[n_buf]) the instruction writing each element, or FD_INONE */
    uint32_t *clock;    /* (n_ins, n_blocks) */
    uint32_t *cclock;   /* (n_ctr, n_blocks) the merged clocks of each counter's signallers */
} vstate;

static fd_status fail(vstate *v, uint32_t i, const char *rule, const char *fmt, ...) FD_PRINTF(4, 5);
static fd_status fail(vstate *v, uint32_t i, const char *rule, const char *fmt, ...)
{
    char what[160], detail[600];
    fd_ilist_describe(v->l, i, what, sizeof what);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    return fd_error_set(v->err, FD_ERR_INVALID, "ilist: %s: rule %s: %s", what, rule, detail);
}

/* Rule 1: every instruction in exactly one list, each list in the global order. */
static fd_status check_placement(vstate *v)
{
    const fd_ilist *l = v->l;
    if (!l->n_blocks || !l->block_start || !l->block_ins)
        return fd_error_set(v->err, FD_ERR_INVALID, "ilist: rule placement: no blocks' lists (fd_ilist_place)");
    for (uint32_t i = 0; i < l->n_ins; i++) v->where[i] = FD_INONE;
    for (uint32_t b = 0; b < l->n_blocks; b++) {
        if (l->block_start[b + 1] < l->block_start[b] || l->block_start[b + 1] > l->block_start[l->n_blocks])
            return fd_error_set(v->err, FD_ERR_INVALID, "ilist: rule placement: block %u's list bounds", b);
        for (uint32_t k = l->block_start[b]; k < l->block_start[b + 1]; k++) {
            uint32_t i = l->block_ins[k];
            if (i >= l->n_ins)
                return fd_error_set(v->err, FD_ERR_INVALID, "ilist: rule placement: block %u lists #%u of %u", b, i,
                                    l->n_ins);
            if (v->where[i] != FD_INONE)
                return fail(v, i, "placement", "in the lists of blocks %u and %u", v->where[i], b);
            if (k > l->block_start[b] && l->block_ins[k - 1] > i)
                return fail(v, i, "block-order", "block %u runs it after #%u, against the global order", b,
                            l->block_ins[k - 1]);
            v->where[i] = b;
            v->pos[i] = k - l->block_start[b];
        }
    }
    for (uint32_t i = 0; i < l->n_ins; i++)
        if (v->where[i] == FD_INONE) return fail(v, i, "placement", "in no block's list (never runs)");
    if (l->n_blocks > l->resident)
        return fd_error_set(v->err, FD_ERR_INVALID, "ilist: rule co-residency: %u blocks, %u co-resident: a block "
                            "waiting on one never started would wait forever", l->n_blocks, l->resident);
    return FD_OK;
}

/* Ranges and counters in bounds; rule 2 (every signaller of a waited counter
 * before the waiter, the target their number); rule 4's shared memory. */
static fd_status check_counters(vstate *v)
{
    const fd_ilist *l = v->l;
    uint32_t *seen = fd_calloc(l->n_ctr ? l->n_ctr : 1, sizeof *seen);
    if (!seen) return FD_ERR_NOMEM;
    fd_status st = FD_OK;
    for (uint32_t i = 0; st == FD_OK && i < l->n_ins; i++) {   /* the signals each counter gets */
        uint32_t c = l->ins[i].signal;
        if (c != FD_INONE && c >= l->n_ctr) st = fail(v, i, "bounds", "signals counter %u of %u", c, l->n_ctr);
        else if (c != FD_INONE) seen[c]++;
    }
    for (uint32_t c = 0; st == FD_OK && c < l->n_ctr; c++)
        if (seen[c] != l->ctr[c].per_step)
            st = fd_error_set(v->err, FD_ERR_INVALID, "ilist: rule counter-count: counter %s counts %u signals a "
                              "step, %u instructions give them", l->ctr[c].name, l->ctr[c].per_step, seen[c]);
    if (st == FD_OK) memset(seen, 0, (l->n_ctr ? l->n_ctr : 1) * sizeof *seen);
    for (uint32_t i = 0; st == FD_OK && i < l->n_ins; i++) {
        const fd_instr *t = &l->ins[i];
        if (t->member >= l->n_members) st = fail(v, i, "bounds", "member %u of %u", t->member, l->n_members);
        else if (t->smem > l->smem_budget)
            st = fail(v, i, "smem", "holds %u bytes of shared memory while it waits, over the block's %u", t->smem,
                      l->smem_budget);
        for (uint32_t k = 0; st == FD_OK && k < t->n_rng; k++) {
            const fd_irange *r = &l->rng[t->rng0 + k];
            if (r->buf >= l->n_buf) st = fail(v, i, "bounds", "names buffer %u of %u", r->buf, l->n_buf);
            else if (r->lo >= r->hi || r->hi > l->buf[r->buf].elems)
                st = fail(v, i, "bounds", "%s %s[%llu..%llu) of %llu elements", r->write ? "writes" : "reads",
                          l->buf[r->buf].name, (unsigned long long)r->lo, (unsigned long long)r->hi,
                          (unsigned long long)l->buf[r->buf].elems);
        }
        for (uint32_t k = 0; st == FD_OK && k < t->n_wait; k++) {
            const fd_iwait *w = &l->wait[t->wait0 + k];
            if (w->counter >= l->n_ctr) {
                st = fail(v, i, "bounds", "waits on counter %u of %u", w->counter, l->n_ctr);
                break;
            }
            const fd_icounter *c = &l->ctr[w->counter];
            if (seen[w->counter] < c->per_step) {   /* a signaller at or after i */
                uint32_t j = i;
                while (j < l->n_ins && l->ins[j].signal != w->counter) j++;
                st = fail(v, i, "wait-order", "waits on counter %s, which #%u at or after it in the global order "
                          "signals", c->name, j < l->n_ins ? j : i);
            } else if (!c->per_step)
                st = fail(v, i, "counter-target", "waits on counter %s, which nothing signals", c->name);
            else if (w->target != seen[w->counter])
                st = fail(v, i, "counter-target", "waits for %u signals on counter %s, which %u instructions "
                          "before it give", w->target, c->name, seen[w->counter]);
        }
        if (st == FD_OK && t->signal != FD_INONE) seen[t->signal]++;
    }
    fd_free(seen);
    return st;
}

/* Rule 3, first half: the writer of every element, at most one. */
static fd_status check_writes(vstate *v)
{
    const fd_ilist *l = v->l;
    for (uint64_t e = 0; e < v->off[l->n_buf]; e++) v->writer[e] = FD_INONE;
    for (uint32_t i = 0; i < l->n_ins; i++)
        for (uint32_t k = 0; k < l->ins[i].n_rng; k++) {
            const fd_irange *r = &l->rng[l->ins[i].rng0 + k];
            if (!r->write) continue;
            uint32_t *w = v->writer + v->off[r->buf];
            for (uint64_t e = r->lo; e < r->hi; e++) {
                if (w[e] != FD_INONE) {
                    uint64_t hi = e;
                    while (hi < r->hi && w[hi] == w[e]) hi++;
                    return fail(v, i, "write-overlap", "writes %s[%llu..%llu), which #%u also writes",
                                l->buf[r->buf].name, (unsigned long long)e, (unsigned long long)hi, w[e]);
                }
                w[e] = i;
            }
        }
    return FD_OK;
}

static void clock_max(uint32_t *a, const uint32_t *b, uint32_t n)
{
    for (uint32_t k = 0; k < n; k++)
        if (b[k] > a[k]) a[k] = b[k];
}

/* The vector clocks, in the global order (rules 1 and 2 hold: a block's
 * previous instruction and a wait's signallers are already done with). */
static void build_clocks(vstate *v)
{
    const fd_ilist *l = v->l;
    uint32_t nb = l->n_blocks;
    memset(v->cclock, 0, (size_t)l->n_ctr * nb * sizeof *v->cclock);
    for (uint32_t i = 0; i < l->n_ins; i++) {
        const fd_instr *t = &l->ins[i];
        uint32_t *c = v->clock + (size_t)i * nb, b = v->where[i], p = v->pos[i];
        if (p) {
            uint32_t prev = l->block_ins[l->block_start[b] + p - 1];
            memcpy(c, v->clock + (size_t)prev * nb, nb * sizeof *c);
        } else
            memset(c, 0, nb * sizeof *c);
        c[b] = p;   /* its block's first p instructions are done */
        for (uint32_t k = 0; k < t->n_wait; k++) clock_max(c, v->cclock + (size_t)l->wait[t->wait0 + k].counter * nb, nb);
        if (t->signal != FD_INONE) {
            uint32_t *cc = v->cclock + (size_t)t->signal * nb;
            clock_max(cc, c, nb);
            if (cc[b] < p + 1) cc[b] = p + 1;   /* and i itself */
        }
    }
}

/* a happens before b: a's block had finished a by the time b starts. */
static int before(const vstate *v, uint32_t a, uint32_t b)
{
    return v->clock[(size_t)b * v->l->n_blocks + v->where[a]] > v->pos[a];
}

/* Rule 3, second half: every read ordered with the write of its element. */
static fd_status check_reads(vstate *v)
{
    const fd_ilist *l = v->l;
    for (uint32_t i = 0; i < l->n_ins; i++)
        for (uint32_t k = 0; k < l->ins[i].n_rng; k++) {
            const fd_irange *r = &l->rng[l->ins[i].rng0 + k];
            if (r->write) continue;
            const fd_ibuf *bf = &l->buf[r->buf];
            const uint32_t *w = v->writer + v->off[r->buf];
            for (uint64_t e = r->lo; e < r->hi;) {
                uint32_t j = w[e];
                uint64_t hi = e;
                while (hi < r->hi && w[hi] == j) hi++;
                unsigned long long a = e, z = hi;
                if (j == FD_INONE && !(bf->flags & FD_IBUF_CARRIED))
                    return fail(v, i, "unwritten", "reads %s[%llu..%llu), which nothing writes this step", bf->name,
                                a, z);
                if (j != FD_INONE && j < i && !before(v, j, i))
                    return fail(v, i, "race", "reads %s[%llu..%llu), written by #%u, with no wait ordering it after "
                                "that write", bf->name, a, z, j);
                if (j != FD_INONE && j > i && !before(v, i, j))
                    return fail(v, i, "race", "reads %s[%llu..%llu), which #%u later writes (write after read) "
                                "without waiting for this read", bf->name, a, z, j);
                e = hi;
            }
        }
    return FD_OK;
}

fd_status fd_ilist_validate(const fd_ilist *l, fd_error *err)
{
    vstate v = { .l = l, .err = err };
    size_t n = l->n_ins ? l->n_ins : 1, nb = l->n_blocks ? l->n_blocks : 1;
    v.where = fd_calloc(n, sizeof *v.where);
    v.pos = fd_calloc(n, sizeof *v.pos);
    v.off = fd_calloc((size_t)l->n_buf + 1, sizeof *v.off);
    fd_status st = v.where && v.pos && v.off ? FD_OK : FD_ERR_NOMEM;
    for (uint32_t b = 0; st == FD_OK && b < l->n_buf; b++) v.off[b + 1] = v.off[b] + l->buf[b].elems;
    if (st == FD_OK) st = check_placement(&v);
    if (st == FD_OK) st = check_counters(&v);
    if (st == FD_OK) {
        v.writer = fd_calloc(v.off[l->n_buf] ? v.off[l->n_buf] : 1, sizeof *v.writer);
        v.clock = fd_calloc(n * nb, sizeof *v.clock);
        v.cclock = fd_calloc((l->n_ctr ? l->n_ctr : 1) * nb, sizeof *v.cclock);
        st = v.writer && v.clock && v.cclock ? FD_OK : FD_ERR_NOMEM;
    }
    if (st == FD_OK) st = check_writes(&v);
    if (st == FD_OK) {
        build_clocks(&v);
        st = check_reads(&v);
    }
    if (st == FD_ERR_NOMEM) fd_error_set(err, st, "ilist: out of memory validating %u instructions", l->n_ins);
    fd_free(v.where), fd_free(v.pos), fd_free(v.off), fd_free(v.writer), fd_free(v.clock), fd_free(v.cclock);
    return st;
}
