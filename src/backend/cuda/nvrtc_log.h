/* nvrtc_log.h — reading NVRTC's program log: the compile-error report with the
 * generated source around each error, and ptxas's register and spill counts.
 *
 * Layer: backend/cuda (internal); pure text functions, no NVRTC calls. */
#ifndef FD_NVRTC_LOG_H
#define FD_NVRTC_LOG_H

#include <stddef.h>

/* The report of a failed compile: a header naming the kernel and arch, then
 * each log line; after each "<file>(N): error" line the source lines N-3..N+3,
 * numbered, N marked with '>'. Returns a heap string the caller frees with
 * fd_free, or NULL when out of memory. */
char *fd_nvrtc_error_text(const char *name, int arch, const char *source, const char *log);

/* Copies `text` into dst[cap], cutting at a line boundary with a note of how
 * much was left out when it does not fit. */
void fd_nvrtc_fit(char *dst, size_t cap, const char *text);

/* From a `-Xptxas=-v` log: registers and spill-store bytes of entry point
 * `name` (of the only/first entry point when `name` is not in the log);
 * -1 where the log does not say. */
void fd_nvrtc_parse_ptxas(const char *log, const char *name, int *regs, int *spills);

#endif
