/* dtype.h — element types, their GGUF block layouts, and the CPU conversions
 * between them (f32 <-> f16 / bf16 with round-to-nearest-even; Q8_0 and Q4_0
 * quantization bit for bit as GGUF stores them).
 *
 * Layer: base (public). Pure functions: no state, no allocation.
 *
 * Block layouts (little-endian, as in GGUF / ggml):
 *   Q8_0: 32 values per 34-byte block: f16 scale d, then int8 q[32];  x = d * q
 *   Q4_0: 32 values per 18-byte block: f16 scale d, then 16 bytes; byte j holds
 *         value j in its low nibble and value j+16 in its high one;   x = d * (q - 8) */
#ifndef FOUNDRY_DTYPE_H
#define FOUNDRY_DTYPE_H

#include <stddef.h>
#include <stdint.h>
#include "foundry/status.h"

/* The one list of dtypes. Columns: name, enum suffix, values per block,
 * bytes per block, GGML type id, llama.cpp general.file_type (-1: none),
 * host C type of one block, device storage type (the prelude's), kind
 * (FLOAT and QUANT are weight dtypes: the GEMV family has a policy file
 * ops/gemv/policy_<name>.cuh for each), and the CPU row conversions
 * (base/dtype.c: <to>(src, f32 dst, n) and <from>(f32 src, dst, n)).
 * A new dtype is a row here, its conversions and its policy file. */
#define FD_DTYPE_LIST(X)                                                                                   \
    X(f32,  F32,   1,  4,  0,  0, float,         "float",   FLOAT, fd_f32_to_f32_row,  fd_f32_from_f32_row)  \
    X(f16,  F16,   1,  2,  1,  1, uint16_t,      "fd_f16",  FLOAT, fd_f16_to_f32_row,  fd_f16_from_f32_row)  \
    X(bf16, BF16,  1,  2, 30, 32, uint16_t,      "fd_bf16", FLOAT, fd_bf16_to_f32_row, fd_bf16_from_f32_row) \
    X(q8_0, Q8_0, 32, 34,  8,  7, fd_block_q8_0, "fd_q8_0", QUANT, fd_dequantize_q8_0, fd_quantize_q8_0)     \
    X(q4_0, Q4_0, 32, 18,  2,  2, fd_block_q4_0, "fd_q4_0", QUANT, fd_dequantize_q4_0, fd_quantize_q4_0)     \
    X(i32,  I32,   1,  4, 26, -1, int32_t,       "int",     INT,   fd_i32_to_f32_row,  fd_i32_from_f32_row)

typedef enum {
#define FD_DTYPE_ENUM_(n, E, ...) FD_##E,
    FD_DTYPE_LIST(FD_DTYPE_ENUM_)
#undef FD_DTYPE_ENUM_
    FD_DTYPE_COUNT
} fd_dtype;

/* Bit sets of the dtypes of a kind, from the list. */
#define FD_KIND_FLOAT 1
#define FD_KIND_QUANT 2
#define FD_KIND_INT   4
#define FD_DTYPE_FLOAT_BIT_(n, E, be, bb, g, ft, ct, dev, kind, ...) | ((FD_KIND_##kind & FD_KIND_FLOAT) ? 1u << FD_##E : 0u)
#define FD_DTYPE_QUANT_BIT_(n, E, be, bb, g, ft, ct, dev, kind, ...) | ((FD_KIND_##kind & FD_KIND_QUANT) ? 1u << FD_##E : 0u)
#define FD_DTYPES_FLOAT (0u FD_DTYPE_LIST(FD_DTYPE_FLOAT_BIT_))
#define FD_DTYPES_QUANT (0u FD_DTYPE_LIST(FD_DTYPE_QUANT_BIT_))

#define FD_QK 32   /* values per quantized block */

typedef struct { uint16_t d; int8_t  qs[FD_QK];     } fd_block_q8_0;  /* 34 bytes */
typedef struct { uint16_t d; uint8_t qs[FD_QK / 2]; } fd_block_q4_0;  /* 18 bytes */

const char *fd_dtype_name(fd_dtype t);               /* "q8_0"; "?" if out of range */
fd_status   fd_dtype_parse(const char *name, fd_dtype *out);  /* FD_ERR_INVALID if unknown */
int         fd_dtype_valid(fd_dtype t);
size_t      fd_dtype_block_elems(fd_dtype t);        /* 1 for plain types, 32 for Q*_0 */
size_t      fd_dtype_block_bytes(fd_dtype t);
int         fd_dtype_is_quant(fd_dtype t);
int         fd_dtype_is_float(fd_dtype t);           /* f32, f16, bf16 */
int         fd_dtype_ggml(fd_dtype t);               /* GGML type id */
int         fd_dtype_file_type(fd_dtype t);          /* llama.cpp general.file_type, -1 if none */
const char *fd_dtype_device_type(fd_dtype t);        /* the device storage type: "fd_q8_0", "float" */
fd_status   fd_dtype_from_ggml(int ggml_type, fd_dtype *out);

/* Bytes of a row of n values. FD_ERR_INVALID when n is not a whole number of
 * blocks (the message says so), FD_ERR_RANGE on overflow. */
fd_status fd_dtype_row_bytes(fd_dtype t, uint64_t n, uint64_t *bytes, fd_error *err);

/* Scalar conversions; f32 -> f16/bf16 round to nearest even, keep NaN a NaN
 * and overflow to infinity. */
uint16_t fd_f32_to_f16(float x);
float    fd_f16_to_f32(uint16_t h);
uint16_t fd_f32_to_bf16(float x);
float    fd_bf16_to_f32(uint16_t h);

/* Row conversions of n values (n a multiple of the block for quantized
 * types), one pair per dtype as the list names them. */
#define FD_DTYPE_CONV_DECL_(n, E, be, bb, g, ft, ct, dev, kind, to, from) \
    void to(const void *src, float *y, size_t n);                         \
    void from(const float *x, void *dst, size_t n);
FD_DTYPE_LIST(FD_DTYPE_CONV_DECL_)
#undef FD_DTYPE_CONV_DECL_
void fd_dequantize_row(fd_dtype t, const void *src, float *y, size_t n);   /* any dtype -> f32 */
void fd_quantize_row(fd_dtype t, const float *x, void *dst, size_t n);     /* f32 -> any dtype */

#endif
