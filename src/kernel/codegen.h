/* codegen.h — generating device source from kernel descriptors, and the
 * per-foundry cache of compiled variants.
 *
 * Layer: kernel (internal). */
#ifndef FD_KERNEL_CODEGEN_H
#define FD_KERNEL_CODEGEN_H

#include "foundry/kernel.h"
#include "core/internal.h"
#include "base/hash.h"
#include "base/sbuf.h"

/* Compiled variant for (kernel, dtypes), compiled on first use. */
fd_status fd_kcache_get(fd_foundry *fd, const fd_kernel *k, const fd_dtype *dtypes, const fd_devfn **fn);

/* Blocks of (k, dtypes) the whole device keeps resident at once with
 * `threads` threads and `shared` dynamic shared bytes each (compiling it
 * first); FD_ERR_UNSUPPORTED on a backend that cannot say. */
fd_status fd_kernel_resident(fd_foundry *fd, const fd_kernel *k, const fd_dtype *dtypes, unsigned threads,
                             unsigned shared, unsigned *blocks);

#endif
