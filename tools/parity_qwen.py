#!/usr/bin/env python3
"""Parity of `foundry eval` with transformers on random-weight Qwen2 checkpoints (run on the GPU machine).

  tools/parity_qwen.py FOUNDRY SHARED OUTDIR [--quick] [--goldens]

FOUNDRY is the foundry binary, SHARED the folder holding tools/make_random_qwen.py and models/. For every case it
writes a checkpoint with make_random_qwen.py (transformers computes the float32 reference logits), runs
`foundry eval --json` on the CPU (decode path), on CUDA (decode path) and on CUDA with --prefill, and compares the
top-5 logits rank by rank. Bounds: CPU 1e-2, CUDA decode 2e-2, CUDA prefill 5e-2 (absolute); top-1 must agree
except where the reference's top-1 and top-2 differ by less than the bound (a near tie: either counts).
The reference is transformers in float32 on the checkpoint as saved (from_pretrained(dtype=float32)); the
column "tool ref" gives how far make_random_qwen.py's own logits are from it (that tool casts the whole model,
RoPE's inverse frequencies included, to the stored dtype before going back to float32). The q8_0 and q4_0 cases
convert a float32 checkpoint with `foundry convert`, read the GGUF back, dequantize it here, and run the
reference on those weights. "dec~pre" is the largest difference between CUDA decode and prefill at equal ids.
Prints a Markdown table and writes OUTDIR/parity.json. --goldens also writes the small checkpoints the CI test
reads (tests/data/qwen_tiny_*) into OUTDIR/goldens.tar.gz.
"""
import json, os, random, shutil, subprocess, sys, tarfile, time

BOUND = {"cpu": 1e-2, "cuda": 2e-2, "cuda-prefill": 5e-2}

def run(cmd, **kw):
    t = time.time()
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode:
        raise RuntimeError("%s failed (%d): %s" % (" ".join(cmd[:3]), r.returncode, r.stderr[-2000:]))
    return r.stdout, time.time() - t

def make(shared, out, args, tokens):
    cmd = [sys.executable, os.path.join(shared, "tools", "make_random_qwen.py"), out, "--ref-tokens",
           ",".join(map(str, tokens)), "--ref-out", os.path.join(out, "reference.json")] + args
    run(cmd)
    return json.load(open(os.path.join(out, "reference.json")))

def old_style(folder):
    """Rewrite config.json in the pre-transformers-5 style: top-level rope_theta and torch_dtype."""
    p = os.path.join(folder, "config.json")
    c = json.load(open(p))
    rp = c.pop("rope_parameters", None)
    if rp and "rope_theta" in rp: c["rope_theta"] = rp["rope_theta"]
    if "dtype" in c: c["torch_dtype"] = c.pop("dtype")
    json.dump(c, open(p, "w"), indent=2)
    return c

def compare(ref, got, bound):
    worst, agree, ties, n = 0.0, 0, 0, len(ref["top5_logits"])
    for i in range(n):
        r, g = ref["top5_logits"][i], got["positions"][i]["top5_logits"]
        worst = max(worst, max(abs(a - b) for a, b in zip(r, g)))
        if got["positions"][i]["top5_ids"][0] == ref["top5_ids"][i][0]: agree += 1
        elif r[0] - r[1] < bound: ties += 1
    return worst, agree, ties, n

GGML_F32, GGML_F16, GGML_Q4_0, GGML_Q8_0, GGML_BF16 = 0, 1, 2, 8, 30

def read_gguf(path):
    """The tensors of a GGUF file as float32 numpy arrays (F32, F16, BF16, Q8_0, Q4_0), by GGUF name."""
    import numpy as np, struct
    b = open(path, "rb").read()
    off = 0
    def take(fmt):
        nonlocal off
        v = struct.unpack_from("<" + fmt, b, off); off += struct.calcsize("<" + fmt); return v[0]
    def string():
        nonlocal off
        n = take("Q"); v = b[off:off + n].decode(); off += n; return v
    sizes = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?", 10: "Q", 11: "q", 12: "d"}
    def value(t):
        if t == 8: return string()
        if t == 9:
            et, n = take("I"), take("Q"); return [value(et) for _ in range(n)]
        return take(sizes[t])
    assert b[:4] == b"GGUF", "not a GGUF file"
    off = 4; take("I"); nt, nkv = take("Q"), take("Q")
    meta = {}
    for _ in range(nkv):
        k = string(); meta[k] = value(take("I"))
    infos = []
    for _ in range(nt):
        name = string(); nd = take("I"); dims = [take("Q") for _ in range(nd)]; t = take("I"); o = take("Q")
        infos.append((name, dims, t, o))
    al = meta.get("general.alignment", 32)
    base = (off + al - 1) // al * al
    out = {}
    for name, dims, t, o in infos:
        n = 1
        for d in dims: n *= d
        p = base + o
        if t == GGML_F32: a = np.frombuffer(b, np.float32, n, p)
        elif t == GGML_F16: a = np.frombuffer(b, np.float16, n, p).astype(np.float32)
        elif t == GGML_BF16: a = (np.frombuffer(b, np.uint16, n, p).astype(np.uint32) << 16).view(np.float32)
        elif t == GGML_Q8_0:
            blk = np.frombuffer(b, np.uint8, n // 32 * 34, p).reshape(-1, 34)
            d = blk[:, :2].copy().view(np.float16).astype(np.float32)
            a = (blk[:, 2:].copy().view(np.int8).astype(np.float32) * d).reshape(-1)
        elif t == GGML_Q4_0:
            blk = np.frombuffer(b, np.uint8, n // 32 * 18, p).reshape(-1, 18)
            d = blk[:, :2].copy().view(np.float16).astype(np.float32)
            q = blk[:, 2:]
            v = np.concatenate([(q & 15), (q >> 4)], axis=1).astype(np.float32) - 8.0
            a = (v * d).reshape(-1)
        else: raise RuntimeError("%s: GGML type %d not handled here" % (name, t))
        out[name] = a.reshape(list(reversed(dims)) if len(dims) > 1 else dims)
    return out

def hf_name(g):
    """The Hugging Face Qwen2 name of a GGUF tensor name."""
    fixed = {"token_embd.weight": "model.embed_tokens.weight", "output_norm.weight": "model.norm.weight",
             "output.weight": "lm_head.weight"}
    if g in fixed: return fixed[g]
    _, l, rest = g.split(".", 2)
    part = {"attn_norm.weight": "input_layernorm.weight", "ffn_norm.weight": "post_attention_layernorm.weight",
            "attn_q.weight": "self_attn.q_proj.weight", "attn_q.bias": "self_attn.q_proj.bias",
            "attn_k.weight": "self_attn.k_proj.weight", "attn_k.bias": "self_attn.k_proj.bias",
            "attn_v.weight": "self_attn.v_proj.weight", "attn_v.bias": "self_attn.v_proj.bias",
            "attn_output.weight": "self_attn.o_proj.weight", "ffn_gate.weight": "mlp.gate_proj.weight",
            "ffn_up.weight": "mlp.up_proj.weight", "ffn_down.weight": "mlp.down_proj.weight"}[rest]
    return "model.layers.%s.%s" % (l, part)

def reference(folder, tokens, gguf=None):
    """transformers in float32 on the folder's weights (or on the GGUF's, dequantized): top-5 per position."""
    import torch
    from transformers import AutoModelForCausalLM
    try: m = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32)
    except TypeError: m = AutoModelForCausalLM.from_pretrained(folder, torch_dtype=torch.float32)
    m.eval()
    if gguf:
        sd = m.state_dict()
        with torch.no_grad():
            for g, a in read_gguf(gguf).items():
                t = sd[hf_name(g)]
                t.copy_(torch.from_numpy(a.copy()).reshape(t.shape))
            if m.config.tie_word_embeddings: m.lm_head.weight = m.model.embed_tokens.weight
    with torch.no_grad():
        logits = m(torch.tensor([tokens])).logits[0]
    top = torch.topk(logits, 5, dim=-1)
    return {"top5_ids": top.indices.tolist(), "top5_logits": top.values.tolist()}

def ref_delta(a, b):
    return max(abs(x - y) for ra, rb in zip(a["top5_logits"], b["top5_logits"]) for x, y in zip(ra, rb))

def agreement(dec, pre):
    """Largest |decode - prefill| over top-5 entries whose ids agree rank by rank."""
    worst = 0.0
    for d, p in zip(dec["positions"], pre["positions"]):
        for i in range(5):
            if d["top5_ids"][i] != p["top5_ids"][i]: break
            worst = max(worst, abs(d["top5_logits"][i] - p["top5_logits"][i]))
    return worst

def main():
    foundry, shared, outdir = sys.argv[1:4]
    quick, goldens = "--quick" in sys.argv, "--goldens" in sys.argv or "--goldens-only" in sys.argv
    os.makedirs(outdir, exist_ok=True)
    rng = random.Random(7)
    cases = [  # name, make_random_qwen args, rewrite config to the old style, positions
        ("0.5b-bf16-tied", ["--dtype", "bf16"], False, 64),
        ("0.5b-f32-untied", ["--dtype", "f32", "--untied"], False, 64),
        ("0.5b-f16-tied-oldcfg", ["--dtype", "f16", "--layers", "8"], True, 64),
        ("hd128-bf16-untied", ["--dtype", "bf16", "--layers", "4", "--hidden", "1536", "--heads", "12",
                               "--kv-heads", "2", "--ffn", "8960", "--untied"], False, 64),
        ("hd128-f32-tied-oldcfg", ["--dtype", "f32", "--layers", "4", "--hidden", "1536", "--heads", "12",
                                   "--kv-heads", "2", "--ffn", "8960"], True, 64),
    ]
    quants = [  # base case, dtype
        ("0.5b-f32-untied", "q8_0"), ("0.5b-f32-untied", "q4_0"), ("hd128-f32-tied-oldcfg", "q8_0")]
    if quick: cases, quants = cases[:1] + cases[3:4], quants[1:2]
    if "--goldens-only" in sys.argv: cases = []
    rows, results = [], []
    def check(name, model, toks, ref, extra_note):
        got = {}
        for path, extra in (("cpu", ["--backend", "cpu"]), ("cuda", ["--backend", "cuda"]),
                            ("cuda-prefill", ["--backend", "cuda", "--prefill"])):
            try:
                out, secs = run([foundry, "eval", "-m", model, "--tokens", toks, "--json"] + extra)
                got[path] = json.loads(out)
                worst, agree, ties, n = compare(ref, got[path], BOUND[path])
                ok = worst <= BOUND[path] and agree + ties == n
                res = dict(case=name, path=path, max_abs=worst, top1=agree, near_ties=ties, positions=n,
                           bound=BOUND[path], ok=ok, seconds=round(secs, 2), **extra_note)
                if path == "cuda-prefill" and "cuda" in got:
                    res["decode_vs_prefill"] = agreement(got["cuda"], got[path])
                    res["ok"] = ok and res["decode_vs_prefill"] <= BOUND["cuda-prefill"]
            except Exception as e:  # record and go on: one failure should not hide the others
                res = dict(case=name, path=path, error=str(e)[-600:], ok=False)
            results.append(res)
            rows.append(res)
            print(json.dumps(res), flush=True)
    folders = {}
    for name, args, old, npos in cases:
        folder = os.path.join("/tmp/parity", name)
        shutil.rmtree(folder, ignore_errors=True)
        tokens = [rng.randrange(0, 151643) for _ in range(npos)]
        tool = make(shared, folder, args + ["--seed", str(len(rows))], tokens)
        if old: old_style(folder)
        folders[name] = (folder, tokens)
        ref = reference(folder, tokens)
        toks = ",".join(map(str, tokens))
        check(name, folder, toks, ref, {"tool_ref_delta": ref_delta(tool, ref)})
    for base, q in quants:
        if base not in folders: continue
        folder, tokens = folders[base]
        gguf = os.path.join("/tmp/parity", "%s-%s.gguf" % (base, q))
        run([foundry, "convert", folder, gguf, "--dtype", q, "--quiet"])
        ref = reference(folder, tokens, gguf)
        toks = ",".join(map(str, tokens))
        check("%s %s" % (base, q), gguf, toks, ref, {})
    json.dump(results, open(os.path.join(outdir, "parity.json"), "w"), indent=1)
    print("\n| case | path | max abs diff (top-5) | bound | top-1 agree | near ties | dec~pre | tool ref | ok |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        if "error" in r: print("| %s | %s | error: %s | | | | | | no |" % (r["case"], r["path"], r["error"][:80].replace("\n", " ")))
        else: print("| %s | %s | %.2e | %g | %d/%d | %d | %s | %s | %s |" % (
            r["case"], r["path"], r["max_abs"], r["bound"], r["top1"], r["positions"], r["near_ties"],
            "%.2e" % r["decode_vs_prefill"] if "decode_vs_prefill" in r else "",
            "%.2e" % r["tool_ref_delta"] if "tool_ref_delta" in r else "", "yes" if r["ok"] else "NO"))
    if goldens:
        tiny = [("qwen_tiny_hd32_f32_tied", ["--dtype", "f32", "--layers", "2", "--hidden", "128", "--heads", "4",
                                             "--kv-heads", "2", "--ffn", "256", "--vocab", "512"]),
                ("qwen_tiny_hd64_bf16_untied", ["--dtype", "bf16", "--layers", "2", "--hidden", "128", "--heads", "2",
                                                "--kv-heads", "1", "--ffn", "256", "--vocab", "512", "--untied"])]
        with tarfile.open(os.path.join(outdir, "goldens.tar.gz"), "w:gz") as tf:
            for name, args in tiny:
                folder = os.path.join("/tmp/parity", name)
                shutil.rmtree(folder, ignore_errors=True)
                make(shared, folder, args + ["--seed", "11"], [rng.randrange(0, 510) for _ in range(24)])
                if "bf16" in name: old_style(folder)
                tf.add(folder, arcname=name)
    return 0 if all(r.get("ok") for r in results) else 1

if __name__ == "__main__":
    sys.exit(main())
