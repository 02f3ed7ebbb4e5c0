#!/bin/bash
# arch28.sh — the GPU checks and figures of issue 28 (Llama 3.x, SmolLM3, Mistral), from the repository root on
# the GPU machine after build-gpu/ is built:   tools/gpu/arch28.sh OUTDIR
#   1. test_arch_llama (CPU math; HF folder / llama.cpp-layout GGUF / our GGUF against a double reference)
#   2. parity against transformers (tools/parity.py --arch llama|smollm3|mistral): tiny, real shape in bf16
#      (Llama-3.2-1B, SmolLM3-3B; Mistral-7B at 8 layers), q8_0 / q4_0 GGUFs by `foundry convert` (our writer,
#      q/k rows permuted as llama.cpp does), CPU / CUDA decode / CUDA prefill; with SRC set (llama-src.tar.xz)
#      and ../shared/tools/peer/device_llama.sh, llama.cpp's converter's f16 GGUF of the real shape too (the
#      pairing check: its q/k rows are permuted by llama.cpp itself); the tiny goldens tarballs for CI
#   3. foundry bench --synthetic llama3.2-1b, smollm3-3b, llama3.1-8b, mistral-7b (f16, q8_0, q4_0)
#   4. with llama.cpp built (/tmp/llama/b/bin/llama-bench: `SRC=... device_llama.sh build`), tg128 / pp512 of
#      foundry and llama-bench on the same llama.cpp-converted f16 GGUFs (Llama-3.2-1B, SmolLM3-3B shapes)
# Success: test_arch_llama "0 failed"; every parity table row "yes"; the benches print figures, no error.
set -u
OUT=${1:-/tmp/out_arch28}
mkdir -p "$OUT"
B=${B:-build-gpu}
SHARED=${SHARED:-../shared}
LL="$SHARED/tools/peer/device_llama.sh"
export FOUNDRY_CACHE_DIR=${FOUNDRY_CACHE_DIR:-/tmp/fdcache}
step() { echo "=== $* ($(date +%T))"; }
step test_arch_llama
"$B/test_arch_llama" >"$OUT/test_arch_llama.txt" 2>&1; echo "rc $? — $(tail -n 1 "$OUT/test_arch_llama.txt")"
for a in llama smollm3 mistral; do
  step "$a parity"
  conv=""
  [ -f "$LL" ] && [ -n "${SRC:-}" ] && conv="--llama-convert $LL"
  timeout 900 python3 tools/parity.py "$B/foundry" "$OUT" --arch $a --goldens $conv 2>&1 | tee "$OUT/parity_$a.txt" |
    sed -n '/^| case/,$p'
done
step bench synthetic
for p in llama3.2-1b smollm3-3b llama3.1-8b mistral-7b; do
  "$B/foundry" bench --synthetic $p --dtype f16,q8_0,q4_0 -p 512 -n 128 -r 3 2>&1 | tee "$OUT/bench_$p.txt" | grep "^|"
done
if [ -x /tmp/llama/b/bin/llama-bench ] && [ -f "$LL" ]; then
  step "foundry vs llama.cpp on the same GGUF"
  for pair in "llama 3.2-1b-bf16-tied" "smollm3 3b-bf16-tied"; do
    set -- $pair
    g=/tmp/parity_$1/llama-$2-f16.gguf
    [ -f "$g" ] || bash "$LL" convert /tmp/parity_$1/$2 /tmp/parity_$1/llama-$2 f16
    [ -f "$g" ] || { echo "no $g"; continue; }
    echo "-- $1 ($g)"
    "$B/foundry" bench -m "$g" -p 512 -n 128 -r 3 2>&1 | grep "^|"
    bash "$LL" bench "$g" -p 512 -n 128 -r 3 2>&1 | python3 -c '
import json, sys
for l in sys.stdin:
    try: d = json.loads(l)
    except ValueError: continue
    print("llama.cpp n_prompt %s n_gen %s: %.1f t/s" % (d.get("n_prompt"), d.get("n_gen"), d.get("avg_ts", 0)))'
  done
fi
step done
