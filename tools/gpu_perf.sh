#!/bin/bash
# gpu_perf.sh — the short GPU session for kernel work: build, the GPU parity
# tests, the GEMV benchmark with and without programmatic dependent launch,
# the q8_0 GEMV's instruction mix, and (NCU=1) Nsight Compute on it.
# Usage (device machine): [NCU=1] tools/gpu_perf.sh OUTDIR
set -u
OUT=${1:-/tmp/out}
mkdir -p "$OUT"
ROOT=$(pwd)
export FOUNDRY_CACHE_DIR=/tmp/fdcache
step() { echo "=== $* ($(date +%T))"; }
step build
cmake -S . -B build-gpu -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$ROOT/.dev/deps" >"$OUT/build.log" 2>&1 &&
  cmake --build build-gpu -j 16 >>"$OUT/build.log" 2>&1 || { grep -E "error" "$OUT/build.log" | head -20; exit 1; }
B=build-gpu
step compile-all
$B/foundry kernels --compile-all >"$OUT/compile.txt" 2>&1; tail -1 "$OUT/compile.txt"
step tests
(cd $B && ctest --output-on-failure -V -R "compile_cache|test_kernels|compound|cuda_backend" -E compile_all) >"$OUT/ctest.log" 2>&1
grep -E "tests passed|Failed|FAIL|checks," "$OUT/ctest.log" | tail -12
step bench
summ() { python3 -c '
import json,sys
d=json.load(open(sys.argv[1]))
print("pdl", d["programmatic_dependent_launch"], "launch floor us", d.get("launch_floor_us"), "copy GB/s", d["copy_Bps"] / 1e9)
for g in d["gemv"]: print("%-5s %6dx%-5d %8.2f us %5.1f%% of copy" % (g["dtype"], g["rows"], g["cols"], g["us"], 100*g["fraction_of_copy_bw"]))
for g in d["fused_vs_unfused"]: print(g["case"], g["dtype"], g["fused_us"], g["unfused_us"], g["saving_us"])
' "$1"; }
FOUNDRY_PDL=0 $B/bench_gemv >"$OUT/bench_nopdl.json" 2>"$OUT/bench_nopdl.err"; summ "$OUT/bench_nopdl.json"
$B/bench_gemv >"$OUT/bench_pdl.json" 2>"$OUT/bench_pdl.err"; summ "$OUT/bench_pdl.json"
step sass
python3 - "$OUT" <<'PY'
import glob, subprocess, sys, collections
for f in glob.glob("/tmp/fdcache/*.cubin"):
    b = open(f, "rb").read()
    if b"gemv_x_q8_0_gemv_store" not in b: continue
    i = b.find(b"\x7fELF")
    open(sys.argv[1] + "/q8.cubin", "wb").write(b[i:])
    sass = subprocess.run(["cuobjdump", "-sass", sys.argv[1] + "/q8.cubin"], capture_output=True, text=True).stdout
    open(sys.argv[1] + "/q8.sass", "w").write(sass)
    ops = collections.Counter(l.split()[1].split(".")[0] for l in sass.splitlines() if l.strip().startswith("/*") and len(l.split()) > 2 and l.split()[1][0].isupper())
    print(ops.most_common(25))
    break
PY
if [ -n "${NCU:-}" ]; then
  step ncu
  timeout 120 ncu --section SpeedOfLight --section Occupancy --section WarpStateStats --section SchedulerStats -c 1 \
    -k regex:gemv_x_q8_0_gemv_store $B/bench_gemv --only q8_0 --shape 151936x896 --quick >"$OUT/ncu_q8.txt" 2>&1
  grep -E "Duration|Throughput|Occupancy|Issued Warp|No Eligible|Registers" "$OUT/ncu_q8.txt" | head -20
fi
step done
