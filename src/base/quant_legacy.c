/* quant_legacy.c — CPU dequantization of ggml's legacy 32-value blocks with
 * a minimum or a fifth bit: Q4_1, Q5_0, Q5_1.
 *
 * Layer: base. Bit for bit as gguf-py's quants.dequantize computes them:
 * the same float32 operations in the same order ((d * q) + m, never fused;
 * this file is compiled with -ffp-contract=off). Layouts: include/foundry/dtype.h. */
#include <string.h>
#include "foundry/dtype.h"

/* Value j's fifth bit: bit j of the little-endian u32 qh. */
static uint32_t high_bits(const uint8_t qh[4])
{
    return (uint32_t)qh[0] | (uint32_t)qh[1] << 8 | (uint32_t)qh[2] << 16 | (uint32_t)qh[3] << 24;
}

/* The 4-bit level of value j: low nibbles hold values 0..15, high ones 16..31. */
#define NIBBLE(qs, j) ((j) < FD_QK / 2 ? (qs)[j] & 0x0f : (qs)[(j) - FD_QK / 2] >> 4)

void fd_dequantize_q4_1(const void *src, float *y, size_t n)
{
    const fd_block_q4_1 *b = src;
    for (size_t i = 0; i < n / FD_QK; i++, y += FD_QK) {
        float d = fd_f16_to_f32(b[i].d), m = fd_f16_to_f32(b[i].m);
        for (int j = 0; j < FD_QK; j++) y[j] = d * (float)NIBBLE(b[i].qs, j) + m;
    }
}

void fd_dequantize_q5_0(const void *src, float *y, size_t n)
{
    const fd_block_q5_0 *b = src;
    for (size_t i = 0; i < n / FD_QK; i++, y += FD_QK) {
        float d = fd_f16_to_f32(b[i].d);
        uint32_t qh = high_bits(b[i].qh);
        for (int j = 0; j < FD_QK; j++) y[j] = d * (float)((NIBBLE(b[i].qs, j) | (int)((qh >> j & 1) << 4)) - 16);
    }
}

void fd_dequantize_q5_1(const void *src, float *y, size_t n)
{
    const fd_block_q5_1 *b = src;
    for (size_t i = 0; i < n / FD_QK; i++, y += FD_QK) {
        float d = fd_f16_to_f32(b[i].d), m = fd_f16_to_f32(b[i].m);
        uint32_t qh = high_bits(b[i].qh);
        for (int j = 0; j < FD_QK; j++) y[j] = d * (float)(NIBBLE(b[i].qs, j) | (int)((qh >> j & 1) << 4)) + m;
    }
}
