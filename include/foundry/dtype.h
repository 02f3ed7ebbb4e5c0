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

/* name, enum suffix, values per block, bytes per block, GGML type id */
#define FD_DTYPE_LIST(X)              \
    X(f32,  F32,   1,  4,  0)         \
    X(f16,  F16,   1,  2,  1)         \
    X(bf16, BF16,  1,  2, 30)         \
    X(q8_0, Q8_0, 32, 34,  8)         \
    X(q4_0, Q4_0, 32, 18,  2)         \
    X(i32,  I32,   1,  4, 26)

typedef enum {
#define FD_DTYPE_ENUM_(n, E, be, bb, g) FD_##E,
    FD_DTYPE_LIST(FD_DTYPE_ENUM_)
#undef FD_DTYPE_ENUM_
    FD_DTYPE_COUNT
} fd_dtype;

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

/* Row conversions of n values (n a multiple of 32 for quantized types). */
void fd_quantize_q8_0(const float *x, void *dst, size_t n);
void fd_quantize_q4_0(const float *x, void *dst, size_t n);
void fd_dequantize_row(fd_dtype t, const void *src, float *y, size_t n);   /* any dtype -> f32 */
void fd_quantize_row(fd_dtype t, const float *x, void *dst, size_t n);     /* f32 -> any dtype */

#endif
