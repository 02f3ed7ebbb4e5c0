/* model_int.h — the inside of an fd_model, shared by the files that fill it:
 * model.c (table, checks, accessors), model_gguf.c and hf_folder.c (the two
 * sources), hf_config.c (config.json and friends), convert.c (dtype
 * conversion) and export.c (GGUF output).
 *
 * Layer: model (internal). Invariant after fd_model_open: arch is the
 * model's descriptor; t[0..n_t) holds every tensor it needs with checked
 * shapes, named as the descriptor's GGUF names; ix maps each name to its
 * index; owned[i] is the converted buffer behind t[i].data or NULL when the
 * data lies in a map (gguf or one of shards). */
#ifndef FD_MODEL_INT_H
#define FD_MODEL_INT_H

#include <jansson.h>
#include "foundry/gguf.h"
#include "foundry/model.h"
#include "format/hf_config.h"
#include "format/safetensors.h"
#include "base/util.h"
#include "model/arch/arch.h"

struct fd_model {
    fd_model_info info;
    const fd_arch *arch;        /* the architecture's descriptor (src/model/arch/) */
    char *path;
    fd_model_tensor *t;         /* n_t; names owned */
    void **owned;               /* n_t; converted data or NULL */
    uint64_t n_t, cap_t;
    fd_nameidx ix;
    fd_gguf *gguf;              /* source when a GGUF file */
    fd_st_file **shards;        /* sources when a folder */
    uint64_t n_shards;
    char *chat_template;
    char *tok_json;             /* folder's tokenizer.json path, or NULL */
    char *tok_config;           /* folder's tokenizer_config.json path, or NULL */
    int qk_interleaved;         /* q/k rows in llama.cpp's interleaved-pair order (a GGUF of an architecture
                                 * with FD_FEAT_GGUF_QK_PERMUTED): the upload undoes it (fd_qk_file_row) */
    char note[160];             /* backs info.tokenizer_note */
    char features[160];         /* backs info.features */
    char ignored[96];           /* backs info.ignored_tensor */
    char unused[96];            /* a folder's first weight the descriptor does not list (refused after the config's checks) */
};

/* model.c: appends a tensor (name copied, data borrowed); a duplicate name is
 * FD_ERR_FORMAT naming `src`. dims are row-major. */
fd_status fd_model_add_tensor(fd_model *m, const char *src, const char *name, fd_dtype dtype, uint32_t n_dims,
                              const uint64_t *dims, const void *data, uint64_t bytes, fd_error *err);
/* model.c: sets m->arch to descriptor a (found by `name`) and info.hp.arch
 * to its GGUF name; NULL (no descriptor) is refused naming `name`. */
fd_status fd_model_set_arch(fd_model *m, const char *src, const char *name, const fd_arch *a, fd_error *err);
/* model.c: the defaults of the optional keys (n_kv_heads = H, head_dim = D / H
 * when D is a multiple of H); a missing head_dim that D / H cannot give is
 * refused naming the keys (`gguf`: as the source spells them). */
fd_status fd_model_hparam_defaults(fd_model *m, int gguf, fd_error *err);
void fd_generation_defaults_init(fd_generation_defaults *g);
/* model.c: the hyper-parameters are consistent; every tensor the
 * descriptor requires is there with the shape they imply; the info's counts
 * and sizes. */
fd_status fd_model_check_hparams(const fd_model *m, fd_error *err);
fd_status fd_model_check_tensors(fd_model *m, fd_error *err);
void fd_model_summarize(fd_model *m);

/* model_gguf.c / hf_folder.c: fill m from the source (hyper-parameters,
 * tensors, generation defaults, chat template). */
fd_status fd_model_load_gguf(fd_model *m, const char *path, fd_error *err);
fd_status fd_model_load_hf(fd_model *m, const char *dir, fd_error *err);

/* rope.c: row `r` of a q or k weight (heads of head_dim rows) in the
 * rotate-half order, as stored by a file whose rows are in llama.cpp's
 * interleaved order (LlamaModel.permute: file row h hd + 2 j + t holds
 * row h hd + t hd/2 + j). */
uint32_t fd_qk_file_row(uint32_t r, uint32_t head_dim);
/* rope.c: the model's RoPE inverse frequencies (hd / 2): theta^(-2i/hd),
 * scaled by llama3 RoPE scaling when hp says so, divided by rope_freqs.weight
 * when the file has it. */
fd_status fd_model_rope_inv_freq(const fd_model *m, float *inv, fd_error *err);
/* rope.c: 1 when layer l rotates q and k (hp's nope_period). */
int fd_model_layer_rope(const fd_model_hparams *hp, uint32_t l);

/* convert.c: converts every 2-D weight to opt->dtype, 1-D tensors to f32. */
fd_status fd_model_convert(fd_model *m, const fd_model_options *opt, fd_error *err);

#endif
