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

#endif
