/* internal.h — the foundry's and the tensor's insides, for src/ only.
 *
 * Layer: core (internal). Invariants:
 *   1. Every tensor handle is on fd->tensors (a doubly linked list) from its
 *      creation until fd_tensor_free or fd_foundry_destroy unlinks it.
 *   2. A view's `root` is the dedicated or pooled tensor that owns the memory;
 *      views are on root->views and are freed with it.
 *   3. A pooled tensor is valid while t->generation == fd->pool_generation.
 *   4. t->host, when non-NULL and not the device memory itself, is a full copy
 *      of the root's bytes; t->root->host_dirty means the copy is newer than
 *      the device. Views share their root's host copy and dirty flag. */
#ifndef FD_CORE_INTERNAL_H
#define FD_CORE_INTERNAL_H

#include "foundry/foundry.h"
#include "foundry/tensor.h"
#include "foundry/resource.h"
#include "backend/backend.h"

struct fd_tensor {
    fd_foundry *fd;
    fd_dtype    dtype;
    int         ndim;
    int64_t     dims[FD_MAX_DIMS];
    int64_t     numel;
    size_t      bytes;
    size_t      offset;        /* bytes from the root's start */
    fd_storage  storage;
    int         readonly;
    uint64_t    generation;    /* pool generation at creation (pooled roots and their views) */
    fd_devptr   dev;           /* device address of the root's first byte */
    unsigned char *host;       /* root only: host copy, or the memory itself on the CPU */
    int         host_owned;    /* root only: host was allocated for staging */
    int         host_dirty;    /* root only: host copy newer than the device */
    int         host_valid;    /* root only: host copy equals the device (or is newer) */
    fd_tensor  *root;          /* self for a root */
    fd_tensor  *views;         /* root only: its views, linked by next_view */
    fd_tensor  *next_view;
    fd_tensor  *prev, *next;   /* fd->tensors (roots only) */
};

typedef struct fd_resource_slot {
    const fd_resource_type *type;
    void *obj;
    void *config;               /* a copy of the configuration it was created with, or NULL */
} fd_resource_slot;

struct fd_kcache;   /* kernel/ : compiled variants by key */
struct fd_profiler; /* profile/ : spans and their times */

struct fd_foundry {
    fd_backend *be;
    fd_backend_kind kind;
    fd_log_fn   log;
    void       *log_user;
    fd_log_level log_level;
    fd_error    err;
    fd_tensor  *tensors;          /* all root tensors */
    size_t      live_dedicated;
    /* pool */
    fd_devptr   pool_base;
    size_t      pool_cap, pool_used, pool_high;
    uint64_t    pool_generation;
    /* resources, in creation order */
    fd_resource_slot *res;
    size_t      nres, capres;
    int         capturing;        /* between fd_graph_begin and fd_graph_end: nothing may compile */
    struct fd_kcache *kcache;     /* owned by kernel/, destroyed with the foundry */
    void (*kcache_free)(struct fd_kcache *);
    /* profiling (core/profiling.c): `prof` is prof_obj while profiling is on
     * and no graph is being recorded, else NULL — fd_run's one branch */
    struct fd_profiler *prof;
    struct fd_profiler *prof_obj; /* owned; made by the first fd_profile_enable */
    int         prof_on;          /* fd_profile_enable's last word */
    double      copy_Bps;         /* fd_device_copy_bandwidth, once measured; 0 before */
    fd_devptr   scratch;          /* fd_scratch's buffer (0 until asked for), released at destroy */
};

/* Resolves the profiler's completed spans after a synchronize (no-op when
 * there is no profiler). */
fd_status fd_profile_sync(fd_foundry *fd);
/* Frees the profiler (fd_foundry_destroy, device idle). */
void fd_profile_free(fd_foundry *fd);

/* The foundry's device scratch: FD_SCRATCH_BYTES, zeroed when first asked
 * for (not inside a graph capture: allocation is not recordable), then kept
 * at one address until the foundry is destroyed — so a captured graph that
 * uses it stays valid. Kernels that use it run in stream order, so they
 * share it; each leaves what it expects to find (a split-K GEMM's counters
 * back at 0). */
#define FD_SCRATCH_BYTES (24u << 20)
fd_status fd_scratch(fd_foundry *fd, fd_devptr *out);

/* Destroys every resource, newest first (fd_foundry_destroy). */
void fd_resource_release_all(fd_foundry *fd);

/* Records an error on the foundry (first one wins until cleared) and returns st. */
fd_status fd_fail(fd_foundry *fd, fd_status st, const char *fmt, ...) FD_PRINTF(3, 4);

/* fd_tensor_data (host memory on the CPU backend) is public: tensor.h. */
/* Device address of a tensor's first byte. */
fd_devptr fd_tensor_devptr(const fd_tensor *t);
/* Marks the device copy newer than any host copy (after a kernel wrote it). */
void fd_tensor_mark_device_written(fd_tensor *t);

#endif
