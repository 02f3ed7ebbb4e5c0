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
#include "kernel/cuh.h"

/* Compiled variant for (kernel, dtypes), compiled on first use. */
fd_status fd_kcache_get(fd_foundry *fd, const fd_kernel *k, const fd_dtype *dtypes, const fd_devfn **fn);

/* Appends kernel k's variant (dtypes) to b as a member of a persistent
 * kernel: `namespace ns { typedefs; struct fd_args; `pre` (may be NULL);
 * its device code; `extra` (the member's wrapper) }`, each include expanded unless `seen`
 * (the persistent source's files so far) holds it, then an #undef of every
 * macro the member defined, so the next starts clean. */
fd_status fd_kernel_member_source(fd_sbuf *b, const fd_kernel *k, const fd_dtype *dtypes, const char *ns,
                                  const char *pre, const char *extra, const fd_cuh_seen *seen, fd_error *err);
/* The files the prelude brings in (a generated source's first), into *seen. */
fd_status fd_kernel_prelude_seen(fd_cuh_seen *seen, fd_error *err);
/* pack.c: the tensor of argument `a` in the struct `args`. */
fd_tensor *fd_kernel_arg_tensor(const void *args, const fd_arg_desc *a);
/* pack.c: fd_run's checks of `args` (t: k's table): tensors of this
 * foundry, dtype rules, no stale pooled tensor, outputs writable and not
 * aliasing unless FD_KERNEL_INPLACE, the kernel's shape check; the tensor
 * arguments' dtypes into dtypes (descriptor order). */
fd_status fd_kernel_validate(fd_foundry *fd, const fd_kernel *k, const fd_arg_table *t, const void *args,
                             fd_dtype *dtypes);
/* pack.c: the device's copy of `args` into out (t->size bytes, at most cap):
 * tensor fields replaced by device addresses, fields outside the table's
 * subset NULL. */
fd_status fd_kernel_pack(fd_foundry *fd, const fd_kernel *k, const fd_arg_table *t, const void *args, void *out,
                         size_t cap);
/* Blocks of (k, dtypes) the whole device keeps resident at once with
 * `threads` threads and `shared` dynamic shared bytes each (compiling it
 * first); FD_ERR_UNSUPPORTED on a backend that cannot say. */
fd_status fd_kernel_resident(fd_foundry *fd, const fd_kernel *k, const fd_dtype *dtypes, unsigned threads,
                             unsigned shared, unsigned *blocks);

#endif
