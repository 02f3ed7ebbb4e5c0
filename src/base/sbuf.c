/* sbuf.c — a growable NUL-terminated string: generated device source, logs,
 * messages. On allocation failure the buffer sets `oom` and ignores further
 * appends, so a builder checks once at the end.
 *
 * Layer: base. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "base/sbuf.h"
#include "base/mem.h"

static void sbuf_grow(fd_sbuf *b, size_t add)
{
    if (b->oom || b->len + add + 1 <= b->cap) return;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + add + 1) cap *= 2;
    char *s = fd_realloc(b->s, cap);
    if (!s) {
        b->oom = 1;
        return;
    }
    b->s = s;
    b->cap = cap;
}

void fd_sbuf_cat(fd_sbuf *b, const char *s)
{
    size_t n = strlen(s);
    sbuf_grow(b, n);
    if (b->oom) return;
    memcpy(b->s + b->len, s, n + 1);
    b->len += n;
}

void fd_sbuf_printf(fd_sbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    sbuf_grow(b, (size_t)n);
    if (b->oom) return;
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void fd_sbuf_catn(fd_sbuf *b, const char *s, size_t n)
{
    sbuf_grow(b, n);
    if (b->oom) return;
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = 0;
}

char *fd_sbuf_take(fd_sbuf *b)
{
    char *s = b->oom ? NULL : b->s;
    if (b->oom) fd_free(b->s);
    *b = (fd_sbuf){ 0 };
    return s;
}
