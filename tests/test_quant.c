/* test_quant.c — the quantized types Foundry reads but does not write
 * (QREAD rows of the dtype list past Q8_0 / Q4_0): the list's facts, blocks whose values are
 * worked out here by hand, and the files in tests/data/quant/ dequantized
 * against gguf-py's values (FNV-1a of the f32 bits, expected.tsv, written
 * by tools/check_dequant.py --hashes); a CPU forward pass on llama-quantize's
 * mixed files of a random model against that model's own f32 weights. */
#include "check.h"
#include "base/hash.h"
#include "foundry/dtype.h"
#include "foundry/forward.h"
#include "foundry/foundry.h"
#include "foundry/gguf.h"
#include "model/model_int.h"

#define F16_1     0x3c00   /* 1.0 */
#define F16_HALF  0x3800   /* 0.5 */
#define F16_2     0x4000   /* 2.0 */
#define F16_M2    0xc000   /* -2.0 */

static void test_table(void)
{
    static const struct { fd_dtype t; const char *ggml; int id, be, bb; } want[] = {
        { FD_Q4_1, "Q4_1", 3, 32, 20 },    { FD_Q5_0, "Q5_0", 6, 32, 22 },      { FD_Q5_1, "Q5_1", 7, 32, 24 },
        { FD_Q2_K, "Q2_K", 10, 256, 84 },  { FD_Q3_K, "Q3_K", 11, 256, 110 },   { FD_Q4_K, "Q4_K", 12, 256, 144 },
        { FD_Q5_K, "Q5_K", 13, 256, 176 }, { FD_Q6_K, "Q6_K", 14, 256, 210 },   { FD_IQ4_NL, "IQ4_NL", 20, 32, 18 },
        { FD_IQ4_XS, "IQ4_XS", 23, 256, 136 },
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        fd_dtype t = want[i].t, back;
        CHECK_STR(fd_dtype_ggml_name(t), want[i].ggml);
        CHECK_EQ(fd_dtype_ggml(t), want[i].id);
        CHECK_EQ(fd_dtype_block_elems(t), want[i].be);
        CHECK_EQ(fd_dtype_block_bytes(t), want[i].bb);
        CHECK(fd_dtype_from_ggml(want[i].id, &back) == FD_OK && back == t);
        CHECK(fd_dtype_parse(fd_dtype_name(t), &back) == FD_OK && back == t);
        /* every one has GPU policies (QREAD: quant, read only); none is CPU only (QCPU) any more */
        CHECK(!fd_dtype_is_cpu_only(t) && fd_dtype_is_quant(t) && !fd_dtype_is_float(t) && !fd_dtype_can_write(t));
        CHECK(fd_gemv_policy(t) != NULL && fd_gemm_policy(t) != NULL);
        /* no quantizer: nothing is written */
        unsigned char dst[256];
        float x[256] = { 1.0f };
        memset(dst, 0xa5, sizeof dst);
        fd_quantize_row(t, x, dst, (size_t)want[i].be);
        CHECK_EQ(dst[0], 0xa5);
    }
    CHECK(fd_dtype_can_write(FD_Q4_0) && !fd_dtype_is_cpu_only(FD_Q4_0));
    CHECK_STR(fd_dtype_ggml_name(FD_BF16), "BF16");
    uint64_t b;
    fd_error e = { 0 };
    CHECK(fd_dtype_row_bytes(FD_Q6_K, 512, &b, &e) == FD_OK && b == 420);
    CHECK(fd_dtype_row_bytes(FD_Q6_K, 896, &b, &e) == FD_ERR_INVALID);
    CHECK_CONTAINS(e.msg, "q6_k needs rows of a multiple of 256");
}

static void test_legacy_blocks(void)
{
    float y[32];
    /* Q4_1: x = d * q + m; byte j: value j low, value j + 16 high */
    fd_block_q4_1 a = { F16_1, F16_M2, { 0 } };
    for (int j = 0; j < 16; j++) a.qs[j] = (uint8_t)(j | (15 - j) << 4);
    fd_dequantize_row(FD_Q4_1, &a, y, 32);
    for (int j = 0; j < 16; j++) {
        CHECK_NEAR(y[j], j - 2, 0);
        CHECK_NEAR(y[16 + j], 13 - j, 0);
    }
    /* Q5_0: x = d * (q - 16), the fifth bit of value j in bit j of qh */
    fd_block_q5_0 b = { F16_HALF, { 0x01, 0, 0, 0x80 }, { 0 } };
    memset(b.qs, 0x0f, sizeof b.qs);          /* values 0..15: 15, values 16..31: 0 */
    fd_dequantize_row(FD_Q5_0, &b, y, 32);
    CHECK_NEAR(y[0], 7.5, 0);                 /* (15 | 16) - 16 = 15 */
    CHECK_NEAR(y[1], -0.5, 0);                /* 15 - 16 */
    CHECK_NEAR(y[16], -8, 0);                 /* 0 - 16 */
    CHECK_NEAR(y[31], 0, 0);                  /* (0 | 16) - 16 */
    /* Q5_1: x = d * q + m */
    fd_block_q5_1 c = { F16_1, F16_HALF, { 0, 0, 0x01, 0 }, { 0 } };
    fd_dequantize_row(FD_Q5_1, &c, y, 32);
    CHECK_NEAR(y[16], 16.5, 0);
    CHECK_NEAR(y[15], 0.5, 0);
    /* IQ4_NL: d * table[q]; table[0] = -127, table[15] = 113 */
    fd_block_iq4_nl n = { F16_2, { 0xf0 } };
    fd_dequantize_row(FD_IQ4_NL, &n, y, 32);
    CHECK_NEAR(y[0], -254, 0);
    CHECK_NEAR(y[16], 226, 0);
    CHECK_NEAR(y[1], -254, 0);                /* q = 0 */
}

static void test_k_blocks(void)
{
    float y[256];
    /* Q2_K: scales[s] = scale | min << 4; value i: 2 bits of qs[i / 128 * 32 + i % 32] at 2 * (i % 128 / 32) */
    fd_block_q2_k a = { { 0x21 }, { 0x03 | 0x02 << 2 }, F16_1, F16_1 };
    a.scales[2] = 0x03;
    fd_dequantize_row(FD_Q2_K, &a, y, 256);
    CHECK_NEAR(y[0], 1, 0);                   /* 1 * 3 - 2 */
    CHECK_NEAR(y[1], -2, 0);                  /* 1 * 0 - 2 */
    CHECK_NEAR(y[32], 6, 0);                  /* sub-block 2: 3 * 2 - 0 */
    /* Q3_K: 6-bit scales less 32; value i less 4 where bit i / 32 of hmask[i % 32] is clear */
    fd_block_q3_k b = { { 0x01 }, { 0x03 }, { 0 }, F16_1 };
    b.scales[0] = 0x01, b.scales[8] = 0x02;   /* sub-block 0: 1 | 2 << 4 = 33 -> 1 */
    b.scales[7] = 0xe0, b.scales[11] = 0x40;  /* sub-block 15: 14 | 1 << 4 = 30 -> -2 */
    fd_dequantize_row(FD_Q3_K, &b, y, 256);
    CHECK_NEAR(y[0], 3, 0);
    CHECK_NEAR(y[1], -4, 0);
    CHECK_NEAR(y[255], 8, 0);                 /* -2 * (0 - 4) */
    CHECK_NEAR(y[16], 128, 0);                /* sub-block 1: scale 0 - 32, q = 0 - 4 */
    /* Q4_K: 6-bit scale and min pairs; sub-block s the nibble s % 2 of qs[s / 2 * 32 + j] */
    fd_block_q4_k c = { F16_1, F16_HALF, { 0 }, { 0 } };
    c.scales[0] = 1, c.scales[4] = 2;         /* sub-block 0: scale 1, min 2 */
    c.scales[9] = 0x31, c.scales[1] = 0x40, c.scales[5] = 0x80;   /* sub-block 5: scale 1 | 1 << 4, min 3 | 2 << 4 */
    memset(c.qs, 0x21, sizeof c.qs);
    fd_dequantize_row(FD_Q4_K, &c, y, 256);
    CHECK_NEAR(y[0], 0, 0);                   /* 1 * 1 - 0.5 * 2 */
    CHECK_NEAR(y[32], 0, 0);                  /* sub-block 1: scale 0, min 0 */
    CHECK_NEAR(y[160], 16.5, 0);              /* 17 * 2 - 0.5 * 35 */
    /* Q5_K: Q4_K's nibbles, the fifth bit of value s * 32 + j in bit s of qh[j] */
    fd_block_q5_k d = { F16_1, F16_HALF, { 0 }, { 0x01 | 0x20 }, { 0 } };
    memcpy(d.scales, c.scales, sizeof d.scales);
    memcpy(d.qs, c.qs, sizeof d.qs);
    fd_dequantize_row(FD_Q5_K, &d, y, 256);
    CHECK_NEAR(y[0], 16, 0);                  /* 1 * (1 | 16) - 1 */
    CHECK_NEAR(y[1], 0, 0);
    CHECK_NEAR(y[160], 288.5, 0);             /* 17 * (2 | 16) - 17.5 */
    /* Q6_K: value r of half h: nibble r / 64 of ql[h * 64 + r % 64], 2 bits r / 32 of qh[h * 32 + r % 32], less 32 */
    fd_block_q6_k e = { { 0x3a }, { 0xe4 }, { -1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2 }, F16_1 };
    fd_dequantize_row(FD_Q6_K, &e, y, 256);
    CHECK_NEAR(y[0], 22, 0);                  /* -1 * ((10 | 0) - 32) */
    CHECK_NEAR(y[32], -16, 0);                /* (0 | 1 << 4) - 32 */
    CHECK_NEAR(y[64], 3, 0);                  /* (3 | 2 << 4) - 32 */
    CHECK_NEAR(y[96], 16, 0);                 /* (0 | 3 << 4) - 32 */
    CHECK_NEAR(y[255], -64, 0);               /* 2 * (0 - 32) */
    /* IQ4_XS: 6-bit scales less 32 (nibbles of scales_l, 2 bits each of scales_h) times the IQ4 table */
    fd_block_iq4_xs f = { F16_1, 0x8, { 0x21 }, { 0x8f } };
    fd_dequantize_row(FD_IQ4_XS, &f, y, 256);
    CHECK_NEAR(y[0], -31 * 113, 0);           /* scale 1 - 32, table[15] */
    CHECK_NEAR(y[16], -31, 0);                /* table[8] = 1 */
    CHECK_NEAR(y[32], 2 * -127, 0);           /* sub-block 1: 2 | 2 << 4 = 34 - 32, table[0] */
}

/* Every tensor of expected.tsv (file, tensor, type, FNV-1a of gguf-py's f32
 * bytes) dequantized row by row as the loader does. */
static void test_files(void)
{
    FILE *f = fopen(FD_TEST_DATA "/quant/expected.tsv", "r");
    char line[512], file[128] = "", open_file[128] = "", name[256], type[32];
    unsigned long long want;
    int n = 0, types = 0;
    unsigned seen = 0;
    fd_gguf *g = NULL;
    CHECK(f != NULL);
    while (f && fgets(line, sizeof line, f)) {
        if (sscanf(line, "%127s %255s %31s %llx", file, name, type, &want) != 4) continue;
        if (strcmp(file, open_file)) {
            char path[512];
            fd_error e = { 0 };
            fd_gguf_close(g);
            snprintf(path, sizeof path, "%s/quant/%s", FD_TEST_DATA, file);
            CHECK_OK(fd_gguf_open(path, &g, &e), &e);
            snprintf(open_file, sizeof open_file, "%s", file);
        }
        const fd_gguf_tensor *t = g ? fd_gguf_tensor_find(g, name) : NULL;
        CHECK(t != NULL);
        if (!t) continue;
        CHECK_STR(fd_gguf_ggml_type_name(t->ggml_type), type);
        float *y = malloc(t->n_elems * sizeof *y);
        uint64_t rows = t->n_elems / t->ne[0], rb = t->bytes / rows;
        for (uint64_t r = 0; r < rows; r++)
            fd_dequantize_row(t->dtype, (const uint8_t *)t->data + r * rb, y + r * t->ne[0], (size_t)t->ne[0]);
        uint64_t h = fd_hash64(FD_HASH_SEED, y, t->n_elems * sizeof *y);
        if (h != want) fprintf(stderr, "%s %s (%s): %016llx, gguf-py %016llx\n", file, name, type, (unsigned long long)h, want);
        CHECK(h == want);
        if (!(seen & 1u << t->dtype)) types++;
        seen |= 1u << t->dtype;
        free(y);
        n++;
    }
    if (f) fclose(f);
    fd_gguf_close(g);
    CHECK(n >= 12);
    /* every read-only quantized dtype (and every QCPU one, were there any) is among them */
    for (int d = 0; d < FD_DTYPE_COUNT; d++)
        if ((fd_dtype_is_cpu_only((fd_dtype)d) || (fd_dtype_is_quant((fd_dtype)d) && !fd_dtype_can_write((fd_dtype)d))) &&
            !(seen & 1u << d)) {
            fprintf(stderr, "no %s tensor in expected.tsv\n", fd_dtype_name((fd_dtype)d));
            CHECK(0);
        }
    printf("%d tensors of %d dtypes equal gguf-py's\n", n, types);
}

static void quiet_log(void *user, fd_log_level level, const char *msg) { (void)user, (void)level, (void)msg; }

/* Logits of `ids` (all positions, vocab each) on the CPU; NULL on failure
 * (the message in err). */
static float *logits_of(fd_model *m, const int32_t *ids, size_t n, fd_error *err)
{
    fd_foundry *fd = NULL;
    fd_weights *w = NULL;
    fd_state *s = NULL;
    uint32_t V = fd_model_describe(m)->hp.vocab;
    float *all = malloc(n * V * sizeof *all), *last = malloc(V * sizeof *last);
    fd_status st = fd_foundry_create(&(fd_options){ .backend = FD_BACKEND_CPU, .log = quiet_log }, &fd, err);
    if (st == FD_OK) st = fd_model_upload(fd, m, &(fd_upload_options){ .ctx = 64 }, &w);
    if (st != FD_OK && fd && !err->msg[0]) snprintf(err->msg, sizeof err->msg, "%s", fd_foundry_error(fd));
    if (st == FD_OK) st = fd_state_create(fd, w, 64, &s);
    if (st == FD_OK) st = fd_state_prefill(s, ids, n, last, all);
    if (st != FD_OK && !err->msg[0]) snprintf(err->msg, sizeof err->msg, "%s", fd_foundry_error(fd));
    fd_state_destroy(s);
    if (fd) fd_weights_release(fd);
    fd_foundry_destroy(fd);
    free(last);
    if (st != FD_OK) {
        free(all);
        return NULL;
    }
    return all;
}

/* The logits of m and ref over the same six tokens: their relative RMS
 * difference must be within bound (and ref's logits not all zero). */
static void compare_logits(fd_model *m, fd_model *ref, size_t V, const char *what, double bound)
{
    fd_error e = { 0 };
    const int32_t ids[] = { 1, 7, 30, 2, 31, 5 };
    size_t n = sizeof ids / sizeof ids[0];
    float *a = logits_of(m, ids, n, &e), *b = logits_of(ref, ids, n, &e);
    CHECK(a && b);
    if (!a || !b) fprintf(stderr, "%s: %s\n", what, e.msg);
    if (a && b) {
        double num = 0, den = 0;
        for (size_t i = 0; i < n * V; i++) {
            num += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
            den += (double)b[i] * b[i];
        }
        double rel = sqrt(num / den);
        printf("%s: logits' relative RMS error against f32 %.2e (bound %.2e)\n", what, rel, bound);
        CHECK(rel <= bound);
        CHECK(den > 0);
    }
    free(a);
    free(b);
}

/* A mixed file quantized by llama-quantize (or ggml's quantizers called
 * directly) from bench_quant --random's model
 * (seed 29): runs as stored (every type it holds has kernels: test_stored_forward
 * checks its logits); --dtype cannot write a read-only type; converted to
 * f32 at load, its logits are the random model's within `bound` (relative
 * RMS over every position: the quantization's own error). */
static void forward_case(const char *file, double bound)
{
    char path[512];
    fd_error e = { 0 };
    fd_model *m = NULL, *ref = NULL;
    snprintf(path, sizeof path, "%s/quant/%s", FD_TEST_DATA, file);
    CHECK_OK(fd_model_open(path, &(fd_model_options){ .n_threads = 1 }, &m, &e), &e);
    if (!m) return;
    float *q = logits_of(m, (const int32_t[]){ 1, 2, 3, 4 }, 4, &e);
    CHECK(q != NULL);
    if (!q) fprintf(stderr, "%s as stored: %s\n", file, e.msg);
    free(q);
    fd_random_options ro = { .hp = fd_model_describe(m)->hp, .dtype = FD_F32, .seed = 29 };
    fd_model *bad = NULL;
    fd_error_clear(&e);
    CHECK(fd_model_open(path, &(fd_model_options){ .convert = 1, .dtype = FD_Q4_K }, &bad, &e) ==
          FD_ERR_INVALID);                    /* a QREAD dtype has no quantizer */
    CHECK_CONTAINS(e.msg, "cannot convert weights to q4_k");
    CHECK(bad == NULL);
    fd_model_close(m);
    fd_error_clear(&e);
    CHECK_OK(fd_model_open(path, &(fd_model_options){ .convert = 1, .dtype = FD_F32, .n_threads = 1 },
                           &m, &e), &e);
    CHECK_OK(fd_model_random(&ro, &ref, &e), &e);
    if (!m || !ref) goto out;
    compare_logits(m, ref, ro.hp.vocab, file, bound);
out:
    fd_model_close(m);
    fd_model_close(ref);
}

/* A QCPU tensor on the CPU backend: stored as is, read back as f32 through
 * the list's conversion; "ones" has no meaning for a block type. */
static void test_tensors(void)
{
    fd_foundry *fd = NULL;
    fd_error e = { 0 };
    CHECK_OK(fd_foundry_create(&(fd_options){ .backend = FD_BACKEND_CPU, .log = quiet_log }, &fd, &e), &e);
    if (!fd) return;
    fd_block_q6_k b = { { 0x3a }, { 0xe4 }, { -1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2 }, F16_1 };
    fd_tensor *t = NULL, *bad = NULL;
    float y[256];
    CHECK_OK(fd_tensor_alloc(fd, FD_Q6_K, 2, (int64_t[]){ 1, 256 }, FD_INIT_COPY, &b, &t), (fd_error *)NULL);
    CHECK_OK(fd_tensor_read_f32(t, y, 256), (fd_error *)NULL);
    CHECK_NEAR(y[0], 22, 0);
    CHECK_NEAR(y[255], -64, 0);
    CHECK(fd_tensor_alloc(fd, FD_Q4_K, 2, (int64_t[]){ 1, 256 }, FD_INIT_ONES, NULL, &bad) == FD_ERR_UNSUPPORTED);
    CHECK_CONTAINS(fd_foundry_error(fd), "FD_INIT_ONES on q4_k");
    CHECK(fd_tensor_alloc(fd, FD_Q4_K, 2, (int64_t[]){ 1, 100 }, FD_INIT_ZEROS, NULL, &bad) == FD_ERR_INVALID);
    (void)fd_tensor_free(t);
    fd_foundry_destroy(fd);
}

/* Bounds: about 1.6x the error measured; a wrong layout or scale gives
 * uncorrelated logits, a relative error near 1.4. */
static void test_forward(void)
{
    forward_case("tiny_ggml_mix.gguf", 0.25);  /* measured 0.158 */
    forward_case("tiny_q4_k_m.gguf", 0.15);   /* measured 0.095 */
    forward_case("tiny_mixed.gguf", 0.24);    /* measured 0.149 */
}

/* Files run as stored (tensors of a CPU-only type, were there any, re-stored
 * as f32; groups of mixed types stored as f16 by the upload), against the
 * same file converted to f32 at load. The difference is the quantized weights'
 * products: int8 activations (quant_x.cuh; the super-block types' twin
 * int8_kquant.c) in the GEMVs, f16-rounded dequantization in the GEMMs (the
 * f32 run: f32 throughout). `want` lists the dtypes that must be among the
 * kept tensors. Bounds about 1.7x the measured error; a wrong layout or
 * scale gives an error near 1. */
static void stored_case(const char *file, const fd_dtype *want, int nwant, double bound)
{
    char path[1024];
    fd_error e = { 0 };
    fd_model *m = NULL, *ref = NULL;
    snprintf(path, sizeof path, "%s/quant/%s", FD_TEST_DATA, file);
    CHECK_OK(fd_model_open(path, &(fd_model_options){ .n_threads = 1 }, &m, &e), &e);
    CHECK_OK(fd_model_open(path, &(fd_model_options){ .convert = 1, .dtype = FD_F32, .n_threads = 1 }, &ref, &e), &e);
    if (!m || !ref) goto out;
    uint32_t kept = 0;
    for (uint64_t i = 0; i < m->n_t; i++) {
        fd_model_tensor *t = &m->t[i];
        if (!fd_dtype_is_cpu_only(t->dtype)) {
            kept |= 1u << t->dtype;
            continue;
        }
        uint64_t n = t->bytes / fd_dtype_block_bytes(t->dtype) * fd_dtype_block_elems(t->dtype);
        float *y = malloc(n * sizeof *y);
        fd_dequantize_row(t->dtype, t->data, y, n);
        free(m->owned[i]);
        m->owned[i] = y, t->data = y, t->dtype = FD_F32, t->bytes = n * sizeof *y;
    }
    for (int k = 0; k < nwant; k++)
        if (!(kept & 1u << want[k])) {
            fprintf(stderr, "%s: no %s tensor kept\n", file, fd_dtype_name(want[k]));
            CHECK(0);
        }
    char what[300];
    snprintf(what, sizeof what, "%s as stored", file);
    compare_logits(m, ref, fd_model_describe(m)->hp.vocab, what, bound);
out:
    fd_model_close(m);
    fd_model_close(ref);
}

/* tiny_mixed.gguf (llama-quantize's data): output Q5_0, attn_output
 * IQ4_NL, ffn_down Q5_1 GEMVs as stored; its q/k/v (Q2_K, Q3_K, IQ4_XS) and
 * gate/up (Q5_K, Q4_1) are groups of mixed types, which the upload stores
 * as f16 (weights.c's group_dtype), and its Q6_K is the embedding.
 * tiny_ggml_mix.gguf (ggml's quantizers): output Q4_1, attn_output IQ4_NL,
 * ffn_down Q5_1 as stored, q/k/v and gate/up (Q5_K, Q4_K) f16, embedding Q6_K.
 * tiny_q4_k_m.gguf (llama-quantize's Q4_K_M) whole: gate/up Q4_K GEMVs (and
 * GEMMs in prefill), output a Q6_K GEMV, the embedding Q4_K, ffn_down Q8_0,
 * attn_output Q5_0 (q/k Q4_K and v Q6_K: f16, as mixed). The super-block
 * GEMVs with no tensor here (Q2_K, Q3_K, Q5_K, IQ4_XS) are checked by the
 * parity matrices, test_int8_kquant and tools/cuemu. */
static void test_stored_forward(void)
{
    static const fd_dtype mixed[] = { FD_Q4_1, FD_Q5_0, FD_Q5_1, FD_IQ4_NL, FD_Q2_K, FD_Q3_K, FD_Q5_K, FD_Q6_K, FD_IQ4_XS };
    static const fd_dtype ggml[] = { FD_Q4_1, FD_Q5_1, FD_IQ4_NL, FD_Q2_K, FD_Q3_K, FD_Q4_K, FD_Q5_K, FD_Q6_K, FD_IQ4_XS };
    static const fd_dtype q4km[] = { FD_Q4_K, FD_Q6_K, FD_Q5_0, FD_Q8_0 };
    stored_case("tiny_mixed.gguf", mixed, 9, 1e-3);      /* measured 5.78e-4 */
    stored_case("tiny_ggml_mix.gguf", ggml, 9, 1.1e-3);  /* measured 6.25e-4 */
    stored_case("tiny_q4_k_m.gguf", q4km, 4, 9e-4);      /* measured 5.02e-4 */
}

/* The memory plan's weights are what the upload takes, fused groups of mixed
 * types widened (weights.c's group_dtype) and the QKV layout's biases
 * included (a plan counting the file's bytes said 82,688 for
 * tiny_q4_k_m.gguf where the upload took 127,552), and a widened group is
 * said once in the log, naming its types. */
static char said[512];
static void keep_log(void *user, fd_log_level level, const char *msg)
{
    (void)user, (void)level;
    if (strstr(msg, "uploaded as")) snprintf(said, sizeof said, "%s", msg);
}

static void plan_case(const char *file, int convert, const char *notice)
{
    char path[1024];
    fd_error e = { 0 };
    fd_model *m = NULL;
    fd_foundry *fd = NULL;
    fd_weights *w = NULL;
    snprintf(path, sizeof path, "%s/quant/%s", FD_TEST_DATA, file);
    CHECK_OK(fd_model_open(path, &(fd_model_options){ .convert = convert, .dtype = FD_F32, .n_threads = 1 }, &m, &e),
             &e);
    said[0] = 0;
    CHECK_OK(fd_foundry_create(&(fd_options){ .backend = FD_BACKEND_CPU, .log = keep_log }, &fd, &e), &e);
    if (m && fd && fd_model_upload(fd, m, &(fd_upload_options){ .ctx = 64 }, &w) == FD_OK) {
        fd_mem_plan p;
        fd_model_plan(m, 64, &p);
        printf("%s%s: plan %llu bytes of weights, uploaded %llu; %s\n", file, convert ? " as f32" : "",
               (unsigned long long)p.weights, (unsigned long long)fd_weights_bytes(w), said[0] ? said : "no notice");
        CHECK_EQ(p.weights, fd_weights_bytes(w));
        if (notice) CHECK_CONTAINS(said, notice);
        else CHECK(!said[0]);
    } else {
        CHECK(0);
    }
    if (fd) fd_weights_release(fd);
    fd_foundry_destroy(fd);
    fd_model_close(m);
}

static void test_plan(void)
{
    plan_case("tiny_q4_k_m.gguf", 0, "layer 0 q/k/v weights are Q4_K/Q4_K/Q6_K: uploaded as F16");
    plan_case("tiny_mixed.gguf", 0, "uploaded as F16");
    plan_case("tiny_q4_k_m.gguf", 1, NULL);
}

TEST_MAIN(test_table, test_legacy_blocks, test_k_blocks, test_files, test_tensors, test_forward, test_stored_forward,
          test_plan)
