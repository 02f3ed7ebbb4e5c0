/* random.c — a model of a given architecture and shape with random weights, built in
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

fd_status fd_model_preset(const char *name, fd_model_hparams *hp)
{
    return fd_arch_preset_find(name, hp) ? FD_OK : FD_ERR_INVALID;
}

const char *fd_model_preset_names(void) { return fd_arch_preset_names(); }

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

/* Every tensor of the descriptor (output.weight only when untied). */
static fd_status fill(fd_model *m, const fd_random_options *o, fd_error *err)
{
    const fd_model_hparams *h = &o->hp;
    const fd_arch *a = m->arch;
    char n[96];
    for (size_t i = 0; i < a->n_tensors; i++) {
        const fd_arch_tensor *t = &a->tensors[i];
        if (((t->flags & FD_AT_TIED) && h->tie_embeddings) || (t->flags & FD_AT_OPTIONAL)) continue;
        for (uint32_t l = 0; l < (t->role >= FD_ROLE_FIRST_LAYER ? h->n_layers : 1); l++) {
            fd_arch_tensor_name(t, 0, l, n, sizeof n);
            FD_TRY(add(m, n, fd_arch_dim(h, t->rows), fd_arch_dim(h, t->cols), (t->flags & FD_AT_ONES) != 0, o->dtype,
                       o->seed, err));
        }
    }
    return FD_OK;
}

fd_status fd_model_random(const fd_random_options *o, fd_model **out, fd_error *err)
{
    *out = NULL;
    double t0 = fd_now_seconds();
    if (!o || !fd_dtype_valid(o->dtype) || !(fd_dtype_is_float(o->dtype) || fd_dtype_is_quant(o->dtype)) || !fd_dtype_can_write(o->dtype))
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
    fd_status st = fd_model_set_arch(m, "random model", o->hp.arch, fd_arch_find_random(o->hp.arch), err);
    if (st == FD_OK) st = fd_model_check_hparams(m, err);   /* first: they size everything */
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
