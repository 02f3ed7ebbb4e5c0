/* random.c — a Qwen2 model of a given shape with random weights, built in
 * memory (no file): the main job's embedded default, `bench --synthetic`,
 * and tests. Weights are N(0, 0.02) as transformers initializes them,
 * norms 1, biases N(0, 0.02); every value comes from a counter-based
 * generator keyed by (seed, tensor, index), so the model is the same on
 * every machine and built in parallel. The tokenizer, if asked for, comes
 * from a vocabulary GGUF (the repository carries Qwen2.5's).
 *
 * Layer: model. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "base/hash.h"
#include "base/mem.h"
#include "base/util.h"
#include "foundry/tokenizer.h"
#include "model/model_int.h"

static const struct {
    const char *name;
    fd_model_hparams hp;
} presets[] = {
    /* name, arch, L, D, H, KV, hd, F, V, max_pos, theta, eps, tied */
    { "qwen2.5-0.5b", { "qwen2", 24, 896, 14, 2, 64, 4864, 151936, 32768, 1000000.0, 1e-6, 1 } },
    { "qwen2.5-1.5b", { "qwen2", 28, 1536, 12, 2, 128, 8960, 151936, 32768, 1000000.0, 1e-6, 1 } },
    { "qwen2.5-3b", { "qwen2", 36, 2048, 16, 2, 128, 11008, 151936, 32768, 1000000.0, 1e-6, 1 } },
    { "tiny", { "qwen2", 4, 256, 4, 2, 64, 704, 151936, 4096, 1000000.0, 1e-6, 1 } },
};

fd_status fd_model_preset(const char *name, fd_model_hparams *hp)
{
    for (size_t i = 0; i < sizeof presets / sizeof presets[0]; i++)
        if (!strcmp(presets[i].name, name)) {
            *hp = presets[i].hp;
            return FD_OK;
        }
    return FD_ERR_INVALID;
}

const char *fd_model_preset_names(void) { return "qwen2.5-0.5b, qwen2.5-1.5b, qwen2.5-3b, tiny"; }

static uint64_t mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

/* A standard normal from two counter-based uniforms (Box-Muller). */
static float normal(uint64_t key, uint64_t i)
{
    uint64_t a = mix(key ^ mix(2 * i)), b = mix(key ^ mix(2 * i + 1));
    double u = ((a >> 11) + 0.5) * (1.0 / 9007199254740992.0), v = (b >> 11) * (1.0 / 9007199254740992.0);
    return (float)(sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v));
}

/* One tensor: rows x cols values (cols 0: a vector of rows), `kind` 0
 * normal * 0.02, 1 ones; stored as dt (2-D) or f32 (1-D). */
static fd_status add(fd_model *m, const char *name, uint64_t rows, uint64_t cols, int kind, fd_dtype dt, uint64_t seed,
                     fd_error *err)
{
    uint64_t n = rows * (cols ? cols : 1), bytes, key = mix(seed ^ fd_hash64(FD_HASH_SEED, name, strlen(name)));
    if (!cols) dt = FD_F32;
    FD_TRY(fd_dtype_row_bytes(dt, cols ? cols : rows, &bytes, err));
    if (cols) bytes *= rows;
    void *data = fd_malloc((size_t)bytes);
    float *tmp = fd_malloc((size_t)n * sizeof *tmp);
    fd_status st = data && tmp ? FD_OK : fd_error_set(err, FD_ERR_NOMEM, "random model: no memory for %s", name);
    if (st == FD_OK) {
#pragma omp parallel for if (n > 65536)
        for (int64_t i = 0; i < (int64_t)n; i++) tmp[i] = kind ? 1.0f : 0.02f * normal(key, (uint64_t)i);
        uint64_t per = cols ? cols : n, rb = bytes / (cols ? rows : 1);
#pragma omp parallel for if (n > 65536)
        for (int64_t r = 0; r < (int64_t)(n / per); r++)
            fd_quantize_row(dt, tmp + (size_t)r * per, (unsigned char *)data + (size_t)r * rb, (size_t)per);
        uint64_t dims[2] = { rows, cols };
        st = fd_model_add_tensor(m, "random", name, dt, cols ? 2 : 1, dims, data, bytes, err);
    }
    fd_free(tmp);
    if (st != FD_OK) {
        fd_free(data);
        return st;
    }
    m->owned[m->n_t - 1] = data;
    return FD_OK;
}

static fd_status fill(fd_model *m, const fd_random_options *o, fd_error *err)
{
    const fd_model_hparams *h = &o->hp;
    uint64_t D = h->hidden, Q = (uint64_t)h->n_heads * h->head_dim, K = (uint64_t)h->n_kv_heads * h->head_dim;
    fd_dtype dt = o->dtype;
    char n[96];
    FD_TRY(add(m, "token_embd.weight", h->vocab, D, 0, dt, o->seed, err));
    FD_TRY(add(m, "output_norm.weight", D, 0, 1, dt, o->seed, err));
    if (!h->tie_embeddings) FD_TRY(add(m, "output.weight", h->vocab, D, 0, dt, o->seed, err));
    for (uint32_t l = 0; l < h->n_layers; l++) {
#define ADD_(suffix, r, c, kind) (snprintf(n, sizeof n, "blk.%u." suffix, l), add(m, n, r, c, kind, dt, o->seed, err))
        FD_TRY(ADD_("attn_norm.weight", D, 0, 1));
        FD_TRY(ADD_("attn_q.weight", Q, D, 0));
        FD_TRY(ADD_("attn_q.bias", Q, 0, 0));
        FD_TRY(ADD_("attn_k.weight", K, D, 0));
        FD_TRY(ADD_("attn_k.bias", K, 0, 0));
        FD_TRY(ADD_("attn_v.weight", K, D, 0));
        FD_TRY(ADD_("attn_v.bias", K, 0, 0));
        FD_TRY(ADD_("attn_output.weight", D, Q, 0));
        FD_TRY(ADD_("ffn_norm.weight", D, 0, 1));
        FD_TRY(ADD_("ffn_gate.weight", h->ffn, D, 0));
        FD_TRY(ADD_("ffn_up.weight", h->ffn, D, 0));
        FD_TRY(ADD_("ffn_down.weight", D, h->ffn, 0));
#undef ADD_
    }
    return FD_OK;
}

fd_status fd_model_random(const fd_random_options *o, fd_model **out, fd_error *err)
{
    *out = NULL;
    double t0 = fd_now_seconds();
    if (!o || !fd_dtype_valid(o->dtype) || !(fd_dtype_is_float(o->dtype) || fd_dtype_is_quant(o->dtype)))
        return fd_error_set(err, FD_ERR_INVALID, "random model: weights must be f32, f16, bf16, q8_0 or q4_0");
    fd_model *m = fd_calloc(1, sizeof *m);
    if (!m || !(m->path = fd_strdup("(random weights)"))) {
        fd_free(m);
        return fd_error_set(err, FD_ERR_NOMEM, "random model: out of memory");
    }
    m->info.path = m->path;
    m->info.format = "random";
    m->info.hp = o->hp;
    fd_generation_defaults_init(&m->info.gen);
    fd_status st = fd_model_check_hparams(m, err);   /* first: they size everything */
    if (st == FD_OK) st = fill(m, o, err);
    if (st == FD_OK) st = fd_model_check_tensors(m, err);
    if (st == FD_OK && o->vocab_gguf) {
        fd_tokenizer *tok = NULL;
        st = fd_tokenizer_load(o->vocab_gguf, &tok, err);
        m->info.tokenizer = tok;
        if (st == FD_OK) {
            m->info.gen.bos_id = -1;
            const int32_t *eos;
            size_t ne = fd_tokenizer_eos(tok, &eos);
            for (size_t i = 0; i < ne && i < 8; i++) m->info.gen.eos_ids[m->info.gen.n_eos++] = eos[i];
        }
    }
    if (st == FD_OK && !m->info.tokenizer) {
        snprintf(m->note, sizeof m->note, "none (random weights, no vocabulary given)");
        m->info.tokenizer_note = m->note;
    }
    if (st != FD_OK) {
        fd_model_close(m);
        return st;
    }
    fd_model_summarize(m);
    m->info.file_dtype = o->dtype;
    m->info.load_seconds = m->info.open_seconds = fd_now_seconds() - t0;
    *out = m;
    return FD_OK;
}
