/* test_arch_llama.c — Llama 3.x, SmolLM3 and Mistral on the CPU: a tiny
 * model of each, with weights made here, is written as a Hugging Face
 * folder (config.json in both styles) and as a GGUF whose q/k rows this test
 * permutes as llama.cpp's converter does (LlamaModel.permute: reshape
 * (heads, 2, hd/2, cols), swap axes 1 and 2) with rope_freqs.weight as the
 * converter computes it; both load, run prefill and decode, and give the
 * logits of an independent forward pass in double (transformers' math:
 * rotate-half RoPE, llama3 inverse frequencies by its formula, NoPE
 * layers). The GGUF written by our own writer from the folder gives them
 * too. Bounds: 2e-3 of the largest logit (the KV cache is f16: one
 * rounding of k and v); the same reference with RoPE scaling or NoPE left
 * out is off by far more (the test can fail). RoPE scaling math against
 * transformers' formula at Llama 3.2's values: 1e-6 relative. Decode and
 * prefill agree within 5e-4 of the largest logit. The same GGUF read
 * without undoing llama.cpp's q/k order is far off (the pairing matters).
 * Refusals: Mistral v0.1's sliding window, a non-periodic no_rope_layers,
 * RoPE scaling other than llama3, a SentencePiece tokenizer.json in the GGUF
 * writer. test_cli: run / eval / chat / template through the CLI with the
 * Llama 3 and SentencePiece vocabularies and the models' own chat templates
 * from ../shared/models (skips without them); test_bench_synthetic: bench
 * --synthetic on the tiny presets. */
#include <math.h>
#include <unistd.h>
#include "check.h"
#include "gpu.h"
#include "foundry/forward.h"
#include "foundry/gguf.h"
#include "model/model_int.h"
#include "model_util.h"
#include "cli_util.h"

#define MAXL 4
typedef struct tmodel {
    const char *arch, *hf_type, *hf_class;
    int L, D, H, KV, hd, F, V, tied, nope;          /* nope: NoPE period (0: none) */
    double theta, eps, factor, low, high;           /* factor 0: no RoPE scaling */
    int orig;
    float *embd, *out_norm, *out;                   /* (V, D), (D), (V, D) or NULL when tied */
    float *an[MAXL], *q[MAXL], *k[MAXL], *v[MAXL], *o[MAXL], *fn[MAXL], *g[MAXL], *u[MAXL], *d[MAXL];
} tmodel;

static uint64_t seed = 0x1234567;

static float *rnd(size_t n, double scale, double offset)
{
    float *p = malloc(n * 4);
    for (size_t i = 0; i < n; i++) p[i] = (float)(offset + scale * rng_uniform(&seed));
    return p;
}

/* Weights large enough that attention is far from uniform (q, k entries of
 * size ~1.5), so RoPE changes the logits. */
static void tm_fill(tmodel *m)
{
    int D = m->D, Q = m->H * m->hd, K = m->KV * m->hd, F = m->F;
    m->embd = rnd((size_t)m->V * D, 1.7, 0);
    m->out_norm = rnd(D, 0.2, 1);
    m->out = m->tied ? NULL : rnd((size_t)m->V * D, 1.7 / sqrt(D), 0);
    for (int l = 0; l < m->L; l++) {
        m->an[l] = rnd(D, 0.2, 1), m->fn[l] = rnd(D, 0.2, 1);
        m->q[l] = rnd((size_t)Q * D, 2.6 / sqrt(D), 0), m->k[l] = rnd((size_t)K * D, 2.6 / sqrt(D), 0);
        m->v[l] = rnd((size_t)K * D, 1.7 / sqrt(D), 0), m->o[l] = rnd((size_t)D * Q, 1.7 / sqrt(Q), 0);
        m->g[l] = rnd((size_t)F * D, 1.7 / sqrt(D), 0), m->u[l] = rnd((size_t)F * D, 1.7 / sqrt(D), 0);
        m->d[l] = rnd((size_t)D * F, 1.7 / sqrt(F), 0);
    }
}

static void tm_free(tmodel *m)
{
    free(m->embd), free(m->out_norm), free(m->out);
    for (int l = 0; l < m->L; l++)
        free(m->an[l]), free(m->q[l]), free(m->k[l]), free(m->v[l]), free(m->o[l]), free(m->fn[l]), free(m->g[l]),
            free(m->u[l]), free(m->d[l]);
}

/* transformers' inverse frequencies: theta^(-2i/hd), then
 * _compute_llama3_parameters written as it is there (torch.where form). */
static void ref_inv_freq(const tmodel *m, int scaled, double *inv)
{
    for (int i = 0; i < m->hd / 2; i++) {
        double f = 1.0 / pow(m->theta, (double)(2 * i) / m->hd);
        if (scaled && m->factor > 0) {
            double lo_wl = m->orig / m->low, hi_wl = m->orig / m->high, wl = 2 * M_PI / f;
            double fl = wl > lo_wl ? f / m->factor : f;
            double s = (m->orig / wl - m->low) / (m->high - m->low);
            double smoothed = (1 - s) * fl / m->factor + s * fl;
            int medium = !(wl < hi_wl) && !(wl > lo_wl);
            f = medium ? smoothed : fl;
        }
        inv[i] = f;
    }
}

static void matvec(const float *w, const double *x, double *y, int rows, int cols)
{
    for (int r = 0; r < rows; r++) {
        double s = 0;
        for (int c = 0; c < cols; c++) s += (double)w[(size_t)r * cols + c] * x[c];
        y[r] = s;
    }
}

static void rmsnorm(const double *x, const float *w, double *y, int n, double eps)
{
    double ss = 0;
    for (int i = 0; i < n; i++) ss += x[i] * x[i];
    double r = 1 / sqrt(ss / n + eps);
    for (int i = 0; i < n; i++) y[i] = x[i] * r * w[i];
}

/* The forward pass in double over ids (T tokens from position 0): every
 * token's logits into out (T, V). `scaled`: llama3 scaling applied; `nope`:
 * NoPE layers skip RoPE. */
static void ref_forward(const tmodel *m, const int32_t *ids, int T, int scaled, int nope, double *out)
{
    int D = m->D, H = m->H, KV = m->KV, hd = m->hd, Q = H * hd, K = KV * hd, F = m->F, V = m->V;
    double *x = calloc((size_t)T * D, 8), *xn = malloc(D * 8), *q = malloc((size_t)T * Q * 8);
    double *kk = malloc((size_t)T * K * 8), *vv = malloc((size_t)T * K * 8), *att = malloc(Q * 8), *y = malloc(D * 8);
    double *g = malloc(F * 8), *u = malloc(F * 8), inv[64], *p = malloc(T * 8);
    ref_inv_freq(m, scaled, inv);
    for (int t = 0; t < T; t++)
        for (int i = 0; i < D; i++) x[(size_t)t * D + i] = m->embd[(size_t)ids[t] * D + i];
    for (int l = 0; l < m->L; l++) {
        int rope = !(nope && m->nope && (l + 1) % m->nope == 0);
        for (int t = 0; t < T; t++) {
            rmsnorm(x + (size_t)t * D, m->an[l], xn, D, m->eps);
            matvec(m->q[l], xn, q + (size_t)t * Q, Q, D);
            matvec(m->k[l], xn, kk + (size_t)t * K, K, D);
            matvec(m->v[l], xn, vv + (size_t)t * K, K, D);
            for (int h = 0; rope && h < H + KV; h++) {
                double *r = h < H ? q + (size_t)t * Q + h * hd : kk + (size_t)t * K + (h - H) * hd;
                for (int i = 0; i < hd / 2; i++) {
                    double a = t * inv[i], lo = r[i], hi = r[i + hd / 2];
                    r[i] = lo * cos(a) - hi * sin(a);
                    r[i + hd / 2] = hi * cos(a) + lo * sin(a);
                }
            }
        }
        for (int t = 0; t < T; t++) {
            for (int h = 0; h < H; h++) {
                int kh = h / (H / KV);
                double mx = -1e300, sum = 0;
                for (int s = 0; s <= t; s++) {
                    double d = 0;
                    for (int i = 0; i < hd; i++) d += q[(size_t)t * Q + h * hd + i] * kk[(size_t)s * K + kh * hd + i];
                    p[s] = d / sqrt(hd);
                    mx = fmax(mx, p[s]);
                }
                for (int s = 0; s <= t; s++) sum += p[s] = exp(p[s] - mx);
                for (int i = 0; i < hd; i++) {
                    double a = 0;
                    for (int s = 0; s <= t; s++) a += p[s] * vv[(size_t)s * K + kh * hd + i];
                    att[h * hd + i] = a / sum;
                }
            }
            matvec(m->o[l], att, y, D, Q);
            for (int i = 0; i < D; i++) x[(size_t)t * D + i] += y[i];
            rmsnorm(x + (size_t)t * D, m->fn[l], xn, D, m->eps);
            matvec(m->g[l], xn, g, F, D);
            matvec(m->u[l], xn, u, F, D);
            for (int i = 0; i < F; i++) g[i] = g[i] / (1 + exp(-g[i])) * u[i];
            matvec(m->d[l], g, y, D, F);
            for (int i = 0; i < D; i++) x[(size_t)t * D + i] += y[i];
        }
    }
    for (int t = 0; t < T; t++) {
        rmsnorm(x + (size_t)t * D, m->out_norm, xn, D, m->eps);
        matvec(m->tied ? m->embd : m->out, xn, out + (size_t)t * V, V, D);
    }
    free(x), free(xn), free(q), free(kk), free(vv), free(att), free(y), free(g), free(u), free(p);
}

/* ---- writing the two files ------------------------------------------- */
typedef struct named { char name[96]; int rows, cols; const float *data; } named;

/* The tensors by Hugging Face name (hf) or GGUF name, in one order. */
static int tm_tensors(const tmodel *m, int hf, named *t)
{
    int n = 0, Q = m->H * m->hd, K = m->KV * m->hd;
#define PUT_(h, g, r, c, p) do { snprintf(t[n].name, sizeof t[n].name, "%s", hf ? (h) : (g)); \
        t[n].rows = (r), t[n].cols = (c), t[n].data = (p); n++; } while (0)
    PUT_("model.embed_tokens.weight", "token_embd.weight", m->V, m->D, m->embd);
    PUT_("model.norm.weight", "output_norm.weight", m->D, 0, m->out_norm);
    if (!m->tied) PUT_("lm_head.weight", "output.weight", m->V, m->D, m->out);
    for (int l = 0; l < m->L; l++) {
        char a[96], b[96];
#define LAYER_(h, g, r, c, p) do { snprintf(a, sizeof a, "model.layers.%d.%s", l, h); \
        snprintf(b, sizeof b, "blk.%d.%s", l, g); PUT_(a, b, r, c, p); } while (0)
        LAYER_("input_layernorm.weight", "attn_norm.weight", m->D, 0, m->an[l]);
        LAYER_("self_attn.q_proj.weight", "attn_q.weight", Q, m->D, m->q[l]);
        LAYER_("self_attn.k_proj.weight", "attn_k.weight", K, m->D, m->k[l]);
        LAYER_("self_attn.v_proj.weight", "attn_v.weight", K, m->D, m->v[l]);
        LAYER_("self_attn.o_proj.weight", "attn_output.weight", m->D, Q, m->o[l]);
        LAYER_("post_attention_layernorm.weight", "ffn_norm.weight", m->D, 0, m->fn[l]);
        LAYER_("mlp.gate_proj.weight", "ffn_gate.weight", m->F, m->D, m->g[l]);
        LAYER_("mlp.up_proj.weight", "ffn_up.weight", m->F, m->D, m->u[l]);
        LAYER_("mlp.down_proj.weight", "ffn_down.weight", m->D, m->F, m->d[l]);
#undef LAYER_
    }
#undef PUT_
    return n;
}

static void write_st_f32(const char *path, const named *t, int n)
{
    buf h = { 0 }, d = { 0 }, f = { 0 };
    uint64_t off = 0;
    buf_put(&h, "{\"__metadata__\":{\"format\":\"pt\"}", 31);
    for (int i = 0; i < n; i++) {
        char s[256];
        uint64_t cnt = (uint64_t)t[i].rows * (t[i].cols ? t[i].cols : 1);
        int k = t[i].cols ? snprintf(s, sizeof s, ",\"%s\":{\"dtype\":\"F32\",\"shape\":[%d,%d],\"data_offsets\":[%llu,%llu]}",
                                     t[i].name, t[i].rows, t[i].cols, (unsigned long long)off,
                                     (unsigned long long)(off + 4 * cnt))
                          : snprintf(s, sizeof s, ",\"%s\":{\"dtype\":\"F32\",\"shape\":[%d],\"data_offsets\":[%llu,%llu]}",
                                     t[i].name, t[i].rows, (unsigned long long)off, (unsigned long long)(off + 4 * cnt));
        buf_put(&h, s, (size_t)k);
        buf_put(&d, t[i].data, 4 * cnt);
        off += 4 * cnt;
    }
    buf_u8(&h, '}');
    while (h.n % 8) buf_u8(&h, ' ');
    buf_u64(&f, h.n);
    buf_put(&f, h.p, h.n);
    buf_put(&f, d.p, d.n);
    write_file(path, f.p, f.n);
    free(f.p), free(h.p), free(d.p);
}

/* style 0: rope_theta and rope_scaling at the top; 1: transformers 5's rope_parameters. */
static void write_hf(const tmodel *m, const char *dir, int style, const char *extra)
{
    named t[8 + 9 * MAXL];
    int n = tm_tensors(m, 1, t);
    char *p = path_in(dir, "model.safetensors"), cfg[2048], rope[512] = "";
    write_st_f32(p, t, n);
    free(p);
    if (m->factor > 0)
        snprintf(rope, sizeof rope, "\"rope_type\":\"llama3\",\"factor\":%g,\"low_freq_factor\":%g,\"high_freq_factor\":%g,"
                 "\"original_max_position_embeddings\":%d", m->factor, m->low, m->high, m->orig);
    char scaling[640];
    if (style == 0) snprintf(scaling, sizeof scaling, "\"rope_theta\":%g%s%s%s", m->theta, rope[0] ? ",\"rope_scaling\":{" : "", rope, rope[0] ? "}" : "");
    else snprintf(scaling, sizeof scaling, "\"rope_parameters\":{\"rope_theta\":%g,%s}", m->theta,
                  rope[0] ? rope : "\"rope_type\":\"default\"");
    snprintf(cfg, sizeof cfg, "{\"architectures\":[\"%s\"],\"model_type\":\"%s\",\"hidden_size\":%d,\"intermediate_size\":%d,"
             "\"num_attention_heads\":%d,\"num_hidden_layers\":%d,\"num_key_value_heads\":%d,\"head_dim\":%d,"
             "\"vocab_size\":%d,\"max_position_embeddings\":128,\"rms_norm_eps\":%g,\"hidden_act\":\"silu\","
             "\"tie_word_embeddings\":%s,\"attention_bias\":false,%s%s}", m->hf_class, m->hf_type, m->D, m->F, m->H,
             m->L, m->KV, m->hd, m->V, m->eps, m->tied ? "true" : "false", scaling, extra);
    write_text(dir, "config.json", cfg);
}

/* llama.cpp's LlamaModel.permute of w (rows = heads x hd, cols):
 * reshape(heads, 2, hd / 2, cols).swapaxes(1, 2).reshape(rows, cols). */
static float *permute(const float *w, int heads, int hd, int cols)
{
    float *o = malloc((size_t)heads * hd * cols * 4);
    for (int h = 0; h < heads; h++)
        for (int two = 0; two < 2; two++)
            for (int j = 0; j < hd / 2; j++)   /* source [h][two][j], destination [h][j][two] */
                memcpy(o + ((size_t)h * hd + 2 * j + two) * cols, w + ((size_t)h * hd + two * (hd / 2) + j) * cols,
                       (size_t)cols * 4);
    return o;
}

/* The GGUF as llama.cpp's converter writes it: its keys, q/k permuted,
 * rope_freqs.weight from generate_extra_tensors when scaled. */
static void write_gguf_with(const tmodel *m, const char *path, const char *vocab, const char *tmpl);
static void write_gguf(const tmodel *m, const char *path) { write_gguf_with(m, path, NULL, NULL); }

/* vocab: a vocabulary GGUF whose tokenizer.* keys are copied; tmpl: a
 * .jinja file, read as tokenizer.chat_template. */
static void write_gguf_with(const tmodel *m, const char *path, const char *vocab, const char *tmpl)
{
    named t[8 + 9 * MAXL];
    int n = tm_tensors(m, 0, t);
    float *owned[2 * MAXL + 1], factors[64];
    int no = 0;
    fd_gguf_writer *w = NULL;
    fd_error e = { 0 };
    char k[128];
    CHECK_OK(fd_gguf_writer_create(&w, &e), &e);
    CHECK_OK(fd_gguf_writer_add_str(w, "general.architecture", m->arch, &e), &e);
#define U32_(key, v) do { snprintf(k, sizeof k, "%s.%s", m->arch, key); CHECK_OK(fd_gguf_writer_add_u32(w, k, (uint32_t)(v), &e), &e); } while (0)
#define F32_(key, v) do { snprintf(k, sizeof k, "%s.%s", m->arch, key); CHECK_OK(fd_gguf_writer_add_f32(w, k, (float)(v), &e), &e); } while (0)
    U32_("block_count", m->L);
    U32_("embedding_length", m->D);
    U32_("attention.head_count", m->H);
    U32_("attention.head_count_kv", m->KV);
    U32_("feed_forward_length", m->F);
    U32_("context_length", 4096);   /* room for a chat template's system text */
    U32_("rope.dimension_count", m->hd);
    U32_("attention.key_length", m->hd);   /* the converter writes head_dim when config.json gives it */
    U32_("attention.value_length", m->hd);
    F32_("rope.freq_base", m->theta);
    F32_("attention.layer_norm_rms_epsilon", m->eps);
#undef U32_
#undef F32_
    for (int i = 0; i < n; i++) {
        const float *d = t[i].data;
        if (strstr(t[i].name, "attn_q.weight")) d = owned[no++] = permute(d, m->H, m->hd, m->D);
        else if (strstr(t[i].name, "attn_k.weight")) d = owned[no++] = permute(d, m->KV, m->hd, m->D);
        uint64_t ne[2] = { t[i].cols ? (uint64_t)t[i].cols : (uint64_t)t[i].rows, (uint64_t)t[i].rows };
        uint64_t bytes = 4ull * t[i].rows * (t[i].cols ? t[i].cols : 1);
        CHECK_OK(fd_gguf_writer_add_tensor(w, t[i].name, FD_F32, t[i].cols ? 2 : 1, ne, d, bytes, &e), &e);
    }
    if (m->factor > 0) {   /* convert_hf_to_gguf.py's rope_factors, from float32 base frequencies */
        for (int i = 0; i < m->hd / 2; i++) {
            float f = 1.0f / powf((float)m->theta, (float)(2 * i) / (float)m->hd);
            double wl = 2 * M_PI / f, lo_wl = m->orig / m->low, hi_wl = m->orig / m->high;
            if (wl < hi_wl) factors[i] = 1;
            else if (wl > lo_wl) factors[i] = (float)m->factor;
            else {
                double s = (m->orig / wl - m->low) / (m->high - m->low);
                factors[i] = (float)(1 / ((1 - s) / m->factor + s));
            }
        }
        CHECK_OK(fd_gguf_writer_add_tensor(w, "rope_freqs.weight", FD_F32, 1, (uint64_t[]){ (uint64_t)m->hd / 2 },
                                           factors, 2ull * m->hd, &e), &e);
    }
    fd_gguf *vg = NULL;
    char *tt = NULL;
    if (vocab) {
        CHECK_OK(fd_gguf_open(vocab, &vg, &e), &e);
        for (uint64_t i = 0; vg && i < fd_gguf_kv_count(vg); i++) {
            const fd_gguf_kv *kv = fd_gguf_kv_at(vg, i);
            if (!strncmp(kv->key, "tokenizer.", 10)) CHECK_OK(fd_gguf_writer_add(w, kv->key, &kv->value, &e), &e);
        }
    }
    if (tmpl) {
        size_t len = 0;
        tt = read_all(tmpl, &len);
        CHECK(tt != NULL);
        if (tt) {
            tt[len] = 0;
            CHECK_OK(fd_gguf_writer_add_str(w, "tokenizer.chat_template", tt, &e), &e);
        }
    }
    CHECK_OK(fd_gguf_writer_write(w, path, &e), &e);
    fd_gguf_writer_destroy(w);
    fd_gguf_close(vg);
    free(tt);
    for (int i = 0; i < no; i++) free(owned[i]);
}

/* ---- running ----------------------------------------------------------- */
/* Every token's logits (T, V) by prefill, or by decode steps. */
static float *run(fd_model *m, const int32_t *ids, int T, int prefill)
{
    fd_foundry *fd = make_cpu();
    fd_weights *w = NULL;
    fd_state *s = NULL;
    size_t V = m->info.hp.vocab;
    float *l = calloc((size_t)T * V, 4);
    CHECK_OK(fd_model_upload(fd, m, &(fd_upload_options){ .ctx = 32 }, &w), (fd_error *)NULL);
    if (w) CHECK_OK(fd_state_create(fd, w, 32, &s), (fd_error *)NULL);
    if (s && prefill) CHECK_OK(fd_state_prefill(s, ids, (size_t)T, NULL, l), (fd_error *)NULL);
    for (int i = 0; s && !prefill && i < T; i++) CHECK_OK(fd_state_step(s, ids[i], l + (size_t)i * V), (fd_error *)NULL);
    if (check_failures) fprintf(stderr, "foundry: %s\n", fd_foundry_error(fd));
    fd_state_destroy(s);
    fd_weights_release(fd);
    fd_foundry_destroy(fd);
    return l;
}

/* max |a - ref| over the largest |ref|. */
static double rel_to_ref(const float *a, const double *ref, size_t n)
{
    double worst = 0, size = 0;
    for (size_t i = 0; i < n; i++) worst = fmax(worst, fabs(a[i] - ref[i])), size = fmax(size, fabs(ref[i]));
    return worst / size;
}

static fd_model *open_model(const char *path)
{
    fd_model *m = NULL;
    fd_error e = { 0 };
    CHECK_OK(fd_model_open(path, &(fd_model_options){ .no_tokenizer = 1 }, &m, &e), &e);
    return m;
}

/* The model through every source and both lowerings against the reference. */
static void check_model(tmodel *m, const char *want_arch, const char *hf_extra)
{
    static const int32_t ids[] = { 3, 17, 200, 5, 99, 255, 42, 0, 7, 128, 64, 300 };
    const int T = sizeof ids / sizeof ids[0];
    size_t n = (size_t)T * m->V;
    double *ref = malloc(n * 8), *off = malloc(n * 8);
    tm_fill(m);
    ref_forward(m, ids, T, 1, 1, ref);
    /* the variant that leaves out what this architecture adds (the test can fail) */
    ref_forward(m, ids, T, m->factor > 0 ? 0 : 1, m->nope ? 0 : 1, off);
    double miss = 0, size = 0;
    for (size_t i = 0; i < n; i++) miss = fmax(miss, fabs(off[i] - ref[i])), size = fmax(size, fabs(ref[i]));
    printf("%s: without its RoPE scaling / NoPE the reference moves by %.2e of %.2f\n", m->hf_class, miss / size, size);
    if (m->factor > 0 || m->nope) CHECK(miss / size > 2e-2);
    char *dir[2] = { temp_dir("arch_hf0"), temp_dir("arch_hf1") }, gg[256], ours[256];
    snprintf(gg, sizeof gg, "/tmp/fd_arch_%s_%d.gguf", m->arch, (int)getpid());
    snprintf(ours, sizeof ours, "/tmp/fd_arch_%s_%d_ours.gguf", m->arch, (int)getpid());
    write_hf(m, dir[0], 0, hf_extra);
    write_hf(m, dir[1], 1, hf_extra);
    write_gguf(m, gg);
    fd_model *hf0 = open_model(dir[0]);
    if (hf0) {
        fd_error e = { 0 };
        CHECK_OK(fd_model_write_gguf(hf0, ours, &e), &e);
        CHECK_STR(fd_model_describe(hf0)->hp.arch, want_arch);
        /* config.json's own descriptor (Mistral's, not Llama's: both are "llama" in GGUF) */
        char feat[256];
        fd_arch_features(fd_arch_find_hf(m->hf_type, m->hf_class), feat, sizeof feat);
        CHECK_STR(fd_model_describe(hf0)->features, feat);
        /* `foundry info` says what this architecture adds */
        char out[256];
        snprintf(out, sizeof out, "/tmp/fd_arch_info_%d.out", (int)getpid());
        cli_io io = { .out = out, .limit_s = 60 };
        CHECK_EQ(cli_run(&io, "info", dir[0], NULL), 0);
        size_t nb = 0;
        char *txt = read_all(out, &nb);
        if (txt) {
            txt[nb] = 0;
            if (m->factor > 0) CHECK_CONTAINS(txt, "rope scaling llama3 (factor ");
            if (m->nope) CHECK_CONTAINS(txt, ", no RoPE at layers 3, 7, ...");
            if (!m->factor && !m->nope) CHECK(!strstr(txt, "rope scaling") && !strstr(txt, "no RoPE"));
        }
        CHECK(txt != NULL);
        free(txt);
        remove(out);
    }
    const char *paths[] = { dir[0], dir[1], gg, ours };
    const char *what[] = { "HF folder (top-level keys)", "HF folder (rope_parameters)", "GGUF (llama.cpp's layout)",
                           "GGUF (our writer)" };
    for (int p = 0; p < 4; p++) {
        fd_model *mm = p == 0 ? hf0 : open_model(paths[p]);
        if (!mm) continue;
        CHECK_EQ(fd_model_describe(mm)->hp.nope_period, (uint32_t)m->nope);
        float *l[2];
        for (int pre = 0; pre < 2; pre++) {
            l[pre] = run(mm, ids, T, pre);
            double r = rel_to_ref(l[pre], ref, n);
            printf("%s %s %s: max |diff| / max |logit| %.2e\n", m->hf_class, what[p], pre ? "prefill" : "decode", r);
            CHECK(r <= 2e-3);
        }
        double dp = 0, size = 0;   /* the two lowerings of one plan agree (summation order only) */
        for (size_t i = 0; i < n; i++) dp = fmax(dp, fabs(l[0][i] - l[1][i])), size = fmax(size, fabs(ref[i]));
        CHECK(dp / size <= 5e-4);
        free(l[0]), free(l[1]);
        if (p == 2) {   /* the same file read as if its q/k rows were rotate-half: far off (the pairing matters) */
            mm->qk_interleaved = 0;
            float *l = run(mm, ids, T, 1);
            double r = rel_to_ref(l, ref, n);
            printf("%s GGUF with llama.cpp's q/k order not undone: %.2e\n", m->hf_class, r);
            CHECK(r > 2e-2);
            free(l);
        }
        if (mm != hf0) fd_model_close(mm);
    }
    fd_model_close(hf0);
    remove(gg), remove(ours);
    rm_tree(dir[0]), rm_tree(dir[1]);
    free(ref), free(off);
    tm_free(m);
}

static void test_llama3(void)
{
    /* orig 16: wavelengths above 16 are divided by the factor, 4..16 blended */
    tmodel m = { .arch = "llama", .hf_type = "llama", .hf_class = "LlamaForCausalLM", .L = 2, .D = 64, .H = 4, .KV = 2, .hd = 32, .F = 96, .V = 320, .tied = 1, .nope = 0, .theta = 10000, .eps = 1e-5, .factor = 8, .low = 1, .high = 4, .orig = 16 };
    check_model(&m, "llama", "");
}

static void test_smollm3(void)
{
    tmodel m = { .arch = "smollm3", .hf_type = "smollm3", .hf_class = "SmolLM3ForCausalLM", .L = 4, .D = 64, .H = 4, .KV = 2, .hd = 32, .F = 96, .V = 320, .tied = 1, .nope = 4, .theta = 10000, .eps = 1e-6, .factor = 0, .low = 0, .high = 0, .orig = 0 };
    check_model(&m, "smollm3", ",\"no_rope_layers\":[1,1,1,0],\"use_sliding_window\":false,\"sliding_window\":null");
}

static void test_mistral(void)
{
    tmodel m = { .arch = "llama", .hf_type = "mistral", .hf_class = "MistralForCausalLM", .L = 2, .D = 64, .H = 4, .KV = 2, .hd = 32, .F = 96, .V = 320, .tied = 0, .nope = 0, .theta = 1000000, .eps = 1e-5, .factor = 0, .low = 0, .high = 0, .orig = 0 };
    check_model(&m, "llama", ",\"sliding_window\":null");
    /* a random model of a Mistral preset has Mistral's descriptor, "llama" in GGUF */
    fd_random_options ro = { .dtype = FD_F16, .seed = 1 };
    fd_model *r = NULL;
    char feat[256];
    CHECK_OK(fd_model_preset("mistral-tiny", &ro.hp), (fd_error *)NULL);
    CHECK_OK(fd_model_random(&ro, &r, (fd_error *)NULL), (fd_error *)NULL);
    fd_arch_features(fd_arch_find_hf("mistral", NULL), feat, sizeof feat);
    if (r) {
        CHECK_STR(fd_model_describe(r)->features, feat);
        CHECK_STR(fd_model_describe(r)->hp.arch, "llama");
    }
    fd_model_close(r);
}

/* fd_model_rope_inv_freq at Llama 3.2 1B's values (theta 500000, hd 64,
 * factor 32, low 1, high 4, original 8192: all three regions) against
 * transformers' formula; and the GGUF path (base / rope_freqs). */
static void test_rope_llama3_math(void)
{
    fd_model_hparams hp;
    CHECK_OK(fd_model_preset("llama3.2-1b", &hp), (fd_error *)NULL);
    tmodel t = { .hd = 64, .theta = hp.rope_theta, .factor = hp.rope_factor, .low = hp.rope_low_freq,
             .high = hp.rope_high_freq, .orig = (int)hp.rope_orig_ctx };
    double want[32], base[32];
    ref_inv_freq(&t, 1, want);
    ref_inv_freq(&t, 0, base);
    fd_model fake;
    memset(&fake, 0, sizeof fake);
    fake.info.hp = hp;
    fake.arch = fd_arch_find("llama");
    float got[32];
    CHECK_OK(fd_model_rope_inv_freq(&fake, got, (fd_error *)NULL), (fd_error *)NULL);
    int kept = 0, divided = 0, blended = 0;
    double worst = 0;
    for (int i = 0; i < 32; i++) {
        worst = fmax(worst, fabs(got[i] - want[i]) / want[i]);
        double r = base[i] / want[i];
        kept += fabs(r - 1) < 1e-9, divided += fabs(r - 32) < 1e-6, blended += r > 1 + 1e-6 && r < 32 - 1e-6;
    }
    printf("llama3 inv_freq vs transformers: worst rel %.2e (kept %d, divided %d, blended %d)\n", worst, kept, divided,
           blended);
    CHECK(worst <= 1e-6);
    CHECK(kept > 0 && divided > 0 && blended > 0);
    CHECK_NEAR(got[0], 1.0, 1e-7);                       /* the fastest pair keeps its frequency */
    CHECK_NEAR(got[31] * 32, base[31], 1e-6 * base[31]); /* the slowest is divided by the factor */
    /* a NoPE layer of SmolLM3 (period 4) */
    fd_model_hparams s = { .nope_period = 4 };
    CHECK(fd_model_layer_rope(&s, 0) && fd_model_layer_rope(&s, 2) && !fd_model_layer_rope(&s, 3) &&
          !fd_model_layer_rope(&s, 7) && fd_model_layer_rope(&s, 8));
    /* llama.cpp's permutation undone: file row h hd + 2 j + t holds row h hd + t hd/2 + j */
    CHECK_EQ(fd_qk_file_row(0, 8), 0);
    CHECK_EQ(fd_qk_file_row(4, 8), 1);
    CHECK_EQ(fd_qk_file_row(1, 8), 2);
    CHECK_EQ(fd_qk_file_row(8 + 7, 8), 8 + 7);
}

/* Mistral v0.1's active window, a non-periodic no_rope_layers and RoPE
 * scaling other than llama3 are refused by name. */
static void test_refusals(void)
{
    tmodel m = { .arch = "llama", .hf_type = "mistral", .hf_class = "MistralForCausalLM", .L = 2, .D = 64, .H = 4, .KV = 2, .hd = 32, .F = 96, .V = 320, .tied = 0, .nope = 0, .theta = 1000000, .eps = 1e-5, .factor = 0, .low = 0, .high = 0, .orig = 0 };
    tm_fill(&m);
    char *dir = temp_dir("arch_refuse");
    static const struct { const char *extra, *msg; } cases[] = {
        { ",\"sliding_window\":64", "\"sliding_window\" 64 below the context" },   /* v0.1: 4096 of 32768 */
        { ",\"no_rope_layers\":[1,0]", "" },   /* periodic (every 2nd): loads */
        { ",\"no_rope_layers\":[0,1]", "\"no_rope_layers\" is not periodic" },
        { ",\"no_rope_layers\":[1,1,0]", "\"no_rope_layers\" has 3 entries for 2 layers" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        write_hf(&m, dir, 0, cases[i].extra);
        fd_model *mm = NULL;
        fd_error e = { 0 };
        fd_status st = fd_model_open(dir, &(fd_model_options){ .no_tokenizer = 1 }, &mm, &e);
        if (!cases[i].msg[0]) {
            CHECK_OK(st, &e);
            if (mm) CHECK_EQ(fd_model_describe(mm)->hp.nope_period, 2);
        } else {
            CHECK(st != FD_OK && !mm);
            CHECK_CONTAINS(e.msg, cases[i].msg);
        }
        fd_model_close(mm);
    }
    /* a SentencePiece-style tokenizer.json is not written to GGUF as byte-level BPE */
    write_hf(&m, dir, 0, "");
    write_text(dir, "tokenizer.json", "{\"model\":{\"type\":\"BPE\",\"byte_fallback\":true,\"vocab\":{\"a\":0},"
                                      "\"merges\":[]}}");
    fd_model *sp = open_model(dir);
    if (sp) {
        fd_error e2 = { 0 };
        char out[256];
        snprintf(out, sizeof out, "/tmp/fd_arch_spm_%d.gguf", (int)getpid());
        CHECK(fd_model_write_gguf(sp, out, &e2) == FD_ERR_UNSUPPORTED);
        CHECK_CONTAINS(e2.msg, "SentencePiece-style tokenizer (byte_fallback) is not written to GGUF");
        remove(out);
    }
    fd_model_close(sp);
    char *tj = path_in(dir, "tokenizer.json");
    remove(tj);
    free(tj);
    m.factor = 8, m.low = 1, m.high = 4, m.orig = 16;
    write_hf(&m, dir, 0, "");
    edit_file(dir, "config.json", "\"llama3\"", "\"yarn\"");
    fd_model *mm = NULL;
    fd_error e = { 0 };
    CHECK(fd_model_open(dir, &(fd_model_options){ .no_tokenizer = 1 }, &mm, &e) == FD_ERR_UNSUPPORTED);
    CHECK_CONTAINS(e.msg, "\"rope_scaling\" (yarn) is not implemented");
    rm_tree(dir);
    tm_free(&m);
}

/* `foundry run`, `eval`, `chat` and `template` on a tiny model of the
 * architecture carrying a real vocabulary (../shared/models) and, where
 * ../shared has one, the model's own chat template (read from there). */
static void cli_case(tmodel *m, const char *vocab, const char *tmpl, const char *marker)
{
    fd_gguf *vg = NULL;
    const fd_gguf_str *items;
    uint64_t nv = 0;
    fd_error e = { 0 };
    CHECK_OK(fd_gguf_open(vocab, &vg, &e), &e);
    if (vg) CHECK_OK(fd_gguf_get_str_array(vg, "tokenizer.ggml.tokens", &items, &nv, &e), &e);
    fd_gguf_close(vg);
    m->V = (int)nv;
    tm_fill(m);
    char gg[256], in[256], out[256];
    snprintf(gg, sizeof gg, "/tmp/fd_arch_cli_%s_%d.gguf", m->arch, (int)getpid());
    snprintf(in, sizeof in, "/tmp/fd_arch_cli_%d.in", (int)getpid());
    snprintf(out, sizeof out, "/tmp/fd_arch_cli_%d.out", (int)getpid());
    write_gguf_with(m, gg, vocab, tmpl);
    cli_io io = { .in = in, .out = out, .limit_s = 60 };
    write_text("/tmp", strrchr(in, '/') + 1, "");
    size_t n = 0;
    char *txt;
    CHECK_EQ(cli_run(&io, "run", "-m", gg, "--backend", "cpu", "-p", "Hello there", "-n", "6", "--temp", "0", NULL), 0);
    txt = read_all(out, &n);
    if (txt) {
        txt[n] = 0;
        CHECK_CONTAINS(txt, "generation: 6 tokens");
    }
    free(txt);
    CHECK_EQ(cli_run(&io, "eval", "-m", gg, "--backend", "cpu", "--tokens", "1,2,3", NULL), 0);
    txt = read_all(out, &n);
    if (txt) {
        txt[n] = 0;
        CHECK_CONTAINS(txt, "token 3");
    }
    free(txt);
    if (tmpl) {
        write_text("/tmp", strrchr(in, '/') + 1, "[{\"role\":\"user\",\"content\":\"Hi\"}]");
        CHECK_EQ(cli_run(&io, "template", "-m", gg, NULL), 0);
        txt = read_all(out, &n);
        if (txt) {
            txt[n] = 0;
            CHECK_CONTAINS(txt, marker);
        }
        free(txt);
        write_text("/tmp", strrchr(in, '/') + 1, "Hello\n");
        CHECK_EQ(cli_run(&io, "chat", "-m", gg, "--backend", "cpu", "-n", "4", "--temp", "0", NULL), 0);
        txt = read_all(out, &n);
        CHECK(txt && n > 0);   /* the reply (noise: random weights) */
        if (txt) txt[n] = 0, printf("%s chat reply: %.200s\n", m->hf_class, txt);
        free(txt);
    }
    remove(gg), remove(in), remove(out);
    tm_free(m);
}

static const char *shared_file(const char *rel, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s/../../shared/models/%s", FD_SOURCE_DIR, rel);
    if (access(buf, R_OK)) snprintf(buf, cap, "%s/../shared/models/%s", FD_SOURCE_DIR, rel);
    return access(buf, R_OK) ? NULL : buf;
}

static void test_cli(void)
{
    char v3[512], spm[512], t_llama[512], t_smol[512];
    if (!shared_file("llama3-vocab/ggml-vocab-llama-bpe.gguf", v3, sizeof v3) ||
        !shared_file("llama-spm-vocab/ggml-vocab-llama-spm.gguf", spm, sizeof spm))
        SKIP("../shared/models (the Llama vocabularies) is absent");
    const char *tl = shared_file("chat-templates/meta-llama-Llama-3.2-3B-Instruct.jinja", t_llama, sizeof t_llama);
    const char *ts = shared_file("chat-templates/HuggingFaceTB-SmolLM3-3B.jinja", t_smol, sizeof t_smol);
    tmodel a = { .arch = "llama", .hf_class = "LlamaForCausalLM", .L = 2, .D = 64, .H = 4, .KV = 2, .hd = 32, .F = 96,
             .tied = 1, .theta = 500000, .eps = 1e-5, .factor = 32, .low = 1, .high = 4, .orig = 64 };
    cli_case(&a, v3, tl, "<|start_header_id|>user<|end_header_id|>");
    tmodel b = { .arch = "smollm3", .hf_class = "SmolLM3ForCausalLM", .L = 4, .D = 64, .H = 4, .KV = 2, .hd = 32, .F = 96,
             .tied = 1, .nope = 4, .theta = 5000000, .eps = 1e-6 };
    cli_case(&b, v3, ts, "<|im_start|>user");
    /* Mistral: SentencePiece vocabulary; ../shared has no Mistral template, so run and eval only */
    tmodel c = { .arch = "llama", .hf_class = "MistralForCausalLM", .L = 2, .D = 64, .H = 4, .KV = 2, .hd = 32, .F = 96,
             .theta = 1000000, .eps = 1e-5 };
    cli_case(&c, spm, NULL, NULL);
}

/* bench --synthetic on each tiny preset (random weights of the architecture, no files). */
static void test_bench_synthetic(void)
{
    static const char *const presets[] = { "llama-tiny", "smollm3-tiny", "mistral-tiny" };
    char out[256];
    snprintf(out, sizeof out, "/tmp/fd_arch_bench_%d.out", (int)getpid());
    for (size_t i = 0; i < sizeof presets / sizeof presets[0]; i++) {
        cli_io io = { .out = out, .limit_s = 60 };
        CHECK_EQ(cli_run(&io, "bench", "--synthetic", presets[i], "--backend", "cpu", "-p", "4", "-n", "2", "-r", "1",
                         NULL), 0);
        size_t n = 0;
        char *txt = read_all(out, &n), row[64];
        snprintf(row, sizeof row, "| %s | f16 | tg2", presets[i]);
        if (txt) {
            txt[n] = 0;
            CHECK_CONTAINS(txt, row);
        }
        free(txt);
    }
    remove(out);
}

TEST_MAIN(test_rope_llama3_math, test_llama3, test_smollm3, test_mistral, test_refusals, test_cli, test_bench_synthetic)
