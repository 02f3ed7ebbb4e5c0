/* persist.h — the persistent decode kernel (issue 32): the decode step's
 * instruction list (model/ilist_lower.c) encoded for the device
 * (persist_list.c) and run by one cooperative kernel whose members are the
 * per-kernel path's own device code (persist.c, ops/persist/).
 *
 * Layer: model (internal). Owned by fd_state (device.h): fd_state_decode and
 * fd_state_step use it (a sampled step's list ends with the head: the
 * sampler and the advance follow as kernels) when fd_state_use_persistent is on
 * and fd_persist_create accepted the model; anything else runs the
 * per-kernel step, with a notice naming why. Qwen2 and Qwen3 plans lower
 * (QKV, or QKV_ROWS + QK_NORM where q and k are normalized per head). */
#ifndef FD_MODEL_PERSIST_H
#define FD_MODEL_PERSIST_H

#include <stddef.h>
#include <stdio.h>
#include "kernel/ilist.h"
#include "model/ilist_lower.h"
#include "ops/persist/prog.cuh"

typedef struct fd_persist fd_persist;
struct fd_state;
typedef struct fd_tensor fd_tensor;

/* persist_list.c: the program of list l (validated) into a new buffer *out
 * of *bytes (fd_free; NULL on failure): header, instructions, waits, the
 * blocks' lists, per_step, then member m's `mcount[m]` argument structs of
 * `msize[m]` bytes from margs[m] (none where mcount[m] is 0). An
 * instruction's slot is layer * steps + step (0 outside the layers); one
 * past mcount[member] is FD_ERR_INVALID naming the instruction. */
fd_status fd_persist_encode(const fd_ilist *l, uint32_t steps, const void *const *margs, const uint32_t *msize,
                            const uint32_t *mcount, void **out, size_t *bytes, fd_error *err);

/* persist.c: the persistent step of s's model, or FD_ERR_UNSUPPORTED with
 * why in err (the CPU backend, a plan step or a dtype mix without a member,
 * no cooperative launch, a list the validator refuses). Compiles the kernel
 * (cached like any other) and uploads its program. */
fd_status fd_persist_create(struct fd_state *s, fd_persist **out, fd_error *err);
void fd_persist_destroy(fd_persist *p);
/* 1 when p was made for a sampled step (the state sampled then): its list ends with the head, and the
 * sampler and the position's advance run as kernels after its launch. */
int fd_persist_sampled(const fd_persist *p);
/* One step's launch (cooperative; capturable into a graph). FD_ERR_UNAVAILABLE
 * when the device cannot hold every block at once. */
fd_status fd_persist_launch(fd_persist *p);
/* After the steps: FD_OK, or FD_ERR_DEVICE naming the instruction whose wait
 * the watchdog stopped (the state's counters are then reset). */
fd_status fd_persist_check(fd_persist *p);
/* The last step launched while profiling was on (fd_profile_enabled): its
 * list and the stamps its blocks wrote (3 per instruction: before its waits,
 * after them, after its signal; %globaltimer ns) into *stamps (fd_free).
 * FD_ERR_STATE when no such step ran. */
fd_status fd_persist_stamps(fd_persist *p, const fd_ilist **list, uint64_t **stamps, fd_error *err);
/* persist_timeline.c: that step as a Chrome trace at `path` (a thread per
 * block) and a per-member summary into `summary` (either may be NULL). */
fd_status fd_persist_timeline(fd_persist *p, const char *path, FILE *summary, fd_error *err);
/* The kernel's name and launch: blocks, threads, dynamic shared bytes, the weight ring's bytes a slot and
 * slots (ops/persist/ring.cuh; 0 slots: none). */
const char *fd_persist_describe(const fd_persist *p, uint32_t *blocks, uint32_t *threads, uint32_t *smem,
                                uint32_t ring[2]);

/* persist.c: the generated source of s's persistent kernel (the caller
 * frees *src with fd_kernel_source_free) and its entry point's name, on any
 * backend: what `foundry kernels --compile-all` compiles. */
fd_status fd_persist_source(struct fd_state *s, int whole, char *name, size_t cap, char **src, fd_error *err);
/* persist.c: on any backend, the program of s's persistent kernel for
 * `blocks` blocks (*prog: fd_free), its counters and its dynamic shared
 * bytes, and its ring (bytes a slot, slots: FOUNDRY_PERSIST_SLOT and _SLOTS
 * choose): what tools/cuemu/persist.cpp runs on the CPU. With `whole` 0 the
 * source above is the kernel's own code alone (members, dispatchers, the
 * runtime's include), without the prelude and its argument struct. */
fd_status fd_persist_program(struct fd_state *s, uint32_t blocks, void **prog, size_t *bytes, uint32_t *n_ctr,
                             uint32_t *smem, uint32_t ring[2], fd_error *err);

/* Test hook, any backend: what the launch of s's persistent step does with tensor t — 0 nothing (not a
 * member's), 1 uploads what the host staged in it first, 2 that and marks it device-written after; -1 when
 * s has no persistent step. */
int fd_persist_test_uses(struct fd_state *s, const fd_tensor *t);
/* Test hook: the next fd_persist_create raises one wait's target past what a
 * step signals, so that wait never passes (the watchdog's test). */
void fd_persist_test_plant_stuck(int on);

#endif
