/* dtype.c — dtype table, f16/bf16 conversions and Q8_0 / Q4_0 quantization on
 * the CPU. These are the reference every device loader is checked against,
 * so they follow ggml's definitions exactly (scale = max|x| / 127 for Q8_0;
 * for Q4_0 the value of largest magnitude maps to -8). The other quantized
 * types' dequantization is in quant_legacy.c, quant_k.c and quant_iq4.c.
 *
 * Layer: base. */
#include <math.h>
#include <string.h>
#include "foundry/dtype.h"

static const struct {
    const char *name, *ggml_name, *device;
    size_t block_elems, block_bytes;
    int ggml, file_type, kind;
    void (*to_f32)(const void *, float *, size_t);
    void (*from_f32)(const float *, void *, size_t);
} table[] = {
#define ROW_(n, E, be, bb, g, ft, ct, dev, kind, to, from) \
    { #n, #E, dev, be, bb, g, ft, FD_KIND_##kind, to, from },
    FD_DTYPE_LIST(ROW_)
#undef ROW_
};

/* A block's C type has the bytes the list says. */
#define SIZE_CHECK_(n, E, be, bb, g, ft, ct, dev, kind, to, from) \
    _Static_assert(sizeof(ct) == (bb), #n ": block bytes differ from sizeof(" #ct ")");
FD_DTYPE_LIST(SIZE_CHECK_)
#undef SIZE_CHECK_

int fd_dtype_valid(fd_dtype t) { return (unsigned)t < FD_DTYPE_COUNT; }
const char *fd_dtype_name(fd_dtype t) { return fd_dtype_valid(t) ? table[t].name : "?"; }
const char *fd_dtype_device_type(fd_dtype t) { return fd_dtype_valid(t) ? table[t].device : "void"; }
size_t fd_dtype_block_elems(fd_dtype t) { return fd_dtype_valid(t) ? table[t].block_elems : 0; }
size_t fd_dtype_block_bytes(fd_dtype t) { return fd_dtype_valid(t) ? table[t].block_bytes : 0; }
int fd_dtype_is_quant(fd_dtype t) { return fd_dtype_valid(t) && (table[t].kind & FD_KIND_QUANT) != 0; }
int fd_dtype_is_float(fd_dtype t) { return fd_dtype_valid(t) && table[t].kind == FD_KIND_FLOAT; }
int fd_dtype_is_cpu_only(fd_dtype t) { return fd_dtype_valid(t) && table[t].kind == FD_KIND_QCPU; }
int fd_dtype_can_write(fd_dtype t) { return fd_dtype_valid(t) && table[t].from_f32 != NULL; }
const char *fd_dtype_ggml_name(fd_dtype t) { return fd_dtype_valid(t) ? table[t].ggml_name : "?"; }
int fd_dtype_ggml(fd_dtype t) { return fd_dtype_valid(t) ? table[t].ggml : -1; }
int fd_dtype_file_type(fd_dtype t) { return fd_dtype_valid(t) ? table[t].file_type : -1; }

fd_status fd_dtype_parse(const char *name, fd_dtype *out)
{
    for (int i = 0; i < FD_DTYPE_COUNT; i++)
        if (name && !strcmp(name, table[i].name)) {
            *out = (fd_dtype)i;
            return FD_OK;
        }
    return FD_ERR_INVALID;
}

fd_status fd_dtype_from_ggml(int ggml_type, fd_dtype *out)
{
    for (int i = 0; i < FD_DTYPE_COUNT; i++)
        if (table[i].ggml == ggml_type) {
            *out = (fd_dtype)i;
            return FD_OK;
        }
    return FD_ERR_UNSUPPORTED;
}

fd_status fd_dtype_row_bytes(fd_dtype t, uint64_t n, uint64_t *bytes, fd_error *err)
{
    if (!fd_dtype_valid(t)) return fd_error_set(err, FD_ERR_INVALID, "unknown dtype %d", (int)t);
    uint64_t be = table[t].block_elems, bb = table[t].block_bytes;
    if (n % be)
        return fd_error_set(err, FD_ERR_INVALID,
                            "%s needs rows of a multiple of %llu values, got %llu",
                            table[t].name, (unsigned long long)be, (unsigned long long)n);
    if (n / be > UINT64_MAX / bb)
        return fd_error_set(err, FD_ERR_RANGE, "row of %llu %s values overflows",
                            (unsigned long long)n, table[t].name);
    *bytes = n / be * bb;
    return FD_OK;
}

static uint32_t f32_bits(float x) { uint32_t u; memcpy(&u, &x, 4); return u; }
static float bits_f32(uint32_t u) { float x; memcpy(&x, &u, 4); return x; }

uint16_t fd_f32_to_f16(float x)
{
    uint32_t u = f32_bits(x);
    uint32_t sign = (u >> 16) & 0x8000u;
    uint32_t exp = (u >> 23) & 0xffu, man = u & 0x7fffffu;
    if (exp == 0xff)                                   /* inf or NaN (keep it a NaN) */
        return (uint16_t)(sign | 0x7c00u | (man ? 0x200u | (man >> 13) : 0));
    int e = (int)exp - 127 + 15;
    if (e >= 31) return (uint16_t)(sign | 0x7c00u);    /* overflow -> inf */
    if (e <= 0) {                                      /* subnormal or zero */
        if (e < -10) return (uint16_t)sign;
        man |= 0x800000u;
        int shift = 14 - e;                            /* 14..24 */
        uint32_t half = man >> shift;
        uint32_t rem = man & ((1u << shift) - 1), mid = 1u << (shift - 1);
        if (rem > mid || (rem == mid && (half & 1))) half++;
        return (uint16_t)(sign | half);
    }
    uint32_t h = ((uint32_t)e << 10) | (man >> 13);
    uint32_t rem = man & 0x1fffu;
    if (rem > 0x1000u || (rem == 0x1000u && (h & 1))) h++;  /* may carry into exp: correct */
    return (uint16_t)(sign | h);
}

float fd_f16_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1fu, man = h & 0x3ffu;
    if (exp == 0x1f) return bits_f32(sign | 0x7f800000u | (man << 13));
    if (exp == 0) {
        if (man == 0) return bits_f32(sign);
        float v = (float)man * (1.0f / 16777216.0f);   /* man * 2^-24 */
        return sign ? -v : v;
    }
    return bits_f32(sign | ((exp + 112) << 23) | (man << 13));
}

uint16_t fd_f32_to_bf16(float x)
{
    uint32_t u = f32_bits(x);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 0x40u);  /* quiet NaN */
    u += 0x7fffu + ((u >> 16) & 1u);
    return (uint16_t)(u >> 16);
}

float fd_bf16_to_f32(uint16_t h) { return bits_f32((uint32_t)h << 16); }

/* ---- plain types: one value per "block" */
#define PLAIN_(name, T, TO, FROM)                                                                         \
    void fd_##name##_to_f32_row(const void *src, float *y, size_t n)                                      \
    {                                                                                                     \
        const T *p = src;                                                                                 \
        for (size_t i = 0; i < n; i++) y[i] = TO(p[i]);                                                   \
    }                                                                                                     \
    void fd_##name##_from_f32_row(const float *x, void *dst, size_t n)                                    \
    {                                                                                                     \
        T *p = dst;                                                                                       \
        for (size_t i = 0; i < n; i++) p[i] = FROM(x[i]);                                                 \
    }
#define SAME_(x) (x)
#define I32_TO_(x) ((float)(x))
#define I32_FROM_(x) ((int32_t)(x))
PLAIN_(f32, float, SAME_, SAME_)
PLAIN_(f16, uint16_t, fd_f16_to_f32, fd_f32_to_f16)
PLAIN_(bf16, uint16_t, fd_bf16_to_f32, fd_f32_to_bf16)
PLAIN_(i32, int32_t, I32_TO_, I32_FROM_)

/* A quantization level: v truncated to an int in lo..hi. Inf and NaN weights
 * (reported by convert) must not reach an int conversion: NaN is the level
 * of 0 (the middle), an infinity the nearest end. */
static int level(float v, int lo, int hi)
{
    if (v != v) return (lo + hi + 1) / 2;
    return v <= (float)lo ? lo : v >= (float)hi ? hi : (int)v;
}

/* ---- Q8_0: scale = max|x| / 127 */
void fd_quantize_q8_0(const float *x, void *dst, size_t n)
{
    fd_block_q8_0 *b = dst;
    for (size_t i = 0; i < n / FD_QK; i++, x += FD_QK) {
        float amax = 0;
        for (int j = 0; j < FD_QK; j++) amax = fmaxf(amax, fabsf(x[j]));
        float d = amax / 127.0f, id = d ? 1.0f / d : 0.0f;
        b[i].d = fd_f32_to_f16(d);
        for (int j = 0; j < FD_QK; j++) b[i].qs[j] = (int8_t)level(roundf(x[j] * id), -127, 127);
    }
}

void fd_dequantize_q8_0(const void *src, float *y, size_t n)
{
    const fd_block_q8_0 *b = src;
    for (size_t i = 0; i < n / FD_QK; i++) {
        float d = fd_f16_to_f32(b[i].d);
        for (int j = 0; j < FD_QK; j++) y[i * FD_QK + j] = d * b[i].qs[j];
    }
}

/* ---- Q4_0: the value of largest magnitude maps to -8 */
void fd_quantize_q4_0(const float *x, void *dst, size_t n)
{
    fd_block_q4_0 *b = dst;
    for (size_t i = 0; i < n / FD_QK; i++, x += FD_QK) {
        float amax = 0, max = 0;
        for (int j = 0; j < FD_QK; j++)
            if (fabsf(x[j]) > amax) { amax = fabsf(x[j]); max = x[j]; }
        float d = max / -8.0f, id = d ? 1.0f / d : 0.0f;
        b[i].d = fd_f32_to_f16(d);
        for (int j = 0; j < FD_QK / 2; j++) {
            int lo = level(x[j] * id + 8.5f, 0, 15), hi = level(x[j + FD_QK / 2] * id + 8.5f, 0, 15);
            b[i].qs[j] = (uint8_t)(lo | (hi << 4));
        }
    }
}

void fd_dequantize_q4_0(const void *src, float *y, size_t n)
{
    const fd_block_q4_0 *b = src;
    for (size_t i = 0; i < n / FD_QK; i++) {
        float d = fd_f16_to_f32(b[i].d);
        for (int j = 0; j < FD_QK / 2; j++) {
            y[i * FD_QK + j] = d * ((b[i].qs[j] & 0x0f) - 8);
            y[i * FD_QK + j + FD_QK / 2] = d * ((b[i].qs[j] >> 4) - 8);
        }
    }
}

void fd_dequantize_row(fd_dtype t, const void *src, float *y, size_t n)
{
    if (fd_dtype_valid(t)) table[t].to_f32(src, y, n);
}

void fd_quantize_row(fd_dtype t, const float *x, void *dst, size_t n)
{
    if (fd_dtype_can_write(t)) table[t].from_f32(x, dst, n);
}
