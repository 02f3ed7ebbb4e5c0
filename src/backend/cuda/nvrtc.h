/* nvrtc.h — compiling generated CUDA source to a CUBIN with NVRTC, through the
 * on-disk kernel cache; usable without a driver or GPU (`foundry kernels
 * --compile-all` on a CI machine).
 *
 * Layer: backend/cuda (internal). The CUDA backend and the offline entry
 * points share fd_nvrtc_build, so they pass the same options and a kernel
 * compiled offline for sm_<arch> is a disk hit for a GPU run of that arch.
 * Options: --gpu-architecture=sm_<arch> -default-device --std=c++17
 * --extra-device-vectorization -Xptxas=-v (IEEE math: no fast-math flag;
 * NVRTC 13 rejects "-use_fast_math=false", and off is its default). */
#ifndef FD_NVRTC_H
#define FD_NVRTC_H

#include <stddef.h>
#include <stdint.h>
#include "foundry/status.h"
#include "backend/backend.h"
#include "backend/cuda/cuda_api.h"
#include "backend/cuda/kcache_disk.h"

/* As fd_nvrtc_compile_offline with a caller-owned cache (its folder, log and
 * counters: dc->stats.compiles vs dc->stats.disk_hits), for tests and for a
 * compile-all loop that reports what it did. */
fd_status fd_nvrtc_compile_cached(fd_kcache_disk *dc, int arch, const char *name, const char *source,
                                  int *regs, int *spills_bytes, double *seconds, fd_error *err);

/* A compiled image. `data` is owned: free with fd_nvrtc_image_free. */
typedef struct fd_nvrtc_image {
    void    *data;        /* CUBIN */
    size_t   size;
    int      regs, spills;/* from ptxas -v; -1 unknown */
    int      from_disk;   /* 1: read from the disk cache, no NVRTC run */
    uint64_t disk_key;    /* the entry's key (to drop it if the driver refuses the image) */
    double   seconds;     /* NVRTC wall time; 0 on a disk hit */
} fd_nvrtc_image;

/* The CUBIN of `source` for sm_<arch>: from `dc` (may be NULL: no disk cache)
 * or compiled with `api` and stored. On FD_ERR_COMPILE the full text (log and
 * source context) is also logged at FD_LOG_ERROR through dc's log. */
fd_status fd_nvrtc_build(const fd_nvrtc_api *api, fd_kcache_disk *dc, int arch, const char *name,
                         const char *source, fd_nvrtc_image *out, fd_error *err);
void fd_nvrtc_image_free(fd_nvrtc_image *img);

/* The hash of everything besides `source` and `name` that determines the
 * binary: options, arch and NVRTC version (the backend mixes it into its
 * in-memory keys). */
uint64_t fd_nvrtc_options_hash(const fd_nvrtc_api *api, int arch);

/* The CUDA backend's kernel-cache counters (compiles, disk and memory hits);
 * FD_ERR_INVALID if `b` is not a CUDA backend. */
struct fd_backend;
fd_status fd_cuda_cache_stats(struct fd_backend *b, fd_kcache_stats *out);

#endif
