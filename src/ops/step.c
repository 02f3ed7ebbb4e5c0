/* step.c — FD_STEP_ADVANCE: hist[pos + 1] = ids[0] (the token the step
 * chose, when it chose one), then pos += 1. One thread.
 *
 * Layer: ops. Legend: ids: (1) i32; hist: (cap) i32, the token at every
 * position; pos: (1) i32. Device code in step.cuh. */
#include "ops/ops.h"

static fd_status advance_check(const void *p, fd_error *err)
{
    const fd_step_advance_args *a = p;
    if (a->ids->numel != 1 || a->pos->numel != 1 || a->hist->numel != a->cap)
        return fd_error_set(err, FD_ERR_INVALID, "ids and pos hold one value, hist cap = %u", a->cap);
    return FD_OK;
}

static fd_status advance_dispatch(const void *p, fd_dispatch *d, fd_error *err)
{
    (void)p, (void)err;
    d->block[0] = 32;
    d->grid[0] = 1;
    return FD_OK;
}

static fd_status advance_cpu(const fd_kernel *k, const void *p, fd_error *err)
{
    (void)k, (void)err;
    const fd_step_advance_args *a = p;
    int32_t *pos = fd_tensor_data(a->pos), *hist = fd_tensor_data(a->hist);
    int32_t next = pos[0] + 1;
    if (next >= 0 && (uint32_t)next < a->cap) hist[next] = *(const int32_t *)fd_tensor_data(a->ids);
    pos[0] = next;
    return FD_OK;
}

static uint64_t advance_bytes(const void *p) { (void)p; return 16; }

const fd_kernel FD_STEP_ADVANCE = {
    .name = "step_advance", .args = fd_step_advance_args_table, .flags = FD_KERNEL_PDL, .max_block = 32,
    .check = advance_check, .dispatch = advance_dispatch, .cpu = advance_cpu, .bytes = advance_bytes,
    .cuda = "#include \"ops/step.cuh\"\n",
};
