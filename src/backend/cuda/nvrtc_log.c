/* nvrtc_log.c — turns NVRTC's program log into the text a user reads when a
 * generated kernel fails to compile, and reads ptxas's resource lines.
 *
 * Layer: backend/cuda. Text only: allocations through base/mem.h. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "backend/cuda/nvrtc_log.h"
#include "backend/backend.h"
#include "base/mem.h"
#include "base/sbuf.h"

#define CONTEXT_LINES 3        /* source lines shown before and after an error */
#define MAX_CONTEXTS 8         /* errors that get source context */
#define MAX_SOURCE_COLS 110    /* longer source lines are cut with "..." */

/* The 1-based line number an NVRTC log line reports an error at, else 0.
 * Accepts "<file>(N): error: ..." and "<file>(N): catastrophic error: ...". */
static long error_line(const char *line, size_t len)
{
    const char *open = memchr(line, '(', len);
    if (!open) return 0;
    char *end;
    long n = strtol(open + 1, &end, 10);
    if (end == open + 1 || n <= 0 || (size_t)(end - line) + 3 > len || strncmp(end, "): ", 3) != 0) return 0;
    const char *what = end + 3;
    size_t rest = len - (size_t)(what - line);
    if (rest >= 5 && !strncmp(what, "error", 5)) return n;
    if (rest >= 12 && !strncmp(what, "catastrophic", 12)) return n;
    return 0;
}

static void add_context(fd_sbuf *b, const char *source, long at)
{
    long first = at > CONTEXT_LINES ? at - CONTEXT_LINES : 1, last = at + CONTEXT_LINES;
    const char *p = source;
    for (long n = 1; *p && n <= last; n++) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        if (n >= first) {
            int cut = len > MAX_SOURCE_COLS;
            fd_sbuf_printf(b, "  %c%5ld | %.*s%s\n", n == at ? '>' : ' ', n, (int)(cut ? MAX_SOURCE_COLS : len), p,
                      cut ? "..." : "");
        }
        if (!eol) break;
        p = eol + 1;
    }
}

char *fd_nvrtc_error_text(const char *name, int arch, const char *source, const char *log)
{
    fd_sbuf b = { 0 };
    int contexts = 0;
    char as[16];
    fd_sbuf_printf(&b, "kernel '%s' does not compile for %s:\n", name, fd_arch_str(arch, as));
    for (const char *p = log ? log : ""; *p;) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        if (len) {
            fd_sbuf_catn(&b, p, len);
            fd_sbuf_catn(&b, "\n", 1);
            long at = error_line(p, len);
            if (at && contexts++ < MAX_CONTEXTS) add_context(&b, source, at);
        }
        p += len + (eol != NULL);
    }
    while (!b.oom && b.len && b.s[b.len - 1] == '\n') b.s[--b.len] = '\0';
    return fd_sbuf_take(&b);
}

void fd_nvrtc_fit(char *dst, size_t cap, const char *text)
{
    size_t n = strlen(text);
    if (!cap) return;
    if (n < cap) {
        memcpy(dst, text, n + 1);
        return;
    }
    char note[64];
    size_t keep = cap - 1 - sizeof note;   /* room for the note */
    while (keep > 0 && text[keep] != '\n') keep--;
    if (keep == 0) keep = cap - 1 - sizeof note;
    int m = snprintf(note, sizeof note, "\n[... %zu more bytes; full text in the log]", n - keep);
    memcpy(dst, text, keep);
    memcpy(dst + keep, note, (size_t)m + 1 <= sizeof note ? (size_t)m + 1 : sizeof note);
    dst[cap - 1] = '\0';
}

/* The first "Used N registers" and "N bytes spill stores" at or after p,
 * stopping at the next entry function. */
static void read_props(const char *p, int *regs, int *spills)
{
    if (!*p) return;
    const char *stop = strstr(p + 1, "Compiling entry function");
    const char *r = strstr(p, "Used ");
    if (r && (!stop || r < stop)) {
        int v;
        if (sscanf(r, "Used %d registers", &v) == 1) *regs = v;
    }
    const char *s = strstr(p, " bytes spill stores");
    if (s && (!stop || s < stop)) {
        const char *q = s;
        while (q > p && q[-1] >= '0' && q[-1] <= '9') q--;
        if (q < s) *spills = atoi(q);
    }
}

void fd_nvrtc_parse_ptxas(const char *log, const char *name, int *regs, int *spills)
{
    *regs = -1;
    *spills = -1;
    if (!log) return;
    char pat[300];
    snprintf(pat, sizeof pat, "Compiling entry function '%s'", name ? name : "");
    const char *p = strstr(log, pat);
    if (!p) p = strstr(log, "Compiling entry function");
    if (!p) p = log;
    read_props(p, regs, spills);
}
