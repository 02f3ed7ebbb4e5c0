#!/usr/bin/env python3
"""Random-weight checkpoints of a decoder-only architecture, made with transformers' own classes, and float32
reference logits (runs where torch and transformers are installed: the GPU machine; no network needed).

  tools/make_random_model.py ARCH OUT_DIR [--layers N --hidden D --heads H --kv-heads KV --head-dim HD --ffn F
                             --vocab V] [--untied] [--dtype bf16|f16|f32] [--seed S] [--ref-tokens 1,2,3]
                             [--ref-out FILE] [--shared SHARED]

ARCH is a row of ARCHS below (qwen2, qwen3, llama, smollm3, mistral): its config and model classes, its default
shape (the named model's), the extra config keys and its special ids. Llama's RoPE scaling (rope_type llama3) is
given as `rope_scaling` to transformers 4 and as `rope_parameters` (with rope_theta) to transformers 5. The folder is a normal Hugging Face
model folder (config.json, model.safetensors, and with a real-size vocabulary the Qwen2.5 tokenizer files copied
from SHARED/models/qwen2.5-0.5b-instruct-shape/, which Qwen3 shares). Norm weights are 1 + N(0, 0.1) and biases
N(0, 0.1), so parity tests see them. --ref-tokens reloads the saved folder in float32 (transformers' own load, so
RoPE's inverse frequencies are not rounded to the stored dtype), runs one forward pass and writes the top-5 logits
of every position and the full logits of the last one to --ref-out (default OUT_DIR/reference.json).
"""
import argparse, json, os, shutil, sys

LLAMA3_SCALING = dict(rope_type="llama3", factor=32.0, low_freq_factor=1.0, high_freq_factor=4.0,
                      original_max_position_embeddings=8192)  # Llama 3.2 1B / 3B
# name: (config class, model class, default shape, extra config keys, special ids)
ARCHS = {
    "qwen2": ("Qwen2Config", "Qwen2ForCausalLM",  # Qwen2.5-0.5B-Instruct
              dict(num_hidden_layers=24, hidden_size=896, num_attention_heads=14, num_key_value_heads=2,
                   intermediate_size=4864, vocab_size=151936, max_position_embeddings=32768, rope_theta=1000000.0,
                   rms_norm_eps=1e-6, tie_word_embeddings=True),
              dict(use_sliding_window=False, sliding_window=32768, max_window_layers=21, hidden_act="silu"),
              dict(bos_token_id=151643, eos_token_id=151645)),
    "qwen3": ("Qwen3Config", "Qwen3ForCausalLM",  # Qwen3-0.6B
              dict(num_hidden_layers=28, hidden_size=1024, num_attention_heads=16, num_key_value_heads=8,
                   head_dim=128, intermediate_size=3072, vocab_size=151936, max_position_embeddings=40960,
                   rope_theta=1000000.0, rms_norm_eps=1e-6, tie_word_embeddings=True),
              dict(use_sliding_window=False, sliding_window=None, max_window_layers=28, hidden_act="silu",
                   attention_bias=False),
              dict(bos_token_id=151643, eos_token_id=151645)),
    "llama": ("LlamaConfig", "LlamaForCausalLM",  # Llama-3.2-1B
              dict(num_hidden_layers=16, hidden_size=2048, num_attention_heads=32, num_key_value_heads=8,
                   head_dim=64, intermediate_size=8192, vocab_size=128256, max_position_embeddings=131072,
                   rope_theta=500000.0, rms_norm_eps=1e-5, tie_word_embeddings=True),
              dict(hidden_act="silu", attention_bias=False, mlp_bias=False, rope_scaling=LLAMA3_SCALING),
              dict(bos_token_id=128000, eos_token_id=128001)),
    "smollm3": ("SmolLM3Config", "SmolLM3ForCausalLM",  # SmolLM3-3B: NoPE at layers 3, 7, 11, ...
                dict(num_hidden_layers=36, hidden_size=2048, num_attention_heads=16, num_key_value_heads=4,
                     intermediate_size=11008, vocab_size=128256, max_position_embeddings=65536,
                     rope_theta=5000000.0, rms_norm_eps=1e-6, tie_word_embeddings=True),
                dict(hidden_act="silu", attention_bias=False, mlp_bias=False, use_sliding_window=False,
                     sliding_window=None, no_rope_layer_interval=4),
                dict(bos_token_id=128000, eos_token_id=128012)),
    "mistral": ("MistralConfig", "MistralForCausalLM",  # Mistral-7B-v0.3: no sliding window
                dict(num_hidden_layers=32, hidden_size=4096, num_attention_heads=32, num_key_value_heads=8,
                     head_dim=128, intermediate_size=14336, vocab_size=32768, max_position_embeddings=32768,
                     rope_theta=1000000.0, rms_norm_eps=1e-5, tie_word_embeddings=False),
                dict(hidden_act="silu", sliding_window=None),
                dict(bos_token_id=1, eos_token_id=2)),
}

def rope_style(cfg, transformers):
    """transformers 5 takes RoPE scaling and theta as rope_parameters; 4 as rope_scaling + rope_theta."""
    rs = cfg.pop("rope_scaling", None)
    if int(transformers.__version__.split(".")[0]) >= 5:
        cfg["rope_parameters"] = dict(rs or dict(rope_type="default"), rope_theta=cfg.pop("rope_theta"))
    elif rs:
        cfg["rope_scaling"] = rs
    # SmolLM3Config derives no_rope_layers from the interval when none is given (1 = the layer uses RoPE)
    if "no_rope_layer_interval" in cfg:
        cfg["no_rope_layers"] = [int((i + 1) % cfg["no_rope_layer_interval"] != 0) for i in range(cfg["num_hidden_layers"])]

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("arch", choices=sorted(ARCHS)); ap.add_argument("out")
    for k in ("layers", "hidden", "heads", "kv-heads", "head-dim", "ffn", "vocab"): ap.add_argument("--" + k, type=int)
    ap.add_argument("--untied", action="store_true")
    ap.add_argument("--dtype", default="bf16", choices=["bf16", "f16", "f32"])
    ap.add_argument("--seed", type=int, default=0); ap.add_argument("--std", type=float, default=0.02)
    ap.add_argument("--ref-tokens"); ap.add_argument("--ref-out")
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")   # ../shared here, .dev/shared on the GPU machine
    ap.add_argument("--shared", default=next((d for d in (os.path.join(root, "..", "shared"), os.path.join(root, ".dev", "shared"))
                                              if os.path.isdir(d)), os.path.join(root, "..", "shared")))
    a = ap.parse_args()
    import torch, transformers
    cfg_name, model_name, shape, extra, special = ARCHS[a.arch]
    cfg = dict(shape, **extra, **special)
    for k, v in (("num_hidden_layers", a.layers), ("hidden_size", a.hidden), ("num_attention_heads", a.heads),
                 ("num_key_value_heads", a.kv_heads), ("head_dim", a.head_dim), ("intermediate_size", a.ffn),
                 ("vocab_size", a.vocab)):
        if v is not None: cfg[k] = v
    if a.untied: cfg["tie_word_embeddings"] = False
    if cfg["vocab_size"] <= max(special.values()):  # a small test vocabulary: keep the special ids inside it
        cfg["bos_token_id"], cfg["eos_token_id"] = cfg["vocab_size"] - 2, cfg["vocab_size"] - 1
    rope_style(cfg, transformers)
    dt = {"bf16": torch.bfloat16, "f16": torch.float16, "f32": torch.float32}[a.dtype]
    cfg["torch_dtype"] = {"bf16": "bfloat16", "f16": "float16", "f32": "float32"}[a.dtype]
    cfg["initializer_range"] = a.std
    torch.manual_seed(a.seed)
    Model = getattr(transformers, model_name)
    model = Model(getattr(transformers, cfg_name)(**cfg)).eval()
    with torch.no_grad():
        for n, p in model.named_parameters():
            if n.endswith("norm.weight"): p.copy_(1.0 + 0.1 * torch.randn_like(p))
            elif n.endswith(".bias"): p.copy_(0.1 * torch.randn_like(p))
    model = model.to(dt)
    os.makedirs(a.out, exist_ok=True)
    model.save_pretrained(a.out)
    tok = os.path.join(a.shared, "models", "qwen2.5-0.5b-instruct-shape")
    # the Qwen tokenizer for any architecture whose vocabulary holds it (llama.cpp's converter needs one)
    if cfg["vocab_size"] >= 151665 and os.path.isdir(tok):
        for f in ("tokenizer.json", "tokenizer_config.json", "generation_config.json"):
            shutil.copy(os.path.join(tok, f), a.out)
    print("wrote", a.out, sorted(os.listdir(a.out)))
    if a.ref_tokens:
        ids = torch.tensor([[int(t) for t in a.ref_tokens.split(",")]])
        ref_model = Model.from_pretrained(a.out, dtype=torch.float32).eval()
        with torch.no_grad():
            logits = ref_model(ids).logits[0]
        top = torch.topk(logits, 5, dim=-1)
        ref = {"tokens": ids[0].tolist(), "dtype": a.dtype, "arch": a.arch,
               "top5_ids": top.indices.tolist(), "top5_logits": top.values.tolist(), "last_logits": logits[-1].tolist()}
        json.dump(ref, open(a.ref_out or os.path.join(a.out, "reference.json"), "w"))
        print("reference logits for", len(ref["tokens"]), "tokens")
    return 0

if __name__ == "__main__":
    sys.exit(main())
