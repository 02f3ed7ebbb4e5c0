/* llama.h — what the llama-style architectures share, as rows an
 * architecture file expands: their tensors (role, GGUF name, Hugging Face
 * name, shape, flags), their hyper-parameter keys (GGUF `<arch>.*` names as
 * llama.cpp writes them, config.json names in both styles) and their layer
 * plan.
 *
 * Layer: model (architecture data, included only by files of this folder). */
#ifndef FD_MODEL_ARCH_LLAMA_H
#define FD_MODEL_ARCH_LLAMA_H

#include <stddef.h>
#include "model/arch/arch.h"

#define FD_LLAMA_TENSORS(X)                                                                                    \
    X(EMBD, "token_embd.weight", "model.embed_tokens.weight", FD_DIM_V, FD_DIM_D, 0)                          \
    X(OUT_NORM, "output_norm.weight", "model.norm.weight", FD_DIM_D, FD_DIM_NONE, FD_AT_ONES)                 \
    X(OUTPUT, "output.weight", "lm_head.weight", FD_DIM_V, FD_DIM_D, FD_AT_TIED)                          \
    X(ATTN_NORM, "blk.%u.attn_norm.weight", "model.layers.%u.input_layernorm.weight", FD_DIM_D, FD_DIM_NONE,  \
      FD_AT_ONES)                                                                                             \
    X(Q, "blk.%u.attn_q.weight", "model.layers.%u.self_attn.q_proj.weight", FD_DIM_Q, FD_DIM_D, 0)            \
    X(K, "blk.%u.attn_k.weight", "model.layers.%u.self_attn.k_proj.weight", FD_DIM_KV, FD_DIM_D, 0)           \
    X(V, "blk.%u.attn_v.weight", "model.layers.%u.self_attn.v_proj.weight", FD_DIM_KV, FD_DIM_D, 0)           \
    X(O, "blk.%u.attn_output.weight", "model.layers.%u.self_attn.o_proj.weight", FD_DIM_D, FD_DIM_Q, 0)       \
    X(FFN_NORM, "blk.%u.ffn_norm.weight", "model.layers.%u.post_attention_layernorm.weight", FD_DIM_D,        \
      FD_DIM_NONE, FD_AT_ONES)                                                                                \
    X(GATE, "blk.%u.ffn_gate.weight", "model.layers.%u.mlp.gate_proj.weight", FD_DIM_F, FD_DIM_D, 0)          \
    X(UP, "blk.%u.ffn_up.weight", "model.layers.%u.mlp.up_proj.weight", FD_DIM_F, FD_DIM_D, 0)                \
    X(DOWN, "blk.%u.ffn_down.weight", "model.layers.%u.mlp.down_proj.weight", FD_DIM_D, FD_DIM_F, 0)

#define FD_QKV_BIAS_TENSORS(X)                                                                                 \
    X(Q_BIAS, "blk.%u.attn_q.bias", "model.layers.%u.self_attn.q_proj.bias", FD_DIM_Q, FD_DIM_NONE, 0)        \
    X(K_BIAS, "blk.%u.attn_k.bias", "model.layers.%u.self_attn.k_proj.bias", FD_DIM_KV, FD_DIM_NONE, 0)       \
    X(V_BIAS, "blk.%u.attn_v.bias", "model.layers.%u.self_attn.v_proj.bias", FD_DIM_KV, FD_DIM_NONE, 0)

/* llama.cpp's converter writes RoPE scaling (rope_type llama3) as this
 * tensor: head_dim / 2 divisors of the inverse frequencies. */
#define FD_ROPE_FREQS_TENSOR(X) X(ROPE_FREQS, "rope_freqs.weight", NULL, FD_DIM_HD2, FD_DIM_NONE, FD_AT_OPTIONAL)

#define FD_QK_NORM_TENSORS(X)                                                                                  \
    X(Q_NORM, "blk.%u.attn_q_norm.weight", "model.layers.%u.self_attn.q_norm.weight", FD_DIM_HD, FD_DIM_NONE, \
      FD_AT_ONES)                                                                                             \
    X(K_NORM, "blk.%u.attn_k_norm.weight", "model.layers.%u.self_attn.k_norm.weight", FD_DIM_HD, FD_DIM_NONE, \
      FD_AT_ONES)

/* vocab has no GGUF key (token_embd's rows give it); head_dim and
 * n_kv_heads are optional (D / H and H); the last field says where the
 * format must give the key (FD_HP_IN_GGUF | FD_HP_IN_HF). */
#define FD_LLAMA_KEY_U32_(f, gg, hf, req) { offsetof(fd_model_hparams, f), FD_HP_U32, gg, hf, NULL, req }
#define FD_LLAMA_KEYS                                                                                              FD_LLAMA_KEY_U32_(n_layers, "block_count", "num_hidden_layers", 3),                                            FD_LLAMA_KEY_U32_(hidden, "embedding_length", "hidden_size", 3),                                               FD_LLAMA_KEY_U32_(n_heads, "attention.head_count", "num_attention_heads", 3),                                  FD_LLAMA_KEY_U32_(n_kv_heads, "attention.head_count_kv", "num_key_value_heads", 0),                            FD_LLAMA_KEY_U32_(head_dim, "attention.key_length", "head_dim", 0),                                            FD_LLAMA_KEY_U32_(ffn, "feed_forward_length", "intermediate_size", 3),                                         FD_LLAMA_KEY_U32_(vocab, NULL, "vocab_size", 2),                                                               FD_LLAMA_KEY_U32_(max_pos, "context_length", "max_position_embeddings", 3),                                    { offsetof(fd_model_hparams, rope_theta), FD_HP_REAL, "rope.freq_base", "rope_theta", "rope_theta", 0 },      { offsetof(fd_model_hparams, rms_eps), FD_HP_REAL, "attention.layer_norm_rms_epsilon", "rms_norm_eps", NULL, 1 }

#define FD_ARCH_TENSOR_ROW(role, gg, hf, r, c, f) { FD_ROLE_##role, gg, hf, r, c, f },

/* The llama-style layer: attention then gated feed-forward, each with a
 * pre-norm and a residual add; `qkv_opts` says what the QKV step adds. */
#define FD_LLAMA_PLAN(qkv_opts)                                                                                 \
    { FD_OP_QKV, FD_ACT_H, FD_ACT_Q, FD_ROLE_ATTN_NORM, { FD_ROLE_Q, FD_ROLE_K, FD_ROLE_V }, qkv_opts },      \
    { FD_OP_ATTEND, FD_ACT_Q, FD_ACT_ATT, FD_ROLE_NONE, { FD_ROLE_NONE, FD_ROLE_NONE, FD_ROLE_NONE }, 0 },    \
    { FD_OP_PROJ_RES, FD_ACT_ATT, FD_ACT_H, FD_ROLE_NONE, { FD_ROLE_O, FD_ROLE_NONE, FD_ROLE_NONE }, 0 },     \
    { FD_OP_GLU, FD_ACT_H, FD_ACT_FF, FD_ROLE_FFN_NORM, { FD_ROLE_GATE, FD_ROLE_UP, FD_ROLE_NONE }, 0 },      \
    { FD_OP_PROJ_RES, FD_ACT_FF, FD_ACT_H, FD_ROLE_NONE, { FD_ROLE_DOWN, FD_ROLE_NONE, FD_ROLE_NONE }, 0 }

#endif
