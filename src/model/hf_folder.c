/* hf_folder.c — a Hugging Face model folder into the model description:
 * config.json, model.safetensors or the shards listed by
 * model.safetensors.index.json, generation_config.json, tokenizer_config.json
 * (chat template) and the path of tokenizer.json.
 *
 * Layer: model. Tensors stay in the shards' maps (m->shards, closed with the
 * model); names are mapped to the canonical GGUF-style ones by the
 * architecture's descriptor, and tensors it does not list (rotary inv_freq
 * buffers...) are skipped. */
#include <stdio.h>
#include <string.h>
#include "base/mem.h"
#include "format/mapfile.h"
#include "model/model_int.h"

/* `hf` against pattern `pat` (at most one %u, the layer): 1 on a match. */
static int match(const char *pat, const char *hf, uint32_t *layer)
{
    const char *u = strstr(pat, "%u");
    size_t pre = u ? (size_t)(u - pat) : strlen(pat), digits = 0;
    uint32_t v = 0;
    if (!u) return !strcmp(pat, hf);
    if (strncmp(pat, hf, pre)) return 0;
    for (hf += pre; *hf >= '0' && *hf <= '9' && digits < 6; hf++, digits++) v = v * 10 + (uint32_t)(*hf - '0');
    *layer = v;
    return digits && !strcmp(hf, u + 2);
}

/* HF name -> canonical (GGUF) name by the descriptor: 1; 0 when the tensor
 * is one to skip: a buffer (rotary inv_freq), or the tied head; -1 for a
 * weight or bias the architecture does not use (refused: a feature this code
 * lacks, such as Qwen3's "attention_bias": true). With "tie_word_embeddings": true the head
 * (lm_head.weight) is not used either: transformers ties it to the embedding
 * whatever the file holds, so Foundry does the same and notes the tensor it
 * ignored (info.ignored_tensor; the CLI says so once). */
static int canonical(fd_model *m, const char *hf, char *out, size_t cap)
{
    const fd_arch *a = m->arch;
    uint32_t l = 0;
    for (size_t i = 0; i < a->n_tensors; i++)
        if (a->tensors[i].hf && match(a->tensors[i].hf, hf, &l)) {
            if ((a->tensors[i].flags & FD_AT_TIED) && m->info.hp.tie_embeddings) {
                snprintf(m->ignored, sizeof m->ignored, "%s", a->tensors[i].hf);
                m->info.ignored_tensor = m->ignored;
                return 0;
            }
            fd_arch_tensor_name(&a->tensors[i], 0, l, out, cap);
            return 1;
        }
    size_t n = strlen(hf);
    return (n > 7 && !strcmp(hf + n - 7, ".weight")) || (n > 5 && !strcmp(hf + n - 5, ".bias")) ? -1 : 0;
}

static fd_status add_shard(fd_model *m, const char *file, fd_error *err)
{
    fd_st_file **s;
    fd_st_file *f;
    if (!(s = fd_realloc(m->shards, (m->n_shards + 1) * sizeof *s)))
        return fd_error_set(err, FD_ERR_NOMEM, "%s: out of memory", file);
    m->shards = s;
    FD_TRY(fd_st_open(file, &f, err));
    m->shards[m->n_shards++] = f;
    for (uint64_t i = 0; i < f->n; i++) {
        const fd_st_tensor *t = &f->t[i];
        char name[96];
        int c = canonical(m, t->name, name, sizeof name);
        if (c < 0 && !m->unused[0]) snprintf(m->unused, sizeof m->unused, "%s", t->name);
        if (c <= 0) continue;
        if (t->n_dims < 1 || t->n_dims > 2)
            return fd_error_set(err, FD_ERR_FORMAT, "%s: tensor %s has %u dimensions (1 or 2 expected)", file, t->name,
                                t->n_dims);
        FD_TRY(fd_model_add_tensor(m, file, name, t->dtype, t->n_dims, t->dims, t->data, t->bytes, err));
    }
    return FD_OK;
}

/* The shard files named by model.safetensors.index.json, each opened once. */
static fd_status open_index(fd_model *m, const char *dir, const char *index, fd_error *err)
{
    json_t *o, *wm, *v;
    const char *key;
    json_t *seen;
    fd_status rc = FD_OK;
    FD_TRY(fd_json_load(index, &o, err));
    wm = json_object_get(o, "weight_map");
    if (!json_is_object(wm) || !json_object_size(wm)) {
        json_decref(o);
        return fd_error_set(err, FD_ERR_FORMAT, "%s: \"weight_map\" is missing or empty", index);
    }
    if (!(seen = json_object())) rc = fd_error_set(err, FD_ERR_NOMEM, "%s: out of memory", index);
    json_object_foreach(wm, key, v) {
        const char *file = json_string_value(v);
        char *path;
        if (rc != FD_OK) break;
        if (!file || !*file || strchr(file, '/') || !strcmp(file, "..")) {
            rc = fd_error_set(err, FD_ERR_FORMAT, "%s: weight_map entry for %s is not a file name in the folder", index, key);
            break;
        }
        if (json_object_get(seen, file)) continue;
        if (json_object_set_new(seen, file, json_true())) {
            rc = fd_error_set(err, FD_ERR_NOMEM, "%s: out of memory", index);
            break;
        }
        if (!(path = fd_path_join(dir, file))) {
            rc = fd_error_set(err, FD_ERR_NOMEM, "%s: out of memory", index);
            break;
        }
        rc = add_shard(m, path, err);
        fd_free(path);
    }
    /* Every tensor the index promises must be in some shard. */
    json_object_foreach(wm, key, v) {
        char name[96];
        if (rc != FD_OK) break;
        if (canonical(m, key, name, sizeof name) && fd_nameidx_get(&m->ix, name) < 0 && m->ix.cap)
            rc = fd_error_set(err, FD_ERR_FORMAT, "%s: tensor %s is listed in the index but not found in %s", index, key,
                              json_string_value(v));
    }
    json_decref(seen);
    json_decref(o);
    return rc;
}

static fd_status opt_file(const char *dir, const char *name, char **out, fd_error *err)
{
    int present = 0;
    fd_status rc;
    *out = fd_path_join(dir, name);
    if (!*out) return fd_error_set(err, FD_ERR_NOMEM, "%s: out of memory", dir);
    rc = fd_probe_file(*out, &present, err);
    if (rc != FD_OK || !present) {
        fd_free(*out);
        *out = NULL;
    }
    return rc;
}

/* Newer transformers save the template beside tokenizer_config.json:
 * chat_template.jinja (the text) or chat_template.json ({"chat_template"}),
 * and prefer them to tokenizer_config.json's, the .jinja first (as
 * fd_template_load does). */
static fd_status read_template_file(fd_model *m, const char *dir, fd_error *err)
{
    char *p;
    fd_status rc;
    FD_TRY(opt_file(dir, "chat_template.jinja", &p, err));
    if (p) {
        fd_mapfile f;
        rc = fd_mapfile_open(p, &f, err);
        if (rc == FD_OK && f.size >= (64u << 20))
            rc = fd_error_set(err, FD_ERR_IO, "%s: larger than 64 MB", p);
        if (rc == FD_OK && !(m->chat_template = fd_malloc((size_t)f.size + 1)))
            rc = fd_error_set(err, FD_ERR_NOMEM, "%s: out of memory", p);
        if (rc == FD_OK) {
            if (f.size) memcpy(m->chat_template, f.data, (size_t)f.size);
            m->chat_template[f.size] = 0;
        }
        fd_mapfile_close(&f);
        fd_free(p);
        return rc;
    }
    rc = opt_file(dir, "chat_template.json", &p, err);
    if (rc == FD_OK && p) rc = fd_hf_read_chat_template(p, &m->chat_template, err);
    fd_free(p);
    return rc;
}

/* The descriptor named by config.json's model_type and architectures[0]. */
static fd_status read_arch(fd_model *m, const char *cfg, fd_error *err)
{
    char type[64], cls[64];
    FD_TRY(fd_hf_read_arch(cfg, type, cls, sizeof type, err));
    const fd_arch *a = fd_arch_find_hf(type[0] ? type : NULL, cls[0] ? cls : NULL);
    if (!a)
        return fd_error_set(err, FD_ERR_UNSUPPORTED, "%s: model_type %s / architecture %s is not supported (only %s)",
                            cfg, type[0] ? type : "(none)", cls[0] ? cls : "(none)", fd_arch_hf_names());
    return fd_model_set_arch(m, cfg, a->name, a, err);
}

fd_status fd_model_load_hf(fd_model *m, const char *dir, fd_error *err)
{
    char *cfg = NULL, *single = NULL, *index = NULL, *gen = NULL;
    fd_status rc;
    rc = opt_file(dir, "config.json", &cfg, err);
    if (rc == FD_OK && !cfg) rc = fd_error_set(err, FD_ERR_IO, "%s: no config.json in this folder", dir);
    if (rc == FD_OK) rc = read_arch(m, cfg, err);
    if (rc == FD_OK) {
        m->info.hp.rope_theta = 10000.0;
        m->info.hp.rms_eps = 1e-6;
        m->info.hp.nope_period = m->arch->nope_period;
        rc = fd_hf_read_config(cfg, m->arch->keys, m->arch->n_keys, &m->info.hp, &m->info.file_dtype, err);
    }
    if (rc == FD_OK) rc = fd_model_hparam_defaults(m, 0, err);
    if (rc == FD_OK) rc = fd_hf_read_generation(cfg, &m->info.gen, err);
    if (rc == FD_OK) rc = opt_file(dir, "generation_config.json", &gen, err);
    if (rc == FD_OK && gen) rc = fd_hf_read_generation(gen, &m->info.gen, err);
    if (rc == FD_OK) rc = opt_file(dir, "model.safetensors", &single, err);
    if (rc == FD_OK) rc = opt_file(dir, "model.safetensors.index.json", &index, err);
    if (rc == FD_OK && single) rc = add_shard(m, single, err);
    else if (rc == FD_OK && index) rc = open_index(m, dir, index, err);
    else if (rc == FD_OK)
        rc = fd_error_set(err, FD_ERR_IO, "%s: neither model.safetensors nor model.safetensors.index.json found", dir);
    if (rc == FD_OK) rc = opt_file(dir, "tokenizer_config.json", &m->tok_config, err);
    if (rc == FD_OK) rc = read_template_file(m, dir, err);
    if (rc == FD_OK && m->tok_config && !m->chat_template)
        rc = fd_hf_read_chat_template(m->tok_config, &m->chat_template, err);
    if (rc == FD_OK) rc = opt_file(dir, "tokenizer.json", &m->tok_json, err);
    fd_free(cfg);
    fd_free(single);
    fd_free(index);
    fd_free(gen);
    return rc;
}
