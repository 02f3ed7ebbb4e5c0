/* kcache_disk.h — compiled kernel images (CUBINs) cached in a user folder, so
 * the second start of a process compiles nothing.
 *
 * Layer: backend/cuda (internal). One entry per file, named by the 16 hex
 * digits of a 64-bit key (the caller hashes source, architecture, options and
 * NVRTC version into it, fd_kcd_hash). File layout, little-endian:
 *   "FDKC" | u32 format version | u64 key | u64 payload bytes |
 *   u64 FNV-1a of the payload | i32 regs | i32 spill bytes | payload
 * Invariants:
 *   1. An entry is written to `<name>.tmp.<pid>.<n>` and renamed into place, so
 *      a reader sees a whole entry or none.
 *   2. A read that finds a bad magic, version, key, size or checksum logs a
 *      warning, deletes the file and reports a miss; the caller rebuilds.
 *   3. A folder that cannot be created or written is one warning, after which
 *      the cache only reads (compiles still work); one that cannot be read is
 *      one warning too, however many kernels miss.
 *   4. An entry that is not a regular file (a FIFO, a device) is never waited
 *      on: it is opened without blocking, refused and deleted.
 * The struct lives with its owner (the CUDA backend, or an offline compile
 * session); it holds no heap memory. */
#ifndef FD_KCACHE_DISK_H
#define FD_KCACHE_DISK_H

#include <stddef.h>
#include <stdint.h>
#include "foundry/dtype.h"
#include "foundry/status.h"
#include "base/hash.h"

/* What a cache has done since it was opened (tests and `foundry kernels`). */
typedef struct fd_kcache_stats {
    long compiles;          /* NVRTC runs */
    long disk_hits;         /* entries read from the folder */
    long disk_writes;       /* entries written */
    long corrupt;           /* entries found bad and deleted */
    long mem_hits;          /* backend only: compile() answered from loaded modules */
    double compile_seconds; /* total NVRTC wall time */
} fd_kcache_stats;

typedef struct fd_kcache_disk {
    char dir[1024];          /* the folder; "" when none could be named (cache off) */
    int  readonly;           /* 1 once creating or writing failed (warned once) */
    int  read_warned;        /* 1 once a folder problem on reading was warned (warned once) */
    fd_log_fn log;           /* NULL: warnings and errors go to stderr */
    void *log_user;
    fd_kcache_stats stats;
} fd_kcache_disk;

/* Names the folder: `dir` if non-NULL and non-empty, else $FOUNDRY_CACHE_DIR,
 * else $XDG_CACHE_HOME/foundry, else $HOME/.cache/foundry. Creates nothing
 * yet (the first store does). Never fails. */
void fd_kcd_open(fd_kcache_disk *dc, const char *dir, fd_log_fn log, void *log_user);

/* Looks `key` up. On a hit returns 1 and *data (free with fd_free), *size,
 * *regs, *spills; on a miss or a bad entry (deleted, warned) returns 0. */
int fd_kcd_get(fd_kcache_disk *dc, uint64_t key, void **data, size_t *size, int *regs, int *spills);

/* Stores an entry; failure is a warning (and turns writing off), not an error. */
void fd_kcd_put(fd_kcache_disk *dc, uint64_t key, const void *data, size_t size, int regs, int spills);

/* Deletes the entry for `key` (an image the driver refused), with a warning. */
void fd_kcd_drop(fd_kcache_disk *dc, uint64_t key, const char *why);

/* The entry's file path into buf; 0 if there is no folder. */
int fd_kcd_path(const fd_kcache_disk *dc, uint64_t key, char *buf, size_t cap);

/* Logs through dc->log (or stderr for WARN and above when there is none). */
void fd_kcd_log(const fd_kcache_disk *dc, fd_log_level level, const char *fmt, ...) FD_PRINTF(3, 4);


#endif
