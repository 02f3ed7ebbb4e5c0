/* qwen3.c — Qwen3 dense (Qwen3ForCausalLM, GGUF "qwen3"): llama-style
 * layers without q/k/v bias, with a per-head RMSNorm of q and k before RoPE
 * (q_norm, k_norm: head_dim values each), and head_dim given explicitly
 * (Qwen3-0.6B: hidden 1024, 16 heads x 128).
 *
 * Layer: model (architecture data). Qwen3-MoE (qwen3_moe) has no descriptor. */
#include "model/arch/arch.h"
#include "model/arch/llama.h"

static const fd_arch_tensor tensors[] = { FD_LLAMA_TENSORS(FD_ARCH_TENSOR_ROW) FD_QK_NORM_TENSORS(FD_ARCH_TENSOR_ROW) };
static const fd_hparam_key keys[] = { FD_LLAMA_KEYS };
static const fd_plan_step plan[] = { FD_LLAMA_PLAN(FD_STEP_QK_NORM) };

static const fd_arch_preset presets[] = {
    /* name, { arch (from the descriptor), L, D, H, KV, hd, F, V, max_pos, theta, eps, tied, (no RoPE scaling, no NoPE) } */
    { "qwen3-0.6b", { "", 28, 1024, 16, 8, 128, 3072, 151936, 40960, 1000000.0, 1e-6, 1, 0, 0, 0, 0, 0 } },
    { "qwen3-tiny", { "", 4, 256, 4, 2, 128, 704, 151936, 4096, 1000000.0, 1e-6, 1, 0, 0, 0, 0, 0 } },
};

const fd_arch FD_ARCH_QWEN3 = {
    "qwen3", "qwen3", "Qwen3ForCausalLM", "qwen2", FD_FEAT_QK_NORM | FD_FEAT_ROPE_NEOX | FD_FEAT_TIED_OPTIONAL | FD_FEAT_SWIGLU,
    FD_ARCH_TABLES, 0,
};
