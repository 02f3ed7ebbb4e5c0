/* safetensors.c — the .safetensors reader (see safetensors.h). */
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include "base/mem.h"
#include "format/safetensors.h"

static fd_status dtype_of(const char *path, const char *name, const char *s, fd_dtype *out, fd_error *err)
{
    if (!strcmp(s, "F32")) *out = FD_F32;
    else if (!strcmp(s, "F16")) *out = FD_F16;
    else if (!strcmp(s, "BF16")) *out = FD_BF16;
    else
        return fd_error_set(err, FD_ERR_UNSUPPORTED, "%s: tensor %s has dtype %s, not supported (BF16, F16, F32)",
                            path, name, s);
    return FD_OK;
}

static int json_u64(const json_t *j, uint64_t *v)
{
    if (!json_is_integer(j) || json_integer_value(j) < 0) return 0;
    *v = (uint64_t)json_integer_value(j);
    return 1;
}

static fd_status parse_tensor(fd_st_file *f, const char *name, json_t *e, const uint8_t *base, uint64_t room,
                              fd_st_tensor *t, fd_error *err)
{
    json_t *dt = json_object_get(e, "dtype"), *shape = json_object_get(e, "shape");
    json_t *offs = json_object_get(e, "data_offsets");
    uint64_t b, en, n = 1, esz;
    if (!json_is_object(e) || !json_is_string(dt) || !json_is_array(shape) || !json_is_array(offs) ||
        json_array_size(offs) != 2)
        return fd_error_set(err, FD_ERR_FORMAT, "%s: header entry for tensor %s lacks dtype, shape or data_offsets",
                            f->path, name);
    FD_TRY(dtype_of(f->path, name, json_string_value(dt), &t->dtype, err));
    if (json_array_size(shape) > FD_ST_MAX_DIMS)
        return fd_error_set(err, FD_ERR_FORMAT, "%s: tensor %s has %zu dimensions (at most %d)", f->path, name,
                            json_array_size(shape), FD_ST_MAX_DIMS);
    t->n_dims = (uint32_t)json_array_size(shape);
    for (uint32_t d = 0; d < t->n_dims; d++) {
        if (!json_u64(json_array_get(shape, d), &t->dims[d]))
            return fd_error_set(err, FD_ERR_FORMAT, "%s: tensor %s: shape[%u] is not a non-negative integer",
                                f->path, name, d);
        if (t->dims[d] && n > (UINT64_MAX / 4) / t->dims[d])
            return fd_error_set(err, FD_ERR_FORMAT, "%s: tensor %s: shape overflows", f->path, name);
        n *= t->dims[d];
    }
    if (!json_u64(json_array_get(offs, 0), &b) || !json_u64(json_array_get(offs, 1), &en))
        return fd_error_set(err, FD_ERR_FORMAT, "%s: tensor %s: data_offsets are not non-negative integers",
                            f->path, name);
    esz = t->dtype == FD_F32 ? 4 : 2;
    if (b > en || en > room)
        return fd_error_set(err, FD_ERR_FORMAT, "%s: tensor %s: data_offsets [%" PRIu64 ", %" PRIu64
                            ") lie outside the %" PRIu64 "-byte data section", f->path, name, b, en, room);
    if (en - b != n * esz)
        return fd_error_set(err, FD_ERR_FORMAT, "%s: tensor %s: %" PRIu64 " bytes of data but its shape needs %" PRIu64,
                            f->path, name, en - b, n * esz);
    t->n_elems = n;
    t->bytes = en - b;
    t->data = base + b;
    if (!(t->name = fd_strdup(name))) return fd_error_set(err, FD_ERR_NOMEM, "%s: out of memory", f->path);
    return FD_OK;
}

static int cmp_data(const void *a, const void *b)
{
    const fd_st_tensor *x = *(const fd_st_tensor *const *)a, *y = *(const fd_st_tensor *const *)b;
    return (const uint8_t *)x->data < (const uint8_t *)y->data ? -1 : (const uint8_t *)x->data > (const uint8_t *)y->data;
}

static fd_status check_overlap(fd_st_file *f, fd_error *err)
{
    fd_st_tensor **o;
    fd_status rc = FD_OK;
    if (f->n < 2) return FD_OK;
    if (!(o = fd_malloc(f->n * sizeof *o))) return fd_error_set(err, FD_ERR_NOMEM, "%s: out of memory", f->path);
    for (uint64_t i = 0; i < f->n; i++) o[i] = &f->t[i];
    qsort(o, f->n, sizeof *o, cmp_data);
    for (uint64_t i = 1; i < f->n && rc == FD_OK; i++)
        if ((const uint8_t *)o[i - 1]->data + o[i - 1]->bytes > (const uint8_t *)o[i]->data)
            rc = fd_error_set(err, FD_ERR_FORMAT, "%s: tensors %s and %s overlap", f->path, o[i - 1]->name, o[i]->name);
    fd_free(o);
    return rc;
}

/* JSON objects in h[0..n) (braces outside strings): an upper bound on the
 * entries, found without allocating. */
static uint64_t count_objects(const uint8_t *h, uint64_t n)
{
    uint64_t count = 0;
    int in_str = 0;
    for (uint64_t i = 0; i < n; i++) {
        if (in_str) {
            if (h[i] == '\\') i++;
            else if (h[i] == '"') in_str = 0;
        } else if (h[i] == '"') {
            in_str = 1;
        } else if (h[i] == '{') {
            count++;
        }
    }
    return count;
}

static fd_status parse(fd_st_file *f, fd_error *err)
{
    uint64_t hlen = 0;
    json_t *root;
    json_error_t je;
    const char *key;
    json_t *val;
    fd_status rc = FD_OK;
    if (f->map.size < 8)
        return fd_error_set(err, FD_ERR_FORMAT, "%s: %" PRIu64 " bytes, too short for a safetensors header",
                            f->path, f->map.size);
    for (int i = 0; i < 8; i++) hlen |= (uint64_t)f->map.data[i] << (8 * i);
    if (hlen > f->map.size - 8)
        return fd_error_set(err, FD_ERR_FORMAT, "%s: header length %" PRIu64 " runs past the end of the file (%"
                            PRIu64 " bytes)", f->path, hlen, f->map.size);
    if (hlen > FD_ST_MAX_HEADER)
        return fd_error_set(err, FD_ERR_FORMAT, "%s: header length %" PRIu64 " exceeds the 100 MB limit", f->path, hlen);
    if (count_objects(f->map.data + 8, hlen) > FD_ST_MAX_TENSORS + 2)
        return fd_error_set(err, FD_ERR_FORMAT, "%s: header of %" PRIu64 " bytes holds more than %u entries", f->path, hlen,
                            FD_ST_MAX_TENSORS);
    root = json_loadb((const char *)f->map.data + 8, (size_t)hlen, JSON_REJECT_DUPLICATES, &je);
    if (!root)
        return fd_error_set(err, FD_ERR_FORMAT, "%s: header is not valid JSON (byte %d of the header): %s",
                            f->path, je.position, je.text);
    if (!json_is_object(root)) {
        json_decref(root);
        return fd_error_set(err, FD_ERR_FORMAT, "%s: header is not a JSON object", f->path);
    }
    f->t = fd_calloc(json_object_size(root), sizeof *f->t);
    if (!f->t) rc = fd_error_set(err, FD_ERR_NOMEM, "%s: out of memory", f->path);
    json_object_foreach(root, key, val) {
        if (rc != FD_OK) break;
        if (!strcmp(key, "__metadata__")) continue;
        rc = parse_tensor(f, key, val, f->map.data + 8 + hlen, f->map.size - 8 - hlen, &f->t[f->n], err);
        if (rc == FD_OK) f->n++;
    }
    json_decref(root);
    if (rc == FD_OK) rc = check_overlap(f, err);
    return rc;
}

fd_status fd_st_open(const char *path, fd_st_file **out, fd_error *err)
{
    fd_st_file *f;
    fd_status rc;
    *out = NULL;
    if (!(f = fd_calloc(1, sizeof *f)) || !(f->path = fd_strdup(path))) {
        fd_free(f);
        return fd_error_set(err, FD_ERR_NOMEM, "%s: out of memory", path);
    }
    rc = fd_mapfile_open(path, &f->map, err);
    if (rc == FD_OK) rc = parse(f, err);
    if (rc != FD_OK) {
        fd_st_close(f);
        return rc;
    }
    *out = f;
    return FD_OK;
}

void fd_st_close(fd_st_file *f)
{
    if (!f) return;
    for (uint64_t i = 0; i < f->n; i++) fd_free(f->t[i].name);
    fd_free(f->t);
    fd_mapfile_close(&f->map);
    fd_free(f->path);
    fd_free(f);
}
