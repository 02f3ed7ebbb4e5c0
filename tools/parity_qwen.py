#!/usr/bin/env python3
"""Parity of `foundry eval` with transformers on random-weight Qwen2 checkpoints (run on the GPU machine).

  tools/parity_qwen.py FOUNDRY SHARED OUTDIR [--quick] [--goldens]

FOUNDRY is the foundry binary, SHARED the folder holding tools/make_random_qwen.py and models/. For every case it
writes a checkpoint with make_random_qwen.py (transformers computes the float32 reference logits), runs
`foundry eval --json` on the CPU (decode path), on CUDA (decode path) and on CUDA with --prefill, and compares the
top-5 logits rank by rank. Bounds: CPU 1e-2, CUDA decode 2e-2, CUDA prefill 5e-2 (absolute); top-1 must agree
except where the reference's top-1 and top-2 differ by less than the bound (a near tie: either counts).
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
    if quick: cases = cases[:1] + cases[3:4]
    if "--goldens-only" in sys.argv: cases = []
    rows, results = [], []
    for name, args, old, npos in cases:
        folder = os.path.join("/tmp/parity", name)
        shutil.rmtree(folder, ignore_errors=True)
        tokens = [rng.randrange(0, 151643) for _ in range(npos)]
        ref = make(shared, folder, args + ["--seed", str(len(rows))], tokens)
        if old: old_style(folder)
        toks = ",".join(map(str, tokens))
        for path, extra in (("cpu", ["--backend", "cpu"]), ("cuda", ["--backend", "cuda"]),
                            ("cuda-prefill", ["--backend", "cuda", "--prefill"])):
            try:
                out, secs = run([foundry, "eval", "-m", folder, "--tokens", toks, "--json"] + extra)
                worst, agree, ties, n = compare(ref, json.loads(out), BOUND[path])
                ok = worst <= BOUND[path] and agree + ties == n
                res = dict(case=name, path=path, max_abs=worst, top1=agree, near_ties=ties, positions=n,
                           bound=BOUND[path], ok=ok, seconds=round(secs, 2))
            except Exception as e:  # record and go on: one failure should not hide the others
                res = dict(case=name, path=path, error=str(e)[-600:], ok=False)
            results.append(res)
            rows.append(res)
            print(json.dumps(res), flush=True)
    json.dump(results, open(os.path.join(outdir, "parity.json"), "w"), indent=1)
    print("\n| case | path | max abs diff (top-5) | bound | top-1 agree | near ties | ok |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        if "error" in r: print("| %s | %s | error: %s | | | | no |" % (r["case"], r["path"], r["error"][:80].replace("\n", " ")))
        else: print("| %s | %s | %.2e | %g | %d/%d | %d | %s |" % (r["case"], r["path"], r["max_abs"], r["bound"],
                                                                    r["top1"], r["positions"], r["near_ties"], "yes" if r["ok"] else "NO"))
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
