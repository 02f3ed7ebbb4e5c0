#!/bin/bash
# gpu_session.sh — one GPU machine session: build, every CTest (GPU tests
# included), compile-all, the GEMV benchmark of this tree and (if .dev/old
# holds an older tree) of that one on the same GPU, transformers parity of
# `foundry eval`, the tiny golden checkpoints, and the main job.
# Usage (device machine, repository root): tools/gpu_session.sh OUTDIR [STEP...]
#   steps: build compile ctest bench kbench abench ncu parity goldens templates model demo
#   (default: build ctest abench model demo parity)
# Expects .dev/deps (static PCRE2, utf8proc, Jansson: headers in include/,
# archives in lib/) and .dev/shared (the shared folder's tools/ and models/).
set -u
OUT=${1:-/tmp/out}; shift
STEPS=${*:-build ctest abench model demo parity}
mkdir -p "$OUT"
ROOT=$(pwd)
export FOUNDRY_CACHE_DIR=/tmp/fdcache
B=build-gpu
has() { case " $STEPS " in *" $1 "*) return 0 ;; esac; return 1; }
step() { echo "=== $* ($(date +%T))"; }
build_tree() {  # build_tree SRC BUILD LOG
  cmake -S "$1" -B "$2" -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$ROOT/.dev/deps" >"$3" 2>&1 &&
    cmake --build "$2" -j 16 >>"$3" 2>&1 || { grep -E "error" "$3" | head -20; return 1; }
}
if has build; then
  step build
  build_tree . $B "$OUT/build.log" || exit 1
  nvidia-smi --query-gpu=name,memory.total,clocks.max.sm --format=csv,noheader
fi
if has compile; then
  step compile-all
  ( time $B/foundry kernels --compile-all ) >"$OUT/compile.txt" 2>&1; tail -4 "$OUT/compile.txt"
  grep -E "spills +[1-9]" "$OUT/compile.txt" | head
fi
if has ctest; then
  step ctest
  (cd $B && ctest --output-on-failure -V -j 4 --timeout 150 -E kernels_compile_all ${CTEST_R:+-R "$CTEST_R"}) >"$OUT/ctest.log" 2>&1
  grep -E "tests passed|tests failed|\*\*\*Failed|Skipped|Not Run" "$OUT/ctest.log" | head -30
  grep -hE "decode graph:|greedy ids vs|profile: GPU|chi-square|overhead" "$OUT/ctest.log"
fi
if has bench; then
  step bench new
  $B/bench_gemv >"$OUT/bench_new.json" 2>"$OUT/bench_new.err"; tail -3 "$OUT/bench_new.err"
  if [ -d .dev/old/src ]; then
    step bench old
    build_tree .dev/old build-old "$OUT/build_old.log" && build-old/bench_gemv >"$OUT/bench_old.json" 2>"$OUT/bench_old.err"
  fi
  python3 - "$OUT" <<'PY'
import json, sys, os
out = sys.argv[1]
def load(n):
    p = os.path.join(out, n)
    try: return json.load(open(p))
    except Exception as e: return None
new, old = load("bench_new.json"), load("bench_old.json")
for name, d in (("new", new), ("old", old)):
    if not d: print(name, "missing"); continue
    # fraction_of_copy_bw: of the copy bandwidth bench_gemv measures (copy_Bps); older builds: of 3.0 TB/s
    print(name, "launch floor us", d.get("launch_floor_us"), "copy GB/s", d.get("copy_Bps", 3e12) / 1e9)
    for g in d["gemv"]:
        f = g.get("fraction_of_copy_bw", g.get("fraction_of_3TBps", 0))
        print("  %-5s %6dx%-5d %8.2f us %6.1f%%" % (g["dtype"], g["rows"], g["cols"], g["us"], 100 * f))
    for g in d.get("fused_vs_unfused", []): print("  ", g["case"], g["dtype"], g["fused_us"], g["unfused_us"])
PY
fi
if has kbench; then
  step kernel benchmarks
  [ -x $B/bench_gemm ] && { $B/bench_gemm >"$OUT/bench_gemm.json" 2>"$OUT/bench_gemm.err"; tail -c 2500 "$OUT/bench_gemm.json"; }
  [ -x tools/check_hmma.sh ] && tools/check_hmma.sh "$OUT" 2>&1 | tail -8
  [ -x $B/bench_attention ] && { $B/bench_attention >"$OUT/bench_attention.json" 2>&1; tail -c 1500 "$OUT/bench_attention.json"; }
fi
if has goldens; then
  step goldens
  PYTHONUNBUFFERED=1 python3 tools/parity_qwen.py $B/foundry .dev/shared "$OUT" --goldens-only >"$OUT/goldens.txt" 2>&1; tail -4 "$OUT/goldens.txt"
fi
if has templates; then
  step chat templates with transformers
  python3 tools/template_golden.py /tmp/golden_tf.jsonl --backend transformers 2>&1 | tail -2
  cmp /tmp/golden_tf.jsonl tests/data/templates/golden.jsonl && echo "template goldens: IDENTICAL to transformers" || cp /tmp/golden_tf.jsonl "$OUT/"
fi
if has model; then
  step model benchmarks
  timeout 240 $B/foundry bench --synthetic qwen2.5-0.5b --dtype f16,q8_0 -p 512 -n 128 -r ${MODEL_REPS:-5} -d 0,4096 2>&1 | tee "$OUT/bench_model.txt" | tail -14
  timeout 120 $B/foundry bench --synthetic qwen2.5-0.5b --dtype f16 -p 512 -n 128 -r 1 --profile --trace "$OUT/trace.json" 2>&1 | tail -60 > "$OUT/bench_profile.txt"
  head -60 "$OUT/bench_profile.txt"
  python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print('trace parses:', len(d['traceEvents']), 'events')" "$OUT/trace.json"
  step chat transcript
  printf 'Hello, who are you?\nTell me a story about a fox.\n/reset\nWhat is 2+2?\n' |
    timeout 120 $B/foundry chat --synthetic qwen2.5-0.5b -s "You are a helpful assistant." -n 48 --seed 1 2>&1 | tee "$OUT/chat.txt" | tail -12
fi
if has demo; then
  step demo
  timeout 120 $B/foundry demo -n 128 2>&1 | tail -8
  timeout 120 $B/foundry demo --backend cpu -n 24 2>&1 | tail -4
fi
if has abench; then
  step attention benchmark
  $B/bench_attention >"$OUT/bench_attention.json" 2>&1; cat "$OUT/bench_attention.json"
fi
if has ncu; then
  step ncu per-kernel device time
  timeout 240 ncu --metrics gpu__time_duration.sum -c ${NCU_COUNT:-700} --print-summary per-kernel \
    $B/foundry bench --synthetic qwen2.5-0.5b --dtype ${NCU_DTYPE:-f16} -p 16 -n 8 -r 1 >"$OUT/ncu.txt" 2>&1
  python3 - "$OUT/ncu.txt" <<'PY'
import sys, re
name = None
for line in open(sys.argv[1], errors="replace"):
    if line.startswith("  ") and not line.startswith("   ") and "Context" in line: name = line.split()[0]
    elif "gpu__time_duration.sum" in line and name:
        f = line.split(); print("%-48s %s min %s max %s avg %s" % (name, f[1], f[-3], f[-2], f[-1])); name = None
PY
fi
if has ncuattn; then
  step ncu attention detail
  timeout 120 ncu --section SpeedOfLight --section WarpStateStats --section LaunchStats --section Occupancy \
    --section MemoryWorkloadAnalysis -k regex:attn_decode -c 1 $B/bench_attention --quick >"$OUT/ncu_attn.txt" 2>&1
  grep -vE "^==PROF==|^\{" "$OUT/ncu_attn.txt" | head -120
fi
if has parity; then
  step parity
  PYTHONUNBUFFERED=1 timeout ${PARITY_TIMEOUT:-360} python3 tools/parity_qwen.py $B/foundry .dev/shared "$OUT" ${PARITY_ARGS:-} 2>&1 | tee "$OUT/parity.txt" | tail -16
fi
step done
