/* tensor.h — tensors: typed, shaped views of device memory with a host copy.
 *
 * Layer: core (public). Storage kinds (the seed's typestate, checked at run time):
 *   dedicated  its own device buffer; freed by fd_tensor_free
 *   pooled     carved from the foundry's arena; its handle is freed by
 *              fd_tensor_free, its memory by fd_pool_reset — after which any
 *              use of the handle is an FD_ERR_STATE error (generation counter)
 *   view       a window on a parent (or on another view); lives as long as its
 *              root and is released with it; fd_tensor_free on a view is an error
 * Dims are row-major, dims[0] outermost; a quantized tensor's innermost dim is
 * a whole number of 32-value blocks. Host staging: writes go to a host copy and
 * are marked dirty; fd_run (or fd_tensor_flush) uploads them before a launch. */
#ifndef FOUNDRY_TENSOR_H
#define FOUNDRY_TENSOR_H

#include "foundry/foundry.h"

#define FD_MAX_DIMS 4

typedef struct fd_tensor fd_tensor;

typedef enum { FD_STORAGE_DEDICATED, FD_STORAGE_POOLED, FD_STORAGE_VIEW } fd_storage;
typedef enum { FD_INIT_UNINIT, FD_INIT_ZEROS, FD_INIT_ONES, FD_INIT_COPY } fd_init;

/* Semantic wrappers: APIs where a swap is easy take these, so the compiler
 * rejects passing a key where a query is expected. */
typedef struct { fd_tensor *t; } fd_query;
typedef struct { fd_tensor *t; } fd_key;
typedef struct { fd_tensor *t; } fd_value;
typedef struct { fd_tensor *t; } fd_weight;

/* A dedicated tensor of `ndim` dims. init COPY reads fd_tensor_bytes() bytes
 * from `src` (on a device the host cannot address: uploaded at once, no host
 * copy kept; `src` may be reused on return); ONES writes 1 in the dtype
 * (f32/f16/bf16/i32 only). *out is NULL on failure; free with fd_tensor_free. */
fd_status fd_tensor_alloc(fd_foundry *fd, fd_dtype dtype, int ndim, const int64_t *dims,
                          fd_init init, const void *src, fd_tensor **out) FD_MUST_USE;
/* The same, carved from the foundry's pool (see fd_pool_reset). */
fd_status fd_tensor_alloc_pooled(fd_foundry *fd, fd_dtype dtype, int ndim, const int64_t *dims,
                                 fd_init init, const void *src, fd_tensor **out) FD_MUST_USE;
/* A contiguous view: `ndim` dims starting `offset` elements into `base` (a
 * whole number of blocks for quantized types); must lie inside base. Owned by
 * base's root. */
fd_status fd_tensor_view(fd_tensor *base, int64_t offset, int ndim, const int64_t *dims,
                         fd_tensor **out) FD_MUST_USE;
/* Frees a dedicated or pooled tensor handle and its views. A view is refused. */
fd_status fd_tensor_free(fd_tensor *t);

/* Host-side access. write/read copy whole tensors (bytes must equal
 * fd_tensor_bytes); read waits for queued device work. */
fd_status fd_tensor_write(fd_tensor *t, const void *src, size_t bytes) FD_MUST_USE;
fd_status fd_tensor_read(fd_tensor *t, void *dst, size_t bytes) FD_MUST_USE;
/* Bytes [offset, offset + bytes) of a tensor, copied alone: the write goes
 * into the host copy where that is newer than the device or equal to it (and
 * is uploaded with it), else straight to the device, in stream order, without
 * the download a whole-copy update would need; the read downloads that range
 * alone. For small updates of a large tensor the device keeps writing (a
 * token history). */
fd_status fd_tensor_write_range(fd_tensor *t, size_t offset, const void *src, size_t bytes) FD_MUST_USE;
fd_status fd_tensor_read_range(fd_tensor *t, size_t offset, void *dst, size_t bytes) FD_MUST_USE;
/* Reads the tensor converted to f32 (n = element count); any dtype. */
fd_status fd_tensor_read_f32(fd_tensor *t, float *dst, size_t n) FD_MUST_USE;
/* Uploads the host copy if it is dirty. */
fd_status fd_tensor_flush(fd_tensor *t) FD_MUST_USE;
/* Read-only tensors refuse writes and cannot be kernel outputs. A kernel may
 * read them before the kernel ahead of it in the stream has finished (the
 * GEMVs read their weights so), so make a tensor read-only only when no
 * kernel writing it is still pending: at load time, or after
 * fd_foundry_sync. */
fd_status fd_tensor_set_readonly(fd_tensor *t, int readonly);

/* Host pointer to a tensor's first byte, uploading nothing; only for the CPU
 * backend, where device memory is host memory (NULL elsewhere): what a
 * kernel's CPU twin (fd_kernel.cpu) reads and writes. */
void *fd_tensor_data(const fd_tensor *t);
fd_dtype    fd_tensor_dtype(const fd_tensor *t);
int         fd_tensor_ndim(const fd_tensor *t);
int64_t     fd_tensor_dim(const fd_tensor *t, int i);     /* 1 past ndim */
int64_t     fd_tensor_numel(const fd_tensor *t);
size_t      fd_tensor_bytes(const fd_tensor *t);
fd_storage  fd_tensor_storage(const fd_tensor *t);
int         fd_tensor_readonly(const fd_tensor *t);
/* FD_OK if the handle may be used; FD_ERR_STATE (message on the foundry) if it is
 * a pooled tensor (or a view of one) from before the last fd_pool_reset. */
fd_status   fd_tensor_check(const fd_tensor *t);

/* The pool: one arena per foundry; allocations are bump-allocated at 256-byte
 * alignment. Reset invalidates every pooled tensor handed out before it. */
fd_status fd_pool_reset(fd_foundry *fd);
/* Grows the arena to at least `bytes` (never shrinks it): a new one is
 * allocated, the device drained, the old one freed, and the pool reset, so
 * every pooled tensor handed out before is invalid, as after fd_pool_reset.
 * Where the device has no room, FD_ERR_NOMEM and the old arena unchanged. */
fd_status fd_pool_reserve(fd_foundry *fd, size_t bytes) FD_MUST_USE;
size_t    fd_pool_used(const fd_foundry *fd);
size_t    fd_pool_high_water(const fd_foundry *fd);
size_t    fd_pool_capacity(const fd_foundry *fd);

#endif
