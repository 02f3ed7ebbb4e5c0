/* model.h — one description of a model, whichever file format it came from:
 * a GGUF file, or a Hugging Face folder (config.json + safetensors).
 *
 * Layer: model (public). fd_model_open reads the hyper-parameters, maps the
 * weights, checks every tensor the architecture's descriptor (src/model/arch/:
 * qwen2, qwen3) requires is present with the shape the hyper-parameters imply, converts 2-D weights to a chosen dtype when asked
 * (in parallel), and loads the tokenizer. Everything a model hands out —
 * tensors, their bytes, strings, the tokenizer — is owned by it and valid
 * until fd_model_close.
 *
 * Shapes (row-major, PyTorch order; legend: V vocab, D hidden, H heads,
 * KV kv heads, hd head_dim, F ffn, L layers; N = 0..L-1):
 *   token_embd.weight          (V, D)         output_norm.weight   (D)
 *   output.weight              (V, D)         optional (absent when tied)
 *   blk.N.attn_norm.weight     (D)            blk.N.ffn_norm.weight (D)
 *   blk.N.attn_q.weight        (H*hd, D)      blk.N.attn_q.bias     (H*hd)
 *   blk.N.attn_k.weight        (KV*hd, D)     blk.N.attn_k.bias     (KV*hd)
 *   blk.N.attn_v.weight        (KV*hd, D)     blk.N.attn_v.bias     (KV*hd)
 *   blk.N.attn_output.weight   (D, H*hd)      (qwen2: the q/k/v biases; qwen3 instead:)
 *   blk.N.attn_q_norm.weight   (hd)           blk.N.attn_k_norm.weight (hd)
 *   blk.N.ffn_gate.weight      (F, D)         blk.N.ffn_up.weight   (F, D)
 *   blk.N.ffn_down.weight      (D, F)
 * A (rows, cols) weight is stored row by row; quantized rows are whole
 * Q8_0/Q4_0 blocks along cols. 1-D tensors are always f32 after loading. */
#ifndef FOUNDRY_MODEL_H
#define FOUNDRY_MODEL_H

#include <stdint.h>
#include "foundry/dtype.h"
#include "foundry/hparams.h"
#include "foundry/status.h"

typedef struct fd_model fd_model;
typedef struct fd_tokenizer fd_tokenizer;   /* include/foundry/tokenizer.h */
struct fd_gguf;                             /* include/foundry/gguf.h */

typedef struct fd_model_tensor {
    const char *name;       /* canonical GGUF-style name, see above */
    fd_dtype dtype;         /* as loaded (after any conversion) */
    fd_dtype file_dtype;    /* as stored in the file */
    uint32_t n_dims;        /* 1 or 2 */
    uint64_t dims[2];       /* row-major: (rows, cols), or (n) with dims[1] = 1 */
    uint64_t n_elems;
    uint64_t bytes;         /* of `data` */
    const void *data;       /* in the file's map, or converted; owned by the model */
} fd_model_tensor;


typedef struct fd_model_info {
    const char *path;            /* as given to fd_model_open */
    const char *format;          /* "gguf" or "safetensors" */
    fd_model_hparams hp;
    const char *features;        /* the architecture's features, "qkv-bias, rope-neox, ..." (its descriptor) */
    fd_generation_defaults gen;
    const char *chat_template;   /* Jinja text, NULL if none */
    fd_tokenizer *tokenizer;     /* NULL if absent or not asked for */
    const char *tokenizer_note;  /* why there is no tokenizer, or NULL */
    fd_dtype file_dtype;         /* dtype of the 2-D weights in the file (most common) */
    uint64_t n_tensors;
    uint64_t n_params;           /* sum of n_elems */
    uint64_t total_bytes;        /* sum of bytes as loaded */
    double open_seconds;         /* parse + map + checks */
    double convert_seconds;      /* dtype conversion (0 when none) */
    double load_seconds;         /* the whole fd_model_open, tokenizer included */
    int n_threads;               /* used for conversion */
    uint64_t n_nonfinite;        /* NaN or Inf weights as stored (counted only with check_values) */
    const char *first_nonfinite; /* the first tensor holding one, or NULL */
    /* A tensor the file holds that the model does not use, or NULL: a
     * folder whose config.json says "tie_word_embeddings": true and that
     * holds lm_head.weight anyway runs tied, as transformers does (the head
     * reads the embedding); a program may say so. (GGUF has no such flag:
     * output.weight present means untied.) */
    const char *ignored_tensor;
} fd_model_info;

/* The most conversion threads fd_model_open accepts (more are refused). */
#define FD_MAX_THREADS 1024

typedef struct fd_model_options {
    int convert;            /* 0: dtypes as stored; 1: 2-D weights become `dtype` */
    fd_dtype dtype;         /* f32, f16, bf16, q8_0 or q4_0 (used when convert) */
    int n_threads;          /* conversion threads; 0 = one per core; at most FD_MAX_THREADS */
    /* conversion progress, as converted bytes of `total` (the library draws
     * nothing: a program shows a bar); NULL: none. The last call has done == total. */
    void (*progress)(void *user, uint64_t done, uint64_t total);
    void *progress_user;
    int no_tokenizer;       /* 1: don't load the tokenizer */
    int check_values;       /* 1: count NaN and Inf weights (info.n_nonfinite), one pass over the data */
} fd_model_options;

/* Opens a model: `path` is a .gguf file or a Hugging Face folder (or a
 * .safetensors / config.json file inside one, meaning its folder). opt may be
 * NULL (everything as stored, tokenizer loaded when present). A missing
 * tokenizer.json is not an error: info.tokenizer is NULL and tokenizer_note
 * says why. On success *out is freed with fd_model_close; on failure *out is
 * NULL and `err` names the file, tensor or key and what is wrong. */
fd_status fd_model_open(const char *path, const fd_model_options *opt, fd_model **out, fd_error *err);
void fd_model_close(fd_model *m);   /* NULL is fine; invalidates everything from m */

const fd_model_info *fd_model_describe(const fd_model *m);
uint64_t fd_model_tensor_count(const fd_model *m);
const fd_model_tensor *fd_model_tensor_at(const fd_model *m, uint64_t i);     /* NULL if out of range */
const fd_model_tensor *fd_model_tensor_find(const fd_model *m, const char *name); /* NULL if absent */
/* The GGUF reader behind a model opened from GGUF (NULL for a folder); owned by m. */
const struct fd_gguf *fd_model_gguf(const fd_model *m);

/* A model with random weights, built in memory (random.c): architecture
 * hp.arch of shape `hp`, 2-D weights in `dtype`, N(0, 0.02) values from `seed`, tokenizer
 * from the vocabulary GGUF `vocab_gguf` (NULL: none). Close with
 * fd_model_close. */
typedef struct fd_random_options {
    fd_model_hparams hp;
    fd_dtype dtype;
    uint64_t seed;
    const char *vocab_gguf;
} fd_random_options;
fd_status fd_model_random(const fd_random_options *o, fd_model **out, fd_error *err);
/* A named shape ("qwen2.5-0.5b", "qwen3-0.6b", "tiny"...: the presets of the
 * architecture descriptors), arch included; FD_ERR_INVALID if unknown. */
fd_status fd_model_preset(const char *name, fd_model_hparams *hp);
const char *fd_model_preset_names(void);   /* the names, comma separated */

/* Writes m as a GGUF v3 file with llama.cpp's conventions for its
 * architecture (`<arch>.*` keys): hyper-parameters, tensors as loaded (open with opt->convert to choose the dtype),
 * generation defaults, and the tokenizer (tokens, token types, merges, special
 * ids, chat template) read from the folder's tokenizer.json or copied from the
 * source GGUF. Atomic (temp file + rename). */
fd_status fd_model_write_gguf(const fd_model *m, const char *out_path, fd_error *err);

#endif
