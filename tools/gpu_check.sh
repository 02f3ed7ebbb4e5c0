#!/bin/bash
# gpu_check.sh — the GPU session in one script: build, every test (GPU ones
# included), the self-test, compile-all cold and warm, the GEMV benchmark,
# tokenizer golden ids from transformers, and a 0.5B-shaped random Qwen2
# checkpoint loaded from safetensors and from its converted GGUF.
# Usage (device machine): tools/gpu_check.sh OUTDIR   — expects .dev/deps
# (static PCRE2, utf8proc, Jansson) and .dev/shared (models/, tools/).
set -u
OUT=${1:-/tmp/out}
mkdir -p "$OUT"
ROOT=$(pwd)
[ -e ../shared ] || ln -s "$ROOT/.dev/shared" ../shared
export FOUNDRY_CACHE_DIR=/tmp/fdcache
step() { echo "=== $* ($(date +%T))"; }
step build
cmake -S . -B build-gpu -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$ROOT/.dev/deps" >"$OUT/build.log" 2>&1 &&
  cmake --build build-gpu -j 16 -- -k >>"$OUT/build.log" 2>&1 || grep -E "error" "$OUT/build.log" | head -20
B=build-gpu
step selftest
$B/foundry selftest 2>&1 | tee "$OUT/selftest.txt"
step compile-all cold and warm
rm -rf /tmp/fdcache
( time $B/foundry kernels --compile-all ) >"$OUT/compile_cold.txt" 2>&1; tail -4 "$OUT/compile_cold.txt"
( time $B/foundry kernels --compile-all ) >"$OUT/compile_warm.txt" 2>&1; tail -4 "$OUT/compile_warm.txt"
step tests
(cd $B && ctest --output-on-failure -V -j 8 -E kernels_compile_all) >"$OUT/ctest.log" 2>&1; tail -25 "$OUT/ctest.log"
grep -h "rel err" "$OUT/ctest.log" | sort | uniq | head -150 > "$OUT/parity.txt"; awk "{print \$NF}" "$OUT/parity.txt" | sort -g | tail -1; grep -c "rel err" "$OUT/parity.txt"; grep -h "compound vs" "$OUT/ctest.log"
step bench
$B/bench_gemv >"$OUT/bench_gemv.json" 2>&1; cat "$OUT/bench_gemv.json"
FOUNDRY_PDL=0 $B/bench_gemv >"$OUT/bench_gemv_nopdl.json" 2>&1; cat "$OUT/bench_gemv_nopdl.json"
step golden
python3 tools/tokenizer_golden.py tests/data/tokenizer/cases.json "$OUT/golden.jsonl" >"$OUT/golden.log" 2>&1; tail -3 "$OUT/golden.log"
if [ -s "$OUT/golden.jsonl" ]; then
  FD_GOLDEN="$OUT/golden.jsonl" $B/test_tokenizer_golden 2>&1 | tail -5
fi
step model
python3 .dev/shared/tools/make_random_qwen.py /tmp/q05 --ref-tokens 9707,11,1879,0,151645 --ref-out "$OUT/ref05.json" >"$OUT/make.log" 2>&1; tail -2 "$OUT/make.log"
( time $B/foundry info /tmp/q05 ) >"$OUT/info_hf.txt" 2>&1; head -30 "$OUT/info_hf.txt"; tail -3 "$OUT/info_hf.txt"
( time $B/foundry convert /tmp/q05 /tmp/q05.gguf --dtype q8_0 ) >"$OUT/convert.txt" 2>&1; tail -5 "$OUT/convert.txt"
( time $B/foundry info /tmp/q05.gguf ) >"$OUT/info_gguf.txt" 2>&1; tail -5 "$OUT/info_gguf.txt"
step done
