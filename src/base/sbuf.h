/* sbuf.h — a growable string builder.
 *
 * Layer: base (internal). Every append keeps it NUL-terminated; on
 * allocation failure `oom` is set and further appends do nothing, so a
 * caller checks `oom` (or fd_sbuf_take's NULL) once at the end. Start with
 * `fd_sbuf b = { 0 };`. b.s is owned by the builder until taken. */
#ifndef FD_BASE_SBUF_H
#define FD_BASE_SBUF_H

#include <stddef.h>
#include "foundry/status.h"

typedef struct fd_sbuf { char *s; size_t len, cap; int oom; } fd_sbuf;
void fd_sbuf_cat(fd_sbuf *b, const char *s);
void fd_sbuf_catn(fd_sbuf *b, const char *s, size_t n);
void fd_sbuf_printf(fd_sbuf *b, const char *fmt, ...) FD_PRINTF(2, 3);
/* The string (the caller frees it with fd_free), or NULL after an allocation
 * failure (the builder's memory is freed then); the builder is empty after. */
char *fd_sbuf_take(fd_sbuf *b);

#endif
