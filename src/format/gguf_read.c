/* gguf_read.c — GGUF v2/v3 reader over a read-only map (see gguf.h).
 *
 * Layer: format. Invariants once fd_gguf_open returns a reader:
 *   1. every string, array and tensor range it hands out lies inside the map;
 *   2. keys and tensor names are unique, valid UTF-8, NUL-free and copied;
 *   3. tensor data ranges are aligned, inside the data section (which starts
 *      after the tensor infos) and do not overlap one another.
 * Parsing never allocates more than a small multiple of the file's size:
 * every count is checked against the bytes left before anything is allocated.
 * All parsed structures live in one chain of blocks freed by fd_gguf_close. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/mem.h"
#include "foundry/gguf.h"
#include "format/gguf_int.h"
#include "format/mapfile.h"
#include "base/util.h"

struct blk { struct blk *next; uint64_t pad; };   /* header before each block */

typedef struct kvx {            /* per key: its int32 conversion if an int array */
    const int32_t *i32;
    int i32_bad;                /* an item does not fit in int32 */
} kvx;

struct fd_gguf {
    char *path;
    fd_mapfile map;
    uint32_t version;
    uint64_t alignment;         /* general.alignment or 32 */
    uint64_t data_offset;       /* file offset of the data section */
    uint64_t n_kv;
    fd_gguf_kv *kv;             /* n_kv, file order */
    kvx *kvx;                   /* n_kv */
    uint64_t n_tensors;
    fd_gguf_tensor *tensors;    /* n_tensors, file order */
    fd_nameidx kv_ix, t_ix;
    struct blk *blocks;         /* everything above that was allocated */
};

typedef struct cur {
    fd_gguf *g;
    const uint8_t *b;
    uint64_t off, size;
    fd_error *err;
} cur;

static void *galloc(fd_gguf *g, uint64_t n)
{
    struct blk *b;
    if (n > SIZE_MAX - sizeof *b) return NULL;
    b = fd_malloc(sizeof *b + (size_t)n);
    if (!b) return NULL;
    b->next = g->blocks;
    g->blocks = b;
    return b + 1;
}

static fd_status nomem(cur *c, const char *what)
{
    return fd_error_set(c->err, FD_ERR_NOMEM, "%s: out of memory reading %s", c->g->path, what);
}

static fd_status need(cur *c, uint64_t n, const char *what)
{
    if (n <= c->size - c->off) return FD_OK;
    return fd_error_set(c->err, FD_ERR_FORMAT,
                        "%s: offset %" PRIu64 ": %s needs %" PRIu64 " bytes but only %" PRIu64
                        " remain (file truncated or corrupt)",
                        c->g->path, c->off, what, n, c->size - c->off);
}

static fd_status rd_u32(cur *c, uint32_t *v, const char *what)
{
    FD_TRY(need(c, 4, what));
    *v = (uint32_t)fd_gguf_rd(c->b + c->off, 4);
    c->off += 4;
    return FD_OK;
}

static fd_status rd_u64(cur *c, uint64_t *v, const char *what)
{
    FD_TRY(need(c, 8, what));
    *v = fd_gguf_rd(c->b + c->off, 8);
    c->off += 8;
    return FD_OK;
}

static fd_status rd_str(cur *c, fd_gguf_str *s, const char *what)
{
    uint64_t len = 0, at = c->off;
    FD_TRY(rd_u64(c, &len, what));
    if (len > c->size - c->off)
        return fd_error_set(c->err, FD_ERR_FORMAT,
                            "%s: offset %" PRIu64 ": %s claims %" PRIu64 " bytes, past the end of the file (%"
                            PRIu64 " bytes remain)", c->g->path, at, what, len, c->size - c->off);
    s->ptr = (const char *)c->b + c->off;
    s->len = len;
    c->off += len;
    return FD_OK;
}

/* A key or tensor name: bounded, valid UTF-8 without NUL, copied. */
static fd_status rd_name(cur *c, const char **out, uint64_t max, const char *what)
{
    fd_gguf_str s = { NULL, 0 };
    uint64_t at = c->off;
    char *p;
    FD_TRY(rd_str(c, &s, what));
    if (s.len > max)
        return fd_error_set(c->err, FD_ERR_FORMAT, "%s: offset %" PRIu64 ": %s of %" PRIu64
                            " bytes is longer than the limit of %" PRIu64,
                            c->g->path, at, what, s.len, max);
    if (!fd_utf8_valid(s.ptr, s.len) || memchr(s.ptr, 0, s.len))
        return fd_error_set(c->err, FD_ERR_FORMAT, "%s: offset %" PRIu64 ": %s is not valid UTF-8",
                            c->g->path, at, what);
    if (!(p = galloc(c->g, s.len + 1))) return nomem(c, what);
    memcpy(p, s.ptr, s.len);
    p[s.len] = 0;
    *out = p;
    return FD_OK;
}

static fd_status rd_value(cur *c, fd_gguf_type t, fd_gguf_value *v, int depth, const char *key)
{
    unsigned sz = fd_gguf_type_size(t);
    memset(v, 0, sizeof *v);
    v->type = t;
    if (sz) {
        FD_TRY(need(c, sz, key));
        *v = fd_gguf_scalar(t, c->b + c->off);
        c->off += sz;
        return FD_OK;
    }
    if (t == FD_GGUF_STRING) return rd_str(c, &v->v.s, key);
    if (t != FD_GGUF_ARRAY)
        return fd_error_set(c->err, FD_ERR_FORMAT, "%s: offset %" PRIu64 ": key '%s' has unknown value type %u",
                            c->g->path, c->off - 4, key, (unsigned)t);
    uint32_t et = 0;
    uint64_t n = 0, at = c->off, left, min;
    FD_TRY(rd_u32(c, &et, key));
    FD_TRY(rd_u64(c, &n, key));
    if (et >= FD_GGUF_TYPE_COUNT)
        return fd_error_set(c->err, FD_ERR_FORMAT, "%s: offset %" PRIu64 ": key '%s' is an array of unknown type %u",
                            c->g->path, at, key, et);
    if (et == FD_GGUF_ARRAY && depth + 1 >= FD_GGUF_MAX_DEPTH)
        return fd_error_set(c->err, FD_ERR_FORMAT, "%s: offset %" PRIu64 ": key '%s' nests arrays deeper than %d",
                            c->g->path, at, key, FD_GGUF_MAX_DEPTH);
    left = c->size - c->off;
    min = fd_gguf_type_size((fd_gguf_type)et);
    if (!min) min = et == FD_GGUF_STRING ? 8 : 12;
    if (n > left / min)
        return fd_error_set(c->err, FD_ERR_FORMAT,
                            "%s: offset %" PRIu64 ": key '%s' claims an array of %" PRIu64 " %s items, more than the %"
                            PRIu64 " bytes left in the file can hold", c->g->path, at, key, n,
                            fd_gguf_type_name((fd_gguf_type)et), left);
    v->v.arr.type = (fd_gguf_type)et;
    v->v.arr.n = n;
    if (fd_gguf_type_size((fd_gguf_type)et)) {
        v->v.arr.data = c->b + c->off;
        c->off += n * min;
    } else if (et == FD_GGUF_STRING) {
        fd_gguf_str *items = galloc(c->g, n * sizeof *items);
        if (!items) return nomem(c, key);
        for (uint64_t i = 0; i < n; i++) FD_TRY(rd_str(c, &items[i], key));
        v->v.arr.data = items;
    } else {
        fd_gguf_value *items = galloc(c->g, n * sizeof *items);
        if (!items) return nomem(c, key);
        for (uint64_t i = 0; i < n; i++) FD_TRY(rd_value(c, FD_GGUF_ARRAY, &items[i], depth + 1, key));
        v->v.arr.data = items;
    }
    return FD_OK;
}

static fd_status rd_kvs(cur *c)
{
    fd_gguf *g = c->g;
    for (uint64_t i = 0; i < g->n_kv; i++) {
        uint32_t t = 0;
        uint64_t at = c->off;
        FD_TRY(rd_name(c, &g->kv[i].key, FD_GGUF_MAX_KEY, "key"));
        FD_TRY(rd_u32(c, &t, g->kv[i].key));
        FD_TRY(rd_value(c, (fd_gguf_type)t, &g->kv[i].value, 0, g->kv[i].key));
        if (!fd_nameidx_add(&g->kv_ix, g->kv[i].key, (uint32_t)i, NULL))
            return fd_error_set(c->err, FD_ERR_FORMAT, "%s: offset %" PRIu64 ": key '%s' appears twice",
                                g->path, at, g->kv[i].key);
    }
    /* Integer arrays converted once, so callers get aligned int32 items. */
    for (uint64_t i = 0; i < g->n_kv; i++) {
        const fd_gguf_value *v = &g->kv[i].value;
        int32_t *out;
        if (v->type != FD_GGUF_ARRAY || !fd_gguf_type_is_int(v->v.arr.type)) continue;
        if (!(out = galloc(g, v->v.arr.n * sizeof *out))) return nomem(c, g->kv[i].key);
        for (uint64_t k = 0; k < v->v.arr.n; k++) {
            fd_gguf_value it = fd_gguf_array_item(v, k);
            int signd = it.type == FD_GGUF_I8 || it.type == FD_GGUF_I16 || it.type == FD_GGUF_I32 ||
                        it.type == FD_GGUF_I64;
            if (signd ? (it.v.i < INT32_MIN || it.v.i > INT32_MAX) : it.v.u > INT32_MAX) g->kvx[i].i32_bad = 1;
            out[k] = signd ? (int32_t)it.v.i : (int32_t)it.v.u;
        }
        g->kvx[i].i32 = out;
    }
    return FD_OK;
}

static fd_status rd_alignment(cur *c)
{
    fd_gguf *g = c->g;
    const fd_gguf_value *v = fd_gguf_find(g, "general.alignment");
    g->alignment = FD_GGUF_DEFAULT_ALIGNMENT;
    if (!v) return FD_OK;
    if (!fd_gguf_type_is_int(v->type))
        return fd_error_set(c->err, FD_ERR_FORMAT, "%s: general.alignment is %s, not an integer",
                            g->path, fd_gguf_type_name(v->type));
    uint64_t a = v->v.u;
    if (a == 0 || (a & (a - 1)) || a > (1u << 30))
        return fd_error_set(c->err, FD_ERR_FORMAT, "%s: general.alignment %" PRIu64
                            " is not a power of two up to 2^30", g->path, a);
    g->alignment = a;
    return FD_OK;
}

/* "F32, F16, ..., IQ4_XS": the GGML names of the weight dtypes of FD_DTYPE_LIST. */
static const char *weight_types(char *buf, size_t cap)
{
    size_t len = 0;
    buf[0] = 0;
    for (int d = 0; d < FD_DTYPE_COUNT && len < cap; d++)
        if (d != FD_I32) len += (size_t)snprintf(buf + len, cap - len, "%s%s", len ? ", " : "", fd_dtype_ggml_name((fd_dtype)d));
    return buf;
}

static fd_status rd_tensor_info(cur *c, fd_gguf_tensor *t, unsigned flags)
{
    fd_gguf *g = c->g;
    uint64_t at = c->off, n = 1;
    uint32_t nd = 0, type = 0;
    unsigned be, bb;
    FD_TRY(rd_name(c, &t->name, FD_GGUF_MAX_NAME, "tensor name"));
    FD_TRY(rd_u32(c, &nd, t->name));
    if (nd < 1 || nd > FD_GGUF_MAX_DIMS)
        return fd_error_set(c->err, FD_ERR_FORMAT, "%s: offset %" PRIu64 ": tensor %s has %u dimensions (1 to %d allowed)",
                            g->path, at, t->name, nd, FD_GGUF_MAX_DIMS);
    t->n_dims = nd;
    for (unsigned d = 0; d < FD_GGUF_MAX_DIMS; d++) t->ne[d] = 1;
    for (unsigned d = 0; d < nd; d++) {
        FD_TRY(rd_u64(c, &t->ne[d], t->name));
        if (t->ne[d] > INT64_MAX || (t->ne[d] && n > INT64_MAX / t->ne[d]))
            return fd_error_set(c->err, FD_ERR_FORMAT, "%s: offset %" PRIu64 ": tensor %s: dimensions overflow (ne[%u] = %" PRIu64 ")",
                                g->path, at, t->name, d, t->ne[d]);
        n *= t->ne[d];
    }
    t->n_elems = n;
    FD_TRY(rd_u32(c, &type, t->name));
    FD_TRY(rd_u64(c, &t->offset, t->name));
    t->ggml_type = (int)type;
    if (type > 1000 || !fd_gguf_ggml_layout((int)type, &be, &bb))
        return fd_error_set(c->err, FD_ERR_UNSUPPORTED, "%s: tensor %s has unknown type %u", g->path, t->name, type);
    t->supported = fd_dtype_from_ggml((int)type, &t->dtype) == FD_OK && t->dtype != FD_I32;
    if (!t->supported && !(flags & FD_GGUF_ANY_TENSOR_TYPE)) {
        char known[256];
        return fd_error_set(c->err, FD_ERR_UNSUPPORTED, "%s: tensor %s has type %s (%u), not supported "
                            "(Foundry reads %s)", g->path, t->name, fd_gguf_ggml_type_name((int)type), type,
                            weight_types(known, sizeof known));
    }
    if (t->ne[0] % be)
        return fd_error_set(c->err, FD_ERR_FORMAT, "%s: tensor %s: row of %" PRIu64 " values is not a whole number of %s blocks of %u",
                            g->path, t->name, t->ne[0], fd_gguf_ggml_type_name((int)type), be);
    if (n / be > UINT64_MAX / bb)
        return fd_error_set(c->err, FD_ERR_FORMAT, "%s: tensor %s: size overflows", g->path, t->name);
    t->bytes = n / be * bb;
    return FD_OK;
}

static int cmp_off(const void *a, const void *b)
{
    const fd_gguf_tensor *x = *(const fd_gguf_tensor *const *)a, *y = *(const fd_gguf_tensor *const *)b;
    return x->offset < y->offset ? -1 : x->offset > y->offset;
}

static fd_status check_ranges(cur *c)
{
    fd_gguf *g = c->g;
    uint64_t room = g->map.size - g->data_offset;
    const fd_gguf_tensor **order;
    for (uint64_t i = 0; i < g->n_tensors; i++) {
        fd_gguf_tensor *t = &g->tensors[i];
        if (t->offset % g->alignment)
            return fd_error_set(c->err, FD_ERR_FORMAT, "%s: tensor %s: data offset %" PRIu64 " is not a multiple of the alignment %" PRIu64,
                                g->path, t->name, t->offset, g->alignment);
        if (t->offset > room || t->bytes > room - t->offset)
            return fd_error_set(c->err, FD_ERR_FORMAT, "%s: tensor %s: data [%" PRIu64 ", +%" PRIu64 ") at file offset %" PRIu64
                                " runs past the end of the file (%" PRIu64 " bytes)", g->path, t->name, t->offset,
                                t->bytes, g->data_offset + t->offset, g->map.size);
        t->data = g->map.data + g->data_offset + t->offset;
    }
    if (g->n_tensors < 2) return FD_OK;
    if (!(order = galloc(g, g->n_tensors * sizeof *order))) return nomem(c, "tensor table");
    for (uint64_t i = 0; i < g->n_tensors; i++) order[i] = &g->tensors[i];
    qsort(order, g->n_tensors, sizeof *order, cmp_off);
    for (uint64_t i = 1; i < g->n_tensors; i++)
        if (order[i - 1]->offset + order[i - 1]->bytes > order[i]->offset)
            return fd_error_set(c->err, FD_ERR_FORMAT, "%s: tensors %s and %s overlap in the data section",
                                g->path, order[i - 1]->name, order[i]->name);
    return FD_OK;
}

static fd_status parse(cur *c, unsigned flags)
{
    fd_gguf *g = c->g;
    uint32_t magic = 0;
    FD_TRY(rd_u32(c, &magic, "magic"));
    if (magic != FD_GGUF_MAGIC)
        return fd_error_set(c->err, FD_ERR_FORMAT, "%s: not a GGUF file (magic 0x%08x, expected \"GGUF\")", g->path, magic);
    FD_TRY(rd_u32(c, &g->version, "version"));
    if (g->version != 2 && g->version != 3)
        return fd_error_set(c->err, FD_ERR_UNSUPPORTED, "%s: GGUF version %u is not supported (2 or 3 expected%s)",
                            g->path, g->version, g->version == 0x03000000u ? "; big-endian file?" : "");
    FD_TRY(rd_u64(c, &g->n_tensors, "tensor count"));
    FD_TRY(rd_u64(c, &g->n_kv, "metadata count"));
    if (g->n_kv > (c->size - c->off) / 13 || g->n_kv > UINT32_MAX)
        return fd_error_set(c->err, FD_ERR_FORMAT, "%s: header claims %" PRIu64 " metadata keys, more than the %" PRIu64
                            " bytes of the file can hold", g->path, g->n_kv, c->size);
    if (g->n_tensors > (c->size - c->off) / 32 || g->n_tensors > UINT32_MAX)
        return fd_error_set(c->err, FD_ERR_FORMAT, "%s: header claims %" PRIu64 " tensors, more than the %" PRIu64
                            " bytes of the file can hold", g->path, g->n_tensors, c->size);
    g->kv = galloc(g, g->n_kv * sizeof *g->kv);
    g->kvx = galloc(g, g->n_kv * sizeof *g->kvx);
    g->tensors = galloc(g, g->n_tensors * sizeof *g->tensors);
    if (!g->kv || !g->kvx || !g->tensors) return nomem(c, "header");
    memset(g->kvx, 0, g->n_kv * sizeof *g->kvx);
    memset(g->tensors, 0, g->n_tensors * sizeof *g->tensors);
    if (fd_nameidx_init(&g->kv_ix, g->n_kv) || fd_nameidx_init(&g->t_ix, g->n_tensors)) return nomem(c, "header");
    FD_TRY(rd_kvs(c));
    FD_TRY(rd_alignment(c));
    for (uint64_t i = 0; i < g->n_tensors; i++) {
        uint64_t at = c->off;
        FD_TRY(rd_tensor_info(c, &g->tensors[i], flags));
        if (!fd_nameidx_add(&g->t_ix, g->tensors[i].name, (uint32_t)i, NULL))
            return fd_error_set(c->err, FD_ERR_FORMAT, "%s: offset %" PRIu64 ": tensor %s appears twice",
                                g->path, at, g->tensors[i].name);
    }
    g->data_offset = c->off + (g->alignment - c->off % g->alignment) % g->alignment;
    if (g->data_offset > c->size) {
        if (g->n_tensors)
            return fd_error_set(c->err, FD_ERR_FORMAT, "%s: data section would start at offset %" PRIu64
                                ", past the end of the file (%" PRIu64 " bytes)", g->path, g->data_offset, c->size);
        g->data_offset = c->size;
    }
    return check_ranges(c);
}

fd_status fd_gguf_open_ex(const char *path, unsigned flags, fd_gguf **out, fd_error *err)
{
    fd_gguf *g;
    fd_status rc;
    cur c;
    *out = NULL;
    if (!path) return fd_error_set(err, FD_ERR_INVALID, "fd_gguf_open: path is NULL");
    if (!(g = fd_calloc(1, sizeof *g)) || !(g->path = fd_strdup(path))) {
        fd_free(g);
        return fd_error_set(err, FD_ERR_NOMEM, "%s: out of memory", path);
    }
    rc = fd_mapfile_open(path, &g->map, err);
    if (rc == FD_OK) {
        c = (cur){ g, g->map.data, 0, g->map.size, err };
        rc = parse(&c, flags);
    }
    if (rc != FD_OK) {
        fd_gguf_close(g);
        return rc;
    }
    *out = g;
    return FD_OK;
}

fd_status fd_gguf_open(const char *path, fd_gguf **out, fd_error *err)
{
    return fd_gguf_open_ex(path, 0, out, err);
}

void fd_gguf_close(fd_gguf *g)
{
    if (!g) return;
    while (g->blocks) {
        struct blk *b = g->blocks;
        g->blocks = b->next;
        fd_free(b);
    }
    fd_nameidx_free(&g->kv_ix);
    fd_nameidx_free(&g->t_ix);
    fd_mapfile_close(&g->map);
    fd_free(g->path);
    fd_free(g);
}

const char *fd_gguf_path(const fd_gguf *g) { return g->path; }
uint32_t fd_gguf_version(const fd_gguf *g) { return g->version; }
uint64_t fd_gguf_alignment(const fd_gguf *g) { return g->alignment; }
uint64_t fd_gguf_data_offset(const fd_gguf *g) { return g->data_offset; }
uint64_t fd_gguf_file_size(const fd_gguf *g) { return g->map.size; }
uint64_t fd_gguf_kv_count(const fd_gguf *g) { return g->n_kv; }
uint64_t fd_gguf_tensor_count(const fd_gguf *g) { return g->n_tensors; }

const fd_gguf_kv *fd_gguf_kv_at(const fd_gguf *g, uint64_t i) { return i < g->n_kv ? &g->kv[i] : NULL; }
const fd_gguf_tensor *fd_gguf_tensor_at(const fd_gguf *g, uint64_t i)
{
    return i < g->n_tensors ? &g->tensors[i] : NULL;
}

const fd_gguf_tensor *fd_gguf_tensor_find(const fd_gguf *g, const char *name)
{
    int64_t i = fd_nameidx_get(&g->t_ix, name);
    return i < 0 ? NULL : &g->tensors[i];
}

const fd_gguf_value *fd_gguf_find(const fd_gguf *g, const char *key)
{
    int64_t i = fd_nameidx_get(&g->kv_ix, key);
    return i < 0 ? NULL : &g->kv[i].value;
}

int fd_gguf_has(const fd_gguf *g, const char *key) { return fd_gguf_find(g, key) != NULL; }

fd_status fd_gguf_int_array_(const fd_gguf *g, const char *key, const int32_t **items, int *bad)
{
    int64_t i = fd_nameidx_get(&g->kv_ix, key);
    if (i < 0 || !g->kvx[i].i32) return FD_ERR_INVALID;
    *items = g->kvx[i].i32;
    *bad = g->kvx[i].i32_bad;
    return FD_OK;
}
