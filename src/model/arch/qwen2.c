/* qwen2.c — Qwen2 / Qwen2.5 (Qwen2ForCausalLM, GGUF "qwen2"): llama-style
 * layers with a bias on the q, k and v projections.
 *
 * Layer: model (architecture data). Refused (elsewhere, by key): an active
 * sliding window, RoPE scaling, MoE (qwen2_moe has no descriptor). */
#include "model/arch/arch.h"
#include "model/arch/llama.h"

static const fd_arch_tensor tensors[] = { FD_LLAMA_TENSORS(FD_ARCH_TENSOR_ROW) FD_QKV_BIAS_TENSORS(FD_ARCH_TENSOR_ROW) };
static const fd_hparam_key keys[] = { FD_LLAMA_KEYS };
static const fd_plan_step plan[] = { FD_LLAMA_PLAN(FD_STEP_BIAS) };

static const fd_arch_preset presets[] = {
    /* name, { arch (from the descriptor), L, D, H, KV, hd, F, V, max_pos, theta, eps, tied, (no RoPE scaling, no NoPE) } */
    { "qwen2.5-0.5b", { "", 24, 896, 14, 2, 64, 4864, 151936, 32768, 1000000.0, 1e-6, 1, 0, 0, 0, 0, 0 } },
    { "qwen2.5-1.5b", { "", 28, 1536, 12, 2, 128, 8960, 151936, 32768, 1000000.0, 1e-6, 1, 0, 0, 0, 0, 0 } },
    { "qwen2.5-3b", { "", 36, 2048, 16, 2, 128, 11008, 151936, 32768, 1000000.0, 1e-6, 1, 0, 0, 0, 0, 0 } },
    { "tiny", { "", 4, 256, 4, 2, 64, 704, 151936, 4096, 1000000.0, 1e-6, 1, 0, 0, 0, 0, 0 } },
};

const fd_arch FD_ARCH_QWEN2 = {
    "qwen2", "qwen2", "Qwen2ForCausalLM", "qwen2", FD_FEAT_QKV_BIAS | FD_FEAT_ROPE_NEOX | FD_FEAT_TIED_OPTIONAL | FD_FEAT_SWIGLU,
    FD_ARCH_TABLES, 0,
};
