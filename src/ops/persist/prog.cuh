/* prog.cuh — the persistent decode kernel's program in device memory, as
 * the host writes it (model/persist_list.c) and the device reads it
 * (ops/persist/runtime.cuh): one layout, valid C and CUDA.
 *
 * Layer: ops. A program is one allocation: the header, then (each at a
 * 16-byte-aligned byte offset the header gives) the instructions in the
 * global order, their waits, the blocks' lists and each counter's signals
 * per step, then per member the argument structs its instructions read
 * (indexed by an instruction's `slot`: layer * plan steps + step, 0 outside
 * the layers). */
#ifndef FD_OPS_PERSIST_PROG_CUH
#define FD_OPS_PERSIST_PROG_CUH

#define FD_PPROG_MAGIC 0x46445050u   /* "FDPP" */
#define FD_PMEMBERS 16                 /* room for the members' list (model/ilist_lower.h: 12) */
#define FD_PNONE 0xffffffffu
#define FD_RING_MAX 16                 /* the weight ring's slots at most (ops/persist/ring.cuh; model/persist.c sizes it) */

typedef struct fd_pins {
    unsigned member;           /* the member (FD_IM_*) */
    unsigned slot;             /* its argument struct: layer * steps + plan step, 0 outside the layers */
    unsigned row0, row1;       /* its rows (units), as the instruction list gives them */
    unsigned wait0, n_wait;    /* its waits: wait[wait0 .. wait0 + n_wait) */
    unsigned signal;           /* the counter it adds 1 to when done, or FD_PNONE */
    unsigned aux;              /* ARGMAX: its range's index; PICK: the number of ranges; else 0 */
} fd_pins;

typedef struct fd_pwait {
    unsigned counter;
    unsigned target;           /* signals this step: the device adds epoch * per_step[counter] */
} fd_pwait;

typedef struct fd_phdr {
    unsigned magic;
    unsigned n_ins, n_wait, n_blocks, n_ctr;
    unsigned ins, wait, block_start, block_ins, per_step;   /* byte offsets: fd_pins, fd_pwait, u32 (n_blocks + 1),
                                                                u32, u32 (n_ctr) */
    unsigned margs[FD_PMEMBERS];   /* byte offset of member m's argument structs (0: none) */
    unsigned msize[FD_PMEMBERS];   /* bytes of one */
    unsigned bytes;                /* the whole program */
} fd_phdr;

/* The state words after the n_ctr counters (u32 each) */
#define FD_PSTATE_EPOCH 0   /* steps completed: a block's waits add epoch * per_step */
#define FD_PSTATE_DONE 1    /* tickets of the blocks that ended this step's lists */
#define FD_PSTATE_ERROR 2   /* 0, or 1 + the instruction whose wait the watchdog stopped */
#define FD_PSTATE_WORDS 4

#endif
