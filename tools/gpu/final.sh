#!/bin/bash
# final.sh — one GPU call for the newest kernels, by priority, each step capped by what is left of LIMIT
# seconds; OUT/final.tgz is written on exit whatever happened:
#   LIMIT=420 tools/gpu/final.sh OUT        (repository root on the GPU machine; .dev carried)
#   1. build; in the background from the start: our writer's Qwen2.5-0.5B f16 / q8_0 files (every bench below
#      reads them) and the old tree (.dev/old)
#   2. GPU tests: the persistent kernel (test_persist), the int8 GEMV against its twin (test_compound)
#   3. foundry bench --persistent against the per-kernel step (f16, q8_0)
#   4. the int8 contract's two levels against one (bench_gemv q8_0 at the gate/up and lm_head shapes, tg128 q8_0)
#   5. tg128 against the old tree (decode attention's context buckets); prefill on the mma.sync GEMM against
#      the Hopper one (FOUNDRY_WGMMA=1)
set -u
OUT=${1:?usage: final.sh OUT}
. "$(dirname "$0")/budget.sh" 420
logs f final
step build
build_gpu $L/build.log || exit 1
bg_files $L f16 q8_0
bg_old $L
# gguf D: waits (while time is left) for our writer's file of dtype D; prints its path
gguf() { wait_files; echo /tmp/q/$1.gguf; }
tg() {  # tg LABEL BIN FILE [ARGS...]: tg128 (and pp512 where ARGS say) of FILE, the table's rows
  local label=$1 bin=$2 f=$3; shift 3
  [ $(left) -gt 25 ] || { echo "-- $label: no time left"; return; }
  echo "-- $label"; timeout $(cap 30) $bin bench -m $f -r 3 "$@" 2>&1 | tee -a $L/bench.txt | grep -E "^\| /|notice|error|off"
}
step GPU tests: the persistent kernel, the int8 GEMV
(cd build-gpu && timeout $(cap 60) ctest -j 4 --timeout 55 -R "test_persist|test_compound.test_gpu_vs_plain|test_compound.test_gpu_chain" \
  --output-on-failure) >$L/ctest.log 2>&1
grep -E "tests passed|tests failed|\*\*\*Failed|Timeout|Passed" $L/ctest.log | head -12
grep -E "CHECK failed|rel max|steps|watchdog|stuck|fits|off:" $L/ctest.log | sort | uniq -c | sort -rn | head -12
step persistent decode against the per-kernel step
for d in f16 q8_0; do
  f=$(gguf $d)
  for p in --no-persistent --persistent; do tg "$d $p" build-gpu/foundry $f -p 0 -n 128 $p; done
done
step int8 activation levels: 1 against 2 '(the residual)'
for lv in 1 2; do
  for sh in 4864x896 896x4864 151936x896; do
    [ $(left) -gt 30 ] || break
    FOUNDRY_INT8_LEVELS=$lv timeout $(cap 20) build-gpu/bench_gemv --only q8_0 --shape $sh >$L/gemv_l$lv-$sh.json 2>&1
    echo "levels $lv $sh: $(grep -o '"us": [0-9.]*\|"fraction_of_copy_bw": [0-9.]*' $L/gemv_l$lv-$sh.json | head -2 | tr '\n' ' ')"
  done
  tg "q8_0 FOUNDRY_INT8_LEVELS=$lv" "env FOUNDRY_INT8_LEVELS=$lv build-gpu/foundry" $(gguf q8_0) -p 0 -n 128
done
step tg128 against the old tree, context buckets
wait $OLD
for d in f16 q8_0; do
  tg "new $d" build-gpu/foundry $(gguf $d) -p 0 -n 128 -d 0,4096
  [ -x build-old/foundry ] && tg "old $d" build-old/foundry $(gguf $d) -p 0 -n 128 -d 0,4096
done
step prefill: the mma.sync GEMM / the Hopper GEMM
for t in 0 1; do tg "FOUNDRY_WGMMA=$t" "env FOUNDRY_WGMMA=$t build-gpu/foundry" $(gguf f16) -p 512,4096 -n 0; done
step done
