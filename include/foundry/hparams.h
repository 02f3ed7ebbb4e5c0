/* hparams.h — a model's hyper-parameters and generation defaults, as the
 * file formats give them (config.json and generation_config.json, or a
 * GGUF's keys).
 *
 * Layer: format (public). Plain data: filled by the readers in src/format/,
 * described by include/foundry/model.h. Legend as in model.h. */
#ifndef FOUNDRY_HPARAMS_H
#define FOUNDRY_HPARAMS_H

#include <stddef.h>
#include <stdint.h>

typedef struct fd_model_hparams {
    char arch[32];          /* GGUF architecture name ("qwen2", "qwen3": one with a descriptor); a preset's is its
                               config.json model_type (Mistral's "mistral": "llama" in GGUF), which a random model
                               also takes */
    uint32_t n_layers;      /* L */
    uint32_t hidden;        /* D */
    uint32_t n_heads;       /* H */
    uint32_t n_kv_heads;    /* KV; H is a multiple of KV */
    uint32_t head_dim;      /* hd; D / H unless the file says otherwise (Qwen3: H hd != D) */
    uint32_t ffn;           /* F */
    uint32_t vocab;         /* V: rows of token_embd (may exceed the tokenizer's) */
    uint32_t max_pos;       /* context length the model was trained for */
    double rope_theta;      /* RoPE base frequency */
    double rms_eps;         /* RMSNorm epsilon */
    int tie_embeddings;     /* 1: output.weight absent, the logits use token_embd */
    /* RoPE scaling rope_type "llama3" (config.json; a GGUF carries the
     * result as rope_freqs.weight instead): rope_factor 0 = none */
    double rope_factor;     /* "factor" */
    double rope_low_freq;   /* "low_freq_factor" */
    double rope_high_freq;  /* "high_freq_factor" */
    uint32_t rope_orig_ctx; /* "original_max_position_embeddings" */
    uint32_t nope_period;   /* layers l with (l + 1) % nope_period == 0 skip RoPE (SmolLM3: 4); 0: none do */
} fd_model_hparams;

/* One hyper-parameter's keys: GGUF `<arch>.<gguf>`, config.json `hf`
 * (transformers 5 may move it into `rope_parameters`: hf_nested). The
 * tables live with the architecture descriptors (src/model/arch/). */
typedef enum { FD_HP_U32, FD_HP_REAL } fd_hparam_type;
typedef struct fd_hparam_key {
    size_t offset;          /* of the field in fd_model_hparams */
    fd_hparam_type type;
    const char *gguf;       /* after "<arch>." */
    const char *hf;         /* top-level config.json key */
    const char *hf_nested;  /* its name inside "rope_parameters", or NULL */
    int required;           /* FD_HP_IN_GGUF | FD_HP_IN_HF: where it must be given */
} fd_hparam_key;
enum { FD_HP_IN_GGUF = 1, FD_HP_IN_HF = 2 };

/* Sampling defaults (generation_config.json, or GGUF general.sampling.*).
 * Values the files don't give keep the neutral defaults shown. */
typedef struct fd_generation_defaults {
    float temperature;          /* 1.0 */
    int32_t top_k;              /* 0 = off */
    float top_p;                /* 1.0 */
    float repetition_penalty;   /* 1.0 */
    int32_t bos_id;             /* -1 if none */
    int32_t pad_id;             /* -1 if none */
    uint32_t n_eos;             /* eos_ids used; 0 if none */
    int32_t eos_ids[8];
} fd_generation_defaults;

#endif
