#!/bin/bash
# last.sh — a session's closing GPU call in one script that always hands its logs back: everything runs
# under a wall budget (LIMIT seconds, default 500), each step capped by what is left, and OUT/last.tgz is
# written on exit whatever happened (the device tool returns only a few files: the tarball and the log).
#   tools/gpu/last.sh OUT     (repository root on the GPU machine; .dev carried)
# Steps: build; in the background llama.cpp's build and our writer's GGUF files (SHAPES x BENCH_DTYPES); the
# GPU CTest entries; bench_attention --quick and the sampler's graph figures; foundry bench on those files
# (this tree, then the old one, .dev/old, on the Qwen2 files); then, if llama.cpp built in time, foundry serve /
# llama-server (1, 8, 32 streams) and llama-bench on the same files. Env: NO_LLAMA, NO_SERVE, OLD_MIN_LEFT (200), SANITIZE, CTEST_R (the
# CTest regex), GEMV_DTYPES, BENCH_DTYPES, SHAPES (bench_make_gguf presets, the first at depths 0 and 4096 too),
# SYNTHETIC (foundry bench --synthetic: no files written, no peer), PARITY (architectures for tools/parity.py).
set -u
OUT=${1:?usage: last.sh OUT}
SHAPES=${SHAPES:-qwen2.5-0.5b}; DTYPES=${BENCH_DTYPES:-f16 q8_0 q4_0}
. "$(dirname "$0")/budget.sh" 500
logs l last
step build
build_gpu $L/build.log || exit 1
mkdir -p /tmp/llama /tmp/q
[ -d .dev/old/src ] && ( cmake -S .dev/old -B build-old -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$ROOT/.dev/deps" \
  >$L/build_old.log 2>&1 && cmake --build build-old -j 8 --target foundry >>$L/build_old.log 2>&1 ) &
[ -n "${NO_LLAMA:-}" ] || ( bash .dev/shared/tools/peer/device_llama.sh build >$L/llama_build.log 2>&1; touch /tmp/llama/done ) &
# the files, smallest shape first; a ready file is named NAME.gguf (written as NAME.part, then moved)
[ -n "${SYNTHETIC:-}" ] || ( for s in $SHAPES; do for d in $DTYPES; do
    build-gpu/bench_make_gguf $s $d /tmp/q/$s-$d.part .dev/shared/models/qwen2.5-0.5b-instruct-shape/tokenizer.json \
      >>$L/make_gguf.log 2>&1 && mv /tmp/q/$s-$d.part /tmp/q/$s-$d.gguf
  done; done; touch /tmp/q/done ) &
for a in ${PARITY:-}; do   # PARITY="qwen3 ...": tools/parity.py at the real shapes in the background (CPU-heavy)
  ( PYTHONUNBUFFERED=1 OMP_NUM_THREADS=6 timeout $(cap 480) python3 tools/parity.py build-gpu/foundry $L/p_$a --arch $a \
      --llama-convert .dev/shared/tools/peer/device_llama.sh >$L/parity_$a.txt 2>&1 ) &
done
if [ -n "${SANITIZE:-}" ]; then   # SANITIZE="test_attention:test_gpu_permuted ...": compute-sanitizer memcheck first
  step compute-sanitizer
  for t in $SANITIZE; do
    timeout $(cap 90) compute-sanitizer --tool memcheck --print-limit 4 build-gpu/${t%%:*} ${t#*:} >$L/sanitize_${t%%:*}.log 2>&1
    grep -m12 -E "Invalid|isaligned|at 0x|by thread|Address|ERROR SUMMARY|Saved host" $L/sanitize_${t%%:*}.log
  done
fi
step ctest
(cd build-gpu && timeout $(cap 150) ctest -j 6 --timeout 120 -E "kernels_compile_all" -R "${CTEST_R:-gpu|cuda|GPU|handover}" \
  --output-on-failure) >$L/ctest.log 2>&1
grep -E "tests passed|tests failed|\*\*\*Failed|Timeout|Failed" $L/ctest.log | head -20
step attention and sampler
timeout $(cap 40) build-gpu/bench_attention --quick >$L/bench_attention.jsonl 2>&1; grep -E "attn_decode|sample" $L/bench_attention.jsonl
timeout $(cap 30) build-gpu/test_sample test_gpu_graph 2>&1 | grep -E "sample V|failed"
step K-quant file as stored, GPU against CPU
M=tests/data/quant/tiny_q4_k_m.gguf; T=1,7,30,2,31,5,9,12
for be in cuda cpu; do timeout $(cap 30) build-gpu/foundry eval -m $M --tokens $T --backend $be --json >$L/kq_$be.json 2>&1; done
python3 - $L/kq_cuda.json $L/kq_cpu.json <<'PY' 2>&1 | tail -3
import json, sys
try:
    g, c = (json.load(open(f))["positions"] for f in sys.argv[1:3])
    same = sum(a["top5_ids"][0] == b["top5_ids"][0] for a, b in zip(g, c))
    worst = max(abs(x - y) for a, b in zip(g, c) for x, y in zip(a["top5_logits"], b["top5_logits"]))
    print("kquant eval tiny_q4_k_m as stored: top-1 equal at %d of %d positions, top-5 logits within %.2e" % (same, len(c), worst))
except Exception as e: print("kquant eval: unreadable:", e)
PY
step int8 GEMV per dtype
for d in ${GEMV_DTYPES-f16 q8_0 q4_0 q4_k}; do
  timeout $(cap 40) stdbuf -oL build-gpu/bench_gemv --quick --only $d >$L/gemv_$d.json 2>&1
  grep -o '"case": "[^"]*", "dtype": "[^"]*".*"cols": [0-9]*, "us": [0-9.]*\|"fraction_of_copy_bw": [0-9.]*' $L/gemv_$d.json |
    paste -d' ' - - | sed 's/"case": //; s/"dtype": //; s/"x": //; s/"rows": //; s/"cols": //; s/"us": //; s/"fraction_of_copy_bw": /frac /' | head -12
done
step foundry bench on our files
# depths 0 and 4096 at the first shape, 0 at the others
depths() { [ $1 = ${SHAPES%% *} ] && echo 0,4096 || echo 0; }
for s in $SHAPES; do for d in $DTYPES; do
  g=/tmp/q/$s-$d.gguf; m="-m $g"
  [ -n "${SYNTHETIC:-}" ] && m="--synthetic $s --dtype $d"
  while [ -z "${SYNTHETIC:-}" ] && [ ! -f $g ] && [ ! -f /tmp/q/done ] && [ $(left) -gt 60 ]; do sleep 2; done
  [ -n "${SYNTHETIC:-}" ] || [ -f $g ] || continue
  echo "-- $s $d"
  timeout $(cap 60) build-gpu/foundry bench $m -p 512 -n 128 -r 3 -d $(depths $s) 2>&1 | tee $L/bench_$s-$d.txt |
    grep -E "^\| |copy bandwidth"
done; done
if [ -x build-old/foundry ] && [ -z "${SYNTHETIC:-}" ]; then
  step the old tree on the same files
  for s in $SHAPES; do for d in $DTYPES; do
    case $s in qwen3*) continue;; esac   # issue 27's old-tree rule is about Qwen2
    [ $(left) -gt ${OLD_MIN_LEFT:-200} ] && [ -f /tmp/q/$s-$d.gguf ] || continue
    echo "-- $s $d"
    timeout $(cap 50) build-old/foundry bench -m /tmp/q/$s-$d.gguf -p 512 -n 128 -r 3 -d $(depths $s) 2>&1 |
      tee $L/bench_old_$s-$d.txt | grep -E "^\| "
  done; done
fi
step llama.cpp
while [ -z "${NO_LLAMA:-}" ] && [ ! -f /tmp/llama/done ] && [ $(left) -gt 150 ]; do sleep 2; done
tail -2 $L/llama_build.log
if [ -z "${NO_SERVE:-}" ] && [ -x /tmp/llama/b/bin/llama-server ] && [ $(left) -gt 120 ]; then
  step serve
  REQS=1 timeout $(cap 150) bash tools/gpu/serve.sh $L/serve /tmp/q/${SHAPES%% *}-q8_0.gguf /tmp/llama/b/bin 2>&1 | tail -14
fi
if [ -x /tmp/llama/b/bin/llama-bench ] && [ $(left) -gt 30 ]; then
  step llama-bench
  for s in $SHAPES; do for d in $DTYPES; do
    [ $(left) -gt 25 ] && [ -f /tmp/q/$s-$d.gguf ] || continue
    timeout $(cap 40) /tmp/llama/b/bin/llama-bench -m /tmp/q/$s-$d.gguf -p 512 -n 128 -r 3 -fa 1 -ngl 99 \
      -o md 2>&1 | tee $L/llama_$s-$d.txt | grep -E "^\|"
  done; done
fi
for a in ${PARITY:-}; do
  while pgrep -f "parity.py.*--arch $a" >/dev/null && [ $(left) -gt 15 ]; do sleep 2; done
  echo "-- parity $a"; sed -n '/^| case/,$p' $L/parity_$a.txt; grep -m3 -E "Error|Traceback" $L/parity_$a.txt
done
step done
