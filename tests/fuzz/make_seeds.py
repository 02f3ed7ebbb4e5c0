#!/usr/bin/env python3
"""make_seeds.py — writes the seed corpora of the fuzz targets into
tests/fuzz/corpus/<target>/ (small: a few hundred KB in all). GGUF seeds are
made by `foundry convert`, so pass the binary:  tests/fuzz/make_seeds.py build/foundry"""
import json, os, random, struct, subprocess, sys, tempfile

here = os.path.dirname(os.path.abspath(__file__))
corpus = os.path.join(here, "corpus")
foundry = sys.argv[1] if len(sys.argv) > 1 else "build/foundry"
rng = random.Random(22)


def put(target, name, data):
    d = os.path.join(corpus, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def bytes_to_unicode():
    bs = list(range(33, 127)) + list(range(161, 173)) + list(range(174, 256))
    cs, n = bs[:], 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


def tokenizer(vocab_extra=(("h e", "he"), ("l l", "ll"), ("he ll", "hell")), pre=None, merges_as_pairs=False):
    b2u = bytes_to_unicode()
    vocab = {b2u[b]: b for b in range(256)}
    merges = []
    for m, tok in vocab_extra:
        vocab[tok] = len(vocab)
        merges.append(m.split(" ") if merges_as_pairs else m)
    n = len(vocab)
    return {
        "version": "1.0",
        "added_tokens": [{"id": n, "content": "<|endoftext|>", "special": True},
                         {"id": n + 1, "content": "<|im_end|>", "special": True, "lstrip": False, "rstrip": False}],
        "normalizer": {"type": "NFC"},
        "pre_tokenizer": pre or {"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"},
             "behavior": "Isolated", "invert": False},
            {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False}]},
        "post_processor": {"type": "ByteLevel"},
        "decoder": {"type": "ByteLevel"},
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "ignore_merges": False, "vocab": vocab,
                  "merges": merges},
    }


def safetensors(entries, dtype="BF16", meta=True):
    """entries: [(name, shape)] -> bytes, values small random."""
    header, data, off = {}, b"", 0
    if meta:
        header["__metadata__"] = {"format": "pt"}
    size = {"BF16": 2, "F16": 2, "F32": 4}[dtype]
    for name, shape in entries:
        n = 1
        for d in shape:
            n *= d
        if dtype == "F32":
            blob = b"".join(struct.pack("<f", rng.uniform(-0.5, 0.5)) for _ in range(n))
        else:
            blob = b"".join(struct.pack("<H", rng.getrandbits(16) & 0x3fff) for _ in range(n))
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [off, off + n * size]}
        data += blob
        off += n * size
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    return struct.pack("<Q", len(h)) + h + data


L, D, H, KV, F, V = 1, 32, 1, 1, 64, 262   # head_dim 32: the smallest the attention kernels take


def model_entries():
    hd = D // H
    e = [("model.embed_tokens.weight", (V, D)), ("model.norm.weight", (D,)), ("lm_head.weight", (V, D))]
    for l in range(L):
        p = "model.layers.%d." % l
        e += [(p + "input_layernorm.weight", (D,)), (p + "post_attention_layernorm.weight", (D,)),
              (p + "self_attn.q_proj.weight", (H * hd, D)), (p + "self_attn.q_proj.bias", (H * hd,)),
              (p + "self_attn.k_proj.weight", (KV * hd, D)), (p + "self_attn.k_proj.bias", (KV * hd,)),
              (p + "self_attn.v_proj.weight", (KV * hd, D)), (p + "self_attn.v_proj.bias", (KV * hd,)),
              (p + "self_attn.o_proj.weight", (D, H * hd)), (p + "mlp.gate_proj.weight", (F, D)),
              (p + "mlp.up_proj.weight", (F, D)), (p + "mlp.down_proj.weight", (D, F))]
    return e


config = {"architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "hidden_size": D, "intermediate_size": F,
          "num_attention_heads": H, "num_hidden_layers": L, "num_key_value_heads": KV, "vocab_size": V,
          "max_position_embeddings": 4096, "rms_norm_eps": 1e-06, "rope_theta": 1000000.0,
          "torch_dtype": "bfloat16", "tie_word_embeddings": False, "bos_token_id": V - 2, "eos_token_id": V - 1}
config_new = dict(config, rope_parameters={"rope_theta": 500000.0, "rope_type": "default"}, dtype="float16",
                  head_dim=32, tie_word_embeddings=True)
del config_new["rope_theta"], config_new["torch_dtype"]
gen = {"bos_token_id": V - 2, "eos_token_id": [V - 1, V - 2], "pad_token_id": V - 2, "do_sample": True,
       "repetition_penalty": 1.1, "temperature": 0.7, "top_k": 20, "top_p": 0.8}
tokcfg = {"eos_token": "<|im_end|>", "bos_token": None, "add_bos_token": False,
          "added_tokens_decoder": {str(V - 1): {"content": "<|im_end|>", "special": True}},
          "chat_template": "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}"}
tokcfg_list = dict(tokcfg, chat_template=[{"name": "default", "template": "{{ messages }}"},
                                          {"name": "tool_use", "template": "{{ tools }}"}])

# config.json and friends
for name, obj in [("config.json", config), ("config_new.json", config_new), ("generation_config.json", gen),
                  ("tokenizer_config.json", tokcfg), ("tokenizer_config_list.json", tokcfg_list)]:
    put("config", name, json.dumps(obj, indent=1))
put("config", "mixed.json", json.dumps(dict(config, **gen, chat_template="{{ x }}")))

# tokenizer.json
put("tokenizer_json", "split_bytelevel.json", json.dumps(tokenizer(), ensure_ascii=False))
put("tokenizer_json", "bytelevel_regex.json", json.dumps(tokenizer(
    pre={"type": "ByteLevel", "add_prefix_space": False, "use_regex": True}, merges_as_pairs=True)))
put("tokenizer_json", "split_string.json", json.dumps(tokenizer(pre={"type": "Sequence", "pretokenizers": [
    {"type": "Split", "pattern": {"String": " "}, "behavior": "Isolated", "invert": False},
    {"type": "ByteLevel", "add_prefix_space": False, "use_regex": False}]})))

# safetensors
st = safetensors(model_entries())
put("safetensors", "tiny_model.safetensors", st)
put("safetensors", "f32.safetensors", safetensors([("a", (3, 4)), ("b", (5,))], "F32"))
put("safetensors", "f16_nometa.safetensors", safetensors([("x", (2, 2, 2)), ("y", (0,))], "F16", meta=False))
put("safetensors", "empty.safetensors", struct.pack("<Q", 2) + b"{}")

# tokenize: even first byte = text, odd = int32 ids
for i, text in enumerate(["Hello, world! It's 2026.\n", "caf\u00e9 na\u00efve \u4f60\u597d\u4e16\u754c \U0001f600",
                          "<|im_start|>user\nhi<|im_end|>\n", "   \t\r\n  spaces  ", "x" * 300, "a1b2c3 4567890"]):
    put("tokenize", "text%d" % i, b"\x00" + text.encode())
for i, ids in enumerate([[9707, 11, 1879, 0], [151643, 151644, 151645], [0, 1, 2, 255, 256],
                         [-1, 2 ** 31 - 1, 151935, 151936, 40]]):
    put("tokenize", "ids%d" % i, b"\x01" + b"".join(struct.pack("<i", x) for x in ids))

# GGUF: the tiny model converted, in several dtypes; one without a tokenizer
with tempfile.TemporaryDirectory() as d:
    open(os.path.join(d, "config.json"), "w").write(json.dumps(config))
    open(os.path.join(d, "generation_config.json"), "w").write(json.dumps(gen))
    open(os.path.join(d, "model.safetensors"), "wb").write(st)
    for dt in ["q8_0", "q4_0", "f16"]:
        out = os.path.join(d, "tiny_%s_notok.gguf" % dt)
        if dt == "q8_0":
            subprocess.run([foundry, "convert", d, out, "--dtype", dt, "--quiet"], check=True)
            put("gguf", "tiny_q8_0_notok.gguf", open(out, "rb").read())
    open(os.path.join(d, "tokenizer.json"), "w").write(json.dumps(tokenizer()))
    open(os.path.join(d, "tokenizer_config.json"), "w").write(json.dumps(tokcfg))
    for dt in ["q4_0", "f16"]:
        out = os.path.join(d, "o.gguf")
        subprocess.run([foundry, "convert", d, out, "--dtype", dt, "--quiet"], check=True)
        put("gguf", "tiny_%s.gguf" % dt, open(out, "rb").read())
put("gguf", "header_only.gguf", b"GGUF" + struct.pack("<IQQ", 3, 0, 0))
