#!/bin/sh
# fuzz.sh — builds the libFuzzer targets of tests/fuzz with clang (ASan +
# UBSan) in build-fuzz/ and runs each for SECONDS (default 30) from its seed
# corpus; new inputs go to a scratch folder, never into the repository. A
# crash, leak, sanitizer report or timeout fails the run (the input is kept
# in build-fuzz/findings/). Prints one line per target: runs, coverage.
#   tools/fuzz.sh [SECONDS] [TARGET...]
set -eu
cd "$(dirname "$0")/.."
secs=${1:-30}
[ $# -gt 0 ] && shift
CC=${CC:-clang} cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DFD_FUZZ=ON >/dev/null
cmake --build build-fuzz -j "$(nproc 2>/dev/null || echo 2)" >build-fuzz/build.log 2>&1 || { cat build-fuzz/build.log; exit 1; }
targets=${*:-$(sed -n 's/^set(FD_FUZZ_TARGETS \(.*\))$/\1/p' CMakeLists.txt)}
mkdir -p build-fuzz/findings
status=0
for t in $targets; do
  work=build-fuzz/corpus-$t
  mkdir -p "$work"
  log=build-fuzz/fuzz_$t.log
  if ASAN_OPTIONS=detect_leaks=1:protect_shadow_gap=0 build-fuzz/fuzz_"$t" -max_total_time="$secs" -timeout=10 \
       -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 -artifact_prefix=build-fuzz/findings/"$t"- \
       "$work" tests/fuzz/corpus/"$t" >"$log" 2>&1; then
    printf 'fuzz_%-15s %s\n' "$t" "$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n 1)"
  else
    status=1
    echo "fuzz_$t FAILED:"
    tail -n 40 "$log"
  fi
done
exit $status
