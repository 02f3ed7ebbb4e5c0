/* status.h — the error values every fallible Foundry call returns, and the
 * message carrier that says what went wrong (which tensor, which file offset).
 *
 * Layer: base (public). A call that fails returns a non-zero fd_status and,
 * where it was given an fd_error, leaves a one-line message there. FD_TRY
 * propagates a failure to the caller in straight-line code. */
#ifndef FOUNDRY_STATUS_H
#define FOUNDRY_STATUS_H

#include <stddef.h>

/* One list is the enum and its names. */
#define FD_STATUS_LIST(X)                                  \
    X(FD_OK,              "ok")                            \
    X(FD_ERR_INVALID,     "invalid argument")              \
    X(FD_ERR_NOMEM,       "out of memory")                 \
    X(FD_ERR_IO,          "i/o error")                     \
    X(FD_ERR_FORMAT,      "bad format")                    \
    X(FD_ERR_UNSUPPORTED, "unsupported")                   \
    X(FD_ERR_UNAVAILABLE, "unavailable")                   \
    X(FD_ERR_DEVICE,      "device error")                  \
    X(FD_ERR_COMPILE,     "compile error")                 \
    X(FD_ERR_STATE,       "misuse")                        \
    X(FD_ERR_RANGE,       "out of range")

typedef enum {
#define FD_STATUS_ENUM_(e, s) e,
    FD_STATUS_LIST(FD_STATUS_ENUM_)
#undef FD_STATUS_ENUM_
    FD_STATUS_COUNT
} fd_status;

#if defined(__GNUC__)
#define FD_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define FD_MUST_USE __attribute__((warn_unused_result))
#else
#define FD_PRINTF(f, a)
#define FD_MUST_USE
#endif

/* Where a failure is described. The first error set wins until cleared, so the
 * root cause is what the user reads, not the last cleanup step. */
typedef struct fd_error {
    fd_status status;   /* FD_OK while nothing failed */
    char msg[1024];     /* "what: detail", NUL-terminated */
} fd_error;

/* The status's short name ("out of memory"); never NULL. */
const char *fd_status_name(fd_status st);

/* Records `st` with a printf-style message in `e` (which may be NULL) unless
 * an error is already recorded there; returns `st` so a caller can write
 * `return fd_error_set(e, FD_ERR_INVALID, "...")`. */
fd_status fd_error_set(fd_error *e, fd_status st, const char *fmt, ...) FD_PRINTF(3, 4);

/* Forgets a recorded error. */
void fd_error_clear(fd_error *e);

#define FD_TRY(expr)                                   \
    do {                                               \
        fd_status fd_try_rc_ = (expr);                 \
        if (fd_try_rc_ != FD_OK) return fd_try_rc_;    \
    } while (0)

/* Log levels and the callback that receives messages (a foundry's, a
 * backend's or a loader's); `msg` is valid only during the call. */
typedef enum { FD_LOG_DEBUG, FD_LOG_INFO, FD_LOG_NOTICE, FD_LOG_WARN, FD_LOG_ERROR } fd_log_level;
typedef void (*fd_log_fn)(void *user, fd_log_level level, const char *msg);

#endif
