/* test_mixed_dtype.c — per-tensor dtypes: a model whose 2-D weights mix
 * f32, f16, bf16, q8_0 and q4_0 tensor by tensor (q, k, v of one layer
 * differing too) loads and runs on the CPU, for every architecture's layer plan,
 * and its logits equal those of the same values held as f32 (each mixed
 * tensor dequantized back), by prefill and by decode steps. Bound 2e-3
 * absolute on logits of size ~1: the products differ only in summation order
 * and in the fused groups' upload dtype (q/k/v or gate/up that disagree are
 * uploaded as f16 or f32, weights.c). The GGUF round trip keeps each
 * tensor's dtype. The decode and prefill lowerings of one plan agree (same
 * bound). */
#include <unistd.h>
#include "check.h"
#include "gpu.h"
#include "foundry/forward.h"
#include "model/model_int.h"

static const fd_dtype mix[] = { FD_F16, FD_Q8_0, FD_BF16, FD_Q4_0, FD_F32 };

static const int32_t ids[] = { 1, 17, 200, 3, 99, 255, 42, 0 };
#define N_IDS (sizeof ids / sizeof ids[0])

/* Tensor i (2-D) takes q (rows of rb bytes of dtype dt, the caller's malloc): as it is, or back_to_f32
 * dequantized to f32 (the same values, the reference's). */
static void install(fd_model *m, uint64_t i, fd_dtype dt, unsigned char *q, uint64_t rb, int back_to_f32)
{
    fd_model_tensor *t = &m->t[i];
    uint64_t rows = t->dims[0], cols = t->dims[1];
    free(m->owned[i]);
    if (back_to_f32) {
        float *y = malloc(rows * cols * 4);
        for (uint64_t r = 0; r < rows; r++) fd_dequantize_row(dt, q + r * rb, y + r * cols, cols);
        free(q);
        m->owned[i] = y, t->data = y, t->dtype = FD_F32, t->bytes = rows * cols * 4;
        return;
    }
    m->owned[i] = q, t->data = q, t->dtype = dt, t->bytes = rows * rb;
}

/* Tensor i (2-D) re-stored as dtype dt (back_to_f32: then dequantized to f32). */
static void restore(fd_model *m, uint64_t i, fd_dtype dt, int back_to_f32)
{
    fd_model_tensor *t = &m->t[i];
    uint64_t rows = t->dims[0], cols = t->dims[1], rb = 0;
    fd_error e = { 0 };
    float *x = malloc(rows * cols * 4);
    for (uint64_t r = 0; r < rows; r++) fd_dequantize_row(t->dtype, (const char *)t->data + r * (t->bytes / rows), x + r * cols, cols);
    CHECK_OK(fd_dtype_row_bytes(dt, cols, &rb, &e), &e);
    unsigned char *q = malloc(rows * rb);
    for (uint64_t r = 0; r < rows; r++) fd_quantize_row(dt, x + r * cols, q + r * rb, cols);
    free(x);
    install(m, i, dt, q, rb, back_to_f32);
}

/* Tensor i (2-D) re-stored as random blocks of dtype dt (a type Foundry reads but cannot write), each block
 * drawn again until its values are finite and within 0.1 (random f16 scales span every exponent); back_to_f32:
 * then dequantized to f32. xorshift state *r. */
static void restore_random(fd_model *m, uint64_t i, fd_dtype dt, int back_to_f32, uint64_t *r)
{
    fd_model_tensor *t = &m->t[i];
    uint64_t rows = t->dims[0], cols = t->dims[1], rb = 0;
    fd_error e = { 0 };
    CHECK_OK(fd_dtype_row_bytes(dt, cols, &rb, &e), &e);
    size_t bb = fd_dtype_block_bytes(dt), be = fd_dtype_block_elems(dt), nb = rows * rb / bb;
    unsigned char *q = malloc(rows * rb);
    float *x = malloc(be * sizeof *x);
    int most = 0;
    for (size_t b = 0; b < nb; b++) {
        int tries = 0;
        for (float big = 1e30f; !(big <= 0.1f && big > 0) && tries < 100000; tries++) {
            for (size_t k = 0; k < bb; k++) *r ^= *r << 13, *r ^= *r >> 7, *r ^= *r << 17, q[b * bb + k] = (unsigned char)*r;
            fd_dequantize_row(dt, q + b * bb, x, be);
            big = 0;
            for (size_t k = 0; k < be && big < 1e30f; k++) big = !isfinite(x[k]) ? 1e30f : fmaxf(big, fabsf(x[k]));
        }
        most = tries > most ? tries : most;
    }
    CHECK(most < 100000);
    free(x);
    install(m, i, dt, q, rb, back_to_f32);
}

/* A random f32 model of arch: 2 layers (SmolLM3 4, the last without RoPE: GGUF's rule), hidden D, 4 heads of hd
 * (2 kv heads), ffn F, vocabulary 256. */
static fd_model *random_model(const char *arch, uint32_t D, uint32_t hd, uint32_t F, uint64_t seed)
{
    fd_random_options o = { .hp = { .n_layers = 2, .hidden = D, .n_heads = 4, .n_kv_heads = 2, .head_dim = hd,
                                    .ffn = F, .vocab = 256, .max_pos = 64, .rope_theta = 10000.0, .rms_eps = 1e-6 },
                            .dtype = FD_F32, .seed = seed };
    snprintf(o.hp.arch, sizeof o.hp.arch, "%s", arch);
    if (!strcmp(arch, "smollm3")) o.hp.n_layers = 4, o.hp.nope_period = 4;
    fd_model *m = NULL;
    fd_error e = { 0 };
    CHECK_OK(fd_model_random(&o, &m, &e), &e);
    return m;
}

/* The types llama-quantize writes and Foundry only reads, mixed tensor by tensor at a shape whose rows are whole
 * 256-value super-blocks, as a Q4_K_M file mixes them; a layer's q/k/v take one type, and its gate/up another,
 * so every type runs as stored in some product (a group of mixed types is uploaded as f16: weights.c). */
static const fd_dtype kmix[] = { FD_Q4_K, FD_Q6_K, FD_Q5_K, FD_Q3_K, FD_Q2_K, FD_IQ4_XS, FD_Q5_0, FD_Q5_1, FD_Q4_1,
                                 FD_IQ4_NL };
#define KMIX_N (sizeof kmix / sizeof kmix[0])

static fd_model *make_k(const char *arch, int back_to_f32)
{
    fd_model *m = random_model(arch, 256, 64, 256, 5);
    uint64_t r = 0x9e3779b97f4a7c15ull;   /* the same draws for the mixed and the f32 model */
    int group_type[8][2];   /* per layer: q/k/v's, gate/up's (-1: not drawn yet) */
    memset(group_type, -1, sizeof group_type);
    for (uint64_t i = 0, k = 0; m && i < m->n_t; i++) {
        const char *nm = m->t[i].name;
        unsigned l = 0;
        int g = strstr(nm, ".attn_q.") || strstr(nm, ".attn_k.") || strstr(nm, ".attn_v.") ? 0
              : strstr(nm, ".ffn_gate.") || strstr(nm, ".ffn_up.")                        ? 1 : -1;
        if (m->t[i].n_dims != 2) continue;
        if (g >= 0 && sscanf(nm, "blk.%u.", &l) == 1 && l < 8) {
            if (group_type[l][g] < 0) group_type[l][g] = (int)(k++ % KMIX_N);
            restore_random(m, i, kmix[group_type[l][g]], back_to_f32, &r);
        } else {
            restore_random(m, i, kmix[k++ % KMIX_N], back_to_f32, &r);
        }
    }
    return m;
}

static fd_model *make(const char *arch, int back_to_f32)
{
    fd_model *m = random_model(arch, 64, 32, 128, 3);
    for (uint64_t i = 0, k = 0; m && i < m->n_t; i++)
        if (m->t[i].n_dims == 2) restore(m, i, mix[k++ % (sizeof mix / sizeof mix[0])], back_to_f32);
    return m;
}

static float *logits_of(fd_model *m, int prefill, const int32_t *ids, size_t n)
{
    fd_foundry *fd = make_cpu();
    fd_weights *w = NULL;
    fd_state *s = NULL;
    size_t V = m->info.hp.vocab;
    float *l = calloc(n * V, 4);
    CHECK_OK(fd_model_upload(fd, m, &(fd_upload_options){ .ctx = 32 }, &w), (fd_error *)NULL);
    if (w) CHECK_OK(fd_state_create(fd, w, 32, &s), (fd_error *)NULL);
    if (s && prefill) CHECK_OK(fd_state_prefill(s, ids, n, NULL, l), (fd_error *)NULL);
    for (size_t i = 0; s && !prefill && i < n; i++) CHECK_OK(fd_state_step(s, ids[i], l + i * V), (fd_error *)NULL);
    fd_state_destroy(s);
    fd_weights_release(fd);
    fd_foundry_destroy(fd);
    return l;
}

/* The mixed model of maker mk and its f32 twin; 0 unless both were made, every dtype of want[0..n) among the
 * mixed one's tensors checked. */
static int make_pair(fd_model *(*mk)(const char *, int), const char *arch, const fd_dtype *want, size_t n,
                     fd_model **mixed, fd_model **plain)
{
    *mixed = mk(arch, 0), *plain = mk(arch, 1);
    if (!*mixed || !*plain) return 0;
    size_t seen[FD_DTYPE_COUNT] = { 0 };
    for (uint64_t i = 0; i < (*mixed)->n_t; i++) seen[(*mixed)->t[i].dtype]++;
    for (size_t d = 0; d < n; d++) CHECK(seen[want[d]] > 0);
    return 1;
}

static void check_arch(const char *arch, const char *gguf_arch)
{
    const size_t n = N_IDS;
    fd_model *mixed, *plain;
    if (!make_pair(make, arch, mix, sizeof mix / sizeof mix[0], &mixed, &plain)) goto out;
    size_t V = mixed->info.hp.vocab;
    float *dec = logits_of(plain, 0, ids, n), *pre = logits_of(plain, 1, ids, n);
    double dp = 0;
    for (size_t i = 0; i < n * V; i++) dp = fmax(dp, fabs(dec[i] - pre[i]));
    printf("%s: decode vs prefill max |diff| %.2e\n", arch, dp);
    CHECK(dp <= 2e-3);   /* the two lowerings of one plan agree */
    free(dec), free(pre);
    for (int prefill = 0; prefill < 2; prefill++) {
        float *a = logits_of(mixed, prefill, ids, n), *b = logits_of(plain, prefill, ids, n);
        double worst = 0, size = 0;
        for (size_t i = 0; i < n * V; i++) worst = fmax(worst, fabs(a[i] - b[i])), size = fmax(size, fabs(b[i]));
        printf("%s %s: mixed vs f32 max |diff| %.2e (logits up to %.2f)\n", arch, prefill ? "prefill" : "decode", worst, size);
        /* decode's q8_0 / q4_0 products take x quantized to int8 blocks (the int8 activation contract: up to
         * half a step of 1/127 of each block's largest |x| per value), prefill's GEMM keeps f32 x: 1e-2 and 2e-3 */
        CHECK(worst <= (prefill ? 2e-3 : 1e-2));
        CHECK(size > 0.01);   /* the logits are not all zero */
        free(a), free(b);
    }
    /* the GGUF round trip keeps every tensor's own dtype */
    char path[256];
    snprintf(path, sizeof path, "/tmp/fd_mixed_%s_%d.gguf", arch, (int)getpid());
    fd_error e = { 0 };
    CHECK_OK(fd_model_write_gguf(mixed, path, &e), &e);
    fd_model *back = NULL;
    CHECK_OK(fd_model_open(path, &(fd_model_options){ .no_tokenizer = 1 }, &back, &e), &e);
    for (uint64_t i = 0; back && i < mixed->n_t; i++) {
        const fd_model_tensor *t = fd_model_tensor_find(back, mixed->t[i].name);
        CHECK(t && t->dtype == mixed->t[i].dtype);
    }
    if (back) CHECK_STR(fd_model_describe(back)->hp.arch, gguf_arch);
    fd_model_close(back);
    remove(path);
out:
    fd_model_close(mixed);
    fd_model_close(plain);
}

/* The read-only types of kmix as stored against the same values as f32, decode and prefill: decode's products
 * take x as int8 blocks (the int8 activation contract; the super-block types' twin int8_kquant.c), prefill's
 * GEMM rounds the dequantized weights to f16. Bounds relative to the logits' size: a wrong block layout or
 * scale gives an error near 1. */
static void check_kmix(const char *arch)
{
    const size_t n = N_IDS;
    fd_model *mixed, *plain;
    if (!make_pair(make_k, arch, kmix, KMIX_N, &mixed, &plain)) goto out;
    size_t V = mixed->info.hp.vocab;
    for (int prefill = 0; prefill < 2; prefill++) {
        float *a = logits_of(mixed, prefill, ids, n), *b = logits_of(plain, prefill, ids, n);
        double num = 0, den = 0;
        for (size_t i = 0; i < n * V; i++) num += ((double)a[i] - b[i]) * ((double)a[i] - b[i]), den += (double)b[i] * b[i];
        double rel = den > 0 ? sqrt(num / den) : 1;
        printf("%s k-quant mix %s: relative RMS against f32 %.2e\n", arch, prefill ? "prefill" : "decode", rel);
        CHECK(rel <= 2e-3);   /* measured 3.3-5.9e-5 decode, 4.0-5.0e-4 prefill; Q4_K/Q5_K mins 2% off: fails */
        CHECK(den > 0);
        free(a), free(b);
    }
out:
    fd_model_close(mixed);
    fd_model_close(plain);
}

static void test_qwen2_mixed(void) { check_arch("qwen2", "qwen2"); }
static void test_qwen3_mixed(void) { check_arch("qwen3", "qwen3"); }
/* the llama family: no bias, rotate-half RoPE; SmolLM3 with a NoPE layer; Mistral ("llama" in GGUF) */
static void test_llama_mixed(void) { check_arch("llama", "llama"); }
static void test_smollm3_mixed(void) { check_arch("smollm3", "smollm3"); }
static void test_mistral_mixed(void) { check_arch("mistral", "llama"); }
static void test_kquant_mixes(void)
{
    static const char *const archs[] = { "qwen2", "qwen3", "llama", "smollm3", "mistral" };
    for (size_t i = 0; i < sizeof archs / sizeof archs[0]; i++) check_kmix(archs[i]);
}

TEST_MAIN(test_qwen2_mixed, test_qwen3_mixed, test_llama_mixed, test_smollm3_mixed, test_mistral_mixed,
          test_kquant_mixes)
