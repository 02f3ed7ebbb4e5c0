#!/bin/bash
# model.sh — the GPU checks of issue 27 (architecture descriptors, layer plan, Qwen3), from the repository root on
# the GPU machine after build-gpu/ is built:   tools/gpu/model.sh OUTDIR
#   1. the kernel tests of this part with a GPU: test_qk_norm (FD_QKV_ROWS_NORM vs its CPU twin), test_qkv,
#      test_mixed_dtype, test_qwen_golden, test_generate, test_decode_graph
#   2. Qwen3 parity (tools/parity.py: tiny and Qwen3-0.6B shapes, bf16, q8_0 / q4_0 through foundry convert; CPU,
#      CUDA decode, CUDA prefill) + the tiny Qwen3 goldens for CI (OUTDIR/goldens_qwen3.tar.gz -> tests/data/);
#      with ../shared/tools/peer/device_llama.sh present, a llama.cpp-converted f16 GGUF of the 0.6B shape too
#   3. the Qwen2 parity table (tools/parity_qwen.py)
#   4. foundry bench --synthetic qwen3-0.6b (f16, q8_0, q4_0) and qwen2.5-0.5b (the old tree's figures to compare)
# Success: every test line "0 failed", both parity tables all "yes", the bench prints figures (no error).
set -u
OUT=${1:-/tmp/out_model}
mkdir -p "$OUT"
B=${B:-build-gpu}
SHARED=${SHARED:-../shared}
export FOUNDRY_CACHE_DIR=${FOUNDRY_CACHE_DIR:-/tmp/fdcache}
step() { echo "=== $* ($(date +%T))"; }
step tests
for t in test_qk_norm test_qkv test_mixed_dtype test_qwen_golden test_generate test_decode_graph; do
  "$B/$t" >"$OUT/$t.txt" 2>&1; echo "$t: rc $? — $(tail -n 1 "$OUT/$t.txt")"
  grep -h "rel err\|max |diff|" "$OUT/$t.txt" | head -20
done
step qwen3 parity
python3 tools/parity.py "$B/foundry" "$OUT" --arch qwen3 --goldens \
  $( [ -f "$SHARED/tools/peer/device_llama.sh" ] && echo --llama-convert "$SHARED/tools/peer/device_llama.sh" ) \
  2>&1 | tee "$OUT/parity_qwen3.txt" | sed -n '/^| case/,$p'
step qwen2 parity
python3 tools/parity_qwen.py "$B/foundry" "$SHARED" "$OUT" 2>&1 | tee "$OUT/parity_qwen2.txt" | sed -n '/^| case/,$p'
step bench
"$B/foundry" bench --synthetic qwen3-0.6b --dtype f16,q8_0,q4_0 -p 512 -n 128 -r 3 2>&1 | tee "$OUT/bench_qwen3.txt"
"$B/foundry" bench --synthetic qwen2.5-0.5b --dtype f16,q8_0,q4_0 -p 512 -n 128 -r 3 2>&1 | tee "$OUT/bench_qwen2.txt"
step done
