/* shape.c — the checks and grids the n-element operations share: every
 * tensor holds n values; one 256-thread block per 256 x `per` values. And
 * the paged KV cache's checks, shared by every kernel that reads or writes
 * it (ops/ops.h).
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

fd_status fd_kv_check(fd_error *err, const fd_tensor *kc, const fd_tensor *vc, const fd_tensor *pages,
                      uint32_t kv_heads, uint32_t head_dim, uint32_t ctx)
{
    int64_t page = (int64_t)kv_heads * FD_KV_PAGE * head_dim;
    if (!page || kc->numel < page || kc->numel % page || vc->numel != kc->numel)
        return fd_error_set(err, FD_ERR_INVALID, "kc and vc must hold whole pages of KV x %d x hd = %u x %d x %u "
                            "values (hold %lld and %lld)", FD_KV_PAGE, kv_heads, FD_KV_PAGE, head_dim,
                            (long long)kc->numel, (long long)vc->numel);
    if (kc->offset % 16 || vc->offset % 16)
        return fd_error_set(err, FD_ERR_INVALID, "kc and vc must start 16-byte aligned (16-byte loads)");
    if (pages->numel < (int64_t)fd_kv_pages(ctx))
        return fd_error_set(err, FD_ERR_INVALID, "pages holds %lld entries, a context of %u needs %u",
                            (long long)pages->numel, ctx, fd_kv_pages(ctx));
    return FD_OK;
}

fd_status fd_kv_table_ref(fd_error *err, const fd_tensor *kc, const fd_tensor *pages, uint32_t kv_heads,
                          uint32_t head_dim, uint32_t ctx, const int32_t **out)
{
    const int32_t *t = fd_tensor_data(pages);
    int64_t np = kc->numel / ((int64_t)kv_heads * FD_KV_PAGE * head_dim);
    for (uint32_t i = 0; i < fd_kv_pages(ctx); i++)
        if (t[i] < 0 || t[i] >= np)
            return fd_error_set(err, FD_ERR_INVALID, "pages[%u] = %d: the cache has %lld pages", i, t[i],
                                (long long)np);
    *out = t;
    return FD_OK;
}
