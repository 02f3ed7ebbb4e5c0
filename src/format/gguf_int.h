/* gguf_int.h — internals shared by gguf_read.c, gguf_write.c and gguf_common.c.
 *
 * Layer: format (internal). */
#ifndef FD_MODEL_GGUF_INT_H
#define FD_MODEL_GGUF_INT_H

#include <stdint.h>
#include "foundry/gguf.h"

/* Block layout of a ggml type id; 0 if the id is unknown. */
int fd_gguf_ggml_layout(int id, unsigned *block_elems, unsigned *block_bytes);
/* Little-endian unsigned of n (<= 8) bytes at p. */
uint64_t fd_gguf_rd(const uint8_t *p, unsigned n);
/* The scalar of type t stored at p, widened. */
fd_gguf_value fd_gguf_scalar(fd_gguf_type t, const uint8_t *p);

/* The reader's int32 conversion of an integer-array key (gguf_read.c);
 * *bad is set when an item does not fit. FD_ERR_INVALID if none. */
fd_status fd_gguf_int_array_(const fd_gguf *g, const char *key, const int32_t **items, int *bad);

#define FD_GGUF_MAX_DEPTH 8           /* nesting of arrays in arrays */
#define FD_GGUF_MAX_KEY 65535u        /* bytes in a key (spec) */
#define FD_GGUF_MAX_NAME 4096u        /* bytes in a tensor name (ours; ggml uses 64) */

#endif
