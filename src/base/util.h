/* util.h — small helpers the file readers share: UTF-8 validation, a string
 * index (name -> position) for key and tensor look-up, paths.
 *
 * Layer: base (internal). A name index borrows the names it is given; they
 * must outlive it. Free it with fd_nameidx_free. */
#ifndef FD_MODEL_UTIL_H
#define FD_MODEL_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include "foundry/status.h"

/* 1 when s[0..n) is well-formed UTF-8 (no overlongs, no surrogates). */
int fd_utf8_valid(const char *s, uint64_t n);

typedef struct fd_nameidx {
    const char **names;  /* borrowed; slot -> name, NULL when empty */
    uint32_t *pos;       /* slot -> position given at insert */
    uint32_t cap;        /* a power of two, at least twice the count */
} fd_nameidx;

/* Room for n names. FD_ERR_NOMEM on failure. */
fd_status fd_nameidx_init(fd_nameidx *ix, uint64_t n);
/* Adds name at position pos; returns 0 if the name was already present (and
 * sets *prev to its position when prev is not NULL), 1 if added. */
int fd_nameidx_add(fd_nameidx *ix, const char *name, uint32_t pos, uint32_t *prev);
/* Position of name or -1. */
int64_t fd_nameidx_get(const fd_nameidx *ix, const char *name);
void fd_nameidx_free(fd_nameidx *ix);

/* "<dir>/<name>" in a new string the caller frees with fd_free; NULL on OOM. */
char *fd_path_join(const char *dir, const char *name);
/* 1 if path is an existing directory / regular file. */
int fd_is_dir(const char *path);
int fd_is_file(const char *path);

/* s[0..n) made safe to print: printable ASCII as is, '\\' doubled, anything
 * else (control characters, escape sequences, bytes >= 0x80) as \xNN; cut
 * with "..." to fit `cap` (> 4) bytes with the NUL. Returns buf. */
char *fd_escape(const char *s, size_t n, char *buf, size_t cap);

/* Whether an optional input file is there: *present = 1 for a regular file,
 * 0 when nothing has that name. Something else under the name (a FIFO, a
 * device, a folder) or a name that cannot be looked at (permission denied,
 * a path through a file) is FD_ERR_IO saying so. */
fd_status fd_probe_file(const char *path, int *present, fd_error *err);

/* An input given by the user: FD_OK when `path` is a regular file or a folder
 * (*is_dir says which); otherwise FD_ERR_IO with the system's reason (missing,
 * permission denied, not a directory) or what it is (a FIFO, a device...). */
fd_status fd_probe_input(const char *path, int *is_dir, fd_error *err);

/* FD_OK when `path` may be replaced by a new file: it does not exist, or it
 * is a regular file (not a link, device, FIFO, socket or folder). Otherwise
 * FD_ERR_IO naming what it is. */
fd_status fd_check_output_path(const char *path, fd_error *err);
/* 1 when a and b name the same existing file (device and inode). */
int fd_same_file(const char *a, const char *b);
/* "a regular file", "a folder", "a FIFO", "a character device"... for st_mode. */
const char *fd_file_kind(unsigned mode);

/* Monotonic seconds, for load timings. */
double fd_now_seconds(void);

#endif
