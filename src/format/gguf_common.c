/* gguf_common.c — GGUF value-type and ggml tensor-type tables shared by the
 * reader and the writer, and array item access.
 *
 * Layer: format. Pure functions over constant tables. */
#include <string.h>
#include "foundry/gguf.h"
#include "format/gguf_int.h"

const char *fd_gguf_type_name(fd_gguf_type t)
{
    switch (t) {
#define NAME_(E, s, n) case FD_GGUF_##E: return s;
        FD_GGUF_TYPE_LIST(NAME_)
#undef NAME_
    default: return "?";
    }
}

int fd_gguf_type_is_int(fd_gguf_type t)
{
    return t == FD_GGUF_U8 || t == FD_GGUF_I8 || t == FD_GGUF_U16 || t == FD_GGUF_I16 ||
           t == FD_GGUF_U32 || t == FD_GGUF_I32 || t == FD_GGUF_U64 || t == FD_GGUF_I64;
}

unsigned fd_gguf_type_size(fd_gguf_type t)
{
    switch (t) {
    case FD_GGUF_U8: case FD_GGUF_I8: case FD_GGUF_BOOL: return 1;
    case FD_GGUF_U16: case FD_GGUF_I16: return 2;
    case FD_GGUF_U32: case FD_GGUF_I32: case FD_GGUF_F32: return 4;
    case FD_GGUF_U64: case FD_GGUF_I64: case FD_GGUF_F64: return 8;
    default: return 0;
    }
}

/* ggml tensor types: id, name, values per block, bytes per block. Only the
 * ones Foundry computes with map to an fd_dtype; the rest are known so that
 * a file using them is described, sized and refused by name. */
static const struct { int id; const char *name; unsigned be, bb; } ggml_types[] = {
    {0, "F32", 1, 4},        {1, "F16", 1, 2},         {2, "Q4_0", 32, 18},
    {3, "Q4_1", 32, 20},     {6, "Q5_0", 32, 22},      {7, "Q5_1", 32, 24},
    {8, "Q8_0", 32, 34},     {9, "Q8_1", 32, 36},      {10, "Q2_K", 256, 84},
    {11, "Q3_K", 256, 110},  {12, "Q4_K", 256, 144},   {13, "Q5_K", 256, 176},
    {14, "Q6_K", 256, 210},  {15, "Q8_K", 256, 292},   {16, "IQ2_XXS", 256, 66},
    {17, "IQ2_XS", 256, 74}, {18, "IQ3_XXS", 256, 98}, {19, "IQ1_S", 256, 50},
    {20, "IQ4_NL", 32, 18},  {21, "IQ3_S", 256, 110},  {22, "IQ2_S", 256, 82},
    {23, "IQ4_XS", 256, 136},{24, "I8", 1, 1},         {25, "I16", 1, 2},
    {26, "I32", 1, 4},       {27, "I64", 1, 8},        {28, "F64", 1, 8},
    {29, "IQ1_M", 256, 56},  {30, "BF16", 1, 2},
};

int fd_gguf_ggml_layout(int id, unsigned *block_elems, unsigned *block_bytes)
{
    for (size_t i = 0; i < sizeof ggml_types / sizeof ggml_types[0]; i++)
        if (ggml_types[i].id == id) {
            *block_elems = ggml_types[i].be;
            *block_bytes = ggml_types[i].bb;
            return 1;
        }
    return 0;
}

const char *fd_gguf_ggml_type_name(int id)
{
    for (size_t i = 0; i < sizeof ggml_types / sizeof ggml_types[0]; i++)
        if (ggml_types[i].id == id) return ggml_types[i].name;
    return "?";
}

uint64_t fd_gguf_rd(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}

/* Widens the scalar of type t stored little-endian at p into a value. */
fd_gguf_value fd_gguf_scalar(fd_gguf_type t, const uint8_t *p)
{
    fd_gguf_value v;
    uint64_t raw = fd_gguf_rd(p, fd_gguf_type_size(t));
    memset(&v, 0, sizeof v);
    v.type = t;
    switch (t) {
    case FD_GGUF_U8: case FD_GGUF_U16: case FD_GGUF_U32: case FD_GGUF_U64: v.v.u = raw; break;
    case FD_GGUF_I8: v.v.i = (int8_t)raw; break;
    case FD_GGUF_I16: v.v.i = (int16_t)raw; break;
    case FD_GGUF_I32: v.v.i = (int32_t)raw; break;
    case FD_GGUF_I64: v.v.i = (int64_t)raw; break;
    case FD_GGUF_BOOL: v.v.b = raw != 0; break;
    case FD_GGUF_F32: { uint32_t b = (uint32_t)raw; float f; memcpy(&f, &b, 4); v.v.f = f; break; }
    case FD_GGUF_F64: { double d; memcpy(&d, &raw, 8); v.v.f = d; break; }
    default: break;
    }
    return v;
}

fd_gguf_value fd_gguf_array_item(const fd_gguf_value *arr, uint64_t i)
{
    fd_gguf_value v;
    memset(&v, 0, sizeof v);
    if (!arr || arr->type != FD_GGUF_ARRAY || i >= arr->v.arr.n) return v;
    switch (arr->v.arr.type) {
    case FD_GGUF_STRING:
        v.type = FD_GGUF_STRING;
        v.v.s = ((const fd_gguf_str *)arr->v.arr.data)[i];
        return v;
    case FD_GGUF_ARRAY:
        return ((const fd_gguf_value *)arr->v.arr.data)[i];
    default: {
        unsigned sz = fd_gguf_type_size(arr->v.arr.type);
        return fd_gguf_scalar(arr->v.arr.type, (const uint8_t *)arr->v.arr.data + i * sz);
    }
    }
}
