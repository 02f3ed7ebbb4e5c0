/* mem.c — host allocation wrappers with injected failures for tests. */
#include <stdlib.h>
#include <string.h>
#include "base/mem.h"

static long fail_at;     /* 0: off; else the allocation number that fails */
static long attempts;    /* allocations since fd_mem_fail_after */
static int  fail_sticky;

static int should_fail(void)
{
    attempts++;
    if (fail_at == 0) return 0;
    if (attempts == fail_at) return 1;
    return fail_sticky && attempts > fail_at;
}

void fd_mem_fail_after(long n, int sticky)
{
    fail_at = n;
    fail_sticky = sticky;
    attempts = 0;
}

long fd_mem_count(void) { return attempts; }

void *fd_malloc(size_t n)
{
    if (should_fail()) return NULL;
    return malloc(n ? n : 1);
}

void *fd_calloc(size_t count, size_t size)
{
    if (should_fail()) return NULL;
    return calloc(count ? count : 1, size ? size : 1);
}

void *fd_realloc(void *p, size_t n)
{
    if (should_fail()) return NULL;
    return realloc(p, n ? n : 1);
}

char *fd_strndup(const char *s, size_t n)
{
    char *d = fd_malloc(n + 1);
    if (!d) return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *fd_strdup(const char *s) { return fd_strndup(s, strlen(s)); }

void fd_free(void *p) { free(p); }
