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

/* ggml tensor types Foundry does not compute with: id, name, values per
 * block, bytes per block — known so that a file using them is described,
 * sized and refused by name. The types Foundry reads are rows of
 * FD_DTYPE_LIST (include/foundry/dtype.h), which the lookups consult first. */
static const struct { int id; const char *name; unsigned be, bb; } other_types[] = {
    {9, "Q8_1", 32, 36},      {15, "Q8_K", 256, 292},   {16, "IQ2_XXS", 256, 66}, {17, "IQ2_XS", 256, 74},
    {18, "IQ3_XXS", 256, 98}, {19, "IQ1_S", 256, 50},   {21, "IQ3_S", 256, 110},  {22, "IQ2_S", 256, 82},
    {24, "I8", 1, 1},         {25, "I16", 1, 2},        {27, "I64", 1, 8},        {28, "F64", 1, 8},
    {29, "IQ1_M", 256, 56},   {34, "TQ1_0", 256, 54},   {35, "TQ2_0", 256, 66},   {39, "MXFP4", 32, 17},
    {40, "NVFP4", 64, 36},    {41, "Q1_0", 128, 18},    {42, "Q2_0", 64, 18},
};

int fd_gguf_ggml_layout(int id, unsigned *block_elems, unsigned *block_bytes)
{
    fd_dtype t;
    if (fd_dtype_from_ggml(id, &t) == FD_OK) {
        *block_elems = (unsigned)fd_dtype_block_elems(t);
        *block_bytes = (unsigned)fd_dtype_block_bytes(t);
        return 1;
    }
    for (size_t i = 0; i < sizeof other_types / sizeof other_types[0]; i++)
        if (other_types[i].id == id) {
            *block_elems = other_types[i].be;
            *block_bytes = other_types[i].bb;
            return 1;
        }
    return 0;
}

const char *fd_gguf_ggml_type_name(int id)
{
    fd_dtype t;
    if (fd_dtype_from_ggml(id, &t) == FD_OK) return fd_dtype_ggml_name(t);
    for (size_t i = 0; i < sizeof other_types / sizeof other_types[0]; i++)
        if (other_types[i].id == id) return other_types[i].name;
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
