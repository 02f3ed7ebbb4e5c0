/* shape.c — the checks and grids the n-element operations share: every
 * tensor holds n values; one 256-thread block per 256 x `per` values.
 *
 * Layer: ops. */
#include <stdarg.h>
#include "ops/ops.h"

fd_status fd_check_n(fd_error *err, uint32_t n, ...)
{
    va_list ap;
    va_start(ap, n);
    fd_status st = FD_OK;
    for (const char *name; st == FD_OK && (name = va_arg(ap, const char *));) {
        const fd_tensor *t = va_arg(ap, const fd_tensor *);
        if (t->numel != (int64_t)n)
            st = fd_error_set(err, FD_ERR_INVALID, "%s holds %lld values, n = %u", name, (long long)t->numel, n);
    }
    va_end(ap);
    return st;
}

void fd_grid_n(fd_dispatch *d, uint64_t n, unsigned per)
{
    d->block[0] = 256;
    d->grid[0] = (unsigned)((n + 256ull * per - 1) / (256ull * per));
}
