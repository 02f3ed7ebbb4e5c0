/* gguf.h — GGUF v3 model files: a bounds-checked reader over a read-only
 * memory map, and a writer that produces a file atomically (temp + rename).
 *
 * Layer: format (public). A reader owns its map and every parsed structure;
 * all pointers it hands out (strings, arrays, tensor data) stay valid until
 * fd_gguf_close. Strings from the file are NOT NUL-terminated (fd_gguf_str),
 * except keys and tensor names, which are copied and terminated.
 *
 * Dimensions: GGUF stores ne[] fastest-varying first, so a PyTorch (rows, cols)
 * weight has ne = {cols, rows}. This API reports ne[] exactly as GGUF does;
 * include/foundry/model.h is where they become row-major (rows, cols). */
#ifndef FOUNDRY_GGUF_H
#define FOUNDRY_GGUF_H

#include <stdint.h>
#include "foundry/dtype.h"
#include "foundry/status.h"

#define FD_GGUF_MAGIC 0x46554747u      /* "GGUF" little-endian */
#define FD_GGUF_VERSION 3u
#define FD_GGUF_DEFAULT_ALIGNMENT 32u
#define FD_GGUF_MAX_DIMS 4

/* Metadata value types, numbered as in the GGUF specification. */
#define FD_GGUF_TYPE_LIST(X) \
    X(U8, "u8", 0)  X(I8, "i8", 1)   X(U16, "u16", 2) X(I16, "i16", 3) \
    X(U32, "u32", 4) X(I32, "i32", 5) X(F32, "f32", 6) X(BOOL, "bool", 7) \
    X(STRING, "string", 8) X(ARRAY, "array", 9) X(U64, "u64", 10) \
    X(I64, "i64", 11) X(F64, "f64", 12)

typedef enum {
#define FD_GGUF_TYPE_ENUM_(E, s, n) FD_GGUF_##E = n,
    FD_GGUF_TYPE_LIST(FD_GGUF_TYPE_ENUM_)
#undef FD_GGUF_TYPE_ENUM_
    FD_GGUF_TYPE_COUNT
} fd_gguf_type;

const char *fd_gguf_type_name(fd_gguf_type t);   /* "u32"; "?" if out of range */
int fd_gguf_type_is_int(fd_gguf_type t);         /* u8..i64 (not bool) */
/* Size of a scalar value of type t in the file (0 for STRING and ARRAY). */
unsigned fd_gguf_type_size(fd_gguf_type t);

typedef struct fd_gguf fd_gguf;
typedef struct fd_gguf_str { const char *ptr; uint64_t len; } fd_gguf_str;   /* not NUL-terminated */

/* One metadata value. Scalars are widened: u8..u64 in .u, i8..i64 in .i,
 * f32/f64 in .f, bool in .b (0/1). An array holds `n` items of `type`:
 *   scalar items: `data` points at n packed little-endian values of
 *                 fd_gguf_type_size(type) bytes each (possibly unaligned;
 *                 read them with fd_gguf_array_item);
 *   STRING items: `data` is a `const fd_gguf_str *` of n entries;
 *   ARRAY items:  `data` is a `const fd_gguf_value *` of n entries (nesting). */
typedef struct fd_gguf_value {
    fd_gguf_type type;
    union {
        uint64_t u;
        int64_t i;
        double f;
        int b;
        fd_gguf_str s;
        struct { fd_gguf_type type; uint64_t n; const void *data; } arr;
    } v;
} fd_gguf_value;

/* Item i (< arr->v.arr.n) of an array value, as a value. */
fd_gguf_value fd_gguf_array_item(const fd_gguf_value *arr, uint64_t i);

typedef struct fd_gguf_kv {
    const char *key;        /* NUL-terminated, valid UTF-8, owned by the reader */
    fd_gguf_value value;
} fd_gguf_kv;

typedef struct fd_gguf_tensor {
    const char *name;       /* NUL-terminated, owned by the reader */
    int ggml_type;          /* as stored (e.g. 12 = Q4_K) */
    fd_dtype dtype;         /* meaningful only when `supported` */
    int supported;          /* dtype is one Foundry reads (a weight row of FD_DTYPE_LIST) */
    uint32_t n_dims;        /* 1..4 */
    uint64_t ne[FD_GGUF_MAX_DIMS]; /* GGUF order, ne[0] fastest; unused dims are 1 */
    uint64_t n_elems;
    uint64_t offset;        /* from the start of the data section */
    uint64_t bytes;
    const void *data;       /* inside the map, read-only */
} fd_gguf_tensor;

/* Flags for fd_gguf_open_ex. */
#define FD_GGUF_ANY_TENSOR_TYPE 1u  /* accept tensors of known ggml types Foundry can't
                                       compute with (Q4_K...): marked supported = 0 */

/* Opens and validates `path` (mmap, read-only). On success *out is a reader the
 * caller frees with fd_gguf_close; on failure *out is NULL and `err` names the
 * file, the offset and what is wrong. Tensors of types Foundry does not read
 * (not weight rows of FD_DTYPE_LIST: IQ1-IQ3, TQ, MXFP4, ...) are refused by
 * name. */
fd_status fd_gguf_open(const char *path, fd_gguf **out, fd_error *err);
fd_status fd_gguf_open_ex(const char *path, unsigned flags, fd_gguf **out, fd_error *err);
void fd_gguf_close(fd_gguf *g);   /* NULL is fine; invalidates every pointer from g */

const char *fd_gguf_path(const fd_gguf *g);
uint32_t fd_gguf_version(const fd_gguf *g);
uint64_t fd_gguf_alignment(const fd_gguf *g);
uint64_t fd_gguf_data_offset(const fd_gguf *g);   /* file offset of the data section */
uint64_t fd_gguf_file_size(const fd_gguf *g);

/* Metadata by key. Each getter fails with FD_ERR_INVALID when the key is
 * missing ("<file>: key 'x' not found") and FD_ERR_FORMAT when it has another
 * type (the message names both types). */
int fd_gguf_has(const fd_gguf *g, const char *key);
const fd_gguf_value *fd_gguf_find(const fd_gguf *g, const char *key);  /* NULL if absent */
fd_status fd_gguf_get_str(const fd_gguf *g, const char *key, fd_gguf_str *out, fd_error *err);
fd_status fd_gguf_get_uint(const fd_gguf *g, const char *key, uint64_t *out, fd_error *err);  /* any integer type, range-checked */
fd_status fd_gguf_get_float(const fd_gguf *g, const char *key, double *out, fd_error *err);   /* f32, f64 or any integer */
fd_status fd_gguf_get_bool(const fd_gguf *g, const char *key, int *out, fd_error *err);
fd_status fd_gguf_get_str_array(const fd_gguf *g, const char *key, const fd_gguf_str **items, uint64_t *n, fd_error *err); /* owned by g */
fd_status fd_gguf_get_int_array(const fd_gguf *g, const char *key, const int32_t **items, uint64_t *n, fd_error *err);  /* converted, owned by g; FD_ERR_RANGE if an item does not fit */

/* Iteration in file order. */
uint64_t fd_gguf_kv_count(const fd_gguf *g);
const fd_gguf_kv *fd_gguf_kv_at(const fd_gguf *g, uint64_t i);          /* NULL if i out of range */
uint64_t fd_gguf_tensor_count(const fd_gguf *g);
const fd_gguf_tensor *fd_gguf_tensor_at(const fd_gguf *g, uint64_t i);  /* NULL if i out of range */
const fd_gguf_tensor *fd_gguf_tensor_find(const fd_gguf *g, const char *name); /* NULL if absent */

/* Name of a ggml tensor type id ("Q4_K"), for messages; "?" if unknown. */
const char *fd_gguf_ggml_type_name(int ggml_type);

/* ---- Writer ------------------------------------------------------------
 * Collects metadata and tensors, then fd_gguf_writer_write lays out a GGUF v3
 * file: header, key/values, tensor infos, padding to the alignment, and each
 * tensor's data at an aligned offset. The file is written to "<path>.tmp.XXXXXX"
 * next to the target and renamed over it only when complete.
 *
 * Ownership: keys, names and scalar strings are copied. Array contents
 * (`data` of an array value, nested values and strings) and tensor data are
 * BORROWED: they must stay valid until fd_gguf_writer_write returns. */
typedef struct fd_gguf_writer fd_gguf_writer;

fd_status fd_gguf_writer_create(fd_gguf_writer **out, fd_error *err);   /* free with _destroy */
void fd_gguf_writer_destroy(fd_gguf_writer *w);                         /* NULL is fine */

/* Sets the alignment (power of two) and records general.alignment as u32
 * when it is not the default 32. */
fd_status fd_gguf_writer_set_alignment(fd_gguf_writer *w, uint32_t alignment, fd_error *err);

/* Adds a key of any type (a duplicate key is refused). */
fd_status fd_gguf_writer_add(fd_gguf_writer *w, const char *key, const fd_gguf_value *v, fd_error *err);
fd_status fd_gguf_writer_add_str(fd_gguf_writer *w, const char *key, const char *s, fd_error *err);
fd_status fd_gguf_writer_add_u32(fd_gguf_writer *w, const char *key, uint32_t v, fd_error *err);
fd_status fd_gguf_writer_add_i32(fd_gguf_writer *w, const char *key, int32_t v, fd_error *err);
fd_status fd_gguf_writer_add_f32(fd_gguf_writer *w, const char *key, float v, fd_error *err);
fd_status fd_gguf_writer_add_bool(fd_gguf_writer *w, const char *key, int v, fd_error *err);
/* Borrowed arrays: n strings / n int32 values. */
fd_status fd_gguf_writer_add_str_array(fd_gguf_writer *w, const char *key, const fd_gguf_str *items, uint64_t n, fd_error *err);
fd_status fd_gguf_writer_add_i32_array(fd_gguf_writer *w, const char *key, const int32_t *items, uint64_t n, fd_error *err);

/* Adds a tensor: ne[] in GGUF order (ne[0] fastest), `bytes` must equal what
 * dtype and ne imply; data is borrowed. */
fd_status fd_gguf_writer_add_tensor(fd_gguf_writer *w, const char *name, fd_dtype dtype,
                                    uint32_t n_dims, const uint64_t *ne,
                                    const void *data, uint64_t bytes, fd_error *err);

/* Writes everything to `path` atomically. The writer may be destroyed after. */
fd_status fd_gguf_writer_write(fd_gguf_writer *w, const char *path, fd_error *err);

#endif
