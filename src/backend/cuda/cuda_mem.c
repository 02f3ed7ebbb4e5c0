/* cuda_mem.c — device memory and copies for the CUDA backend: cuMemAlloc'd
 * buffers (never managed memory), uploads through pinned staging, downloads
 * that return with the data in place.
 *
 * Layer: backend/cuda. Owns the pinned staging chunks (cuda_int.h invariant
 * 2), allocated on the first upload and freed by fd_cu_mem_fini. Uploads are
 * asynchronous: each piece is copied into a staging chunk, queued, and an
 * event recorded behind it; a chunk is refilled from its start only after its
 * event completed. Small uploads pack into the current chunk, large ones
 * alternate chunks so the memcpy of one overlaps the DMA of the other. */
#include <string.h>
#include "backend/cuda/cuda_int.h"

#define STAGE_ALIGN 256

static fd_status cu_alloc(fd_backend *b, size_t bytes, fd_devptr *out, fd_error *err)
{
    cu_backend *c = cu_of(b);
    CUdeviceptr p = 0;
    *out = 0;
    FD_TRY(fd_cu_use(c, err));
    FD_TRY(fd_cu_check(c, c->cu.MemAlloc(&p, bytes ? bytes : 1), err, "cuMemAlloc(%zu bytes)", bytes));
    *out = (fd_devptr)p;
    return FD_OK;
}

static void cu_release(fd_backend *b, fd_devptr p)
{
    cu_backend *c = cu_of(b);
    if (p && fd_cu_use(c, NULL) == FD_OK) (void)c->cu.MemFree((CUdeviceptr)p);
}

static fd_status refuse_in_capture(cu_backend *c, const char *what, fd_error *err)
{
    if (!c->capturing) return FD_OK;
    return fd_error_set(err, FD_ERR_STATE, "cuda: %s is not allowed during graph capture", what);
}

/* Pinned chunks and their events; on failure the backend uploads without
 * staging (synchronously) and says so once. */
static void stage_init(cu_backend *c)
{
    fd_error e = { 0 };
    c->stage_state = -1;
    for (int i = 0; i < CU_STAGE_CHUNKS; i++) {
        if (fd_cu_check(c, c->cu.MemAllocHost(&c->stage[i], CU_STAGE_BYTES), &e, "cuMemAllocHost(%zu bytes)",
                        CU_STAGE_BYTES) != FD_OK ||
            fd_cu_check(c, c->cu.EventCreate(&c->stage_ev[i], CU_EVENT_DISABLE_TIMING), &e, "cuEventCreate")) {
            if (c->log) c->log(c->log_user, FD_LOG_INFO, e.msg);
            if (c->log) c->log(c->log_user, FD_LOG_INFO, "cuda: uploads proceed without pinned staging");
            return;
        }
        c->stage_off[i] = 0;
    }
    c->stage_cur = 0;
    c->stage_state = 1;
}

static fd_status upload_direct(cu_backend *c, fd_devptr dst, const void *src, size_t n, fd_error *err)
{
    FD_TRY(fd_cu_check(c, c->cu.MemcpyHtoDAsync((CUdeviceptr)dst, src, n, c->stream), err,
                       "cuMemcpyHtoDAsync(%zu bytes)", n));
    /* the source is pageable caller memory: wait until the driver is done with it */
    return fd_cu_check(c, c->cu.StreamSynchronize(c->stream), err, "cuStreamSynchronize (upload)");
}

static fd_status cu_upload(fd_backend *b, fd_devptr dst, const void *src, size_t n, fd_error *err)
{
    cu_backend *c = cu_of(b);
    if (!n) return FD_OK;
    FD_TRY(refuse_in_capture(c, "upload", err));
    FD_TRY(fd_cu_use(c, err));
    if (c->stage_state == 0) stage_init(c);
    if (c->stage_state < 0) return upload_direct(c, dst, src, n, err);
    const unsigned char *s = src;
    for (size_t off = 0; off < n;) {
        size_t m = n - off < CU_STAGE_BYTES ? n - off : CU_STAGE_BYTES;
        int i = c->stage_cur;
        if (c->stage_off[i] + m > CU_STAGE_BYTES) {   /* move to the other chunk once its copies are done */
            i = c->stage_cur = (i + 1) % CU_STAGE_CHUNKS;
            FD_TRY(fd_cu_check(c, c->cu.EventSynchronize(c->stage_ev[i]), err, "cuEventSynchronize (staging)"));
            c->stage_off[i] = 0;
        }
        unsigned char *p = (unsigned char *)c->stage[i] + c->stage_off[i];
        memcpy(p, s + off, m);
        FD_TRY(fd_cu_check(c, c->cu.MemcpyHtoDAsync((CUdeviceptr)(dst + off), p, m, c->stream), err,
                           "cuMemcpyHtoDAsync(%zu bytes)", m));
        FD_TRY(fd_cu_check(c, c->cu.EventRecord(c->stage_ev[i], c->stream), err, "cuEventRecord (staging)"));
        c->stage_off[i] += (m + STAGE_ALIGN - 1) & ~(size_t)(STAGE_ALIGN - 1);
        off += m;
    }
    return FD_OK;
}

static fd_status cu_download(fd_backend *b, void *dst, fd_devptr src, size_t n, fd_error *err)
{
    cu_backend *c = cu_of(b);
    if (!n) return FD_OK;
    FD_TRY(refuse_in_capture(c, "download", err));
    FD_TRY(fd_cu_use(c, err));
    FD_TRY(fd_cu_check(c, c->cu.MemcpyDtoHAsync(dst, (CUdeviceptr)src, n, c->stream), err,
                       "cuMemcpyDtoHAsync(%zu bytes)", n));
    return fd_cu_check(c, c->cu.StreamSynchronize(c->stream), err, "cuStreamSynchronize (download)");
}

static fd_status cu_copy(fd_backend *b, fd_devptr dst, fd_devptr src, size_t n, fd_error *err)
{
    cu_backend *c = cu_of(b);
    if (!n) return FD_OK;
    FD_TRY(fd_cu_use(c, err));
    return fd_cu_check(c, c->cu.MemcpyDtoDAsync((CUdeviceptr)dst, (CUdeviceptr)src, n, c->stream), err,
                       "cuMemcpyDtoDAsync(%zu bytes)", n);
}

static fd_status cu_memset8(fd_backend *b, fd_devptr dst, uint8_t v, size_t n, fd_error *err)
{
    cu_backend *c = cu_of(b);
    if (!n) return FD_OK;
    FD_TRY(fd_cu_use(c, err));
    return fd_cu_check(c, c->cu.MemsetD8Async((CUdeviceptr)dst, v, n, c->stream), err,
                       "cuMemsetD8Async(%zu bytes)", n);
}

static fd_status cu_synchronize(fd_backend *b, fd_error *err)
{
    cu_backend *c = cu_of(b);
    FD_TRY(refuse_in_capture(c, "synchronize", err));
    FD_TRY(fd_cu_use(c, err));
    return fd_cu_check(c, c->cu.StreamSynchronize(c->stream), err, "cuStreamSynchronize");
}

static fd_status cu_mem_info(fd_backend *b, size_t *free_bytes, size_t *total, fd_error *err)
{
    cu_backend *c = cu_of(b);
    FD_TRY(fd_cu_use(c, err));
    return fd_cu_check(c, c->cu.MemGetInfo(free_bytes, total), err, "cuMemGetInfo");
}

void fd_cu_mem_init(cu_backend *c)
{
    fd_backend *b = &c->base;
    b->alloc = cu_alloc;
    b->release = cu_release;
    b->upload = cu_upload;
    b->download = cu_download;
    b->copy = cu_copy;
    b->mem_info = cu_mem_info;
    b->memset8 = cu_memset8;
    b->synchronize = cu_synchronize;
}

void fd_cu_mem_fini(cu_backend *c)
{
    for (int i = 0; i < CU_STAGE_CHUNKS; i++) {
        if (c->stage_ev[i]) {
            (void)c->cu.EventSynchronize(c->stage_ev[i]);
            (void)c->cu.EventDestroy(c->stage_ev[i]);
        }
        if (c->stage[i]) (void)c->cu.MemFreeHost(c->stage[i]);
        c->stage_ev[i] = NULL;
        c->stage[i] = NULL;
    }
    c->stage_state = 0;
}
