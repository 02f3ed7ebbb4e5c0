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

static void slot_destroy(fd_foundry *fd, fd_resource_slot *r)
{
    if (r->type->destroy) r->type->destroy(fd, r->obj);
    fd_free(r->obj);
    fd_free(r->config);
}

void fd_resource_release(fd_foundry *fd, const fd_resource_type *type)
{
    for (size_t i = 0; i < fd->nres; i++)
        if (fd->res[i].type == type) {
            slot_destroy(fd, &fd->res[i]);
            memmove(&fd->res[i], &fd->res[i + 1], (fd->nres - i - 1) * sizeof fd->res[0]);
            fd->nres--;
            return;
        }
}

void fd_resource_release_all(fd_foundry *fd)
{
    for (size_t i = fd->nres; i-- > 0;) slot_destroy(fd, &fd->res[i]);
    fd_free(fd->res);
    fd->res = NULL;
    fd->nres = fd->capres = 0;
}

fd_status fd_resource(fd_foundry *fd, const fd_resource_type *type, void **obj)
{
    return fd_resource_get(fd, type, NULL, obj);
}

fd_status fd_resource_get(fd_foundry *fd, const fd_resource_type *type, const void *config, void **obj)
{
    *obj = NULL;
    if (!type || !type->name)
        return fd_fail(fd, FD_ERR_INVALID, "fd_resource: a resource type needs a name");
    if (type->config_size && !config)
        return fd_fail(fd, FD_ERR_INVALID, "resource %s needs a configuration", type->name);
    for (size_t i = 0; i < fd->nres; i++) {
        if (fd->res[i].type != type) continue;
        if (type->config_size && memcmp(fd->res[i].config, config, type->config_size))
            return fd_fail(fd, FD_ERR_STATE, "resource %s exists with another configuration: release it first",
                           type->name);
        *obj = fd->res[i].obj;
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
    void *cfg = type->config_size ? fd_malloc(type->config_size) : NULL;
    if (!o || (type->config_size && !cfg)) {
        fd_free(o), fd_free(cfg);
        return fd_fail(fd, FD_ERR_NOMEM, "resource %s: out of memory", type->name);
    }
    if (cfg) memcpy(cfg, config, type->config_size);
    if (type->create) {
        fd_error e = { 0 };
        fd_status st = type->create(fd, o, config, &e);
        if (st != FD_OK) {
            fd_free(o), fd_free(cfg);
            return fd_fail(fd, st, "resource %s: %s", type->name, e.msg[0] ? e.msg : "create failed");
        }
    }
    fd->res[fd->nres] = (fd_resource_slot){ type, o, cfg };
    fd->nres++;
    *obj = o;
    return FD_OK;
}
