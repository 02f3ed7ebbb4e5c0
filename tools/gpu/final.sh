#!/bin/bash
# final.sh — one GPU call for the newest kernels, by priority, each step capped by what is left of LIMIT
# seconds; OUT/final.tgz is written on exit whatever happened:
#   LIMIT=420 tools/gpu/final.sh OUT        (repository root on the GPU machine; .dev carried)
#   1. build; in the background the old tree (.dev/old), our writer's Qwen2.5-0.5B f16 / q8_0 files, and
#      llama.cpp's converter on tiny Qwen3 / Llama checkpoints (the parity scripts' converter check)
#   2. the persistent kernel's and the Hopper GEMM's GPU tests (test_persist, test_gemm's wgmma entries)
#   3. decode attention's splits (tools/gpu/splits.sh: bench_attention and tg128 at each count, the old tree)
#   4. foundry bench --persistent against the per-kernel step; the prefill on the mma.sync GEMM against the
#      Hopper one (FOUNDRY_WGMMA=1); bench_gemm --quick
set -u
OUT=${1:?usage: final.sh OUT}; mkdir -p "$OUT/f"; L=$OUT/f
. "$(dirname "$0")/budget.sh" 420
trap 'cp /tmp/c_*.log $L/ 2>/dev/null; tar czf "$OUT/final.tgz" -C "$OUT" f s 2>/dev/null' EXIT
step build
build_gpu $L/build.log || exit 1
LL=.dev/shared/tools/peer/device_llama.sh
( for a in qwen3 llama; do
    python3 tools/make_random_model.py $a /tmp/c_$a --dtype bf16 --layers 2 --vocab 151936 --hidden 256 --heads 4 \
      --kv-heads 2 --head-dim 64 --ffn 512 --ref-tokens 1,2,3 >/tmp/c_$a.log 2>&1
    bash $LL convert /tmp/c_$a /tmp/c_$a/llama f16 >>/tmp/c_$a.log 2>&1; tail -3 /tmp/c_$a/llama-f16.log >>/tmp/c_$a.log
    build-gpu/foundry eval -m /tmp/c_$a/llama-f16.gguf --tokens 1,2,3 --json 2>&1 | head -c 600 >>/tmp/c_$a.log
  done ) &
step GPU tests: the persistent kernel, the Hopper GEMM
(cd build-gpu && timeout $(cap 100) ctest -j 4 --timeout 95 -R "test_persist|test_gemm.test_gpu_wgmma|test_decode_graph.test_gpu_graph_replay|test_generate.test_gpu_greedy_graph" --output-on-failure) \
  >$L/ctest.log 2>&1
grep -E "tests passed|tests failed|\*\*\*Failed|Timeout|Failed|Passed" $L/ctest.log | head -20
grep -E "rel err|max err|wrong|mismatch|watchdog|stuck" $L/ctest.log | head -12
step decode attention splits
SPLITS=${SPLITS:-66 32 16} LIMIT=$(( $(left) - ${AFTER_SPLITS:-120} )) bash tools/gpu/splits.sh $OUT
step persistent decode against the per-kernel step
for d in f16 q8_0; do
  for p in --no-persistent --persistent; do
    [ $(left) -gt 25 ] || break
    echo "-- $d $p"; timeout $(cap 40) build-gpu/foundry bench -m /tmp/q/qwen2.5-0.5b-$d.gguf -n 128 -p 512 -r 3 $p 2>&1 |
      tee $L/bench_$d$p.txt | grep -E "^\| |notice|error"
  done
done
step prefill: the mma.sync GEMM / the Hopper GEMM
for t in 0 1; do
  [ $(left) -gt 20 ] || break
  echo "-- FOUNDRY_WGMMA=$t"; FOUNDRY_WGMMA=$t timeout $(cap 30) build-gpu/foundry bench -m /tmp/q/qwen2.5-0.5b-f16.gguf -p 512,4096 -n 0 -r 3 \
    2>&1 | grep -E "pp|error"
done
step bench_gemm
timeout $(cap 60) stdbuf -oL build-gpu/bench_gemm --quick --only f16 >$L/bench_gemm.json 2>&1
grep -E '"case"' $L/bench_gemm.json | sed 's/"kernel": "[^"]*", //; s/, "fraction_of_nominal.*//' | head -30; grep -A12 -i "layer" $L/bench_gemm.json | head -14
step converter check; wait
for a in qwen3 llama; do echo "-- $a"; tail -c 700 /tmp/c_$a.log; echo; done
step done
