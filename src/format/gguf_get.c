/* gguf_get.c — typed metadata getters over a reader (see gguf.h).
 *
 * Layer: format. Each getter names the file, the key and, on a type mismatch,
 * both types; integers are range-checked, never silently truncated. */
#include <inttypes.h>
#include "foundry/gguf.h"
#include "format/gguf_int.h"

static fd_status lookup(const fd_gguf *g, const char *key, const fd_gguf_value **v, fd_error *err)
{
    if (!g || !key) return fd_error_set(err, FD_ERR_INVALID, "fd_gguf: NULL reader or key");
    *v = fd_gguf_find(g, key);
    if (!*v) return fd_error_set(err, FD_ERR_INVALID, "%s: key '%s' not found", fd_gguf_path(g), key);
    return FD_OK;
}

static fd_status mismatch(const fd_gguf *g, const char *key, const fd_gguf_value *v, const char *want, fd_error *err)
{
    if (v->type == FD_GGUF_ARRAY)
        return fd_error_set(err, FD_ERR_FORMAT, "%s: key '%s' is an array of %s, not %s", fd_gguf_path(g), key,
                            fd_gguf_type_name(v->v.arr.type), want);
    return fd_error_set(err, FD_ERR_FORMAT, "%s: key '%s' is %s, not %s", fd_gguf_path(g), key,
                        fd_gguf_type_name(v->type), want);
}

static int is_signed(fd_gguf_type t)
{
    return t == FD_GGUF_I8 || t == FD_GGUF_I16 || t == FD_GGUF_I32 || t == FD_GGUF_I64;
}

fd_status fd_gguf_get_str(const fd_gguf *g, const char *key, fd_gguf_str *out, fd_error *err)
{
    const fd_gguf_value *v;
    FD_TRY(lookup(g, key, &v, err));
    if (v->type != FD_GGUF_STRING) return mismatch(g, key, v, "a string", err);
    *out = v->v.s;
    return FD_OK;
}

fd_status fd_gguf_get_uint(const fd_gguf *g, const char *key, uint64_t *out, fd_error *err)
{
    const fd_gguf_value *v;
    FD_TRY(lookup(g, key, &v, err));
    if (!fd_gguf_type_is_int(v->type)) return mismatch(g, key, v, "an integer", err);
    if (is_signed(v->type)) {
        if (v->v.i < 0)
            return fd_error_set(err, FD_ERR_RANGE, "%s: key '%s' is %" PRId64 ", expected a value >= 0",
                                fd_gguf_path(g), key, v->v.i);
        *out = (uint64_t)v->v.i;
    } else {
        *out = v->v.u;
    }
    return FD_OK;
}

fd_status fd_gguf_get_float(const fd_gguf *g, const char *key, double *out, fd_error *err)
{
    const fd_gguf_value *v;
    FD_TRY(lookup(g, key, &v, err));
    if (v->type == FD_GGUF_F32 || v->type == FD_GGUF_F64) *out = v->v.f;
    else if (is_signed(v->type)) *out = (double)v->v.i;
    else if (fd_gguf_type_is_int(v->type)) *out = (double)v->v.u;
    else return mismatch(g, key, v, "a number", err);
    return FD_OK;
}

fd_status fd_gguf_get_bool(const fd_gguf *g, const char *key, int *out, fd_error *err)
{
    const fd_gguf_value *v;
    FD_TRY(lookup(g, key, &v, err));
    if (v->type != FD_GGUF_BOOL) return mismatch(g, key, v, "a bool", err);
    *out = v->v.b;
    return FD_OK;
}

fd_status fd_gguf_get_str_array(const fd_gguf *g, const char *key, const fd_gguf_str **items, uint64_t *n,
                                fd_error *err)
{
    const fd_gguf_value *v;
    FD_TRY(lookup(g, key, &v, err));
    if (v->type != FD_GGUF_ARRAY || v->v.arr.type != FD_GGUF_STRING)
        return mismatch(g, key, v, "an array of strings", err);
    *items = v->v.arr.data;
    *n = v->v.arr.n;
    return FD_OK;
}

fd_status fd_gguf_get_int_array(const fd_gguf *g, const char *key, const int32_t **items, uint64_t *n,
                                fd_error *err)
{
    const fd_gguf_value *v;
    int bad = 0;
    FD_TRY(lookup(g, key, &v, err));
    if (v->type != FD_GGUF_ARRAY || !fd_gguf_type_is_int(v->v.arr.type))
        return mismatch(g, key, v, "an array of integers", err);
    FD_TRY(fd_gguf_int_array_(g, key, items, &bad));
    if (bad)
        return fd_error_set(err, FD_ERR_RANGE, "%s: key '%s': an item does not fit in 32 bits",
                            fd_gguf_path(g), key);
    *n = v->v.arr.n;
    return FD_OK;
}
