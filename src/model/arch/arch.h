/* arch.h — architecture descriptors: what a decoder-only architecture is,
 * as data. One file per architecture in this folder (qwen2.c, qwen3.c) and
 * one list of them (list.c: qwen2, qwen3, llama, smollm3, mistral); nothing outside this folder names a tensor or
 * an architecture (tools/check_arch_names.sh greps for it).
 *
 * Layer: model (internal). A descriptor gives:
 *   - its names: GGUF general.architecture (also the `<arch>.` key prefix),
 *     config.json's model_type and architectures[0];
 *   - its tensors by role (what the forward pass does with one), each with
 *     its GGUF and Hugging Face name and its shape from the hyper-parameters;
 *   - its hyper-parameter keys (fd_hparam_key, hparams.h);
 *   - its features (bias, q/k norm, RoPE style...) for `foundry info`;
 *   - its layer plan: the layer's dataflow over named activations of M
 *     rows, which forward.c lowers to the decode step (M = 1) and to
 *     prefill (the GEMM family). See docs/DESIGN.md, "Add an architecture". */
#ifndef FD_MODEL_ARCH_H
#define FD_MODEL_ARCH_H

#include <stddef.h>
#include <stdint.h>
#include "foundry/hparams.h"

/* What the forward pass does with a tensor. Per-layer roles come after FD_ROLE_ATTN_NORM. */
#define FD_ROLE_LIST(X)                                                                                   \
    X(EMBD) X(OUT_NORM) X(OUTPUT) X(ROPE_FREQS)                                                          \
    X(ATTN_NORM) X(Q) X(K) X(V) X(Q_BIAS) X(K_BIAS) X(V_BIAS) X(Q_NORM) X(K_NORM) X(O) X(FFN_NORM)         \
    X(GATE) X(UP) X(DOWN)
typedef enum {
#define FD_ROLE_ENUM_(r) FD_ROLE_##r,
    FD_ROLE_LIST(FD_ROLE_ENUM_)
#undef FD_ROLE_ENUM_
    FD_ROLE_COUNT,
    FD_ROLE_NONE = FD_ROLE_COUNT
} fd_role;
#define FD_ROLE_FIRST_LAYER FD_ROLE_ATTN_NORM

/* A tensor dimension from the hyper-parameters (legend of model.h). */
typedef enum { FD_DIM_NONE, FD_DIM_D, FD_DIM_Q, FD_DIM_KV, FD_DIM_F, FD_DIM_V, FD_DIM_HD, FD_DIM_HD2 } fd_dim;

enum {
    FD_AT_TIED = 1,       /* absent when the embeddings are tied (output.weight: the head reads the embedding) */
    FD_AT_ONES = 2,       /* a norm weight: random models fill it with ones */
    FD_AT_OPTIONAL = 4,   /* may be absent (GGUF rope_freqs.weight); random models leave it out */
};

typedef struct fd_arch_tensor {
    fd_role role;
    const char *gguf;     /* GGUF name; per-layer ones hold one %u (the layer) */
    const char *hf;       /* Hugging Face name, same rule; NULL: the tensor exists only in GGUF */
    fd_dim rows, cols;    /* cols FD_DIM_NONE: a vector */
    unsigned flags;       /* FD_AT_* */
} fd_arch_tensor;

/* Features, printed by `foundry info` (fd_arch_features). */
#define FD_FEATURE_LIST(X)                                                                \
    X(QKV_BIAS, "qkv-bias", "q/k/v projections carry a bias")                            \
    X(QK_NORM, "qk-norm", "per-head RMSNorm of q and k before RoPE")                     \
    X(ROPE_NEOX, "rope-neox", "RoPE pairs (i, i + head_dim/2) on every layer, no scaling") \
    X(ROPE_HALF, "rope-half", "RoPE pairs (i, i + head_dim/2)")                             \
    X(ROPE_LLAMA3, "rope-llama3", "RoPE scaling rope_type llama3 (GGUF: rope_freqs.weight)") \
    X(NOPE, "nope", "some layers skip RoPE (no_rope_layers; GGUF: every 4th)")              \
    X(GGUF_QK_PERMUTED, "gguf-qk-permuted", "GGUF q/k rows in llama.cpp's interleaved order, undone at upload") \
    X(TIED_OPTIONAL, "tied-optional", "output.weight may be absent: the head uses the embedding") \
    X(SWIGLU, "swiglu", "gated SiLU feed-forward")
enum {
#define FD_FEATURE_BIT_(id, name, what) FD_FEAT_BIT_##id,
    FD_FEATURE_LIST(FD_FEATURE_BIT_)
#undef FD_FEATURE_BIT_
};
enum {
#define FD_FEATURE_ENUM_(id, name, what) FD_FEAT_##id = 1u << FD_FEAT_BIT_##id,
    FD_FEATURE_LIST(FD_FEATURE_ENUM_)
#undef FD_FEATURE_ENUM_
};

/* ---- the layer plan. Named activations of M rows (M = 1 when decoding,
 * the chunk's tokens in prefill). */
typedef enum {
    FD_ACT_H,     /* (M, D) the residual stream */
    FD_ACT_Q,     /* (M, H hd) rotated queries */
    FD_ACT_ATT,   /* (M, H hd) attention output */
    FD_ACT_FF,    /* (M, F) the gated feed-forward activation */
    FD_ACT_COUNT
} fd_act_name;

/* A plan step's operation. Each has one lowering per target (forward.c). */
typedef enum {
    FD_OP_QKV,        /* RMSNorm(in) -> q, k, v products [+bias] [+q/k norm] -> RoPE -> K/V into the cache */
    FD_OP_ATTEND,     /* causal attention of the queries over the cache */
    FD_OP_PROJ_RES,   /* out += W in */
    FD_OP_GLU,        /* out = silu(W0 RMSNorm(in)) * (W1 RMSNorm(in)) */
} fd_plan_op;

enum {
    FD_STEP_BIAS = 1,      /* QKV: add the Q/K/V_BIAS roles */
    FD_STEP_QK_NORM = 2,   /* QKV: RMSNorm each head of q and k (Q_NORM, K_NORM) before RoPE */
};

typedef struct fd_plan_step {
    fd_plan_op op;
    fd_act_name in, out;
    fd_role norm;          /* RMSNorm weight of the input, or FD_ROLE_NONE */
    fd_role w[3];          /* the products' weights (FD_ROLE_NONE past the last) */
    unsigned opts;         /* FD_STEP_* */
} fd_plan_step;

/* A named shape of the architecture, for synthetic models (bench --synthetic). */
typedef struct fd_arch_preset {
    const char *name;
    fd_model_hparams hp;   /* arch is filled from the descriptor */
} fd_arch_preset;

typedef struct fd_arch {
    const char *name;               /* GGUF general.architecture and key prefix */
    const char *hf_type;            /* config.json model_type */
    const char *hf_class;           /* config.json architectures[0] */
    const char *tokenizer_pre;      /* tokenizer.ggml.pre written for its tokenizer.json (llama.cpp's name) */
    unsigned features;              /* FD_FEAT_* */
    const fd_arch_tensor *tensors;
    size_t n_tensors;
    const fd_hparam_key *keys;      /* the hyper-parameters' keys */
    size_t n_keys;
    const fd_plan_step *plan;       /* one layer */
    size_t n_steps;
    const fd_arch_preset *presets;
    size_t n_presets;
    uint32_t nope_period;           /* the default of hparams' nope_period (GGUF has no key for it) */
} fd_arch;

/* The four tables of a descriptor file, each with its count, in fd_arch's
 * order: every file names them tensors, keys, plan and presets. */
#define FD_ARCH_TABLES                                                                                  \
    tensors, sizeof tensors / sizeof tensors[0], keys, sizeof keys / sizeof keys[0], plan,             \
    sizeof plan / sizeof plan[0], presets, sizeof presets / sizeof presets[0]

/* list.c: the descriptor of GGUF architecture `name` / of a config.json
 * (model_type, architectures[0]; either may be NULL), or NULL. Two
 * descriptors may share a GGUF name (Mistral is "llama" there): by GGUF name
 * the first listed is found. */
const fd_arch *fd_arch_find(const char *name);
const fd_arch *fd_arch_find_hf(const char *model_type, const char *hf_class);
/* The architectures' GGUF names, comma separated; their config.json names ("mistral (MistralForCausalLM), ..."). */
const char *fd_arch_names(void);
const char *fd_arch_hf_names(void);
/* A random model's descriptor: by config.json model_type (a preset's hp.arch: Mistral's is "mistral", "llama" in
 * GGUF), else by GGUF name; NULL if neither. */
const fd_arch *fd_arch_find_random(const char *name);
/* The preset `name` of any architecture into *hp (arch filled), or NULL; the
 * presets' names, comma separated. */
const fd_arch *fd_arch_preset_find(const char *name, fd_model_hparams *hp);
const char *fd_arch_preset_names(void);
/* The tensor of `role` in a, or NULL. */
const fd_arch_tensor *fd_arch_tensor_of(const fd_arch *a, fd_role role);
/* A tensor's name (GGUF or HF) for layer l into buf. */
void fd_arch_tensor_name(const fd_arch_tensor *t, int hf, uint32_t l, char *buf, size_t cap);
/* The value of dimension d under hp (0 for FD_DIM_NONE). */
uint64_t fd_arch_dim(const fd_model_hparams *hp, fd_dim d);
/* The key of hyper-parameter field `offset` in a, or NULL. */
const fd_hparam_key *fd_arch_key(const fd_arch *a, size_t offset);
/* The features as "name, name" into buf. */
void fd_arch_features(const fd_arch *a, char *buf, size_t cap);

/* The descriptors (one file each; list.c lists them). */
extern const fd_arch FD_ARCH_QWEN2, FD_ARCH_QWEN3, FD_ARCH_LLAMA, FD_ARCH_SMOLLM3, FD_ARCH_MISTRAL;

#endif
