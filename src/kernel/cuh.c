/* cuh.c — looking up embedded device files and expanding their includes
 * (see cuh.h).
 *
 * Layer: kernel. */
#include <string.h>
#include "kernel/cuh.h"

#define MAX_DEPTH 8

const fd_cuh_file *fd_cuh_find(const char *name)
{
    for (const fd_cuh_file *f = fd_cuh_files; f->name; f++)
        if (!strcmp(f->name, name)) return f;
    return NULL;
}

/* The quoted name of an `#include "..."` line starting at p (length len)
 * into buf; 0 if the line is something else. */
static int include_name(const char *p, size_t len, char *buf, size_t cap)
{
    size_t i = 0;
    while (i < len && (p[i] == ' ' || p[i] == '\t')) i++;
    if (i + 8 > len || strncmp(p + i, "#include", 8)) return 0;
    i += 8;
    while (i < len && (p[i] == ' ' || p[i] == '\t')) i++;
    if (i >= len || p[i] != '"') return 0;
    const char *s = p + i + 1, *e = memchr(s, '"', len - i - 1);
    if (!e || (size_t)(e - s) >= cap) return 0;
    memcpy(buf, s, (size_t)(e - s));
    buf[e - s] = 0;
    return 1;
}

static fd_status expand(fd_sbuf *b, const char *text, fd_cuh_seen *seen, int depth, fd_error *err)
{
    for (const char *p = text; *p;) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        char name[128];
        if (!include_name(p, len, name, sizeof name)) {
            fd_sbuf_catn(b, p, len + (eol != NULL));
        } else {
            const fd_cuh_file *f = fd_cuh_find(name);
            if (!f) return fd_error_set(err, FD_ERR_INVALID, "device include \"%s\" is not an embedded file", name);
            unsigned i = 0;
            while (i < seen->n && seen->f[i] != f) i++;
            if (i == seen->n) {
                if (depth >= MAX_DEPTH || seen->n == sizeof seen->f / sizeof seen->f[0])
                    return fd_error_set(err, FD_ERR_INVALID, "device includes nest too deep at \"%s\"", name);
                seen->f[seen->n++] = f;
                fd_sbuf_printf(b, "/* ---- %s */\n", name);
                FD_TRY(expand(b, f->text, seen, depth + 1, err));
            }
        }
        p += len + (eol != NULL);
    }
    return FD_OK;
}

fd_status fd_cuh_expand(fd_sbuf *b, const char *text, fd_cuh_seen *seen, fd_error *err)
{
    return expand(b, text, seen, 0, err);
}
