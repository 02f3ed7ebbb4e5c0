/* smollm3.c — SmolLM3 (SmolLM3ForCausalLM, GGUF "smollm3"): Llama's layers
 * with NoPE layers: config.json's no_rope_layers is a 0/1 list per layer,
 * 1 = the layer USES RoPE (hf_config.c reads it as a period); a GGUF has no
 * key, and llama.cpp skips RoPE where (layer + 1) % 4 == 0 (the default
 * below). A NoPE layer runs the same QKV step with inverse frequencies all
 * zero (weights.c), an exact identity rotation. GGUF q/k rows are permuted
 * as Llama's (llama.cpp's SmolLM3Model is a LlamaModel).
 *
 * Layer: model (architecture data). */
#include "model/arch/arch.h"
#include "model/arch/llama.h"

static const fd_arch_tensor tensors[] = { FD_LLAMA_TENSORS(FD_ARCH_TENSOR_ROW) FD_ROPE_FREQS_TENSOR(FD_ARCH_TENSOR_ROW) };
static const fd_hparam_key keys[] = { FD_LLAMA_KEYS };
static const fd_plan_step plan[] = { FD_LLAMA_PLAN(0) };

static const fd_arch_preset presets[] = {
    /* name, { arch, L, D, H, KV, hd, F, V, max_pos, theta, eps, tied, rope factor, low, high, orig, nope period } */
    { "smollm3-3b", { "", 36, 2048, 16, 4, 128, 11008, 128256, 65536, 5000000.0, 1e-6, 1, 0, 0, 0, 0, 4 } },
    { "smollm3-tiny", { "", 4, 128, 4, 2, 32, 256, 128256, 4096, 5000000.0, 1e-6, 1, 0, 0, 0, 0, 4 } },
};

const fd_arch FD_ARCH_SMOLLM3 = {
    "smollm3", "smollm3", "SmolLM3ForCausalLM", "llama-bpe",
    FD_FEAT_ROPE_HALF | FD_FEAT_NOPE | FD_FEAT_GGUF_QK_PERMUTED | FD_FEAT_TIED_OPTIONAL | FD_FEAT_SWIGLU,
    FD_ARCH_TABLES, 4,
};
