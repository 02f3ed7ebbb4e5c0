#!/bin/bash
# attn.sh — the GPU checks and figures of issue 30 §2-§3 (the sampler over
# many blocks, decode attention split over the cache length): the parity
# tests of the sampler, attention and the decode graph, bench_attention
# (decode µs and fraction of copy bandwidth at depths 128..32,768, the
# sampler's µs over 151,936 logits), the model bench at depths 0 / 4,096 /
# 16,384, and sampled against greedy generation.
# Usage, from the repository root on the GPU machine after build-gpu/ is
# built: tools/gpu/attn.sh OUTDIR   (prints a summary; the logs in OUTDIR)
set -u
OUT=${1:-/tmp/out}
mkdir -p "$OUT"
B=build-gpu
step() { echo "=== $* ($(date +%T))"; }
step parity
(cd $B && ctest --output-on-failure -V -R "test_sample|test_attention|test_decode_graph|test_generate") \
  >"$OUT/ctest.log" 2>&1
grep -E "tests passed|Failed|gpu sample parity|graph:|sample V|rel err|decode .* rel" "$OUT/ctest.log" | tail -20
step bench_attention
$B/bench_attention >"$OUT/bench_attention.jsonl" 2>"$OUT/bench_attention.err"; tail -3 "$OUT/bench_attention.err"
python3 - "$OUT/bench_attention.jsonl" <<'PY'
import json, sys
for l in open(sys.argv[1]):
    d = json.loads(l)
    if d["case"] == "attn_decode":
        print("decode H %(H)2d KV %(KV)d hd %(hd)3d C %(C)5d S %(splits)3d n %(n)5d: %(us)7.2f us %(GBps)5.0f GB/s" % d,
              "%5.1f%% of copy" % (100 * d["fraction_of_copy_bw"]))
    else:
        print(d)
PY
step model bench
M="--synthetic qwen2.5-0.5b --dtype f16"
$B/foundry bench $M -p 512 -n 128 -d 0,4096,16384 -r 3 >"$OUT/bench_model.txt" 2>&1; cat "$OUT/bench_model.txt"
step sampled vs greedy
P=$(python3 -c 'print(" ".join(["The quick brown fox jumps over the lazy dog."] * 50))')
for T in 0.8 0; do
  $B/foundry run $M -p "$P" -n 256 --ignore-eos --temp $T --seed 1 >"$OUT/run_t$T.txt" 2>&1
  echo "temp $T: $(grep -o 'generation: [0-9]* tokens, [0-9.]* tok/s' "$OUT/run_t$T.txt")"
done
step done
