/* pack.c — a kernel's arguments checked against its descriptor table and
 * packed into the bytes the device receives (tensor fields replaced by
 * device addresses): for fd_run's launches and for the argument tables a
 * persistent kernel reads from device memory (model/persist.c).
 *
 * Layer: kernel. */
#include <string.h>
#include "kernel/codegen.h"

fd_tensor *fd_kernel_arg_tensor(const void *args, const fd_arg_desc *a)
{
    fd_tensor *t;
    memcpy(&t, (const char *)args + a->offset, sizeof t);
    return t;
}

static int overlaps(const fd_tensor *a, const fd_tensor *b)
{
    return a->root == b->root && a->offset < b->offset + b->bytes && b->offset < a->offset + a->bytes;
}

fd_status fd_kernel_validate(fd_foundry *fd, const fd_kernel *k, const fd_arg_table *t, const void *args,
                          fd_dtype *dtypes)
{
    size_t nt = 0;
    for (size_t i = 0; i < t->n; i++) {
        const fd_arg_desc *a = &t->args[i];
        if (a->type != FD_PT_TENSOR) continue;
        fd_tensor *x = fd_kernel_arg_tensor(args, a);
        if (!x) return fd_fail(fd, FD_ERR_INVALID, "%s: argument '%s' is NULL", k->name, a->name);
        if (x->fd != fd)
            return fd_fail(fd, FD_ERR_INVALID, "%s: argument '%s' belongs to another foundry", k->name, a->name);
        if (fd_tensor_check(x) != FD_OK) {
            fd_error_clear(&fd->err);
            return fd_fail(fd, FD_ERR_STATE, "%s: argument '%s' is a pooled tensor used after fd_pool_reset",
                           k->name, a->name);
        }
        if (!(a->dtypes & (1u << x->dtype)))
            return fd_fail(fd, FD_ERR_INVALID, "%s: argument '%s' has dtype %s, which this kernel does not take",
                           k->name, a->name, fd_dtype_name(x->dtype));
        if (a->role == FD_ARG_OUT && x->readonly)
            return fd_fail(fd, FD_ERR_STATE, "%s: output '%s' is read-only", k->name, a->name);
        dtypes[nt++] = x->dtype;
    }
    /* outputs must not alias inputs (or each other) unless the kernel says so */
    for (size_t i = 0; i < t->n; i++) {
        if (t->args[i].role != FD_ARG_OUT) continue;
        fd_tensor *o = fd_kernel_arg_tensor(args, &t->args[i]);
        for (size_t j = 0; j < t->n; j++) {
            if (j == i || t->args[j].type != FD_PT_TENSOR) continue;
            if ((k->flags & FD_KERNEL_INPLACE) && t->args[j].role == FD_ARG_IN) continue;
            if (overlaps(o, fd_kernel_arg_tensor(args, &t->args[j])))
                return fd_fail(fd, FD_ERR_INVALID, "%s: output '%s' overlaps argument '%s'",
                               k->name, t->args[i].name, t->args[j].name);
        }
    }
    for (size_t i = 0; i < t->nwhole; i++) {    /* a subset of its struct: the other tensors stay NULL */
        if (t->whole[i].type != FD_PT_TENSOR || !fd_kernel_arg_tensor(args, &t->whole[i])) continue;
        size_t j = 0;
        while (j < t->n && t->args[j].offset != t->whole[i].offset) j++;
        if (j == t->n)
            return fd_fail(fd, FD_ERR_INVALID, "%s: argument '%s' is not used by this kernel; leave it NULL",
                           k->name, t->whole[i].name);
    }
    if (k->check) {
        fd_error e = { 0 };
        fd_status st = k->check(args, &e);
        if (st != FD_OK) return fd_fail(fd, st, "%s: %s", k->name, e.msg);
    }
    return FD_OK;
}

fd_status fd_kernel_pack(fd_foundry *fd, const fd_kernel *k, const fd_arg_table *t, const void *args, void *out,
                         size_t cap)
{
    unsigned char *params = out;
    if (t->size > cap) return fd_fail(fd, FD_ERR_UNSUPPORTED, "%s: argument struct too large", k->name);
    memcpy(params, args, t->size);
    for (size_t i = 0; i < t->nwhole; i++)      /* fields outside the subset: NULL on the device too */
        if (t->whole[i].type == FD_PT_TENSOR) memset(params + t->whole[i].offset, 0, sizeof(fd_devptr));
    for (size_t i = 0; i < t->n; i++)
        if (t->args[i].type == FD_PT_TENSOR) {
            fd_devptr p = fd_tensor_devptr(fd_kernel_arg_tensor(args, &t->args[i]));
            memcpy(params + t->args[i].offset, &p, sizeof p);
        }
    return FD_OK;
}
