#!/bin/bash
# cpu_reference.sh — GPU check of issue 26 §4 (the CPU backend rewritten with
# f32 lanes and threads): every GPU parity test compares the GPU against the
# CPU twins, so they must still pass with their stated bounds; and the CPU
# backend's own figures on the GPU host's processor (bench_cpu, and foundry
# bench --backend cpu at the 0.5B shape).
# Usage (device machine, repository root, build-gpu/ built): tools/gpu/cpu_reference.sh OUTDIR
# Success: "parity: PASS" (every listed test passed), the worst "rel err"
# printed stays within its test's bound (2e-4 GEMM, 1e-5 GEMV family), and
# the bench lines print tokens per second.
set -u
OUT=${1:-/tmp/out}
B=build-gpu
mkdir -p "$OUT"
(cd $B && ctest --output-on-failure -V -R "test_gemm|test_compound|test_qkv|test_attention|test_model|test_qwen_golden|test_decode_graph|test_generate") \
  >"$OUT/cpu_ref_ctest.log" 2>&1 && echo "parity: PASS" || { echo "parity: FAIL"; grep -E "FAIL|Failed|rel err .*>" "$OUT/cpu_ref_ctest.log" | head -20; }
grep -h "rel err" "$OUT/cpu_ref_ctest.log" | awk '{print $NF}' | sort -g | tail -1 | sed 's/^/worst rel err printed: /'
grep -h "GEMM parity\|compound vs\|top-5" "$OUT/cpu_ref_ctest.log" | head -20
$B/bench_cpu >"$OUT/bench_cpu.txt" 2>&1; cat "$OUT/bench_cpu.txt"
$B/foundry bench --synthetic qwen2.5-0.5b --backend cpu -p 64 -n 16 -r 3 --dtype f16,q8_0 2>&1 | tee "$OUT/bench_cpu_model.txt"
