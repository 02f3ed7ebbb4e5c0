/* llama.c — Llama 2 / 3.x (LlamaForCausalLM, GGUF "llama"): llama-style
 * layers without bias; RoPE scaling rope_type "llama3" (config.json's
 * factor, low/high_freq_factor, original context; a GGUF from llama.cpp's
 * converter carries it as rope_freqs.weight); tied embeddings in 1B/3B.
 * In a GGUF the q/k rows are in llama.cpp's interleaved-pair order
 * (LlamaModel.permute): the upload undoes it (weights.c), the GGUF writer
 * applies it (export.c).
 *
 * Layer: model (architecture data). */
#include "model/arch/arch.h"
#include "model/arch/llama.h"

static const fd_arch_tensor tensors[] = { FD_LLAMA_TENSORS(FD_ARCH_TENSOR_ROW) FD_ROPE_FREQS_TENSOR(FD_ARCH_TENSOR_ROW) };
static const fd_hparam_key keys[] = { FD_LLAMA_KEYS };
static const fd_plan_step plan[] = { FD_LLAMA_PLAN(0) };

static const fd_arch_preset presets[] = {
    /* name, { arch, L, D, H, KV, hd, F, V, max_pos, theta, eps, tied, rope factor, low, high, original context } */
    { "llama3.2-1b", { "", 16, 2048, 32, 8, 64, 8192, 128256, 131072, 500000.0, 1e-5, 1, 32.0, 1.0, 4.0, 8192, 0 } },
    { "llama3.2-3b", { "", 28, 3072, 24, 8, 128, 8192, 128256, 131072, 500000.0, 1e-5, 1, 32.0, 1.0, 4.0, 8192, 0 } },
    { "llama3.1-8b", { "", 32, 4096, 32, 8, 128, 14336, 128256, 131072, 500000.0, 1e-5, 0, 8.0, 1.0, 4.0, 8192, 0 } },
    { "llama-tiny", { "", 2, 128, 4, 2, 32, 256, 128256, 4096, 500000.0, 1e-5, 1, 32.0, 1.0, 4.0, 64, 0 } },
};

const fd_arch FD_ARCH_LLAMA = {
    "llama", "llama", "LlamaForCausalLM", "llama-bpe",
    FD_FEAT_ROPE_HALF | FD_FEAT_ROPE_LLAMA3 | FD_FEAT_GGUF_QK_PERMUTED | FD_FEAT_TIED_OPTIONAL | FD_FEAT_SWIGLU,
    FD_ARCH_TABLES, 0,
};
