/* cpu.c — the CPU backend: device memory is host memory, kernels run their
 * CPU reference functions (so this backend has no compile/launch members),
 * and synchronize has nothing to wait for. The twins share their rows over
 * `threads` OpenMP workers (simd.h has their vectorised inner loops).
 *
 * Layer: backend. The default where no GPU is present and the oracle every
 * GPU result is compared with. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <stdio.h>
#include <omp.h>
#include "backend/backend.h"
#include "base/mem.h"

static fd_status cpu_alloc(fd_backend *b, size_t bytes, fd_devptr *out, fd_error *err)
{
    (void)b;
    void *p = NULL;
    size_t n = (bytes + 63) & ~(size_t)63;
    if (n < bytes || !(p = fd_malloc(n ? n : 64)))
        return fd_error_set(err, FD_ERR_NOMEM, "cpu: cannot allocate %zu bytes", bytes);
    *out = (fd_devptr)(uintptr_t)p;
    return FD_OK;
}

static void cpu_release(fd_backend *b, fd_devptr p) { (void)b; fd_free((void *)(uintptr_t)p); }

static fd_status cpu_upload(fd_backend *b, fd_devptr dst, const void *src, size_t n, fd_error *err)
{
    (void)b, (void)err;
    memmove((void *)(uintptr_t)dst, src, n);
    return FD_OK;
}

static fd_status cpu_download(fd_backend *b, void *dst, fd_devptr src, size_t n, fd_error *err)
{
    (void)b, (void)err;
    memmove(dst, (const void *)(uintptr_t)src, n);
    return FD_OK;
}

static fd_status cpu_copy(fd_backend *b, fd_devptr dst, fd_devptr src, size_t n, fd_error *err)
{
    (void)b, (void)err;
    memmove((void *)(uintptr_t)dst, (const void *)(uintptr_t)src, n);
    return FD_OK;
}

static fd_status cpu_memset8(fd_backend *b, fd_devptr dst, uint8_t v, size_t n, fd_error *err)
{
    (void)b, (void)err;
    memset((void *)(uintptr_t)dst, v, n);
    return FD_OK;
}

static fd_status cpu_sync(fd_backend *b, fd_error *err) { (void)b, (void)err; return FD_OK; }
static void *cpu_host_ptr(fd_backend *b, fd_devptr p) { (void)b; return (void *)(uintptr_t)p; }
static void cpu_destroy(fd_backend *b) { fd_free(b); }

/* Host memory the system could hand out now (MemAvailable), and its total. */
static fd_status cpu_mem_info(fd_backend *b, size_t *free_bytes, size_t *total, fd_error *err)
{
    (void)b;
    long page = sysconf(_SC_PAGESIZE), avail = sysconf(_SC_AVPHYS_PAGES), all = sysconf(_SC_PHYS_PAGES);
    FILE *f = fopen("/proc/meminfo", "r");
    if (f) {   /* MemAvailable counts reclaimable caches, which _SC_AVPHYS_PAGES does not */
        char line[128];
        unsigned long long kb;
        while (fgets(line, sizeof line, f))
            if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1) avail = (long)(kb * 1024 / (unsigned long long)page);
        fclose(f);
    }
    if (page <= 0 || avail < 0 || all <= 0) return fd_error_set(err, FD_ERR_UNAVAILABLE, "cpu: cannot read the memory size");
    *free_bytes = (size_t)avail * (size_t)page;
    *total = (size_t)all * (size_t)page;
    return FD_OK;
}

fd_status fd_backend_cpu_create(fd_backend **out, fd_error *err)
{
    fd_backend *b = fd_calloc(1, sizeof *b);
    *out = NULL;
    if (!b) return fd_error_set(err, FD_ERR_NOMEM, "cpu backend: out of memory");
    b->name = "cpu";
    strcpy(b->device_name, "CPU");
    b->sms = 1;
    b->threads = omp_get_num_procs();
    b->alloc = cpu_alloc;
    b->release = cpu_release;
    b->upload = cpu_upload;
    b->download = cpu_download;
    b->copy = cpu_copy;
    b->mem_info = cpu_mem_info;
    b->memset8 = cpu_memset8;
    b->synchronize = cpu_sync;
    b->destroy = cpu_destroy;
    b->host_ptr = cpu_host_ptr;
    *out = b;
    return FD_OK;
}
