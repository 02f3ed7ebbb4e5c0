/* mapfile.h — a whole file mapped read-only, for the model readers.
 *
 * Layer: format (internal). fd_mapfile_open maps `path` (an empty file is a
 * valid zero-length map with data == NULL); fd_mapfile_close unmaps it and
 * invalidates every pointer into it. */
#ifndef FD_MODEL_MAPFILE_H
#define FD_MODEL_MAPFILE_H

#include <stdint.h>
#include "foundry/status.h"

typedef struct fd_mapfile {
    const uint8_t *data;   /* size bytes, read-only; NULL when size == 0 */
    uint64_t size;
} fd_mapfile;

/* On failure *m is zeroed and `err` names the file and the system error. */
fd_status fd_mapfile_open(const char *path, fd_mapfile *m, fd_error *err);
void fd_mapfile_close(fd_mapfile *m);   /* safe on a zeroed or closed map */

#endif
