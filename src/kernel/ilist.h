/* ilist.h — the instruction list of a persistent kernel, as data, and its
 * validator: co-resident blocks each walk their own list of instructions;
 * an instruction is one kernel body (a "member") over a range of rows, and
 * its dependencies are device counters (acquire / release, grid_sync.cuh).
 *
 * Layer: kernel (internal). Knows no model: model/ilist_lower.c builds the
 * decode step's list from the layer plan. Legend:
 *   buffer   a named array of `elems` elements (an activation version, a
 *            cache row, the token); a range is [lo, hi) of its elements
 *   counter  a u32 on the device that only grows: an instruction adds 1 to
 *            its `signal` counter when done (release); a wait (c, t) spins
 *            until c has reached t signals this step (acquire)
 * Invariants a valid list keeps (fd_ilist_validate checks each, by name):
 *   1. ins[] is the one global order; each block's list is a subsequence of
 *      it and every instruction is in exactly one block's list;
 *   2. a wait on counter c names only instructions earlier in the global
 *      order: every signaller of c precedes the waiter, and the target is
 *      their number (= the counter's per_step);
 *   3. every element is written by at most one instruction per step; a read
 *      of an element written this step is ordered after that write (earlier
 *      in the global order) or before it (later), by waits and the blocks'
 *      program order, transitively; a buffer not CARRIED is written before
 *      it is read;
 *   4. an instruction's shared memory (held from the prefetch of its weights,
 *      before its waits, to its end) fits the block's budget, and every block
 *      is co-resident: no block waits while holding what another needs.
 * Then no step deadlocks (the first unfinished instruction of the global
 * order can always run) and no read races. Counters are never reset (the
 * runtime's scheme, docs/DESIGN.md): a block reads the epoch e from a device
 * word when it starts; in that step a wait (c, t) spins until
 * c - e * per_step(c) >= t (u32, compared by difference as grid_sync.cuh
 * does); a block ending its list takes a ticket from a done counter, and the
 * last ticket sets it back to 0 and adds 1 to the epoch word — every block
 * has read it by then, and the next launch, ordered after this one on the
 * stream, reads the new one. */
#ifndef FD_KERNEL_ILIST_H
#define FD_KERNEL_ILIST_H

#include <stdint.h>
#include "foundry/status.h"

#define FD_INONE UINT32_MAX

enum { FD_IBUF_CARRIED = 1 };   /* holds values across steps (cache rows, pos, token): read before written is fine */

typedef struct fd_ibuf {
    char name[24];
    uint64_t elems;
    unsigned flags;             /* FD_IBUF_* */
} fd_ibuf;

typedef struct fd_irange {
    uint32_t buf;               /* index into fd_ilist.buf */
    int write;                  /* 0: it reads the range, 1: it writes it */
    uint64_t lo, hi;            /* elements [lo, hi) */
} fd_irange;

typedef struct fd_iwait {
    uint32_t counter;
    uint32_t target;            /* signals this step (add e * per_step on the device) */
} fd_iwait;

typedef struct fd_icounter {
    char name[24];
    uint32_t per_step;          /* signals one step adds */
} fd_icounter;

typedef struct fd_instr {
    uint32_t member;            /* the kernel body: index into fd_ilist.member_names */
    uint32_t layer;             /* FD_INONE outside the layers */
    uint32_t step;              /* the layer plan's step it lowers, FD_INONE outside the layers */
    uint32_t row0, row1;        /* the rows (units) of its product it computes */
    uint32_t block;             /* the block whose list runs it (fd_ilist_place) */
    uint32_t rng0, n_rng;       /* its reads and writes: rng[rng0 .. rng0 + n_rng) */
    uint32_t wait0, n_wait;     /* its waits: wait[wait0 .. wait0 + n_wait) */
    uint32_t signal;            /* counter it adds 1 to when done, or FD_INONE */
    uint32_t smem;              /* shared memory bytes it holds from its prefetch to its end */
    uint64_t wbytes;            /* read-only weight bytes it streams: prefetchable before its waits */
} fd_instr;

typedef struct fd_ilist {
    fd_instr *ins;              /* (n_ins) in the global order */
    fd_irange *rng;             /* (n_rng) */
    fd_iwait *wait;             /* (n_wait) */
    fd_ibuf *buf;               /* (n_buf) */
    fd_icounter *ctr;           /* (n_ctr) */
    uint32_t n_ins, n_rng, n_wait, n_buf, n_ctr;
    uint32_t cap_ins, cap_rng, cap_wait, cap_buf, cap_ctr;
    uint32_t n_blocks;
    uint32_t *block_start;      /* (n_blocks + 1): block b runs block_ins[block_start[b] .. block_start[b + 1]) */
    uint32_t *block_ins;        /* (block_start[n_blocks]) instruction indices */
    uint32_t smem_budget;       /* shared memory bytes a block has */
    uint32_t resident;          /* blocks the device keeps co-resident with that budget */
    const char *const *member_names;
    uint32_t n_members;
} fd_ilist;

/* An empty list for `n_blocks` blocks; fd_ilist_free releases what the
 * calls below allocate (also after a failure). */
void fd_ilist_init(fd_ilist *l, uint32_t n_blocks, uint32_t smem_budget, uint32_t resident,
                   const char *const *member_names, uint32_t n_members);
void fd_ilist_free(fd_ilist *l);

/* A new buffer / counter; its index into *id. */
fd_status fd_ilist_buffer(fd_ilist *l, const char *name, uint64_t elems, unsigned flags, uint32_t *id);
fd_status fd_ilist_counter(fd_ilist *l, const char *name, uint32_t *id);
/* Appends `in` to the global order (its ranges and waits empty: the calls
 * below add them to the last instruction); counts its signal. */
fd_status fd_ilist_push(fd_ilist *l, const fd_instr *in);
fd_status fd_ilist_range(fd_ilist *l, int write, uint32_t buf, uint64_t lo, uint64_t hi);
/* A wait of the last instruction on every signal `counter` has so far. */
fd_status fd_ilist_wait(fd_ilist *l, uint32_t counter);
/* The blocks' lists from each instruction's `block`, in the global order. */
fd_status fd_ilist_place(fd_ilist *l);

/* "#i member Ll rows a..b on block k" into buf. */
void fd_ilist_describe(const fd_ilist *l, uint32_t i, char *buf, size_t cap);
/* FD_OK, or FD_ERR_INVALID with "ilist: #i (...): rule R: ..." in err (the
 * first broken rule; rules: placement, block-order, bounds, counter-count,
 * wait-order, counter-target, write-overlap, unwritten, race, smem,
 * co-residency). */
fd_status fd_ilist_validate(const fd_ilist *l, fd_error *err);

#endif
