/* cuda_int.h — the CUDA backend's insides, shared by its files (create and
 * kernels in cuda_backend.c, memory in cuda_mem.c, graphs and events in
 * cuda_graph.c).
 *
 * Layer: backend/cuda (internal). Invariants:
 *   1. All device work goes to `stream` (non-blocking), so it runs in the
 *      order it was queued; download and synchronize wait for it.
 *   2. Every staging byte handed to an upload is reused only after the event
 *      recorded behind that upload's copy has completed (stage_ev), so the
 *      caller's buffer is free when upload returns and no copy reads a
 *      chunk that is being refilled.
 *   3. mods[] holds every loaded module until destroy; a CUfunction handed
 *      out in an fd_devfn stays valid until then.
 *   4. While `capturing`, calls that would wait for the stream or read host
 *      memory at replay (upload, download, synchronize) are refused. */
#ifndef FD_CUDA_INT_H
#define FD_CUDA_INT_H

#include "backend/backend.h"
#include "backend/cuda/cuda_api.h"
#include "backend/cuda/kcache_disk.h"

#define CU_STAGE_CHUNKS 2
#define CU_STAGE_BYTES ((size_t)8 << 20)

/* A loaded kernel: one module per compiled source, keyed by the caller's key
 * mixed with the entry name, options, arch and NVRTC version. */
typedef struct cu_kernel {
    uint64_t   key;
    CUmodule   mod;
    CUfunction fn;
    int        regs, spills, shared;
    int        dyn_shared;   /* MAX_DYNAMIC_SHARED_SIZE_BYTES set so far (0: default 48 KiB) */
    char      *name;         /* owned */
} cu_kernel;

typedef struct cu_backend {
    fd_backend   base;          /* first member: an fd_backend* is a cu_backend* */
    fd_cu_api    cu;
    fd_nvrtc_api nvrtc;
    CUdevice     dev;
    CUcontext    ctx;           /* the device's primary context, retained */
    int          ctx_retained;
    CUstream     stream;
    int          capturing;     /* between graph_begin and graph_end */
    /* pinned staging for uploads (invariant 2); stage_state 0 untried, 1 ready, -1 unavailable */
    int          stage_state;
    int          stage_cur;                       /* chunk being filled */
    size_t       stage_off[CU_STAGE_CHUNKS];      /* bytes used in each chunk */
    void        *stage[CU_STAGE_CHUNKS];
    CUevent      stage_ev[CU_STAGE_CHUNKS];       /* recorded after the last copy out of each chunk */
    /* kernels (invariant 3) */
    cu_kernel   *kernels;
    size_t       nkernels, capkernels;
    int          smem_optin;    /* shared bytes a block may opt into (0: the driver did not say) */
    uint64_t     opts_hash;     /* fd_nvrtc_options_hash for this device */
    uint64_t     opts_hash_a;   /* the same for its arch-specific target (sm_90a) */
    fd_kcache_disk disk;        /* CUBIN cache and the compile counters */
    fd_log_fn    log;
    void        *log_user;
} cu_backend;

static inline cu_backend *cu_of(fd_backend *b) { return (cu_backend *)(void *)b; }

/* FD_OK if r is CUDA_SUCCESS; else FD_ERR_DEVICE with "<op>: <NAME>: <text>"
 * where op is printf-formatted. */
fd_status fd_cu_check(cu_backend *c, CUresult r, fd_error *err, const char *fmt, ...) FD_PRINTF(4, 5);

/* Makes the backend's context current on the calling thread. */
fd_status fd_cu_use(cu_backend *c, fd_error *err);
/* FD_ERR_UNSUPPORTED naming the device, its sm_<arch> and FD_MIN_ARCH when the
 * GPU is older than the kernels need; checked when the backend starts. */
fd_status fd_cu_check_arch(int device, const char *name, int arch, fd_error *err);

/* Fill the members each file implements; fini releases what it acquired. */
void fd_cu_mem_init(cu_backend *c);
void fd_cu_mem_fini(cu_backend *c);
void fd_cu_graph_init(cu_backend *c);

#endif
