#!/bin/bash
# chunk.sh — times the prefill chunk on the GPU machine, for FD_PREFILL_CHUNK's default (src/model/device.h):
# foundry bench --synthetic at the Qwen2.5 0.5B and 1.5B shapes, pp512 and pp4096 with their time to first token,
# the state's chunk set through FOUNDRY_PREFILL_CHUNK to each of CHUNKS (each bench's summary line says the chunk
# and pool it ran with), then one table of the medians. Builds build-gpu if it is not there; writes OUT/chunk.tgz.
#   CHUNKS="256 512 1024 2048 4096" SHAPES="qwen2.5-0.5b qwen2.5-1.5b" LIMIT=420 tools/gpu/chunk.sh OUT
set -u
OUT=${1:?usage: chunk.sh OUT}
. "$(dirname "$0")/budget.sh" 420
logs c chunk
C=${CHUNKS:-256 512 1024 2048 4096}
SH=${SHAPES:-qwen2.5-0.5b qwen2.5-1.5b}
if [ ! -x build-gpu/foundry ]; then
  step build
  build_gpu $L/build.log || exit 1
fi
for m in $SH; do
  step $m: pp512 and pp4096, chunks $C
  for c in $C; do
    echo "-- $m chunk $c"
    FOUNDRY_PREFILL_CHUNK=$c timeout $(cap 60) build-gpu/foundry bench --synthetic $m -p 512,4096 -n 0 -r 3 \
      >$L/bench_$m-$c.txt 2>&1
    grep -E "^\| [^|]* \| [^|]* \| pp|prefill chunk|error|notice|warning" $L/bench_$m-$c.txt
  done
done
step medians: prompt tokens/s and time to first token
echo "| shape | chunk | pp512 t/s | TTFT 512 ms | pp4096 t/s | TTFT 4096 ms |"
echo "|---|---|---|---|---|---|"
for m in $SH; do
  for c in $C; do
    f=$L/bench_$m-$c.txt
    [ -f $f ] || continue
    # the table's columns: | model | dtype | test | t/s (median) | min | max | host us/step | copy BW | TTFT ms |
    awk -F'|' -v m=$m -v c=$c '
      function trim(s) { gsub(/^ +| +$/, "", s); return s }
      trim($4) ~ /^pp/ { t = trim($4); tps[t] = trim($5); ttft[t] = trim($10) }
      END { printf "| %s | %s | %s | %s | %s | %s |\n", m, c, tps["pp512"], ttft["pp512"], tps["pp4096"], ttft["pp4096"] }' $f
  done
done
step done
