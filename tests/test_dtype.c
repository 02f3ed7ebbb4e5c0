/* test_dtype.c — dtype conversions: f16/bf16 rounding and special values,
 * Q8_0 / Q4_0 blocks whose bytes are worked out here by hand, round trips
 * within stated bounds. */
#include <time.h>
#include "check.h"
#include "foundry/dtype.h"

static void test_table(void)
{
    fd_dtype t;
    CHECK_EQ(fd_dtype_block_bytes(FD_Q8_0), 34);
    CHECK_EQ(fd_dtype_block_bytes(FD_Q4_0), 18);
    CHECK_EQ(sizeof(fd_block_q8_0), 34);
    CHECK_EQ(sizeof(fd_block_q4_0), 18);
    CHECK_EQ(fd_dtype_ggml(FD_Q8_0), 8);
    CHECK_EQ(fd_dtype_ggml(FD_BF16), 30);
    CHECK(fd_dtype_parse("q4_0", &t) == FD_OK && t == FD_Q4_0);
    CHECK(fd_dtype_parse("q5_k", &t) == FD_OK && t == FD_Q5_K);
    CHECK(fd_dtype_parse("q5_2", &t) == FD_ERR_INVALID);
    CHECK(fd_dtype_from_ggml(12, &t) == FD_OK && t == FD_Q4_K);
    CHECK(fd_dtype_from_ggml(16, &t) == FD_ERR_UNSUPPORTED);   /* IQ2_XXS */
    CHECK(fd_dtype_from_ggml(39, &t) == FD_ERR_UNSUPPORTED);   /* MXFP4 */
    uint64_t b;
    fd_error e = { 0 };
    CHECK(fd_dtype_row_bytes(FD_Q8_0, 64, &b, &e) == FD_OK && b == 68);
    CHECK(fd_dtype_row_bytes(FD_Q8_0, 33, &b, &e) == FD_ERR_INVALID);
    CHECK_CONTAINS(e.msg, "multiple of 32");
}

static void test_f16(void)
{
    CHECK_EQ(fd_f32_to_f16(0.0f), 0x0000);
    CHECK_EQ(fd_f32_to_f16(-0.0f), 0x8000);
    CHECK_EQ(fd_f32_to_f16(1.0f), 0x3c00);
    CHECK_EQ(fd_f32_to_f16(-2.0f), 0xc000);
    CHECK_EQ(fd_f32_to_f16(65504.0f), 0x7bff);           /* largest finite */
    CHECK_EQ(fd_f32_to_f16(65520.0f), 0x7c00);           /* rounds up to inf */
    CHECK_EQ(fd_f32_to_f16(INFINITY), 0x7c00);
    CHECK_EQ(fd_f32_to_f16(-INFINITY), 0xfc00);
    uint16_t nan = fd_f32_to_f16(NAN);
    CHECK((nan & 0x7c00) == 0x7c00 && (nan & 0x3ff) != 0);
    CHECK_EQ(fd_f32_to_f16(5.9604645e-8f), 0x0001);      /* smallest subnormal 2^-24 */
    CHECK_EQ(fd_f32_to_f16(2.9802322e-8f), 0x0000);      /* 2^-25: tie, rounds to even (0) */
    CHECK_EQ(fd_f32_to_f16(8.940697e-8f), 0x0002);       /* 1.5 * 2^-24: tie, rounds to even (2) */
    CHECK_EQ(fd_f32_to_f16(6.1035156e-5f), 0x0400);      /* smallest normal */
    /* 1 + 2^-11 is exactly between 1 and 1 + 2^-10: ties to even (1.0) */
    CHECK_EQ(fd_f32_to_f16(1.0f + 1.0f / 2048), 0x3c00);
    CHECK_EQ(fd_f32_to_f16(1.0f + 3.0f / 2048), 0x3c02); /* tie between 0x3c01 and 0x3c02: even */
    CHECK_EQ(fd_f32_to_f16(1.0f + 1.0f / 2048 + 1.0f / 65536), 0x3c01);  /* above the tie */
    CHECK(isinf(fd_f16_to_f32(0x7c00)));
    CHECK(isnan(fd_f16_to_f32(0x7e00)));
    CHECK(signbit(fd_f16_to_f32(0x8000)));
    CHECK(fd_f16_to_f32(0x0001) == ldexpf(1.0f, -24));
    CHECK(fd_f16_to_f32(0x3555) == 1365.0f / 4096.0f);
    /* every f16 value survives f16 -> f32 -> f16 */
    int bad = 0;
    for (uint32_t h = 0; h < 65536; h++) {
        float f = fd_f16_to_f32((uint16_t)h);
        if (isnan(f)) continue;
        if (fd_f32_to_f16(f) != h) bad++;
    }
    CHECK_EQ(bad, 0);
}

static void test_bf16(void)
{
    CHECK_EQ(fd_f32_to_bf16(1.0f), 0x3f80);
    CHECK_EQ(fd_f32_to_bf16(-0.0f), 0x8000);
    CHECK_EQ(fd_f32_to_bf16(INFINITY), 0x7f80);
    CHECK((fd_f32_to_bf16(NAN) & 0x7f80) == 0x7f80 && (fd_f32_to_bf16(NAN) & 0x7f));
    float tie;                                           /* 1 + 2^-8: between 0x3f80 and 0x3f81 -> even */
    uint32_t u = 0x3f808000u;
    memcpy(&tie, &u, 4);
    CHECK_EQ(fd_f32_to_bf16(tie), 0x3f80);
    u = 0x3f818000u;                                     /* tie between 0x3f81 and 0x3f82 -> 0x3f82 */
    memcpy(&tie, &u, 4);
    CHECK_EQ(fd_f32_to_bf16(tie), 0x3f82);
    u = 0x3f808001u;                                     /* just above the tie */
    memcpy(&tie, &u, 4);
    CHECK_EQ(fd_f32_to_bf16(tie), 0x3f81);
    u = 0x00000001u;                                     /* f32 subnormal: rounds to zero */
    memcpy(&tie, &u, 4);
    CHECK_EQ(fd_f32_to_bf16(tie), 0x0000);
    CHECK_NEAR(fd_bf16_to_f32(0x4049), 3.140625, 0);
}

static void test_q8_0_block(void)
{
    /* x = k / 4 for k = -16..15: amax = 4, d = 4/127, q = round(x * 127 / 4) */
    float x[32];
    for (int i = 0; i < 32; i++) x[i] = (float)(i - 16) / 4.0f;
    fd_block_q8_0 b;
    fd_quantize_q8_0(x, &b, 32);
    CHECK_EQ(b.d, fd_f32_to_f16(4.0f / 127.0f));
    CHECK_EQ(b.qs[0], -127);          /* -4 */
    CHECK_EQ(b.qs[16], 0);            /* 0 */
    CHECK_EQ(b.qs[17], 8);            /* 0.25 * 31.75 = 7.94 -> 8 */
    CHECK_EQ(b.qs[18], 16);           /* 15.875 -> 16 */
    CHECK_EQ(b.qs[31], 119);          /* 3.75 * 31.75 = 119.06 -> 119 */
    unsigned char raw[34];
    memcpy(raw, &b, 34);
    CHECK_EQ(raw[0] | raw[1] << 8, fd_f32_to_f16(4.0f / 127.0f));   /* little-endian scale first */
    CHECK_EQ((int8_t)raw[2], -127);
    float y[32];
    fd_dequantize_row(FD_Q8_0, &b, y, 32);
    for (int i = 0; i < 32; i++) CHECK_NEAR(y[i], x[i], 4.0 / 127 / 2 + 1e-3);
    float z[32] = { 0 };
    fd_quantize_q8_0(z, &b, 32);                         /* all zeros: d = 0, q = 0 */
    CHECK_EQ(b.d, 0);
    CHECK_EQ(b.qs[5], 0);
}

static void test_q4_0_block(void)
{
    /* max-magnitude value -8 at index 3 (negative): d = -8 / -8 = 1, q = x + 8 */
    float x[32];
    for (int i = 0; i < 32; i++) x[i] = (float)((i % 15) - 7);   /* -7..7 */
    x[3] = -8.0f;
    fd_block_q4_0 b;
    fd_quantize_q4_0(x, &b, 32);
    CHECK_EQ(b.d, 0x3c00);                               /* 1.0 */
    /* byte j: low nibble = x[j] + 8, high nibble = x[j + 16] + 8 */
    CHECK_EQ(b.qs[0], ((int)x[0] + 8) | (((int)x[16] + 8) << 4));
    CHECK_EQ(b.qs[3], 0 | (((int)x[19] + 8) << 4));
    CHECK_EQ(b.qs[15], ((int)x[15] + 8) | (((int)x[31] + 8) << 4));
    float y[32];
    fd_dequantize_row(FD_Q4_0, &b, y, 32);
    for (int i = 0; i < 32; i++) CHECK_NEAR(y[i], x[i], 0);
    /* positive maximum: d = 8 / -8 = -1; the maximum maps to q = 0 */
    x[3] = 8.0f;
    fd_quantize_q4_0(x, &b, 32);
    CHECK_EQ(b.d, 0xbc00);
    CHECK_EQ(b.qs[3] & 15, 0);
}

static void test_round_trips(void)
{
    uint64_t seed = (uint64_t)time(NULL) | 1;
    printf("test_round_trips seed %llu\n", (unsigned long long)seed);
    enum { N = 4096 };
    static float x[N], y[N];
    static unsigned char q[N * 4];
    for (int i = 0; i < N; i++) x[i] = rng_uniform(&seed) * 3.0f;
    /* bounds relative to ||x||: f16 2^-11, bf16 2^-8, q8_0 ~ 1/254 of block max, q4_0 ~ 1/16 */
    const struct { fd_dtype t; double bound; } cases[] = {
        { FD_F16, 5e-4 }, { FD_BF16, 4e-3 }, { FD_Q8_0, 8e-3 }, { FD_Q4_0, 0.12 }, { FD_F32, 0 },
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        fd_quantize_row(cases[c].t, x, q, N);
        fd_dequantize_row(cases[c].t, q, y, N);
        double e = rel_err(y, x, N);
        if (e > cases[c].bound) fprintf(stderr, "%s: rel err %g > %g\n", fd_dtype_name(cases[c].t), e, cases[c].bound);
        CHECK(e <= cases[c].bound);
    }
}

TEST_MAIN(test_table, test_f16, test_bf16, test_q8_0_block, test_q4_0_block, test_round_trips)
