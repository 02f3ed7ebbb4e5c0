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

#endif
