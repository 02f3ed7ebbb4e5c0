/* gguf_write.c — GGUF v3 writer (see gguf.h).
 *
 * Layer: format. The writer collects keys and tensors (copying names, borrowing
 * array contents and tensor data) and lays the file out in one pass:
 *   header | key/values | tensor infos | pad | tensor 0 | pad | tensor 1 | pad ...
 * where every tensor offset, relative to the data section, is a multiple of
 * the alignment. The bytes go to "<path>.tmp.XXXXXX", which is fsynced and
 * renamed over <path> only after the last byte was written; <path> may be
 * new or a regular file, never a device, FIFO, socket, folder or link. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "base/mem.h"
#include "foundry/gguf.h"
#include "format/gguf_int.h"
#include "base/util.h"

typedef struct wkv {
    char *key;              /* owned */
    char *str;              /* owned copy for a scalar string, else NULL */
    fd_gguf_value v;        /* arrays borrow their data */
} wkv;

typedef struct wten {
    char *name;             /* owned */
    fd_dtype dtype;
    uint32_t n_dims;
    uint64_t ne[FD_GGUF_MAX_DIMS];
    const void *data;       /* borrowed, `bytes` long */
    uint64_t bytes;
    uint64_t offset;        /* set by fd_gguf_writer_write */
} wten;

struct fd_gguf_writer {
    wkv *kv;
    uint64_t n_kv, cap_kv;
    wten *t;
    uint64_t n_t, cap_t;
    uint32_t alignment;
};

fd_status fd_gguf_writer_create(fd_gguf_writer **out, fd_error *err)
{
    *out = fd_calloc(1, sizeof **out);
    if (!*out) return fd_error_set(err, FD_ERR_NOMEM, "gguf writer: out of memory");
    (*out)->alignment = FD_GGUF_DEFAULT_ALIGNMENT;
    return FD_OK;
}

void fd_gguf_writer_destroy(fd_gguf_writer *w)
{
    if (!w) return;
    for (uint64_t i = 0; i < w->n_kv; i++) {
        fd_free(w->kv[i].key);
        fd_free(w->kv[i].str);
    }
    for (uint64_t i = 0; i < w->n_t; i++) fd_free(w->t[i].name);
    fd_free(w->kv);
    fd_free(w->t);
    fd_free(w);
}

static fd_status grow(void **p, uint64_t *cap, uint64_t n, size_t sz)
{
    void *q;
    uint64_t c;
    if (n < *cap) return FD_OK;
    c = *cap ? *cap * 2 : 16;
    if (!(q = fd_realloc(*p, (size_t)(c * sz)))) return FD_ERR_NOMEM;
    *p = q;
    *cap = c;
    return FD_OK;
}

static fd_status check_value(const fd_gguf_value *v, const char *key, int depth, fd_error *err)
{
    if ((unsigned)v->type >= FD_GGUF_TYPE_COUNT)
        return fd_error_set(err, FD_ERR_INVALID, "gguf writer: key '%s' has unknown type %d", key, (int)v->type);
    if (v->type == FD_GGUF_STRING && !v->v.s.ptr && v->v.s.len)
        return fd_error_set(err, FD_ERR_INVALID, "gguf writer: key '%s': NULL string", key);
    if (v->type != FD_GGUF_ARRAY) return FD_OK;
    if (depth >= FD_GGUF_MAX_DEPTH)
        return fd_error_set(err, FD_ERR_INVALID, "gguf writer: key '%s' nests arrays too deeply", key);
    if ((unsigned)v->v.arr.type >= FD_GGUF_TYPE_COUNT || (v->v.arr.n && !v->v.arr.data))
        return fd_error_set(err, FD_ERR_INVALID, "gguf writer: key '%s': bad array", key);
    if (v->v.arr.type == FD_GGUF_ARRAY)
        for (uint64_t i = 0; i < v->v.arr.n; i++) {
            const fd_gguf_value *it = &((const fd_gguf_value *)v->v.arr.data)[i];
            if (it->type != FD_GGUF_ARRAY)
                return fd_error_set(err, FD_ERR_INVALID, "gguf writer: key '%s': item %" PRIu64 " is not an array", key, i);
            FD_TRY(check_value(it, key, depth + 1, err));
        }
    return FD_OK;
}

fd_status fd_gguf_writer_add(fd_gguf_writer *w, const char *key, const fd_gguf_value *v, fd_error *err)
{
    wkv *kv;
    size_t klen;
    if (!w || !key || !v) return fd_error_set(err, FD_ERR_INVALID, "gguf writer: NULL argument");
    klen = strlen(key);
    if (!klen || klen > FD_GGUF_MAX_KEY || !fd_utf8_valid(key, klen))
        return fd_error_set(err, FD_ERR_INVALID, "gguf writer: key '%s' is empty, too long or not UTF-8", key);
    for (uint64_t i = 0; i < w->n_kv; i++)
        if (!strcmp(w->kv[i].key, key))
            return fd_error_set(err, FD_ERR_INVALID, "gguf writer: key '%s' added twice", key);
    FD_TRY(check_value(v, key, 0, err));
    if (!strcmp(key, "general.alignment")) {
        uint64_t a = v->v.u;
        if (!fd_gguf_type_is_int(v->type) || a == 0 || (a & (a - 1)) || a > (1u << 30))
            return fd_error_set(err, FD_ERR_INVALID, "gguf writer: general.alignment must be a power of two");
        w->alignment = (uint32_t)a;
    }
    if (grow((void **)&w->kv, &w->cap_kv, w->n_kv, sizeof *w->kv))
        return fd_error_set(err, FD_ERR_NOMEM, "gguf writer: out of memory adding '%s'", key);
    kv = &w->kv[w->n_kv];
    memset(kv, 0, sizeof *kv);
    kv->v = *v;
    if (!(kv->key = fd_strdup(key))) return fd_error_set(err, FD_ERR_NOMEM, "gguf writer: out of memory adding '%s'", key);
    if (v->type == FD_GGUF_STRING) {
        if (!(kv->str = fd_strndup(v->v.s.len ? v->v.s.ptr : "", (size_t)v->v.s.len))) {
            fd_free(kv->key);
            return fd_error_set(err, FD_ERR_NOMEM, "gguf writer: out of memory adding '%s'", key);
        }
        kv->v.v.s.ptr = kv->str;
    }
    w->n_kv++;
    return FD_OK;
}

fd_status fd_gguf_writer_set_alignment(fd_gguf_writer *w, uint32_t alignment, fd_error *err)
{
    if (!alignment || (alignment & (alignment - 1)) || alignment > (1u << 30))
        return fd_error_set(err, FD_ERR_INVALID, "gguf writer: alignment %u is not a power of two", alignment);
    for (uint64_t i = 0; i < w->n_kv; i++)
        if (!strcmp(w->kv[i].key, "general.alignment")) {
            w->kv[i].v.type = FD_GGUF_U32;
            w->kv[i].v.v.u = alignment;
            w->alignment = alignment;
            return FD_OK;
        }
    if (alignment == FD_GGUF_DEFAULT_ALIGNMENT) return FD_OK;
    return fd_gguf_writer_add_u32(w, "general.alignment", alignment, err);
}

fd_status fd_gguf_writer_add_str(fd_gguf_writer *w, const char *key, const char *s, fd_error *err)
{
    fd_gguf_value v = { .type = FD_GGUF_STRING, .v.s = { s, s ? strlen(s) : 0 } };
    return fd_gguf_writer_add(w, key, &v, err);
}

fd_status fd_gguf_writer_add_u32(fd_gguf_writer *w, const char *key, uint32_t x, fd_error *err)
{
    fd_gguf_value v = { .type = FD_GGUF_U32, .v.u = x };
    return fd_gguf_writer_add(w, key, &v, err);
}

fd_status fd_gguf_writer_add_i32(fd_gguf_writer *w, const char *key, int32_t x, fd_error *err)
{
    fd_gguf_value v = { .type = FD_GGUF_I32, .v.i = x };
    return fd_gguf_writer_add(w, key, &v, err);
}

fd_status fd_gguf_writer_add_f32(fd_gguf_writer *w, const char *key, float x, fd_error *err)
{
    fd_gguf_value v = { .type = FD_GGUF_F32, .v.f = x };
    return fd_gguf_writer_add(w, key, &v, err);
}

fd_status fd_gguf_writer_add_bool(fd_gguf_writer *w, const char *key, int x, fd_error *err)
{
    fd_gguf_value v = { .type = FD_GGUF_BOOL, .v.b = x != 0 };
    return fd_gguf_writer_add(w, key, &v, err);
}

fd_status fd_gguf_writer_add_str_array(fd_gguf_writer *w, const char *key, const fd_gguf_str *items, uint64_t n,
                                       fd_error *err)
{
    fd_gguf_value v = { .type = FD_GGUF_ARRAY, .v.arr = { FD_GGUF_STRING, n, items } };
    return fd_gguf_writer_add(w, key, &v, err);
}

fd_status fd_gguf_writer_add_i32_array(fd_gguf_writer *w, const char *key, const int32_t *items, uint64_t n,
                                       fd_error *err)
{
    /* int32 in memory is the file's little-endian layout on the hosts we build for. */
    fd_gguf_value v = { .type = FD_GGUF_ARRAY, .v.arr = { FD_GGUF_I32, n, items } };
    return fd_gguf_writer_add(w, key, &v, err);
}

fd_status fd_gguf_writer_add_tensor(fd_gguf_writer *w, const char *name, fd_dtype dtype, uint32_t n_dims,
                                    const uint64_t *ne, const void *data, uint64_t bytes, fd_error *err)
{
    uint64_t n = 1, want, rows;
    size_t nlen;
    wten *t;
    if (!w || !name || !ne || (bytes && !data)) return fd_error_set(err, FD_ERR_INVALID, "gguf writer: NULL argument");
    nlen = strlen(name);
    if (!nlen || nlen > FD_GGUF_MAX_NAME || !fd_utf8_valid(name, nlen))
        return fd_error_set(err, FD_ERR_INVALID, "gguf writer: tensor name '%s' is empty, too long or not UTF-8", name);
    if (!fd_dtype_valid(dtype) || dtype == FD_I32)
        return fd_error_set(err, FD_ERR_INVALID, "gguf writer: tensor %s: unsupported dtype %d", name, (int)dtype);
    if (n_dims < 1 || n_dims > FD_GGUF_MAX_DIMS)
        return fd_error_set(err, FD_ERR_INVALID, "gguf writer: tensor %s: %u dimensions", name, n_dims);
    for (uint32_t d = 0; d < n_dims; d++) {
        if (ne[d] && n > INT64_MAX / ne[d])
            return fd_error_set(err, FD_ERR_RANGE, "gguf writer: tensor %s: dimensions overflow", name);
        n *= ne[d];
    }
    FD_TRY(fd_dtype_row_bytes(dtype, ne[0], &want, err));
    rows = ne[0] ? n / ne[0] : 0;
    if (rows && want > UINT64_MAX / rows) return fd_error_set(err, FD_ERR_RANGE, "gguf writer: tensor %s: too large", name);
    want *= rows;
    if (want != bytes)
        return fd_error_set(err, FD_ERR_INVALID, "gguf writer: tensor %s: %" PRIu64 " bytes given, %s of that shape needs %" PRIu64,
                            name, bytes, fd_dtype_name(dtype), want);
    for (uint64_t i = 0; i < w->n_t; i++)
        if (!strcmp(w->t[i].name, name))
            return fd_error_set(err, FD_ERR_INVALID, "gguf writer: tensor %s added twice", name);
    if (grow((void **)&w->t, &w->cap_t, w->n_t, sizeof *w->t))
        return fd_error_set(err, FD_ERR_NOMEM, "gguf writer: out of memory adding tensor %s", name);
    t = &w->t[w->n_t];
    memset(t, 0, sizeof *t);
    if (!(t->name = fd_strdup(name))) return fd_error_set(err, FD_ERR_NOMEM, "gguf writer: out of memory adding tensor %s", name);
    t->dtype = dtype;
    t->n_dims = n_dims;
    for (uint32_t d = 0; d < FD_GGUF_MAX_DIMS; d++) t->ne[d] = d < n_dims ? ne[d] : 1;
    t->data = data;
    t->bytes = bytes;
    w->n_t++;
    return FD_OK;
}

/* ---- Serialization: every put_* returns 0 on success, -1 on a write error. */

static int put(FILE *f, const void *p, uint64_t n) { return n && fwrite(p, 1, (size_t)n, f) != n ? -1 : 0; }

static int put_le(FILE *f, uint64_t v, unsigned n)
{
    uint8_t b[8];
    for (unsigned i = 0; i < n; i++) b[i] = (uint8_t)(v >> (8 * i));
    return put(f, b, n);
}

static int put_str(FILE *f, const char *s, uint64_t n) { return put_le(f, n, 8) || put(f, s, n); }

static int put_value(FILE *f, const fd_gguf_value *v)
{
    switch (v->type) {
    case FD_GGUF_U8: case FD_GGUF_U16: case FD_GGUF_U32: case FD_GGUF_U64:
        return put_le(f, v->v.u, fd_gguf_type_size(v->type));
    case FD_GGUF_I8: case FD_GGUF_I16: case FD_GGUF_I32: case FD_GGUF_I64:
        return put_le(f, (uint64_t)v->v.i, fd_gguf_type_size(v->type));
    case FD_GGUF_BOOL: return put_le(f, v->v.b ? 1 : 0, 1);
    case FD_GGUF_F32: { float x = (float)v->v.f; uint32_t b; memcpy(&b, &x, 4); return put_le(f, b, 4); }
    case FD_GGUF_F64: { uint64_t b; memcpy(&b, &v->v.f, 8); return put_le(f, b, 8); }
    case FD_GGUF_STRING: return put_str(f, v->v.s.ptr, v->v.s.len);
    case FD_GGUF_ARRAY: {
        fd_gguf_type et = v->v.arr.type;
        uint64_t n = v->v.arr.n;
        if (put_le(f, (uint64_t)et, 4) || put_le(f, n, 8)) return -1;
        if (fd_gguf_type_size(et)) return put(f, v->v.arr.data, n * fd_gguf_type_size(et));
        for (uint64_t i = 0; i < n; i++) {
            int rc;
            if (et == FD_GGUF_STRING) {
                const fd_gguf_str *s = &((const fd_gguf_str *)v->v.arr.data)[i];
                rc = put_str(f, s->ptr, s->len);
            } else {
                rc = put_value(f, &((const fd_gguf_value *)v->v.arr.data)[i]);
            }
            if (rc) return -1;
        }
        return 0;
    }
    default: return -1;
    }
}

static int put_pad(FILE *f, uint64_t pos, uint64_t align)
{
    static const uint8_t zeros[64];
    uint64_t pad = (align - pos % align) % align;
    while (pad) {
        uint64_t k = pad < sizeof zeros ? pad : sizeof zeros;
        if (put(f, zeros, k)) return -1;
        pad -= k;
    }
    return 0;
}

static int put_all(fd_gguf_writer *w, FILE *f)
{
    uint64_t off = 0;
    long pos;
    for (uint64_t i = 0; i < w->n_t; i++) {
        w->t[i].offset = off;
        off += w->t[i].bytes;
        off += (w->alignment - off % w->alignment) % w->alignment;
    }
    if (put_le(f, FD_GGUF_MAGIC, 4) || put_le(f, FD_GGUF_VERSION, 4) || put_le(f, w->n_t, 8) ||
        put_le(f, w->n_kv, 8))
        return -1;
    for (uint64_t i = 0; i < w->n_kv; i++)
        if (put_str(f, w->kv[i].key, strlen(w->kv[i].key)) || put_le(f, (uint64_t)w->kv[i].v.type, 4) ||
            put_value(f, &w->kv[i].v))
            return -1;
    for (uint64_t i = 0; i < w->n_t; i++) {
        const wten *t = &w->t[i];
        if (put_str(f, t->name, strlen(t->name)) || put_le(f, t->n_dims, 4)) return -1;
        for (uint32_t d = 0; d < t->n_dims; d++)
            if (put_le(f, t->ne[d], 8)) return -1;
        if (put_le(f, (uint64_t)fd_dtype_ggml(t->dtype), 4) || put_le(f, t->offset, 8)) return -1;
    }
    if ((pos = ftell(f)) < 0 || put_pad(f, (uint64_t)pos, w->alignment)) return -1;
    for (uint64_t i = 0; i < w->n_t; i++)
        if (put(f, w->t[i].data, w->t[i].bytes) || put_pad(f, w->t[i].bytes, w->alignment)) return -1;
    return 0;
}

fd_status fd_gguf_writer_write(fd_gguf_writer *w, const char *path, fd_error *err)
{
    char *tmp;
    FILE *f;
    int fd, e = 0;
    size_t n;
    if (!w || !path) return fd_error_set(err, FD_ERR_INVALID, "gguf writer: NULL argument");
    FD_TRY(fd_check_output_path(path, err));
    n = strlen(path);
    if (!(tmp = fd_malloc(n + 16))) return fd_error_set(err, FD_ERR_NOMEM, "%s: out of memory", path);
    memcpy(tmp, path, n);
    memcpy(tmp + n, ".tmp.XXXXXX", 12);
    if ((fd = mkstemp(tmp)) < 0) {
        e = errno;
        fd_free(tmp);
        return fd_error_set(err, FD_ERR_IO, "%s: cannot create a temporary file beside it: %s", path, strerror(e));
    }
    if (!(f = fdopen(fd, "wb"))) {
        e = errno;
        close(fd);
    } else {
        setvbuf(f, NULL, _IOFBF, 1 << 20);
        if (put_all(w, f) || fflush(f) || fsync(fileno(f)) || fchmod(fileno(f), 0644)) e = errno ? errno : EIO;
        if (fclose(f) && !e) e = errno;
    }
    if (!e && rename(tmp, path)) e = errno;
    if (e) {
        unlink(tmp);
        fd_free(tmp);
        return fd_error_set(err, FD_ERR_IO, "%s: write failed: %s", path, strerror(e));
    }
    fd_free(tmp);
    return FD_OK;
}
