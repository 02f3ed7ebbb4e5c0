/* mapfile.h — a whole file mapped read-only, for the model readers.
 *
 * Layer: format (internal). fd_mapfile_open maps `path` (an empty file is a
 * valid zero-length map with data == NULL); fd_mapfile_close unmaps it and
 * invalidates every pointer into it. A FIFO, device or socket is refused at
 * once, naming what it is. */
#ifndef FD_MODEL_MAPFILE_H
#define FD_MODEL_MAPFILE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include "foundry/status.h"

typedef struct fd_mapfile {
    const uint8_t *data;   /* size bytes, read-only; NULL when size == 0 */
    uint64_t size;
} fd_mapfile;

/* On failure *m is zeroed and `err` names the file and the system error. */
fd_status fd_mapfile_open(const char *path, fd_mapfile *m, fd_error *err);
void fd_mapfile_close(fd_mapfile *m);   /* safe on a zeroed or closed map */

/* Parses the JSON file `path` (a regular file: a FIFO or a device is refused at
 * once, never waited on) with Jansson's `flags`. *out is the tree (free with
 * json_decref) or NULL; FD_ERR_IO says why the file cannot be read (missing,
 * permission denied, not a regular file), FD_ERR_FORMAT gives line and
 * column of invalid JSON. */
fd_status fd_json_read(const char *path, size_t flags, json_t **out, fd_error *err);

#endif
