#!/bin/bash
# persist_ab.sh — the persistent step on a GPU (this tree built into build-gpu first): its GPU tests (teacher-forced
# parity with the first step's per-activation report, the timeline; the tensor and graph tests), then tg128 of a
# synthetic Qwen2.5-0.5B (f16, q8_0), greedy and sampled, per kernel and persistent: the weight ring as chosen
# (with the last profiled step's per-member summary); at depth 4,096 both ways, and per kernel with head_splits
# as before them and 16 splits; then persistent without the ring (rows streamed, FOUNDRY_PERSIST_SLOT=0), with 16 KiB slots,
# with 4 slots, and with 8 warps a block; the sampler's GPU tests and bench_attention's sampler lines. Logs in
# OUT/p.tgz.
#   LIMIT=480 tools/gpu/persist_ab.sh OUT        (repository root on the GPU machine; less cuts the later steps)
set -u
OUT=${1:?usage: persist_ab.sh OUT}
. "$(dirname "$0")/budget.sh" 480
logs p p
step build
build_gpu $L/build.log || exit 1
step persistent GPU tests
# 100 s: the teacher-forced test builds seven persistent kernels on a cold cache (~10 s each)
(cd build-gpu && timeout $(cap 100) ctest -j 4 --timeout 95 -R "test_persist|test_tensor|test_decode_graph|test_gemm.test_gpu_wgmma$" --output-on-failure) >$L/ctest.log 2>&1
grep -E "first step|rel max|tests passed|\*\*\*Failed|Timeout|CHECK|sample parity" $L/ctest.log | head -20
step tg128, per kernel and persistent
B="build-gpu/foundry bench --synthetic qwen2.5-0.5b --dtype f16,q8_0 -p 0 -n 128 -r 3 --sampled"
timeout $(cap 40) $B 2>&1 | tee $L/bench_pk.txt | grep -E "^\| q|error"
# 90 s: the warm-up builds the sampled and the greedy persistent kernels (cold cache) for each dtype
timeout $(cap 90) $B --persistent --profile --trace $L/trace.json 2>&1 | tee $L/bench_ps.txt |
  grep -E "^\| q|persistent|^  [a-z_]+ +[0-9]|idle|error|warning"
step the sampler: µs per call, then its GPU tests
timeout $(cap 30) build-gpu/bench_attention --quick --sample 2>&1 | tee $L/bench_sample.jsonl | grep -E '"sample"|copy'
(cd build-gpu && timeout $(cap 60) ctest --timeout 55 -R "test_sample" --output-on-failure) >$L/ctest_sample.log 2>&1
grep -E "tests passed|\*\*\*Failed|Timeout|CHECK|sample parity" $L/ctest_sample.log | head
B="build-gpu/foundry bench --synthetic qwen2.5-0.5b -p 0 -n 128 -r 3 --persistent"
echo "-- depth 4096, per kernel and persistent"
for p in --no-persistent --persistent; do
  timeout $(cap 30) ${B% --persistent} $p -d 4096 2>&1 | tee -a $L/bench_d4096.txt | grep -E "^\| q|error|warning"
done
# per kernel: head_splits as before it (= splits: 14 x 34 blocks), and 16 splits in both modes
for v in FOUNDRY_ATTN_HEAD_SPLITS=256 FOUNDRY_ATTN_SPLITS=16; do
  echo "-- $v"
  env $v timeout $(cap 30) ${B% --persistent} --no-persistent -d 4096 2>&1 | tee -a $L/bench_d4096.txt |
    grep -E "^\| q|error|warning"
done
for v in FOUNDRY_PERSIST_SLOT=0 FOUNDRY_PERSIST_SLOT=16384 FOUNDRY_PERSIST_SLOTS=4 FOUNDRY_PERSIST_WARPS=8; do
  echo "-- $v"
  f=${v#FOUNDRY_PERSIST_}   # a file name without '=' (the device hands those back)
  env $v timeout $(cap 40) $B 2>&1 | tee $L/bench_${f/=/_}.txt | grep -E "^\| q|error|warning"
done
step done
