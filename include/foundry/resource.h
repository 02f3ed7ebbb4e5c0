/* resource.h — the typed resource registry (the seed's TypeMap).
 *
 * Layer: core (public). A resource type is a `const fd_resource_type` with
 * static storage; its address is the key. fd_resource creates the resource on
 * first use and returns the same object after; the foundry destroys them in
 * reverse creation order when it is destroyed.
 *
 *   static const fd_resource_type KV = { "kv_cache", sizeof(kv), kv_create, kv_destroy };
 *   kv *c; FD_TRY(fd_resource(fd, &KV, (void **)&c)); */
#ifndef FOUNDRY_RESOURCE_H
#define FOUNDRY_RESOURCE_H

#include "foundry/foundry.h"

typedef struct fd_resource_type {
    const char *name;
    size_t size;                                          /* bytes of zeroed memory handed to create */
    fd_status (*create)(fd_foundry *fd, void *obj);       /* optional; on failure it cleans up after itself */
    void (*destroy)(fd_foundry *fd, void *obj);           /* optional */
} fd_resource_type;

/* *obj: the resource, owned by the foundry. A failing create leaves nothing registered. */
fd_status fd_resource(fd_foundry *fd, const fd_resource_type *type, void **obj) FD_MUST_USE;
/* The resource if it exists already, else NULL (never creates). */
void *fd_resource_peek(fd_foundry *fd, const fd_resource_type *type);
size_t fd_resource_count(const fd_foundry *fd);

#endif
