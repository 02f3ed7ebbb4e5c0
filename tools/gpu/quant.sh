#!/bin/sh
# quant.sh — the GPU side of the quantized types Foundry reads but has no
# kernels for yet (QCPU rows of the dtype list), on tests/data/quant/tiny_ggml_mix.gguf:
#   1. loaded as stored on the GPU: refused in one line naming a tensor and its type;
#   2. converted at load (--dtype q8_0, --dtype f16): the GPU's logits against the CPU's.
# Usage, from the repository root on the GPU machine, build-gpu/ built: tools/gpu/quant.sh OUTDIR
# Success: "refused: ok", then "q8_0: ok" and "f16: ok" (same top-1 id at every position, largest
# logit difference under 1e-3; the CPU and GPU products differ only in summation order), "PASS".
set -u
OUT=${1:-/tmp/quant}
mkdir -p "$OUT"
F=build-gpu/foundry
M=tests/data/quant/tiny_ggml_mix.gguf
T=1,7,30,2,31,5,9,12
fail=0
if $F eval -m $M --tokens $T --backend cuda >"$OUT/stored.txt" 2>&1; then
    echo "refused: FAILED (ran)"; fail=1
elif grep -q "has type .*, which Foundry has no kernels for yet" "$OUT/stored.txt"; then
    echo "refused: ok ($(tail -1 "$OUT/stored.txt"))"
else
    echo "refused: FAILED: $(cat "$OUT/stored.txt")"; fail=1
fi
for dt in q8_0 f16; do
    $F eval -m $M --tokens $T --dtype $dt --backend cuda --json >"$OUT/gpu_$dt.json" 2>"$OUT/gpu_$dt.err" || { echo "$dt: GPU run failed: $(cat "$OUT/gpu_$dt.err")"; fail=1; continue; }
    $F eval -m $M --tokens $T --dtype $dt --backend cpu --json >"$OUT/cpu_$dt.json" 2>"$OUT/cpu_$dt.err" || { echo "$dt: CPU run failed"; fail=1; continue; }
    python3 - "$OUT/gpu_$dt.json" "$OUT/cpu_$dt.json" "$dt" <<'PY' || fail=1
import json, sys
g, c = (json.load(open(p))["positions"] for p in sys.argv[1:3])
top1 = all(a["top5_ids"][0] == b["top5_ids"][0] for a, b in zip(g, c))
diff = max(abs(x - y) for a, b in zip(g, c) for x, y in zip(a["top5_logits"], b["top5_logits"]))
ok = top1 and diff < 1e-3 and len(g) == len(c) == 8
print(f"{sys.argv[3]}: {'ok' if ok else 'FAILED'} (top-1 equal: {top1}, largest top-5 logit difference {diff:.2e})")
sys.exit(0 if ok else 1)
PY
done
[ $fail = 0 ] && echo PASS || echo FAIL
exit $fail
