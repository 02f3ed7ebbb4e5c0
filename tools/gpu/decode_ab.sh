#!/bin/bash
# decode_ab.sh — one GPU call for decode speed against the old tree (.dev/old) on the same files: the decode
# attention's GPU tests, then tg128 at depths 0 and 4,096 of our writer's Qwen2.5-0.5B f16 and q8_0 files by
# both trees, and this tree's per-kernel profile. Writes OUT/ab.tgz.
#   LIMIT=300 tools/gpu/decode_ab.sh OUT        (repository root on the GPU machine; .dev carried)
set -u
OUT=${1:?usage: decode_ab.sh OUT}
. "$(dirname "$0")/budget.sh" 300
logs a ab
step build
build_gpu $L/build.log || exit 1
bg_files $L f16 q8_0
bg_old $L
step GPU tests: decode attention, graph replay
(cd build-gpu && timeout $(cap 70) ctest -j 4 --timeout 65 -R "test_attention|test_decode_graph.test_gpu_graph_replay|test_generate.test_gpu_greedy_graph" \
  --output-on-failure) >$L/ctest.log 2>&1
grep -E "tests passed|tests failed|\*\*\*Failed|Timeout" $L/ctest.log | head -12
grep -E "CHECK failed|rel err" $L/ctest.log | sort | uniq -c | sort -rn | head -8
step tg128, this tree and the old one
wait_files
wait $OLD
for d in f16 q8_0; do
  for t in gpu old; do
    [ $(left) -gt 25 ] && [ -x build-$t/foundry ] || continue
    echo "-- $t $d"; timeout $(cap 30) build-$t/foundry bench -m /tmp/q/$d.gguf -p 0 -n 128 -r 3 -d 0,4096 2>&1 | tee -a $L/bench.txt |
      grep -E "^\| /|error"
  done
done
step profile, this tree, f16
timeout $(cap 30) build-gpu/foundry bench -m /tmp/q/f16.gguf -p 64 -n 32 -r 1 --profile >$L/prof.txt 2>&1
grep -A8 "^kernels" $L/prof.txt
step done
