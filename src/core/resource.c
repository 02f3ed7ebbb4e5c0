/* resource.c — the typed resource registry: one object per descriptor
 * address, created on first use, destroyed newest-first with the foundry. */
#include <string.h>
#include "core/internal.h"
#include "base/mem.h"

void *fd_resource_peek(fd_foundry *fd, const fd_resource_type *type)
{
    for (size_t i = 0; i < fd->nres; i++)
        if (fd->res[i].type == type) return fd->res[i].obj;
    return NULL;
}

size_t fd_resource_count(const fd_foundry *fd) { return fd->nres; }

fd_status fd_resource(fd_foundry *fd, const fd_resource_type *type, void **obj)
{
    *obj = NULL;
    if (!type || !type->name)
        return fd_fail(fd, FD_ERR_INVALID, "fd_resource: a resource type needs a name");
    void *found = fd_resource_peek(fd, type);
    if (found) {
        *obj = found;
        return FD_OK;
    }
    if (fd->nres == fd->capres) {
        size_t cap = fd->capres ? fd->capres * 2 : 8;
        fd_resource_slot *r = fd_realloc(fd->res, cap * sizeof *r);
        if (!r) return fd_fail(fd, FD_ERR_NOMEM, "resource %s: out of memory", type->name);
        fd->res = r;
        fd->capres = cap;
    }
    void *o = fd_calloc(1, type->size ? type->size : 1);
    if (!o) return fd_fail(fd, FD_ERR_NOMEM, "resource %s: out of memory", type->name);
    if (type->create) {
        fd_status st = type->create(fd, o);
        if (st != FD_OK) {
            fd_free(o);
            return fd_fail(fd, st, "resource %s: create failed", type->name);
        }
    }
    fd->res[fd->nres].type = type;
    fd->res[fd->nres].obj = o;
    fd->nres++;
    *obj = o;
    return FD_OK;
}
