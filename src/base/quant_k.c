/* quant_k.c — CPU dequantization of ggml's K-quants: Q2_K, Q3_K, Q4_K,
 * Q5_K, Q6_K (256-value super-blocks of 16- or 32-value sub-blocks).
 *
 * Layer: base. Bit for bit as gguf-py's quants.dequantize computes them: a
 * sub-block's scale is formed first in float32 (d * sc, dmin * m), then
 * each value is scale * q (- min), never fused (this file is compiled with
 * -ffp-contract=off). Index legend: value i of a super-block; the packing
 * of each type is spelled out beside its loop. Layouts: include/foundry/dtype.h. */
#include "foundry/dtype.h"

/* Q2_K: 16 sub-blocks of 16; scales[s] = scale | min << 4; value i is the
 * 2-bit field (i % 128) / 32 of qs[(i / 128) * 32 + i % 32]. */
void fd_dequantize_q2_k(const void *src, float *y, size_t n)
{
    const fd_block_q2_k *b = src;
    for (size_t k = 0; k < n / FD_QK_K; k++, y += FD_QK_K) {
        float d = fd_f16_to_f32(b[k].d), dmin = fd_f16_to_f32(b[k].dmin);
        for (int s = 0; s < 16; s++) {
            int sc = b[k].scales[s], i0 = s * 16, shift = 2 * (i0 % 128 / 32);
            const uint8_t *qs = b[k].qs + i0 / 128 * 32 + i0 % 32;
            float dl = d * (float)(sc & 0x0f), ml = dmin * (float)(sc >> 4);
            for (int j = 0; j < 16; j++) y[i0 + j] = dl * (float)(qs[j] >> shift & 3) - ml;
        }
    }
}

/* Q3_K: 16 sub-blocks of 16 with 6-bit scales stored with an offset of 32:
 * the low nibble of scales[s] (s < 8) or the high one of scales[s - 8],
 * above it bits 2 * (s / 4) of scales[8 + s % 4]. Value i: the 2-bit field
 * as Q2_K's, less 4 where bit i / 32 of hmask[i % 32] is clear. */
void fd_dequantize_q3_k(const void *src, float *y, size_t n)
{
    const fd_block_q3_k *b = src;
    for (size_t k = 0; k < n / FD_QK_K; k++, y += FD_QK_K) {
        const uint8_t *sc = b[k].scales;
        float d = fd_f16_to_f32(b[k].d);
        for (int s = 0; s < 16; s++) {
            int lo = s < 8 ? sc[s] & 0x0f : sc[s - 8] >> 4, hi = sc[8 + s % 4] >> (2 * (s / 4)) & 3;
            int i0 = s * 16, shift = 2 * (i0 % 128 / 32), hbit = i0 / 32;
            const uint8_t *qs = b[k].qs + i0 / 128 * 32 + i0 % 32, *hm = b[k].hmask + i0 % 32;
            float dl = d * (float)((lo | hi << 4) - 32);
            for (int j = 0; j < 16; j++) y[i0 + j] = dl * (float)((qs[j] >> shift & 3) - (hm[j] >> hbit & 1 ? 0 : 4));
        }
    }
}

/* Q4_K and Q5_K's 8 pairs of 6-bit scale and min in 12 bytes: sub-block
 * s < 4 in the low 6 bits of bytes s (scale) and 4 + s (min); s >= 4 in
 * the nibbles of byte 4 + s, above them the top 2 bits of bytes s - 4 and s. */
static void scale_min(const uint8_t *p, int s, int *sc, int *m)
{
    if (s < 4) {
        *sc = p[s] & 63;
        *m = p[s + 4] & 63;
    } else {
        *sc = (p[s + 4] & 0x0f) | (p[s - 4] >> 6) << 4;
        *m = (p[s + 4] >> 4) | (p[s] >> 6) << 4;
    }
}

/* Q4_K and Q5_K: 8 sub-blocks of 32; value i is the nibble (i / 32) % 2 of
 * qs[(i / 64) * 32 + i % 32], and for Q5_K its fifth bit, that of value
 * s * 32 + j, is bit s of qh[j] (qh NULL: Q4_K). */
static void q45_k(uint16_t d16, uint16_t dmin16, const uint8_t *scales, const uint8_t *qs, const uint8_t *qh, float *y)
{
    float d = fd_f16_to_f32(d16), dmin = fd_f16_to_f32(dmin16);
    for (int s = 0; s < 8; s++) {
        int sc, m;
        scale_min(scales, s, &sc, &m);
        float dl = d * (float)sc, ml = dmin * (float)m;
        for (int j = 0; j < 32; j++) {
            int q = (qs[s / 2 * 32 + j] >> (4 * (s % 2)) & 0x0f) | (qh ? (qh[j] >> s & 1) << 4 : 0);
            y[s * 32 + j] = dl * (float)q - ml;
        }
    }
}

void fd_dequantize_q4_k(const void *src, float *y, size_t n)
{
    const fd_block_q4_k *b = src;
    for (size_t k = 0; k < n / FD_QK_K; k++, y += FD_QK_K) q45_k(b[k].d, b[k].dmin, b[k].scales, b[k].qs, NULL, y);
}

void fd_dequantize_q5_k(const void *src, float *y, size_t n)
{
    const fd_block_q5_k *b = src;
    for (size_t k = 0; k < n / FD_QK_K; k++, y += FD_QK_K) q45_k(b[k].d, b[k].dmin, b[k].scales, b[k].qs, b[k].qh, y);
}

/* Q6_K: 16 sub-blocks of 16, int8 scales; in each half h of 128 values,
 * value r has the nibble r / 64 of ql[h * 64 + r % 64] and above it the
 * 2-bit field r / 32 of qh[h * 32 + r % 32], less 32. */
void fd_dequantize_q6_k(const void *src, float *y, size_t n)
{
    const fd_block_q6_k *b = src;
    for (size_t k = 0; k < n / FD_QK_K; k++, y += FD_QK_K) {
        float d = fd_f16_to_f32(b[k].d);
        for (int s = 0; s < 16; s++) {
            int i0 = s * 16, h = i0 / 128, r = i0 % 128;
            const uint8_t *ql = b[k].ql + h * 64 + r % 64, *qh = b[k].qh + h * 32 + r % 32;
            int lshift = 4 * (r / 64), hshift = 2 * (r / 32);
            float dl = d * (float)b[k].scales[s];
            for (int j = 0; j < 16; j++) y[i0 + j] = dl * (float)(((ql[j] >> lshift & 0x0f) | (qh[j] >> hshift & 3) << 4) - 32);
        }
    }
}
