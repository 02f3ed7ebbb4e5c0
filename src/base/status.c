/* status.c — names of the status values and the fd_error message carrier. */
#include <stdarg.h>
#include <stdio.h>
#include "foundry/status.h"

const char *fd_status_name(fd_status st)
{
    static const char *const names[] = {
#define NAME_(e, s) s,
        FD_STATUS_LIST(NAME_)
#undef NAME_
    };
    if ((unsigned)st >= FD_STATUS_COUNT) return "unknown status";
    return names[st];
}

fd_status fd_error_set(fd_error *e, fd_status st, const char *fmt, ...)
{
    if (e && e->status == FD_OK && st != FD_OK) {
        va_list ap;
        e->status = st;
        va_start(ap, fmt);
        vsnprintf(e->msg, sizeof e->msg, fmt, ap);
        va_end(ap);
    }
    return st;
}

void fd_error_clear(fd_error *e)
{
    if (!e) return;
    e->status = FD_OK;
    e->msg[0] = '\0';
}
