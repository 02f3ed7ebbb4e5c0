/* ops.h — the argument lists and descriptors of the operation kernels.
 *
 * Layer: ops (internal to the library; the public entry is fd_run with these
 * descriptors, re-exported in include/foundry/ops.h). Each list is the single
 * source of its C struct and device struct; see include/foundry/kernel.h. */
#ifndef FD_OPS_H
#define FD_OPS_H

#include <string.h>
#include "foundry/ops.h"
#include "core/internal.h"
#include "ops/ref.h"

/* n-element operations (shape.c): each (name, tensor) pair, ended by NULL,
 * must hold n values; a grid of 256-thread blocks over n values, `per` per
 * thread. */
fd_status fd_check_n(fd_error *err, uint32_t n, ...);
void fd_grid_n(fd_dispatch *d, uint64_t n, unsigned per);

/* A family's weight policies, one stage per FLOAT and QUANT dtype of
 * FD_DTYPE_LIST (QREAD included), each named after its dtype: FD_WEIGHT_POLICIES defines the
 * stages (kind FD_POLICY_KIND, device code ops/<FD_POLICY_DIR>/policy_<name>.cuh,
 * both #defined by the file before it) and `policies`, the table by dtype
 * (NULL for the other dtypes: INT, and QCPU — no GPU policy yet). */
#define FD_POLICY_STAGE_FLOAT(n, E) \
    static const fd_stage policy_##n = { #n, FD_POLICY_KIND, NULL, 0, \
        "#include \"ops/" FD_POLICY_DIR "/policy_" #n ".cuh\"\n", 0, 0, 0, FD_##E, NULL };
#define FD_POLICY_STAGE_QUANT FD_POLICY_STAGE_FLOAT
#define FD_POLICY_STAGE_QREAD FD_POLICY_STAGE_FLOAT
#define FD_POLICY_STAGE_INT(n, E)
#define FD_POLICY_STAGE_QCPU(n, E)
#define FD_POLICY_STAGE_(n, E, be, bb, g, ft, ct, dev, kind, to, from) FD_POLICY_STAGE_##kind(n, E)
#define FD_POLICY_SLOT_FLOAT(n, E) [FD_##E] = &policy_##n,
#define FD_POLICY_SLOT_QUANT FD_POLICY_SLOT_FLOAT
#define FD_POLICY_SLOT_QREAD FD_POLICY_SLOT_FLOAT
#define FD_POLICY_SLOT_INT(n, E)
#define FD_POLICY_SLOT_QCPU(n, E)
#define FD_POLICY_SLOT_(n, E, be, bb, g, ft, ct, dev, kind, to, from) FD_POLICY_SLOT_##kind(n, E)
#define FD_WEIGHT_POLICIES \
    FD_DTYPE_LIST(FD_POLICY_STAGE_) \
    static const fd_stage *const policies[FD_DTYPE_COUNT] = { FD_DTYPE_LIST(FD_POLICY_SLOT_) };

#endif
