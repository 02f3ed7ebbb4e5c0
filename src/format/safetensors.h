/* safetensors.h — one .safetensors file, mapped read-only and validated.
 *
 * Layer: format (internal). Layout: 8-byte little-endian header length N, N
 * bytes of JSON {"name": {"dtype", "shape", "data_offsets": [begin, end]},
 * "__metadata__": {...}}, then the data; offsets are relative to 8 + N.
 * After fd_st_open every tensor lies inside the file, has the size its dtype
 * and shape imply, and no two overlap. Tensors are not copied: `data` points
 * into the map (possibly unaligned) and is valid until fd_st_close. */
#ifndef FD_MODEL_SAFETENSORS_H
#define FD_MODEL_SAFETENSORS_H

#include <stdint.h>
#include "foundry/dtype.h"
#include "foundry/status.h"
#include "format/mapfile.h"

#define FD_ST_MAX_DIMS 8
#define FD_ST_MAX_HEADER (100u << 20)   /* the format's own limit: 100 MB */
/* Tensors in one file (a model's largest shard holds a few thousand): the
 * parsed header costs about 1 KB per entry, so a small header of many empty
 * entries is refused before it is parsed. */
#define FD_ST_MAX_TENSORS (1u << 17)

typedef struct fd_st_tensor {
    char *name;                  /* owned by the file */
    fd_dtype dtype;              /* F32, F16 or BF16 */
    uint32_t n_dims;
    uint64_t dims[FD_ST_MAX_DIMS];  /* row-major, as PyTorch */
    uint64_t n_elems;
    uint64_t bytes;
    const void *data;            /* inside the map */
} fd_st_tensor;

typedef struct fd_st_file {
    char *path;
    fd_mapfile map;
    fd_st_tensor *t;             /* n, in header order */
    uint64_t n;
} fd_st_file;

/* Opens and validates `path`; *out is freed with fd_st_close. Tensors of
 * other dtypes than BF16, F16, F32 are refused by name. */
fd_status fd_st_open(const char *path, fd_st_file **out, fd_error *err);
void fd_st_close(fd_st_file *f);   /* NULL is fine */

#endif
