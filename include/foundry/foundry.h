/* foundry.h — the Foundry context: the one object every other call hangs off.
 *
 * Layer: core (public). A foundry owns the active backend (CPU or CUDA), the
 * memory pool, the resource registry, the kernel cache and the last error
 * message. It is not thread-safe: use one foundry per thread.
 *
 *   fd_foundry *fd;
 *   fd_error err = {0};
 *   if (fd_foundry_create(&(fd_options){ .backend = FD_BACKEND_AUTO }, &fd, &err)) ...err.msg...
 *   ...
 *   fd_foundry_destroy(fd);   // frees every tensor, resource and device buffer it still owns */
#ifndef FOUNDRY_FOUNDRY_H
#define FOUNDRY_FOUNDRY_H

#include <stddef.h>
#include <stdint.h>
#include "foundry/status.h"
#include "foundry/dtype.h"

typedef struct fd_foundry fd_foundry;

typedef enum {
    FD_BACKEND_AUTO,    /* CUDA when a driver, NVRTC and a GPU are there, else the CPU (one notice line) */
    FD_BACKEND_CPU,
    FD_BACKEND_CUDA     /* CUDA or a clear error */
} fd_backend_kind;

typedef struct fd_options {
    fd_backend_kind backend;
    size_t      pool_bytes;   /* the pooled arena; 0 = 64 MiB */
    fd_log_fn   log;          /* NULL: NOTICE and above go to stderr */
    void       *log_user;
    fd_log_level log_level;   /* messages below it are dropped; default (0) = DEBUG when log is set, else NOTICE */
    int         device;       /* CUDA device ordinal */
    const char *cache_dir;    /* kernel cache folder; NULL: $FOUNDRY_CACHE_DIR, else $XDG_CACHE_HOME/foundry, else ~/.cache/foundry */
    int         threads;      /* CPU backend: worker threads (0 = every processor this process may run on) */
} fd_options;

/* Creates a foundry; *out is NULL on failure and `err` (may be NULL) says why.
 * Free with fd_foundry_destroy. */
fd_status fd_foundry_create(const fd_options *opt, fd_foundry **out, fd_error *err) FD_MUST_USE;

/* Destroys resources in reverse creation order, then every tensor still
 * alive; dedicated tensors the caller never freed are reported as a leak
 * through the log. NULL is a no-op. */
void fd_foundry_destroy(fd_foundry *fd);

/* The message of the last failure on this foundry ("" if none). */
const char *fd_foundry_error(const fd_foundry *fd);
fd_status   fd_foundry_status(const fd_foundry *fd);
void        fd_foundry_clear_error(fd_foundry *fd);

fd_backend_kind fd_foundry_backend(const fd_foundry *fd);   /* CPU or CUDA, never AUTO */
const char     *fd_foundry_device_name(const fd_foundry *fd);
/* 1 when kernels that wait for their predecessor themselves start before it
 * ends (programmatic dependent launch: sm_90+, unless FOUNDRY_PDL=0). */
int             fd_foundry_pdl(const fd_foundry *fd);
/* compute capability x 10 (90 on an H100; 0 on the CPU), and 1 where TMA
 * tensor maps are available (CUDA 12 driver, not FOUNDRY_TMA=0) */
int             fd_foundry_arch(const fd_foundry *fd);
int             fd_foundry_tensor_maps(const fd_foundry *fd);
/* Free and total bytes of the active device's memory (host memory on the
 * CPU backend), as the device reports them now. */
fd_status fd_foundry_mem_info(fd_foundry *fd, size_t *free_bytes, size_t *total) FD_MUST_USE;
/* Multiprocessors of the device (1 on the CPU): work is split to fill them. */
unsigned fd_foundry_multiprocessors(const fd_foundry *fd);
/* Waits for all queued device work. */
fd_status fd_foundry_sync(fd_foundry *fd) FD_MUST_USE;

/* Logs through the foundry's callback (printf-style). */
void fd_log(fd_foundry *fd, fd_log_level level, const char *fmt, ...) FD_PRINTF(3, 4);

/* Graphs: the launches issued between begin and end are recorded once and
 * replayed by fd_graph_launch with one call (a decode step). Tensors must not
 * be written from the host while recording; kernels must have run once
 * before (so nothing compiles mid-capture). FD_ERR_UNSUPPORTED on the CPU.
 * fd_graph_end's graph is freed with fd_graph_free. */
typedef struct fd_graph fd_graph;
fd_status fd_graph_begin(fd_foundry *fd) FD_MUST_USE;
fd_status fd_graph_end(fd_foundry *fd, fd_graph **out) FD_MUST_USE;
fd_status fd_graph_launch(fd_foundry *fd, fd_graph *g) FD_MUST_USE;
void      fd_graph_free(fd_foundry *fd, fd_graph *g);

/* Number of dedicated tensors currently alive (for leak checks in tests). */
size_t fd_foundry_live_tensors(const fd_foundry *fd);

#endif
