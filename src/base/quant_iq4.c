/* quant_iq4.c — CPU dequantization of ggml's IQ4_NL (32-value blocks) and
 * IQ4_XS (256-value super-blocks of 8 x 32 with 6-bit scales): 4-bit
 * indices into one fixed non-linear table.
 *
 * Layer: base. Bit for bit as gguf-py's quants.dequantize computes them
 * (IQ4_XS: the sub-block scale d * (ls - 32) first, then scale * table
 * value; compiled with -ffp-contract=off). Layouts: include/foundry/dtype.h. */
#include "foundry/dtype.h"
#include "base/quant_iq4.h"

const int8_t fd_iq4_levels[16] = { -127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113 };

/* Nibbles of a 16-byte group as Q4_0 orders them: bytes' low nibbles are
 * values 0..15, high ones 16..31. */
static int nibble(const uint8_t *qs, int j) { return j < 16 ? qs[j] & 0x0f : qs[j - 16] >> 4; }

void fd_dequantize_iq4_nl(const void *src, float *y, size_t n)
{
    const fd_block_iq4_nl *b = src;
    for (size_t i = 0; i < n / FD_QK; i++, y += FD_QK) {
        float d = fd_f16_to_f32(b[i].d);
        for (int j = 0; j < FD_QK; j++) y[j] = d * (float)fd_iq4_levels[nibble(b[i].qs, j)];
    }
}

/* Sub-block s's scale: the nibble s % 2 of scales_l[s / 2], above it bits
 * 2 * s of scales_h, less 32. */
void fd_dequantize_iq4_xs(const void *src, float *y, size_t n)
{
    const fd_block_iq4_xs *b = src;
    for (size_t k = 0; k < n / FD_QK_K; k++, y += FD_QK_K) {
        float d = fd_f16_to_f32(b[k].d);
        for (int s = 0; s < 8; s++) {
            int ls = (b[k].scales_l[s / 2] >> (4 * (s % 2)) & 0x0f) | (b[k].scales_h >> (2 * s) & 3) << 4;
            float dl = d * (float)(ls - 32);
            for (int j = 0; j < 32; j++) y[s * 32 + j] = dl * (float)fd_iq4_levels[nibble(b[k].qs + s * 16, j)];
        }
    }
}
