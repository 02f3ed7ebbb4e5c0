#!/usr/bin/env python3
"""Parity of `foundry eval` with transformers on random-weight checkpoints of any described architecture (GPU machine).

  tools/parity.py FOUNDRY OUTDIR [--arch qwen3|llama|smollm3|mistral] [--quick] [--goldens] [--llama-convert SCRIPT]

Checkpoints come from tools/make_random_model.py (transformers' own classes); the comparison, bounds and table are
tools/parity_qwen.py's (CPU 1e-2, CUDA decode 2e-2, CUDA prefill 5e-2 absolute on the top-5 logits; top-1 equal
except at a near tie; "dec~pre" the largest decode/prefill difference). Cases for qwen3: a tiny shape with
hidden != heads x head_dim, the Qwen3-0.6B shape in bf16 (28 layers), and q8_0 / q4_0 GGUFs made by
`foundry convert` from a 4-layer f32 checkpoint of that shape (the reference runs on the dequantized weights).
--llama-convert SCRIPT (../shared/tools/peer/device_llama.sh) also converts the 0.6B-shape folder with
llama.cpp's own converter to f16 and checks that GGUF against the folder's reference (CUDA bound: bf16 -> f16).
--goldens writes tiny checkpoints + reference.json for the CI test (tests/data/<arch>_tiny_*) into
OUTDIR/goldens_<arch>.tar.gz (untar it in tests/data/). Prints a Markdown table; writes OUTDIR/parity_<arch>.json.
"""
import json, os, random, shutil, subprocess, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import parity_qwen as pq
import make_random_model as mrm

HERE = os.path.dirname(os.path.abspath(__file__))
# GGUF -> Hugging Face names of the llama-style architectures (the descriptors' table, src/model/arch/llama.h).
LAYER = {"attn_norm.weight": "input_layernorm.weight", "ffn_norm.weight": "post_attention_layernorm.weight",
         "attn_q.weight": "self_attn.q_proj.weight", "attn_q.bias": "self_attn.q_proj.bias",
         "attn_k.weight": "self_attn.k_proj.weight", "attn_k.bias": "self_attn.k_proj.bias",
         "attn_v.weight": "self_attn.v_proj.weight", "attn_v.bias": "self_attn.v_proj.bias",
         "attn_q_norm.weight": "self_attn.q_norm.weight", "attn_k_norm.weight": "self_attn.k_norm.weight",
         "attn_output.weight": "self_attn.o_proj.weight", "ffn_gate.weight": "mlp.gate_proj.weight",
         "ffn_up.weight": "mlp.up_proj.weight", "ffn_down.weight": "mlp.down_proj.weight"}
FIXED = {"token_embd.weight": "model.embed_tokens.weight", "output_norm.weight": "model.norm.weight",
         "output.weight": "lm_head.weight"}

def hf_name(g):
    if g in FIXED: return FIXED[g]
    _, l, rest = g.split(".", 2)
    return "model.layers.%s.%s" % (l, LAYER[rest])

pq.hf_name = hf_name  # reference() on a GGUF's weights maps names through it

# Architectures whose GGUF q/k rows are in llama.cpp's interleaved order (LlamaModel.permute; Foundry's writer
# does the same): the reference un-permutes them; rope_freqs.weight (llama3 scaling) has no Hugging Face tensor.
PERMUTED = ("llama", "smollm3", "mistral")
_read_gguf = pq.read_gguf

def read_gguf_hf_order(path, heads, kv_heads, hidden):
    out = {}
    for g, a in _read_gguf(path).items():  # flat float32 arrays
        if g == "rope_freqs.weight": continue
        n = heads if g.endswith("attn_q.weight") else kv_heads if g.endswith("attn_k.weight") else 0
        if n:  # file row h*hd + 2j + t holds row h*hd + t*hd/2 + j: view (n, hd/2, 2, D), swap axes 1 and 2
            hd = a.size // hidden // n
            a = a.reshape(n, hd // 2, 2, hidden).swapaxes(1, 2).reshape(-1)
        out[g] = a
    return out

def use_arch(arch, folder):
    """reference() on a GGUF of `arch` reads its q/k rows back in the Hugging Face order."""
    if arch not in PERMUTED:
        pq.read_gguf = _read_gguf
        return
    c = json.load(open(os.path.join(folder, "config.json")))
    heads, kv = c["num_attention_heads"], c.get("num_key_value_heads", c["num_attention_heads"])
    pq.read_gguf = lambda path: read_gguf_hf_order(path, heads, kv, c["hidden_size"])

def make(arch, out, args, tokens):
    cmd = [sys.executable, os.path.join(HERE, "make_random_model.py"), arch, out, "--ref-tokens",
           ",".join(map(str, tokens)), "--ref-out", os.path.join(out, "reference.json")] + args
    pq.run(cmd)
    return json.load(open(os.path.join(out, "reference.json")))

CASES = {  # arch: [(name, make_random_model args, positions)], [(base case, dtype)], tiny goldens
    "qwen3": ([("tiny-hd64-bf16-tied", ["--dtype", "bf16", "--layers", "2", "--hidden", "128", "--heads", "4",
                                        "--kv-heads", "2", "--head-dim", "64", "--ffn", "256", "--vocab", "512"], 24),
               ("0.6b-bf16-tied", ["--dtype", "bf16"], 64),
               ("0.6b-l4-f32-untied", ["--dtype", "f32", "--layers", "4", "--untied"], 64)],
              [("0.6b-l4-f32-untied", "q8_0"), ("0.6b-l4-f32-untied", "q4_0")],
              [("qwen3_tiny_hd64_f32_tied", ["--dtype", "f32", "--layers", "2", "--hidden", "128", "--heads", "4",
                                             "--kv-heads", "2", "--head-dim", "64", "--ffn", "256", "--vocab", "512"]),
               ("qwen3_tiny_hd32_bf16_untied", ["--dtype", "bf16", "--layers", "2", "--hidden", "64", "--heads", "4",
                                                "--kv-heads", "1", "--head-dim", "32", "--ffn", "128", "--vocab", "512",
                                                "--untied"])]),
}

def small(layers, dtype="bf16", extra=()):
    return ["--dtype", dtype, "--layers", str(layers), "--hidden", "128", "--heads", "4", "--kv-heads", "2",
            "--head-dim", "32", "--ffn", "256", "--vocab", "512"] + list(extra)

# Llama (RoPE scaling llama3 at Llama 3.2's values), SmolLM3 (4 layers or more: NoPE at layer 3) and Mistral; the
# second case of each is the one --llama-convert converts with llama.cpp (its q/k rows permuted: the pairing check).
for _a, _real, _l4 in (("llama", "3.2-1b-bf16-tied", ["--dtype", "f32", "--layers", "4", "--untied"]),
                       ("smollm3", "3b-bf16-tied", ["--dtype", "f32", "--layers", "4", "--untied"]),
                       ("mistral", "7b-l8-bf16-untied", ["--dtype", "f32", "--layers", "4"])):
    CASES[_a] = ([("tiny-bf16", small(4), 24),
                  (_real, ["--dtype", "bf16"] + (["--layers", "8"] if _a == "mistral" else []), 64),
                  ("l4-f32-untied", _l4, 64)],
                 [("l4-f32-untied", "q8_0"), ("l4-f32-untied", "q4_0")],
                 [("%s_tiny_f32" % _a, small(4, "f32"))])

def main():
    foundry, outdir = sys.argv[1:3]
    arch = sys.argv[sys.argv.index("--arch") + 1] if "--arch" in sys.argv else "qwen3"
    llama = sys.argv[sys.argv.index("--llama-convert") + 1] if "--llama-convert" in sys.argv else None
    cases, quants, tiny = CASES[arch]
    if "--quick" in sys.argv: cases, quants = cases[:1], []
    os.makedirs(outdir, exist_ok=True)
    rng, rows, folders = random.Random(7), [], {}
    def check(name, model, tokens, ref):
        toks = ",".join(map(str, tokens))
        got = {}
        for path, extra in (("cpu", ["--backend", "cpu"]), ("cuda", ["--backend", "cuda"]),
                            ("cuda-prefill", ["--backend", "cuda", "--prefill"])):
            try:
                out, secs = pq.run([foundry, "eval", "-m", model, "--tokens", toks, "--json"] + extra)
                got[path] = json.loads(out)
                worst, agree, ties, n = pq.compare(ref, got[path], pq.BOUND[path])
                res = dict(case=name, path=path, max_abs=worst, top1=agree, near_ties=ties, positions=n,
                           bound=pq.BOUND[path], ok=worst <= pq.BOUND[path] and agree + ties == n, seconds=round(secs, 2))
                if path == "cuda-prefill" and "cuda" in got:
                    res["decode_vs_prefill"] = pq.agreement(got["cuda"], got[path])
                    res["ok"] = res["ok"] and res["decode_vs_prefill"] <= pq.BOUND["cuda-prefill"]
            except Exception as e:
                res = dict(case=name, path=path, error=str(e)[-600:], ok=False)
            rows.append(res)
            print(json.dumps(res), flush=True)
    for name, args, npos in cases:
        folder = os.path.join("/tmp/parity_" + arch, name)
        shutil.rmtree(folder, ignore_errors=True)
        full = mrm.ARCHS[arch][2]["vocab_size"]   # the shape's own vocabulary (Qwen: ids below 151643)
        vocab = int(args[args.index("--vocab") + 1]) - 2 if "--vocab" in args else min(full - 2, 151643)
        tokens = [rng.randrange(0, vocab) for _ in range(npos)]
        make(arch, folder, args + ["--seed", str(len(rows))], tokens)
        folders[name] = (folder, tokens)
        use_arch(arch, folder)
        ref = pq.reference(folder, tokens)
        check("%s %s" % (arch, name), folder, tokens, ref)
    for base, q in quants:
        folder, tokens = folders[base]
        gguf = os.path.join("/tmp/parity_" + arch, "%s-%s.gguf" % (base, q))
        pq.run([foundry, "convert", folder, gguf, "--dtype", q, "--quiet"])
        use_arch(arch, folder)
        check("%s %s %s" % (arch, base, q), gguf, tokens, pq.reference(folder, tokens, gguf))
    conv = cases[1][0] if len(cases) > 1 else None   # qwen3: 0.6b-bf16-tied
    if llama and conv in folders and arch in PERMUTED:
        # llama.cpp's converter needs a tokenizer: the real shape's width at 4 layers with Qwen's vocabulary (the
        # tokenizer we have); what it checks is the q/k row pairing, which the vocabulary does not touch
        conv = "l4-bf16-qwen-vocab"
        folder = os.path.join("/tmp/parity_" + arch, conv)
        shutil.rmtree(folder, ignore_errors=True)
        tokens = [rng.randrange(0, 151643) for _ in range(64)]
        make(arch, folder, ["--dtype", "bf16", "--layers", "4", "--vocab", "151936", "--seed", "5"], tokens)
        folders[conv] = (folder, tokens)
        use_arch(arch, folder)
    if llama and conv in folders:
        folder, tokens = folders[conv]
        prefix = os.path.join("/tmp/parity_" + arch, "llama-" + conv)
        try:
            out, _ = pq.run(["bash", llama, "convert", folder, prefix, "f16"])
            if not os.path.exists(prefix + "-f16.gguf"):   # the script says why on stdout, its log has the rest
                log = open(prefix + "-f16.log").read()[-1500:] if os.path.exists(prefix + "-f16.log") else ""
                raise RuntimeError("llama.cpp's converter wrote no GGUF: %s %s" % (out.strip(), log))
            check("%s %s llama.cpp-f16 GGUF" % (arch, conv), prefix + "-f16.gguf", tokens, pq.reference(folder, tokens))
        except Exception as e:
            rows.append(dict(case="%s llama.cpp convert" % arch, path="-", error=str(e)[-1500:], ok=False))
            print(json.dumps(rows[-1]), flush=True)
    json.dump(rows, open(os.path.join(outdir, "parity_%s.json" % arch), "w"), indent=1)
    print("\n| case | path | max abs diff (top-5) | bound | top-1 agree | near ties | dec~pre | ok |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        if "error" in r: print("| %s | %s | error: %s | | | | | no |" % (r["case"], r["path"], r["error"][:80].replace("\n", " ")))
        else: print("| %s | %s | %.2e | %g | %d/%d | %d | %s | %s |" % (
            r["case"], r["path"], r["max_abs"], r["bound"], r["top1"], r["positions"], r["near_ties"],
            "%.2e" % r["decode_vs_prefill"] if "decode_vs_prefill" in r else "", "yes" if r["ok"] else "NO"))
    if "--goldens" in sys.argv:
        import tarfile
        with tarfile.open(os.path.join(outdir, "goldens_%s.tar.gz" % arch), "w:gz") as tf:
            for name, args in tiny:
                folder = os.path.join("/tmp/parity_" + arch, name)
                shutil.rmtree(folder, ignore_errors=True)
                make(arch, folder, args + ["--seed", "11"], [rng.randrange(0, 510) for _ in range(24)])
                if "bf16" in name: pq.old_style(folder)
                tf.add(folder, arcname=name)
    return 0 if all(r.get("ok") for r in rows) else 1

if __name__ == "__main__":
    sys.exit(main())
