/* mem.h — the library's heap allocation, with fault injection for tests.
 *
 * Layer: base (internal). Every module allocates host memory through these so
 * that a test can make the N-th allocation fail (fd_mem_fail_after) and check
 * that the failure is reported and nothing leaks — SQLite's FaultSim idea.
 * The counter is process-wide test state, not configuration: production code
 * never sets it. */
#ifndef FD_CORE_MEM_H
#define FD_CORE_MEM_H

#include <stddef.h>

void *fd_malloc(size_t n);                 /* NULL on failure (or injected failure) */
void *fd_calloc(size_t count, size_t size);/* zeroed; NULL on overflow or failure */
void *fd_realloc(void *p, size_t n);       /* as realloc; on failure p stays valid */
char *fd_strdup(const char *s);            /* caller frees with fd_free */
char *fd_strndup(const char *s, size_t n);
void  fd_free(void *p);

/* Test hook: the n-th allocation from now fails (1 = the next one), and every
 * one after it too when `sticky`; n = 0 turns injection off. */
void fd_mem_fail_after(long n, int sticky);
/* Allocations attempted since the counter was last set (for fault loops). */
long fd_mem_count(void);

#endif
