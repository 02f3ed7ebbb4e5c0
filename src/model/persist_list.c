/* persist_list.c — an instruction list (kernel/ilist.h) encoded as the
 * persistent decode kernel's program (ops/persist/prog.cuh): what a block
 * needs of each instruction, packed, in one buffer the host uploads once.
 *
 * Layer: model. The global order, the waits (counter, target this step),
 * the blocks' lists and per_step are copied as the list has them; an
 * instruction's argument struct is found by its slot (layer * steps +
 * step); ARGMAX carries its range's index in aux and PICK the number of
 * ranges, since the device cannot tell them from the rows. */
#include <string.h>
#include "model/persist.h"
#include "base/mem.h"

static size_t align16(size_t n) { return (n + 15) & ~(size_t)15; }

/* A section of n items of `size` bytes at the end of the layout so far. */
static unsigned section(size_t *at, size_t n, size_t size)
{
    size_t o = *at;
    *at = align16(o + n * size);
    return (unsigned)o;
}

fd_status fd_persist_encode(const fd_ilist *l, uint32_t steps, const void *const *margs, const uint32_t *msize,
                            const uint32_t *mcount, void **out, size_t *bytes, fd_error *err)
{
    *out = NULL;
    *bytes = 0;
    if (l->n_members > FD_PMEMBERS)
        return fd_error_set(err, FD_ERR_INVALID, "persist: %u members, the program has room for %d", l->n_members,
                            FD_PMEMBERS);
    fd_phdr h = { .magic = FD_PPROG_MAGIC, .n_ins = l->n_ins, .n_wait = l->n_wait, .n_blocks = l->n_blocks,
                  .n_ctr = l->n_ctr };
    size_t at = align16(sizeof h);
    h.ins = section(&at, l->n_ins, sizeof(fd_pins));
    h.wait = section(&at, l->n_wait, sizeof(fd_pwait));
    h.block_start = section(&at, (size_t)l->n_blocks + 1, sizeof(uint32_t));
    h.block_ins = section(&at, l->block_start[l->n_blocks], sizeof(uint32_t));
    h.per_step = section(&at, l->n_ctr, sizeof(uint32_t));
    for (uint32_t m = 0; m < l->n_members; m++)
        if (mcount[m]) h.margs[m] = section(&at, mcount[m], msize[m]), h.msize[m] = msize[m];
    if (at > UINT32_MAX) return fd_error_set(err, FD_ERR_RANGE, "persist: a program of %zu bytes", at);
    h.bytes = (unsigned)at;
    uint32_t n_range = 0;   /* ARGMAX ranges so far */
    unsigned char *p = fd_calloc(1, at);
    if (!p) return fd_error_set(err, FD_ERR_NOMEM, "persist: out of memory for a %zu-byte program", at);
    fd_pins *ins = (fd_pins *)(p + h.ins);
    for (uint32_t i = 0; i < l->n_ins; i++) {
        const fd_instr *in = &l->ins[i];
        uint32_t slot = in->layer == FD_INONE ? 0 : in->layer * steps + in->step;
        if (in->member >= l->n_members || slot >= mcount[in->member] ||
            (in->layer != FD_INONE && (in->step == FD_INONE || in->step >= steps))) {
            char d[96];
            fd_ilist_describe(l, i, d, sizeof d);
            fd_free(p);
            return fd_error_set(err, FD_ERR_INVALID, "persist: %s: no argument struct for slot %u of %u", d, slot,
                                in->member < l->n_members ? mcount[in->member] : 0);
        }
        ins[i] = (fd_pins){ in->member, slot, in->row0, in->row1, in->wait0, in->n_wait,
                            in->signal == FD_INONE ? FD_PNONE : in->signal, 0 };
        if (in->member == FD_IM_ARGMAX) ins[i].aux = n_range++;
    }
    for (uint32_t i = 0; i < l->n_ins; i++)
        if (l->ins[i].member == FD_IM_PICK) ins[i].aux = n_range;
    fd_pwait *w = (fd_pwait *)(p + h.wait);
    for (uint32_t i = 0; i < l->n_wait; i++) w[i] = (fd_pwait){ l->wait[i].counter, l->wait[i].target };
    memcpy(p + h.block_start, l->block_start, ((size_t)l->n_blocks + 1) * sizeof(uint32_t));
    memcpy(p + h.block_ins, l->block_ins, (size_t)l->block_start[l->n_blocks] * sizeof(uint32_t));
    uint32_t *per = (uint32_t *)(p + h.per_step);
    for (uint32_t c = 0; c < l->n_ctr; c++) per[c] = l->ctr[c].per_step;
    for (uint32_t m = 0; m < l->n_members; m++)
        if (mcount[m]) memcpy(p + h.margs[m], margs[m], (size_t)mcount[m] * msize[m]);
    memcpy(p, &h, sizeof h);
    *out = p;
    *bytes = at;
    return FD_OK;
}
