/* resource.h — the typed resource registry (the seed's TypeMap).
 *
 * Layer: core (public). A resource type is a `const fd_resource_type` with
 * static storage; its address is the key. fd_resource creates the resource on
 * first use and returns the same object after; the foundry destroys them in
 * reverse creation order when it is destroyed, or when fd_resource_release
 * is called. A resource may be created from a configuration (its type's
 * config_size bytes, copied and kept): asking again with an equal one
 * returns the same object; with a different one is an FD_ERR_STATE error
 * naming the resource — a configuration never silently replaces a live
 * resource (release it first; whatever pointed into it is invalid then).
 *
 *   static const fd_resource_type WEIGHTS = { "weights", sizeof(w), w_create, w_destroy, sizeof(cfg) };
 *   w *x; FD_TRY(fd_resource_get(fd, &WEIGHTS, &cfg, (void **)&x)); */
#ifndef FOUNDRY_RESOURCE_H
#define FOUNDRY_RESOURCE_H

#include "foundry/foundry.h"

typedef struct fd_resource_type {
    const char *name;
    size_t size;                                          /* bytes of zeroed memory handed to create */
    /* optional; `config` is the configuration (NULL when config_size is 0);
     * on failure it cleans up after itself and says why in err */
    fd_status (*create)(fd_foundry *fd, void *obj, const void *config, fd_error *err);
    void (*destroy)(fd_foundry *fd, void *obj);           /* optional */
    size_t config_size;                                   /* bytes of configuration; 0: none */
} fd_resource_type;

/* *obj: the resource, owned by the foundry. A failing create leaves nothing
 * registered. fd_resource is fd_resource_get with no configuration. */
fd_status fd_resource(fd_foundry *fd, const fd_resource_type *type, void **obj) FD_MUST_USE;
fd_status fd_resource_get(fd_foundry *fd, const fd_resource_type *type, const void *config,
                          void **obj) FD_MUST_USE;
/* Destroys the resource of this type now, if there is one. */
void fd_resource_release(fd_foundry *fd, const fd_resource_type *type);
/* The resource if it exists already, else NULL (never creates). */
void *fd_resource_peek(fd_foundry *fd, const fd_resource_type *type);
size_t fd_resource_count(const fd_foundry *fd);

#endif
