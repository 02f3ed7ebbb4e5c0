/* backend.h — the backend interface: a table of functions over one device.
 *
 * Layer: backend (internal). The foundry talks to the device only through
 * this table (ggml-backend's idea). Device memory is named by a 64-bit address
 * (`fd_devptr`) that only the backend interprets; on the CPU it is a host
 * pointer. Every function gets `err` for its message.
 *
 * Members, required unless marked optional (default in brackets):
 *   alloc, release, upload, download, copy, synchronize, destroy
 *   memset      optional [upload of a filled host buffer]
 *   host_ptr    optional [NULL: memory is not host-addressable]. Non-NULL only
 *               where device memory is host memory (CPU): tensors then need
 *               no staging copy.
 *   compile     optional [NULL: kernels run through their CPU function].
 *               Source text -> launchable function, cached by the backend.
 *   launch      optional, required with compile. Queues one launch. A
 *               cooperative launch the device cannot hold at once (too many
 *               blocks, MPS, another process's work) is FD_ERR_UNAVAILABLE.
 *   resident    optional [NULL: unknown]. Blocks of `fn` a multiprocessor
 *               holds at once with `threads` threads and `shared` dynamic
 *               shared bytes (the occupancy calculator); 0, not an error,
 *               past what a block may have.
 *   graph_*     optional [NULL: no graph capture].
 *   mem_info    optional [NULL: unknown]. Free and total device bytes.
 *   event_record, event_elapsed, event_free
 *               optional [NULL: no device timing; the profiler reads the
 *               host's monotonic clock]. An event marks a point of the stream.
 *   event_done  optional [NULL: an event counts as complete only after
 *               synchronize]. 1 when the work before the event has finished
 *               (never waits), 0 when not yet, negative on error.
 *   tensor_map  optional [NULL: no tensor maps; kernels that need them are
 *               not chosen]. Encodes a TMA tensor map. CUDA: set where the
 *               driver has cuTensorMapEncodeTiled, unless FOUNDRY_TMA=0. */
#ifndef FD_BACKEND_H
#define FD_BACKEND_H

#include <stddef.h>
#include <stdint.h>
#include "foundry/dtype.h"
#include "foundry/status.h"

/* The oldest GPU architecture the kernels run on (sm_80: cp.async, bf16); the
 * CUDA backend refuses an older GPU when it starts, naming both. */
#define FD_MIN_ARCH 80

/* An architecture number with this bit set names sm_<arch>a: the
 * arch-specific features (wgmma, the tensor-memory accelerator's tensor maps)
 * that run on that compute capability only, never on a later one. NVRTC and
 * the caches take it as part of the architecture; a kernel asks for it with
 * FD_KERNEL_SM90A. */
#define FD_ARCH_SPECIFIC 0x10000
/* "sm_90", "sm_90a": the NVRTC spelling of an architecture number */
static inline const char *fd_arch_str(int arch, char buf[16])
{
    int n = arch & 0xffff, a = (arch & FD_ARCH_SPECIFIC) != 0;
    buf[0] = 's'; buf[1] = 'm'; buf[2] = '_';
    int i = 3;
    if (n >= 100) buf[i++] = (char)('0' + n / 100 % 10);
    buf[i++] = (char)('0' + n / 10 % 10);
    buf[i++] = (char)('0' + n % 10);
    if (a) buf[i++] = 'a';
    buf[i] = '\0';
    return buf;
}

typedef uint64_t fd_devptr;

typedef struct fd_launch {
    unsigned grid[3], block[3];
    unsigned shared_bytes;       /* dynamic shared memory */
    int pdl;                     /* the kernel is FD_KERNEL_PDL: it may start before its predecessor ends */
    int cooperative;             /* every block co-resident (a persistent kernel whose blocks wait on each
                                    other): the launch fails with FD_ERR_UNAVAILABLE rather than run them
                                    in waves */
} fd_launch;

/* A kernel compiled for the device. */
typedef struct fd_devfn {
    void *fn;                   /* backend handle (CUfunction) */
    int regs, spills, shared;   /* from the compiled image, -1 if unknown */
} fd_devfn;

/* compile's flags */
#define FD_COMPILE_ARCH_SPECIFIC 1u

typedef struct fd_backend fd_backend;
struct fd_backend {
    const char *name;            /* "cpu", "cuda" */
    char device_name[128];
    int  arch;                   /* compute capability * 10 (90 on the H100); 0 on the CPU */
    unsigned sms;                /* multiprocessors (132 on the H100 SXM); 1 on the CPU */
    int  threads;                /* CPU: worker threads of the CPU twins (>= 1; default the processors
                                    this process may run on, fd_options.threads overrides); 0 on CUDA */
    int  pdl;                    /* FD_KERNEL_PDL kernels overlap their predecessor's tail (programmatic
                                    dependent launch: sm_90+, not turned off by FOUNDRY_PDL=0) */

    fd_status (*alloc)(fd_backend *b, size_t bytes, fd_devptr *out, fd_error *err);
    void      (*release)(fd_backend *b, fd_devptr p);
    fd_status (*upload)(fd_backend *b, fd_devptr dst, const void *src, size_t n, fd_error *err);
    fd_status (*download)(fd_backend *b, void *dst, fd_devptr src, size_t n, fd_error *err);
    fd_status (*copy)(fd_backend *b, fd_devptr dst, fd_devptr src, size_t n, fd_error *err);
    fd_status (*memset8)(fd_backend *b, fd_devptr dst, uint8_t v, size_t n, fd_error *err);
    fd_status (*mem_info)(fd_backend *b, size_t *free_bytes, size_t *total, fd_error *err);
    fd_status (*synchronize)(fd_backend *b, fd_error *err);
    void      (*destroy)(fd_backend *b);

    void     *(*host_ptr)(fd_backend *b, fd_devptr p);
    /* name: the entry point in `source`; key: a hash of everything that
     * determines the binary (the backend adds its architecture and options).
     * flags: FD_COMPILE_ARCH_SPECIFIC compiles for sm_<arch>a (the backend's
     * own architecture with its arch-specific features). */
    fd_status (*compile)(fd_backend *b, const char *name, const char *source, uint64_t key, unsigned flags,
                         fd_devfn *out, fd_error *err);
    /* params: the kernel's single by-value struct argument, `size` bytes. */
    fd_status (*launch)(fd_backend *b, const fd_devfn *fn, const fd_launch *l,
                        const void *params, size_t size, fd_error *err);
    fd_status (*resident)(fd_backend *b, const fd_devfn *fn, unsigned threads, unsigned shared, int *blocks,
                          fd_error *err);
    /* Graph capture of the stream's launches: begin, end -> graph, replay, free. */
    fd_status (*graph_begin)(fd_backend *b, fd_error *err);
    fd_status (*graph_end)(fd_backend *b, void **graph, fd_error *err);
    fd_status (*graph_launch)(fd_backend *b, void *graph, fd_error *err);
    void      (*graph_free)(fd_backend *b, void *graph);
    /* Device timing events (profiling, benchmarks): record makes a new event
     * at the stream's current point (freed with event_free); elapsed waits for
     * `bev` and gives the milliseconds from `a` to it. */
    fd_status (*event_record)(fd_backend *b, void **ev, fd_error *err);
    fd_status (*event_elapsed)(fd_backend *b, void *a, void *bev, float *ms, fd_error *err);
    void      (*event_free)(fd_backend *b, void *ev);
    int       (*event_done)(fd_backend *b, void *ev);
    /* The tensor map (128 bytes at `out`, 64-byte aligned) of a row-major
     * (rows, cols) matrix of 16-bit elements at `base`: boxes of box_rows x
     * box_cols (cols * 2 bytes <= 128: one 128-byte swizzle span), the
     * 128-byte swizzle, elements outside the matrix read as zero. A pure
     * host computation: valid as long as the memory at `base` is. */
    fd_status (*tensor_map)(fd_backend *b, void *out, fd_devptr base, uint64_t rows, uint64_t cols,
                            unsigned box_rows, unsigned box_cols, fd_error *err);
};

/* Constructors; *out is NULL on failure. cuda fails with FD_ERR_UNAVAILABLE
 * when there is no driver, no NVRTC or no device. */
fd_status fd_backend_cpu_create(fd_backend **out, fd_error *err);
fd_status fd_backend_cuda_create(int device, const char *cache_dir, fd_log_fn log, void *log_user,
                                 fd_backend **out, fd_error *err);

/* Offline compilation (backend/cuda/nvrtc.c), for `foundry kernels
 * --compile-all` on a machine without a GPU. */
/* Compiles `source` with NVRTC alone for sm_<arch> (no driver or GPU needed;
 * arch may carry FD_ARCH_SPECIFIC);
 * fills what ptxas reports: registers per thread and spill-store bytes of the
 * entry point `name` (-1 where the log does not say), and the wall seconds
 * the call took (a disk hit is cheap). Uses the default cache folder
 * ($FOUNDRY_CACHE_DIR, else $XDG_CACHE_HOME/foundry, else ~/.cache/foundry);
 * cache warnings go to stderr. Any out-pointer may be NULL.
 * FD_ERR_UNAVAILABLE without NVRTC; FD_ERR_COMPILE with the log and the source
 * lines around each error. */
fd_status fd_nvrtc_compile_offline(int arch, const char *name, const char *source, int *regs,
                                   int *spills_bytes, double *seconds, fd_error *err);

/* 1 if NVRTC loads; else 0 and why (into `why`, may be NULL). */
int fd_nvrtc_available(char *why, size_t cap);

#endif
