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

extern const char fd_cuda_prelude[];

/* The device storage type of a dtype ("fd_f16", "float", "fd_q8_0", ...). */
const char *fd_dtype_device_type(fd_dtype t);


/* Appends the device struct `fd_args` for a descriptor table whose tensor
 * arguments have the given dtypes (descriptor order), and a typedef
 * `<name>_t` per tensor argument. */
void fd_codegen_args_struct(fd_sbuf *b, const fd_arg_table *t, const fd_dtype *dtypes);


/* Compiled variant for (kernel, dtypes), compiled on first use. */
fd_status fd_kcache_get(fd_foundry *fd, const fd_kernel *k, const fd_dtype *dtypes, const fd_devfn **fn);

#endif
