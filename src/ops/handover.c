/* handover.c — FD_HANDOVER: a chain of `stages` all-blocks hand-overs over
 * one block per multiprocessor (all co-resident), with no work between them:
 * the floor of a persistent decode step (bench/bench_handover.c times it).
 *
 * Layer: ops. Legend: state: (2) i32 used as u32 — arrivals, and the
 * arrivals at the end of the last launch; both only grow. Device code in handover.cuh (the hand-over itself in
 * grid_sync.cuh). The CPU twin does the same bookkeeping, so a test can check
 * the device's counters after any number of launches. */
#include "ops/ops.h"

static fd_status handover_check(const void *p, fd_error *err)
{
    const fd_handover_args *a = p;
    if (a->state->numel != 2) return fd_error_set(err, FD_ERR_INVALID, "handover: state holds 2 values");
    if (!a->stages || a->stages > 1u << 16)
        return fd_error_set(err, FD_ERR_INVALID, "handover: stages %u (1..65536)", a->stages);
    return FD_OK;
}

/* One 128-thread block per multiprocessor: always co-resident on an idle GPU. */
static fd_status handover_dispatch(const void *p, fd_dispatch *d, fd_error *err)
{
    (void)p, (void)err;
    d->grid[0] = d->sms ? d->sms : 1;
    d->block[0] = 128;
    d->pdl = 0;
    return FD_OK;
}

/* The CPU has one "block": its hand-overs are arrivals on the counter. */
static fd_status handover_cpu(const fd_kernel *k, const void *p, fd_error *err)
{
    (void)k, (void)err;
    const fd_handover_args *a = p;
    uint32_t *st = fd_tensor_data(a->state);
    st[0] += a->stages * a->blocks;
    st[1] = st[0];
    return FD_OK;
}

static uint64_t handover_bytes(const void *p) { (void)p; return 0; }

const fd_kernel FD_HANDOVER = {
    .name = "handover", .args = fd_handover_args_table, .max_block = 128,
    .check = handover_check, .dispatch = handover_dispatch, .cpu = handover_cpu, .bytes = handover_bytes,
    .cuda = "#include \"ops/handover.cuh\"\n",
};
