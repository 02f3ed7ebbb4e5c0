/* tensor.c — tensor handles: creation (dedicated, pooled, view), host
 * staging with dirty tracking, and every misuse turned into a status.
 *
 * Layer: core. See internal.h for the invariants. A root tensor owns its
 * device range (dedicated: a backend allocation; pooled: a slice of the
 * arena) and, on devices whose memory the host cannot address, a host copy
 * made on first host access. */
#include <string.h>
#include "core/internal.h"
#include "base/mem.h"

#define POOL_ALIGN 256

static fd_status shape_bytes(fd_foundry *fd, fd_dtype dtype, int ndim, const int64_t *dims,
                             int64_t *numel, size_t *bytes)
{
    if (!fd_dtype_valid(dtype)) return fd_fail(fd, FD_ERR_INVALID, "tensor: unknown dtype %d", (int)dtype);
    if (ndim < 1 || ndim > FD_MAX_DIMS)
        return fd_fail(fd, FD_ERR_INVALID, "tensor: %d dims (1 to %d allowed)", ndim, FD_MAX_DIMS);
    uint64_t n = 1;
    for (int i = 0; i < ndim; i++) {
        if (dims[i] <= 0) return fd_fail(fd, FD_ERR_INVALID, "tensor: dim %d is %lld", i, (long long)dims[i]);
        if ((uint64_t)dims[i] > ((uint64_t)1 << 62) / n)
            return fd_fail(fd, FD_ERR_RANGE, "tensor: dims overflow at dim %d", i);
        n *= (uint64_t)dims[i];
    }
    uint64_t rb;
    fd_error e = { 0 };
    if (fd_dtype_row_bytes(dtype, (uint64_t)dims[ndim - 1], &rb, &e) != FD_OK)
        return fd_fail(fd, e.status, "tensor: %s", e.msg);
    uint64_t rows = n / (uint64_t)dims[ndim - 1];
    if (rb && rows > SIZE_MAX / 2 / rb) return fd_fail(fd, FD_ERR_RANGE, "tensor: size overflows");
    *numel = (int64_t)n;
    *bytes = (size_t)(rows * rb);
    return FD_OK;
}

static void link_root(fd_foundry *fd, fd_tensor *t)
{
    t->next = fd->tensors;
    if (fd->tensors) fd->tensors->prev = t;
    fd->tensors = t;
}

static void unlink_root(fd_tensor *t)
{
    if (t->prev) t->prev->next = t->next;
    else t->fd->tensors = t->next;
    if (t->next) t->next->prev = t->prev;
}

fd_status fd_tensor_check(const fd_tensor *t)
{
    if (!t) return FD_ERR_INVALID;
    const fd_tensor *r = t->root;
    if (r->storage == FD_STORAGE_POOLED && r->generation != t->fd->pool_generation)
        return fd_fail(t->fd, FD_ERR_STATE,
                       "tensor used after fd_pool_reset (pooled, generation %llu, pool is at %llu)",
                       (unsigned long long)r->generation, (unsigned long long)t->fd->pool_generation);
    return FD_OK;
}

void *fd_tensor_data(const fd_tensor *t)
{
    const fd_tensor *r = t->root;
    void *base = t->fd->be->host_ptr ? t->fd->be->host_ptr(t->fd->be, r->dev) : NULL;
    return base ? (unsigned char *)base + t->offset : NULL;
}

fd_devptr fd_tensor_devptr(const fd_tensor *t) { return t->root->dev + t->offset; }

void fd_tensor_mark_device_written(fd_tensor *t)
{
    fd_tensor *r = t->root;
    if (r->host_owned) r->host_valid = 0;
}

/* Fills a fresh root's memory as `init` asks. */
static fd_status init_fill(fd_tensor *t, fd_init init, const void *src)
{
    fd_backend *be = t->fd->be;
    fd_error *e = &t->fd->err;
    switch (init) {
    case FD_INIT_UNINIT: return FD_OK;
    case FD_INIT_ZEROS:
        return be->memset8 ? be->memset8(be, t->dev, 0, t->bytes, e) : FD_ERR_UNSUPPORTED;
    case FD_INIT_COPY:
        if (!src) return fd_fail(t->fd, FD_ERR_INVALID, "tensor: FD_INIT_COPY with a NULL source");
        /* Device memory the host cannot address: straight up, keeping no host copy — a staged copy would hold
         * a model's weights twice in host memory, and reach the device only when a launch names the tensor
         * (a persistent kernel's members are not launch arguments). */
        if (!be->host_ptr || !be->host_ptr(be, t->dev)) return be->upload(be, t->dev, src, t->bytes, e);
        return fd_tensor_write(t, src, t->bytes);
    case FD_INIT_ONES: {
        if (fd_dtype_block_elems(t->dtype) > 1)   /* every quantized dtype, with a quantizer or not */
            return fd_fail(t->fd, FD_ERR_UNSUPPORTED, "tensor: FD_INIT_ONES on %s", fd_dtype_name(t->dtype));
        size_t es = fd_dtype_block_bytes(t->dtype);
        unsigned char one[4];
        if (t->dtype == FD_I32) { int32_t v = 1; memcpy(one, &v, 4); }
        else fd_quantize_row(t->dtype, &(float){ 1.0f }, one, 1);
        unsigned char *buf = fd_malloc(t->bytes);
        if (!buf) return fd_fail(t->fd, FD_ERR_NOMEM, "tensor: out of memory");
        for (size_t i = 0; i < t->bytes; i += es) memcpy(buf + i, one, es);
        fd_status st = fd_tensor_write(t, buf, t->bytes);
        fd_free(buf);
        return st;
    }
    }
    return fd_fail(t->fd, FD_ERR_INVALID, "tensor: unknown init %d", (int)init);
}

static fd_status alloc_root(fd_foundry *fd, fd_storage storage, fd_dtype dtype, int ndim,
                            const int64_t *dims, fd_init init, const void *src, fd_tensor **out)
{
    *out = NULL;
    int64_t numel;
    size_t bytes;
    FD_TRY(shape_bytes(fd, dtype, ndim, dims, &numel, &bytes));
    fd_tensor *t = fd_calloc(1, sizeof *t);
    if (!t) return fd_fail(fd, FD_ERR_NOMEM, "tensor: out of memory");
    t->fd = fd;
    t->dtype = dtype;
    t->ndim = ndim;
    memcpy(t->dims, dims, (size_t)ndim * sizeof *dims);
    t->numel = numel;
    t->bytes = bytes;
    t->storage = storage;
    t->root = t;
    t->host_valid = 1;
    if (storage == FD_STORAGE_POOLED) {
        size_t start = (fd->pool_used + POOL_ALIGN - 1) & ~(size_t)(POOL_ALIGN - 1);
        if (start > fd->pool_cap || bytes > fd->pool_cap - start) {
            fd_free(t);
            return fd_fail(fd, FD_ERR_NOMEM, "pool: %zu bytes requested, %zu of %zu free",
                           bytes, start > fd->pool_cap ? 0 : fd->pool_cap - start, fd->pool_cap);
        }
        t->dev = fd->pool_base + start;
        t->generation = fd->pool_generation;
        fd->pool_used = start + bytes;
        if (fd->pool_used > fd->pool_high) fd->pool_high = fd->pool_used;
    } else {
        fd_status st = fd->be->alloc(fd->be, bytes, &t->dev, &fd->err);
        if (st != FD_OK) {
            fd_free(t);
            return st;
        }
        fd->live_dedicated++;
    }
    link_root(fd, t);
    fd_status st = init_fill(t, init, src);
    if (st != FD_OK) {
        (void)fd_tensor_free(t);
        return st;
    }
    *out = t;
    return FD_OK;
}

fd_status fd_tensor_alloc(fd_foundry *fd, fd_dtype dtype, int ndim, const int64_t *dims,
                          fd_init init, const void *src, fd_tensor **out)
{
    return alloc_root(fd, FD_STORAGE_DEDICATED, dtype, ndim, dims, init, src, out);
}

fd_status fd_tensor_alloc_pooled(fd_foundry *fd, fd_dtype dtype, int ndim, const int64_t *dims,
                                 fd_init init, const void *src, fd_tensor **out)
{
    return alloc_root(fd, FD_STORAGE_POOLED, dtype, ndim, dims, init, src, out);
}

fd_status fd_tensor_view(fd_tensor *base, int64_t offset, int ndim, const int64_t *dims, fd_tensor **out)
{
    *out = NULL;
    fd_foundry *fd = base->fd;
    FD_TRY(fd_tensor_check(base));
    int64_t numel;
    size_t bytes;
    FD_TRY(shape_bytes(fd, base->dtype, ndim, dims, &numel, &bytes));
    int64_t be = (int64_t)fd_dtype_block_elems(base->dtype);
    if (offset < 0 || offset % be)
        return fd_fail(fd, FD_ERR_INVALID, "view: offset %lld is not a whole number of %s blocks",
                       (long long)offset, fd_dtype_name(base->dtype));
    if (offset > base->numel || numel > base->numel - offset)
        return fd_fail(fd, FD_ERR_RANGE, "view: elements [%lld, %lld) outside a parent of %lld",
                       (long long)offset, (long long)(offset + numel), (long long)base->numel);
    fd_tensor *v = fd_calloc(1, sizeof *v);
    if (!v) return fd_fail(fd, FD_ERR_NOMEM, "view: out of memory");
    *v = *base;
    v->ndim = ndim;
    memset(v->dims, 0, sizeof v->dims);
    memcpy(v->dims, dims, (size_t)ndim * sizeof *dims);
    v->numel = numel;
    v->bytes = bytes;
    v->offset = base->offset + (size_t)(offset / be) * fd_dtype_block_bytes(base->dtype);
    v->storage = FD_STORAGE_VIEW;
    v->root = base->root;
    v->host = NULL;
    v->views = NULL;
    v->prev = v->next = NULL;
    v->next_view = base->root->views;
    base->root->views = v;
    *out = v;
    return FD_OK;
}

fd_status fd_tensor_free(fd_tensor *t)
{
    if (!t) return FD_OK;
    fd_foundry *fd = t->fd;
    if (t->storage == FD_STORAGE_VIEW)
        return fd_fail(fd, FD_ERR_STATE, "fd_tensor_free: a view cannot be freed; it goes with its parent");
    while (t->views) {
        fd_tensor *v = t->views;
        t->views = v->next_view;
        fd_free(v);
    }
    unlink_root(t);
    if (t->storage == FD_STORAGE_DEDICATED) {
        fd->be->release(fd->be, t->dev);
        fd->live_dedicated--;
    }
    if (t->host_owned) fd_free(t->host);
    fd_free(t);
    return FD_OK;
}

/* The root's host copy, made (and filled from the device) on first use. */
static fd_status host_copy(fd_tensor *r, unsigned char **out)
{
    fd_foundry *fd = r->fd;
    if (!r->host) {
        void *p = fd->be->host_ptr ? fd->be->host_ptr(fd->be, r->dev) : NULL;
        if (p) {
            r->host = p;
        } else {
            if (!(r->host = fd_malloc(r->bytes))) return fd_fail(fd, FD_ERR_NOMEM, "tensor: out of memory");
            r->host_owned = 1;
            r->host_valid = 0;
        }
    }
    if (r->host_owned && !r->host_valid) {
        FD_TRY(fd->be->download(fd->be, r->host, r->dev, r->bytes, &fd->err));
        r->host_valid = 1;
    }
    *out = r->host;
    return FD_OK;
}

fd_status fd_tensor_write(fd_tensor *t, const void *src, size_t bytes)
{
    FD_TRY(fd_tensor_check(t));
    if (t->readonly) return fd_fail(t->fd, FD_ERR_STATE, "fd_tensor_write: tensor is read-only");
    if (bytes != t->bytes)
        return fd_fail(t->fd, FD_ERR_INVALID, "fd_tensor_write: %zu bytes given, tensor holds %zu", bytes, t->bytes);
    fd_tensor *r = t->root;
    /* A whole root needs no download of what is about to be overwritten. */
    if (t == r && r->host_owned) r->host_valid = 1;
    unsigned char *h = NULL;
    FD_TRY(host_copy(r, &h));
    memcpy(h + t->offset, src, bytes);
    if (r->host_owned) r->host_dirty = 1;
    return FD_OK;
}

fd_status fd_tensor_flush(fd_tensor *t)
{
    FD_TRY(fd_tensor_check(t));
    fd_tensor *r = t->root;
    if (!r->host_dirty) return FD_OK;
    FD_TRY(r->fd->be->upload(r->fd->be, r->dev, r->host, r->bytes, &r->fd->err));
    r->host_dirty = 0;
    return FD_OK;
}

fd_status fd_tensor_read(fd_tensor *t, void *dst, size_t bytes)
{
    FD_TRY(fd_tensor_check(t));
    if (bytes != t->bytes)
        return fd_fail(t->fd, FD_ERR_INVALID, "fd_tensor_read: %zu bytes asked, tensor holds %zu", bytes, t->bytes);
    fd_tensor *r = t->root;
    fd_backend *be = t->fd->be;
    if (r->host && (r->host_dirty || !r->host_owned)) {
        if (!r->host_owned) FD_TRY(be->synchronize(be, &t->fd->err));
        memcpy(dst, r->host + t->offset, bytes);
        return FD_OK;
    }
    FD_TRY(be->download(be, dst, r->dev + t->offset, bytes, &t->fd->err));
    return fd_profile_sync(t->fd);     /* the download waited for the stream: read the profiler's events */
}

static fd_status range_ok(const fd_tensor *t, size_t offset, size_t bytes, const char *what)
{
    if (offset > t->bytes || bytes > t->bytes - offset)
        return fd_fail(t->fd, FD_ERR_INVALID, "%s: bytes [%zu, %zu + %zu) outside the tensor's %zu", what, offset,
                       offset, bytes, t->bytes);
    return FD_OK;
}

fd_status fd_tensor_write_range(fd_tensor *t, size_t offset, const void *src, size_t bytes)
{
    FD_TRY(fd_tensor_check(t));
    if (t->readonly) return fd_fail(t->fd, FD_ERR_STATE, "fd_tensor_write_range: tensor is read-only");
    FD_TRY(range_ok(t, offset, bytes, "fd_tensor_write_range"));
    fd_tensor *r = t->root;
    size_t at = t->offset + offset;
    if (r->host && !r->host_owned) {            /* the device memory itself (the CPU backend) */
        memcpy(r->host + at, src, bytes);
        return FD_OK;
    }
    if (r->host && r->host_dirty) {             /* pending host changes: join them, uploaded together */
        memcpy(r->host + at, src, bytes);
        return FD_OK;
    }
    /* the device is current: upload the range alone (queued behind the kernels that wrote the rest) */
    FD_TRY(r->fd->be->upload(r->fd->be, r->dev + at, src, bytes, &r->fd->err));
    if (r->host && r->host_valid) memcpy(r->host + at, src, bytes);   /* a valid copy stays valid */
    return FD_OK;
}

fd_status fd_tensor_read_range(fd_tensor *t, size_t offset, void *dst, size_t bytes)
{
    FD_TRY(fd_tensor_check(t));
    FD_TRY(range_ok(t, offset, bytes, "fd_tensor_read_range"));
    fd_tensor *r = t->root;
    fd_backend *be = t->fd->be;
    size_t at = t->offset + offset;
    if (r->host && (r->host_dirty || !r->host_owned)) {
        if (!r->host_owned) FD_TRY(be->synchronize(be, &t->fd->err));
        memcpy(dst, r->host + at, bytes);
        return FD_OK;
    }
    FD_TRY(be->download(be, dst, r->dev + at, bytes, &t->fd->err));
    return fd_profile_sync(t->fd);
}

fd_status fd_tensor_read_f32(fd_tensor *t, float *dst, size_t n)
{
    FD_TRY(fd_tensor_check(t));
    if ((int64_t)n != t->numel)
        return fd_fail(t->fd, FD_ERR_INVALID, "fd_tensor_read_f32: %zu values asked, tensor holds %lld",
                       n, (long long)t->numel);
    void *tmp = fd_malloc(t->bytes);
    if (!tmp) return fd_fail(t->fd, FD_ERR_NOMEM, "tensor: out of memory");
    fd_status st = fd_tensor_read(t, tmp, t->bytes);
    if (st == FD_OK) fd_dequantize_row(t->dtype, tmp, dst, n);
    fd_free(tmp);
    return st;
}

fd_status fd_tensor_set_readonly(fd_tensor *t, int readonly)
{
    FD_TRY(fd_tensor_check(t));
    t->readonly = readonly != 0;
    return FD_OK;
}

fd_dtype fd_tensor_dtype(const fd_tensor *t) { return t->dtype; }
int fd_tensor_ndim(const fd_tensor *t) { return t->ndim; }
int64_t fd_tensor_dim(const fd_tensor *t, int i) { return i >= 0 && i < t->ndim ? t->dims[i] : 1; }
int64_t fd_tensor_numel(const fd_tensor *t) { return t->numel; }
size_t fd_tensor_bytes(const fd_tensor *t) { return t->bytes; }
fd_storage fd_tensor_storage(const fd_tensor *t) { return t->storage; }
int fd_tensor_readonly(const fd_tensor *t) { return t->readonly; }

fd_status fd_pool_reset(fd_foundry *fd)
{
    fd->pool_used = 0;
    fd->pool_generation++;
    return FD_OK;
}

fd_status fd_pool_reserve(fd_foundry *fd, size_t bytes)
{
    if (bytes <= fd->pool_cap) return FD_OK;
    /* the new arena first: where the device has no room for it, the old one stays as it was */
    fd_devptr p = 0;
    FD_TRY(fd->be->alloc(fd->be, bytes, &p, &fd->err));
    /* queued kernels may still read the old arena: they finish before it goes */
    fd_status st = fd->be->synchronize(fd->be, &fd->err);
    if (st != FD_OK) {
        fd->be->release(fd->be, p);
        return st;
    }
    fd->be->release(fd->be, fd->pool_base);
    fd->pool_base = p;
    fd->pool_cap = bytes;
    return fd_pool_reset(fd);   /* every handle into the old arena is invalid from here (invariant 3) */
}

size_t fd_pool_used(const fd_foundry *fd) { return fd->pool_used; }
size_t fd_pool_high_water(const fd_foundry *fd) { return fd->pool_high; }
size_t fd_pool_capacity(const fd_foundry *fd) { return fd->pool_cap; }
