#!/usr/bin/env python3
"""peer_bench.py OUT GGUF... — on the GPU machine: tg128 and the prompt lengths PP (pp512 and pp4096 by
default) of each GGUF through Foundry's trees and llama.cpp's llama-bench, one run after another, and one
Markdown table (tokens/s, medians), then Foundry's time to first token of each prompt length.

  FOUNDRY="new=build-gpu/foundry old=build-old/foundry" LLAMA=/tmp/llama/b/bin/llama-bench \
    PP=512,4096 tools/gpu/peer_bench.py OUT a.gguf b.gguf

Each Foundry tree runs `foundry bench -m GGUF -p PP -n 128 -r R -d DEPTHS --json` (PP = $PP, default
512,4096; R = $REPS, default 3; DEPTHS = $DEPTHS, default 0); llama.cpp runs `llama-bench -m GGUF -p PP -n 128
-r R -d DEPTHS -fa 1 -ngl 99 -o jsonl`. Writes OUT/peer_bench.json and prints the table with the ratios to
llama.cpp."""
import json, os, subprocess, sys, time

def run(cmd, timeout=240):
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, "timeout after %ds" % timeout
    if r.returncode:
        return None, (r.stderr or r.stdout)[-600:]
    return r.stdout, ""

def foundry(binary, gguf, reps, depths, pp):
    out, why = run([binary, "bench", "-m", gguf, "-p", pp, "-n", "128", "-r", str(reps), "-d", depths, "--json"])
    if out is None: return {"error": why}
    res, ttft = {}, {}
    for row in json.loads(out)["runs"]:
        if "test" not in row: continue   # the load and memory row
        key = row["test"] + ("@d%d" % row["depth"] if row.get("depth") else "")
        res[key] = row["tokens_per_s"]["median"]
        if "ttft_ms" in row: ttft[key] = row["ttft_ms"]["median"]   # pp rows of a tree that measures it
    if ttft: res["ttft_ms"] = ttft
    return res

def llama(binary, gguf, reps, depths, pp):
    out, why = run([binary, "-m", gguf, "-p", pp, "-n", "128", "-r", str(reps), "-d", depths, "-fa", "1",
                    "-ngl", "99", "-o", "jsonl"])
    if out is None: return {"error": why}
    res = {}
    for line in out.splitlines():
        if not line.startswith("{"): continue
        j = json.loads(line)
        test = ("pp%d" % j["n_prompt"]) if j["n_prompt"] else ("tg%d" % j["n_gen"])
        depth = j.get("n_depth", 0)
        res[test + ("@d%d" % depth if depth else "")] = j["avg_ts"]
    return res

def main():
    outdir, files = sys.argv[1], sys.argv[2:]
    reps = int(os.environ.get("REPS", "3")); depths = os.environ.get("DEPTHS", "0")
    pp = os.environ.get("PP", "512,4096")
    trees = [kv.split("=", 1) for kv in os.environ.get("FOUNDRY", "new=build-gpu/foundry").split()]
    trees = [(n, b) for n, b in trees if os.path.exists(b)]
    lb = os.environ.get("LLAMA", "/tmp/llama/b/bin/llama-bench")
    rows = []
    for g in files:
        if not os.path.exists(g): print("missing", g); continue
        r = {"file": os.path.basename(g), "bytes": os.path.getsize(g)}
        for n, b in trees: r[n] = foundry(b, g, reps, depths, pp)
        r["llama.cpp"] = llama(lb, g, reps, depths, pp) if os.path.exists(lb) else {"error": "no llama-bench"}
        rows.append(r)
        print(json.dumps(r), flush=True)
    json.dump(rows, open(os.path.join(outdir, "peer_bench.json"), "w"), indent=1)
    names = [n for n, _ in trees] + ["llama.cpp"]
    print("\n| file | test | " + " | ".join(names) + " | " + " | ".join("%s/llama" % n for n, _ in trees) + " |")
    print("|---" * (2 + len(names) + len(trees)) + "|")
    for r in rows:
        tests = sorted({k for n in names for k in r[n] if k not in ("error", "ttft_ms")},
                       key=lambda t: (t[:2], int("".join(c for c in t.split("@")[0] if c.isdigit()) or 0), t))
        for t in tests:
            vals = [r[n].get(t) for n in names]
            ll = r["llama.cpp"].get(t)
            ratios = ["%.2f" % (v / ll) if v and ll else "-" for v in vals[:-1]]
            print("| %s | %s | %s | %s |" % (r["file"], t, " | ".join("%.1f" % v if v else "-" for v in vals),
                                             " | ".join(ratios)))
        for n in names:
            if "error" in r[n]: print("| %s | %s error: %s |" % (r["file"], n, r[n]["error"].replace("\n", " ")[:300]))
    # Foundry's time to first token (llama-bench has no such figure): a prompt from an empty cache until the
    # first chosen token is on the host, ms, medians
    tn = [n for n, _ in trees]
    if any(r[n].get("ttft_ms") for r in rows for n in tn):
        print("\n| file | prompt | " + " | ".join("%s TTFT ms" % n for n in tn) + " |")
        print("|---" * (2 + len(tn)) + "|")
        for r in rows:
            keys = sorted({k for n in tn for k in r[n].get("ttft_ms", {})}, key=lambda t: int(t[2:].split("@")[0]))
            for t in keys:
                print("| %s | %s | %s |" % (r["file"], t, " | ".join(
                    "%.2f" % r[n]["ttft_ms"][t] if t in r[n].get("ttft_ms", {}) else "-" for n in tn)))

main()
