/* mistral.c — Mistral v0.2 / v0.3 (MistralForCausalLM): Llama's layers and
 * tensors; in GGUF it is "llama" (llama.cpp's converter treats it as a
 * LlamaModel: q/k rows permuted), so by GGUF name the Llama descriptor is
 * found and this one is reached only from config.json (and its presets).
 * v0.1's active 4,096-token sliding window is refused by hf_config.c (an
 * integer "sliding_window" below "max_position_embeddings"). Its tokenizer
 * is SentencePiece (text/). RoPE scaling is read as for any model.
 *
 * Layer: model (architecture data). */
#include "model/arch/arch.h"
#include "model/arch/llama.h"

static const fd_arch_tensor tensors[] = { FD_LLAMA_TENSORS(FD_ARCH_TENSOR_ROW) FD_ROPE_FREQS_TENSOR(FD_ARCH_TENSOR_ROW) };
static const fd_hparam_key keys[] = { FD_LLAMA_KEYS };
static const fd_plan_step plan[] = { FD_LLAMA_PLAN(0) };

static const fd_arch_preset presets[] = {
    /* name, { arch, L, D, H, KV, hd, F, V, max_pos, theta, eps, tied, (no RoPE scaling, no NoPE) } */
    { "mistral-7b", { "", 32, 4096, 32, 8, 128, 14336, 32768, 32768, 1000000.0, 1e-5, 0, 0, 0, 0, 0, 0 } },
    { "mistral-tiny", { "", 2, 128, 4, 2, 32, 256, 32768, 4096, 1000000.0, 1e-5, 0, 0, 0, 0, 0, 0 } },
};

const fd_arch FD_ARCH_MISTRAL = {
    "llama", "mistral", "MistralForCausalLM", "default",
    FD_FEAT_ROPE_HALF | FD_FEAT_GGUF_QK_PERMUTED | FD_FEAT_TIED_OPTIONAL | FD_FEAT_SWIGLU,
    FD_ARCH_TABLES, 0,
};
