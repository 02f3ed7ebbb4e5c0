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

/* Monotonic seconds, for load timings. */
double fd_now_seconds(void);

#endif
