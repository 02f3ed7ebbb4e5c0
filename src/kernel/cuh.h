/* cuh.h — the device source files (the .cuh files under src/), embedded into the library
 * at build time by tools/embed.c, and the include expansion that stitches a
 * kernel's source together from them.
 *
 * Layer: kernel (internal). Device code names another file with a plain
 * `#include "ops/gemv/main.cuh"` line (path relative to src/); generation
 * replaces the line by the file's text, each file once per generated
 * source, so what NVRTC compiles is one self-contained text (its hash is the
 * compile cache's key) and NVRTC needs no include path. */
#ifndef FD_KERNEL_CUH_H
#define FD_KERNEL_CUH_H

#include <stddef.h>
#include "foundry/status.h"
#include "base/sbuf.h"

typedef struct fd_cuh_file {
    const char *name;       /* "ops/add.cuh" */
    const char *text;       /* NUL-terminated */
    size_t len;
} fd_cuh_file;

extern const fd_cuh_file fd_cuh_files[];   /* ends with a NULL name */
extern const unsigned fd_cuh_count;

/* The embedded file `name`, or NULL. */
const fd_cuh_file *fd_cuh_find(const char *name);

/* Files already emitted into one generated source. */
typedef struct fd_cuh_seen {
    const fd_cuh_file *f[64];
    unsigned n;
} fd_cuh_seen;

/* Appends `text` to b with every `#include "NAME"` line replaced by the
 * embedded file's own expansion (the first time NAME is seen; later ones
 * are dropped). FD_ERR_INVALID naming the file when NAME is not embedded or
 * includes nest too deep. */
fd_status fd_cuh_expand(fd_sbuf *b, const char *text, fd_cuh_seen *seen, fd_error *err);

#endif
