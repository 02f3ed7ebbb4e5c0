/* dtype.h — element types, their GGUF block layouts, and the CPU conversions
 * between them (f32 <-> f16 / bf16 with round-to-nearest-even; Q8_0 and Q4_0
 * quantization bit for bit as GGUF stores them; dequantization of llama.cpp's
 * legacy, K-quant and IQ4 types bit for bit as gguf-py computes it).
 *
 * Layer: base (public). Pure functions: no state, no allocation.
 *
 * Block layouts (little-endian, as in GGUF / ggml; d, m, dmin are f16):
 *   Q8_0: 32 values per 34-byte block: d, then int8 q[32];            x = d * q
 *   Q4_0: 32 values per 18-byte block: d, then 16 bytes; byte j holds
 *         value j in its low nibble and value j+16 in its high one;   x = d * (q - 8)
 *   The other types' layouts are beside their block structs below; the
 *   formulas are in base/quant_legacy.c, quant_k.c and quant_iq4.c. */
#ifndef FOUNDRY_DTYPE_H
#define FOUNDRY_DTYPE_H

#include <stddef.h>
#include <stdint.h>
#include "foundry/status.h"

/* The one list of dtypes. Columns: name, enum suffix (also the GGML type
 * name), values per block, bytes per block, GGML type id, llama.cpp
 * general.file_type of a file of that type (a K-quant's: its _M mix; -1:
 * none), host C type of one
 * block, device storage type (the prelude's), kind, and the CPU row
 * conversions (<to>(src, f32 dst, n) and <from>(f32 src, dst, n)).
 * Kinds: FLOAT and QUANT are weight dtypes with GPU policies (the GEMV and
 * GEMM families have ops/<family>/policy_<name>.cuh for each); QREAD is
 * QUANT that Foundry reads (GPU policies, device type) but does not write
 * (no quantizer: the from column is NULL); QCPU are
 * weight dtypes Foundry reads from GGUF files and dequantizes on the CPU but
 * has no GPU policy for yet and does not write (no quantizer: the from
 * column is NULL; their device type is not defined in the prelude); INT is
 * token ids. A new dtype is a row here, its conversions and, for FLOAT and
 * QUANT, its policy files. */
#define FD_DTYPE_LIST(X)                                                                                        \
    X(f32,    F32,     1,   4,  0,  0, float,           "float",     FLOAT, fd_f32_to_f32_row,  fd_f32_from_f32_row)  \
    X(f16,    F16,     1,   2,  1,  1, uint16_t,        "fd_f16",    FLOAT, fd_f16_to_f32_row,  fd_f16_from_f32_row)  \
    X(bf16,   BF16,    1,   2, 30, 32, uint16_t,        "fd_bf16",   FLOAT, fd_bf16_to_f32_row, fd_bf16_from_f32_row) \
    X(q8_0,   Q8_0,   32,  34,  8,  7, fd_block_q8_0,   "fd_q8_0",   QUANT, fd_dequantize_q8_0, fd_quantize_q8_0)     \
    X(q4_0,   Q4_0,   32,  18,  2,  2, fd_block_q4_0,   "fd_q4_0",   QUANT, fd_dequantize_q4_0, fd_quantize_q4_0)     \
    X(q4_1,   Q4_1,   32,  20,  3,  3, fd_block_q4_1,   "fd_q4_1",   QREAD, fd_dequantize_q4_1,   NULL)               \
    X(q5_0,   Q5_0,   32,  22,  6,  8, fd_block_q5_0,   "fd_q5_0",   QREAD, fd_dequantize_q5_0,   NULL)               \
    X(q5_1,   Q5_1,   32,  24,  7,  9, fd_block_q5_1,   "fd_q5_1",   QREAD, fd_dequantize_q5_1,   NULL)               \
    X(q2_k,   Q2_K,  256,  84, 10, 10, fd_block_q2_k,   "fd_q2_k",   QREAD, fd_dequantize_q2_k,   NULL)               \
    X(q3_k,   Q3_K,  256, 110, 11, 12, fd_block_q3_k,   "fd_q3_k",   QREAD, fd_dequantize_q3_k,   NULL)               \
    X(q4_k,   Q4_K,  256, 144, 12, 15, fd_block_q4_k,   "fd_q4_k",   QREAD, fd_dequantize_q4_k,   NULL)               \
    X(q5_k,   Q5_K,  256, 176, 13, 17, fd_block_q5_k,   "fd_q5_k",   QREAD, fd_dequantize_q5_k,   NULL)               \
    X(q6_k,   Q6_K,  256, 210, 14, 18, fd_block_q6_k,   "fd_q6_k",   QREAD, fd_dequantize_q6_k,   NULL)               \
    X(iq4_nl, IQ4_NL, 32,  18, 20, 25, fd_block_iq4_nl, "fd_iq4_nl", QREAD, fd_dequantize_iq4_nl, NULL)               \
    X(iq4_xs, IQ4_XS, 256, 136, 23, 30, fd_block_iq4_xs, "fd_iq4_xs", QREAD, fd_dequantize_iq4_xs, NULL)               \
    X(i32,    I32,     1,   4, 26, -1, int32_t,         "int",       INT,   fd_i32_to_f32_row,  fd_i32_from_f32_row)

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
#define FD_KIND_QCPU  8
#define FD_KIND_QREAD (FD_KIND_QUANT | 16)   /* a QUANT without a quantizer */
#define FD_DTYPE_FLOAT_BIT_(n, E, be, bb, g, ft, ct, dev, kind, ...) | ((FD_KIND_##kind & FD_KIND_FLOAT) ? 1u << FD_##E : 0u)
#define FD_DTYPE_QUANT_BIT_(n, E, be, bb, g, ft, ct, dev, kind, ...) | ((FD_KIND_##kind & FD_KIND_QUANT) ? 1u << FD_##E : 0u)
#define FD_DTYPES_FLOAT (0u FD_DTYPE_LIST(FD_DTYPE_FLOAT_BIT_))
#define FD_DTYPES_QUANT (0u FD_DTYPE_LIST(FD_DTYPE_QUANT_BIT_))

#define FD_QK   32    /* values per block of the legacy types and IQ4_NL */
#define FD_QK_K 256   /* values per super-block of the K-quants and IQ4_XS */

typedef struct { uint16_t d; int8_t  qs[FD_QK];     } fd_block_q8_0;  /* 34 bytes */
typedef struct { uint16_t d; uint8_t qs[FD_QK / 2]; } fd_block_q4_0;  /* 18 bytes */
/* Legacy types: qs as Q4_0's; Q5's fifth bits apart, bit j of qh (a
 * little-endian u32) for value j. x = d * q + m (Q4_1, Q5_1), d * (q - 16) (Q5_0). */
typedef struct { uint16_t d, m; uint8_t qs[FD_QK / 2]; }                 fd_block_q4_1;  /* 20 bytes */
typedef struct { uint16_t d; uint8_t qh[4]; uint8_t qs[FD_QK / 2]; }     fd_block_q5_0;  /* 22 bytes */
typedef struct { uint16_t d, m; uint8_t qh[4]; uint8_t qs[FD_QK / 2]; }  fd_block_q5_1;  /* 24 bytes */
/* K-quants: a 256-value super-block of sub-blocks with small integer
 * scales (and mins) under the f16 super scale d (and dmin). */
typedef struct { uint8_t scales[16]; uint8_t qs[64]; uint16_t d, dmin; } fd_block_q2_k;  /* 16 x 16, 4-bit scale | min << 4; 84 bytes */
typedef struct { uint8_t hmask[32]; uint8_t qs[64]; uint8_t scales[12]; uint16_t d; } fd_block_q3_k;  /* 16 x 16, 6-bit scales; 110 bytes */
typedef struct { uint16_t d, dmin; uint8_t scales[12]; uint8_t qs[128]; } fd_block_q4_k;  /* 8 x 32, 6-bit scales and mins; 144 bytes */
typedef struct { uint16_t d, dmin; uint8_t scales[12]; uint8_t qh[32]; uint8_t qs[128]; } fd_block_q5_k;  /* 176 bytes */
typedef struct { uint8_t ql[128]; uint8_t qh[64]; int8_t scales[16]; uint16_t d; } fd_block_q6_k;  /* 16 x 16, int8 scales; 210 bytes */
/* IQ4: 4-bit indices into a fixed non-linear table of 16 int8 values. */
typedef struct { uint16_t d; uint8_t qs[FD_QK / 2]; } fd_block_iq4_nl;  /* 18 bytes, qs as Q4_0's */
typedef struct { uint16_t d, scales_h; uint8_t scales_l[4]; uint8_t qs[128]; } fd_block_iq4_xs;  /* 8 x 32, 6-bit scales; 136 bytes */

const char *fd_dtype_name(fd_dtype t);               /* "q8_0"; "?" if out of range */
fd_status   fd_dtype_parse(const char *name, fd_dtype *out);  /* FD_ERR_INVALID if unknown */
int         fd_dtype_valid(fd_dtype t);
size_t      fd_dtype_block_elems(fd_dtype t);        /* 1 for plain types, 32 or 256 for quantized ones */
size_t      fd_dtype_block_bytes(fd_dtype t);
int         fd_dtype_is_quant(fd_dtype t);
int         fd_dtype_is_float(fd_dtype t);           /* f32, f16, bf16 */
int         fd_dtype_is_cpu_only(fd_dtype t);        /* QCPU: dequantized on the CPU, no GPU policy yet */
int         fd_dtype_ggml(fd_dtype t);               /* GGML type id */
int         fd_dtype_file_type(fd_dtype t);          /* llama.cpp general.file_type, -1 if none */
const char *fd_dtype_device_type(fd_dtype t);        /* the device storage type: "fd_q8_0", "float" */
fd_status   fd_dtype_from_ggml(int ggml_type, fd_dtype *out);   /* FD_ERR_UNSUPPORTED if none */
const char *fd_dtype_ggml_name(fd_dtype t);          /* the GGML type name: "Q4_K"; "?" if out of range */

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
 * types), one pair per dtype as the list names them (QCPU rows: only <to>). */
#define FD_DTYPE_TO_DECL_(to)   void to(const void *src, float *y, size_t n);
#define FD_DTYPE_FROM_DECL_(fr) void fr(const float *x, void *dst, size_t n);
#define FD_DTYPE_CONV_FLOAT_(to, from) FD_DTYPE_TO_DECL_(to) FD_DTYPE_FROM_DECL_(from)
#define FD_DTYPE_CONV_QUANT_ FD_DTYPE_CONV_FLOAT_
#define FD_DTYPE_CONV_INT_ FD_DTYPE_CONV_FLOAT_
#define FD_DTYPE_CONV_QCPU_(to, from) FD_DTYPE_TO_DECL_(to)
#define FD_DTYPE_CONV_QREAD_ FD_DTYPE_CONV_QCPU_
#define FD_DTYPE_CONV_DECL_(n, E, be, bb, g, ft, ct, dev, kind, to, from) FD_DTYPE_CONV_##kind##_(to, from)
FD_DTYPE_LIST(FD_DTYPE_CONV_DECL_)
#undef FD_DTYPE_CONV_DECL_
void fd_dequantize_row(fd_dtype t, const void *src, float *y, size_t n);   /* any dtype -> f32 */
/* f32 -> any dtype with a quantizer; QCPU dtypes have none: nothing is
 * written (callers admit only FLOAT and QUANT targets: fd_dtype_can_write). */
void fd_quantize_row(fd_dtype t, const float *x, void *dst, size_t n);
int  fd_dtype_can_write(fd_dtype t);                 /* has a quantizer (every kind but QCPU) */

#endif
