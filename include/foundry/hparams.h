/* hparams.h — a model's hyper-parameters and generation defaults, as the
 * file formats give them (config.json and generation_config.json, or a
 * GGUF's keys).
 *
 * Layer: format (public). Plain data: filled by the readers in src/format/,
 * described by include/foundry/model.h. Legend as in model.h. */
#ifndef FOUNDRY_HPARAMS_H
#define FOUNDRY_HPARAMS_H

#include <stdint.h>

typedef struct fd_model_hparams {
    char arch[32];          /* "qwen2" — the only one accepted */
    uint32_t n_layers;      /* L */
    uint32_t hidden;        /* D */
    uint32_t n_heads;       /* H */
    uint32_t n_kv_heads;    /* KV; H is a multiple of KV */
    uint32_t head_dim;      /* hd; D / H unless the file says otherwise */
    uint32_t ffn;           /* F */
    uint32_t vocab;         /* V: rows of token_embd (may exceed the tokenizer's) */
    uint32_t max_pos;       /* context length the model was trained for */
    double rope_theta;      /* RoPE base frequency */
    double rms_eps;         /* RMSNorm epsilon */
    int tie_embeddings;     /* 1: output.weight absent, the logits use token_embd */
} fd_model_hparams;

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
