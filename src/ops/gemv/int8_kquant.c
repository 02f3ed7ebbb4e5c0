/* int8_kquant.c — the CPU twin of the 256-value super-block policies on the
 * int8 activation contract (ops/gemv/policy_q2_k.cuh .. policy_q6_k.cuh,
 * policy_iq4_xs.cuh): per 32-value unit the same integer
 * sums as the device's dp4a (exact), then the same scale products, here in
 * double (the device: f32), so the two agree to f32 rounding. The packing is
 * read here independently of base/quant_k.c (tests compare the two).
 *
 * Layer: ops. Legend: unit u = values 32 u .. 32 u + 31 of the row; q, d, s
 * as int8_ref.h. */
#include "ops/gemv/int8_ref.h"
#include "base/quant_iq4.h"

/* Q4_K / Q5_K sub-block j's 6-bit scale and min (dtype.h's packing) */
static void scale_min(const uint8_t *p, int j, int *sc, int *m)
{
    if (j < 4) {
        *sc = p[j] & 63;
        *m = p[j + 4] & 63;
    } else {
        *sc = (p[j + 4] & 15) | (p[j - 4] >> 6) << 4;
        *m = (p[j + 4] >> 4) | (p[j] >> 6) << 4;
    }
}

/* Q4_K (qh NULL) and Q5_K: unit j's value i is nibble j % 2 of
 * qs[(j / 2) 32 + i] (plus bit j of qh[i] as 16); d sc dx sum n q - dmin m s. */
static double q45_k_unit(uint16_t d16, uint16_t dmin16, const uint8_t *scales, const uint8_t *qs, const uint8_t *qh,
                         int j, const int8_t *x, float dx, float sx)
{
    int dot = 0, sc, m;
    for (int i = 0; i < 32; i++) {
        int n = (qs[j / 2 * 32 + i] >> (4 * (j % 2)) & 15) | (qh ? (qh[i] >> j & 1) << 4 : 0);
        dot += n * x[i];
    }
    scale_min(scales, j, &sc, &m);
    return (double)fd_f16_to_f32(d16) * sc * ((double)dx * dot) - (double)fd_f16_to_f32(dmin16) * m * sx;
}

/* Q6_K: unit j's two sub-blocks 2j, 2j + 1 (16 values each, int8 scales);
 * value i: nibble r / 2 of ql[64 h + 32 (r % 2) + i] and field r of
 * qh[32 h + i] above it, less 32 (h = j / 4, r = j % 4). */
static double q6_k_unit(const fd_block_q6_k *b, int j, const int8_t *x, float dx)
{
    int h = j / 4, r = j % 4, dot[2] = { 0, 0 };
    for (int i = 0; i < 32; i++) {
        int lo = b->ql[64 * h + 32 * (r % 2) + i] >> (4 * (r / 2)) & 15, hi = b->qh[32 * h + i] >> (2 * r) & 3;
        dot[i / 16] += ((lo | hi << 4) - 32) * x[i];
    }
    return (double)fd_f16_to_f32(b->d) * ((double)dx * (b->scales[2 * j] * dot[0] + b->scales[2 * j + 1] * dot[1]));
}

/* Q2_K / Q3_K: unit j's value i is field j % 4 of qs[32 (j / 4) + i]. Q3_K
 * less 4 where bit j of hmask[i] is clear; its two sub-blocks' 6-bit
 * scales less 32 (dtype.h's packing). Q2_K's two sub-blocks have scale and
 * min (scales[s] = scale | min << 4): d dx sum sc q x - dmin dx sum m x, x's
 * sums taken per half. */
static int q3_scale(const uint8_t *sc, int s)
{
    int lo = s < 8 ? sc[s] & 15 : sc[s - 8] >> 4, hi = sc[8 + s % 4] >> (2 * (s / 4)) & 3;
    return (lo | hi << 4) - 32;
}

static double q3_k_unit(const fd_block_q3_k *b, int j, const int8_t *x, float dx)
{
    int dot[2] = { 0, 0 };
    for (int i = 0; i < 32; i++) {
        int q = (b->qs[32 * (j / 4) + i] >> (2 * (j % 4)) & 3) - (b->hmask[i] >> j & 1 ? 0 : 4);
        dot[i / 16] += q * x[i];
    }
    return (double)fd_f16_to_f32(b->d) * ((double)dx * (q3_scale(b->scales, 2 * j) * dot[0] + q3_scale(b->scales, 2 * j + 1) * dot[1]));
}

static double q2_k_unit(const fd_block_q2_k *b, int j, const int8_t *x, float dx)
{
    int dot = 0, sum = 0;
    for (int i = 0; i < 32; i++) {
        int sc = b->scales[2 * j + i / 16], q = b->qs[32 * (j / 4) + i] >> (2 * (j % 4)) & 3;
        dot += (sc & 15) * q * x[i];
        sum += (sc >> 4) * x[i];
    }
    return (double)fd_f16_to_f32(b->d) * ((double)dx * dot) - (double)fd_f16_to_f32(b->dmin) * ((double)dx * sum);
}

/* IQ4_XS: unit j is sub-block j, 16 bytes of nibbles as IQ4_NL's (low
 * nibbles values 0..15, high ones 16..31) into the fixed table. */
static double iq4_xs_unit(const fd_block_iq4_xs *b, int j, const int8_t *x, float dx)
{
    int dot = 0, ls = (b->scales_l[j / 2] >> (4 * (j % 2)) & 15) | (b->scales_h >> (2 * j) & 3) << 4;
    for (int i = 0; i < 16; i++)
        dot += fd_iq4_levels[b->qs[16 * j + i] & 15] * x[i] + fd_iq4_levels[b->qs[16 * j + i] >> 4] * x[i + 16];
    return (double)fd_f16_to_f32(b->d) * ((double)dx * ((ls - 32) * dot));
}

int fd_int8_superblock(fd_dtype dt)
{
    return dt == FD_Q2_K || dt == FD_Q3_K || dt == FD_Q4_K || dt == FD_Q5_K || dt == FD_Q6_K || dt == FD_IQ4_XS;
}

double fd_int8_superblock_row(fd_dtype dt, const void *row, const int8_t *q, const float *d, const float *s, uint32_t cols)
{
    double acc = 0;
    for (uint32_t u = 0; u < cols / 32; u++) {
        uint32_t k = u / 8;
        int j = (int)(u % 8);
        const int8_t *x = q + 32 * u;
        switch (dt) {
        case FD_Q4_K: {
            const fd_block_q4_k *b = (const fd_block_q4_k *)row + k;
            acc += q45_k_unit(b->d, b->dmin, b->scales, b->qs, NULL, j, x, d[u], s[u]);
            break;
        }
        case FD_Q5_K: {
            const fd_block_q5_k *b = (const fd_block_q5_k *)row + k;
            acc += q45_k_unit(b->d, b->dmin, b->scales, b->qs, b->qh, j, x, d[u], s[u]);
            break;
        }
        case FD_Q2_K: acc += q2_k_unit((const fd_block_q2_k *)row + k, j, x, d[u]); break;
        case FD_Q3_K: acc += q3_k_unit((const fd_block_q3_k *)row + k, j, x, d[u]); break;
        case FD_Q6_K: acc += q6_k_unit((const fd_block_q6_k *)row + k, j, x, d[u]); break;
        case FD_IQ4_XS: acc += iq4_xs_unit((const fd_block_iq4_xs *)row + k, j, x, d[u]); break;
        default: break;
        }
    }
    return acc;
}
