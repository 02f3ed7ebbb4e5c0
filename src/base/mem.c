/* mem.c — host allocation wrappers with injected failures for tests.
 *
 * Layer: base. The counters are atomics (relaxed): threads that allocate
 * while a test counts (OpenMP loops, renderers in parallel) race on nothing. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include "base/mem.h"

static _Atomic long fail_at;     /* 0: off; else the allocation number that fails */
static _Atomic long attempts;    /* allocations since fd_mem_fail_after */
static _Atomic int  fail_sticky;

static int should_fail(void)
{
    long n = atomic_fetch_add_explicit(&attempts, 1, memory_order_relaxed) + 1;
    long at = atomic_load_explicit(&fail_at, memory_order_relaxed);
    if (at == 0) return 0;
    if (n == at) return 1;
    return atomic_load_explicit(&fail_sticky, memory_order_relaxed) && n > at;
}

void fd_mem_fail_after(long n, int sticky)
{
    atomic_store(&fail_at, n);
    atomic_store(&fail_sticky, sticky);
    atomic_store(&attempts, 0);
}

long fd_mem_count(void) { return atomic_load(&attempts); }

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
