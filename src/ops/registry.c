/* registry.c — the list of registered kernels, for `foundry kernels`,
 * compile-all and the self-test. A new kernel adds one line here. */
#include "ops/ops.h"

static const fd_kernel *const kernels[] = {
    &FD_ADD, &FD_ONES, &FD_ARANGE, &FD_GEMV, &FD_RMSNORM, &FD_SWIGLU,
};

size_t fd_kernel_count(void) { return sizeof kernels / sizeof kernels[0]; }
const fd_kernel *fd_kernel_at(size_t i) { return i < fd_kernel_count() ? kernels[i] : NULL; }

const fd_kernel *fd_kernel_find(const char *name)
{
    for (size_t i = 0; i < fd_kernel_count(); i++)
        if (!strcmp(kernels[i]->name, name)) return kernels[i];
    return NULL;
}
