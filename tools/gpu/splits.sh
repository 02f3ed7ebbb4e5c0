#!/bin/bash
# splits.sh — times decode attention's context splits on the GPU machine, for the choice in
# fd_attn_decode_splits: bench_attention at each count, then foundry bench (tg128 at depths 0 and 4096) of our
# writer's Qwen2.5-0.5B files with the state's count forced through FOUNDRY_ATTN_SPLITS, beside the old tree
# (.dev/old, built into build-old) on the same files. Needs build-gpu built; writes OUT/splits.tgz.
#   SPLITS="66 32 16 8" LIMIT=300 tools/gpu/splits.sh OUT
set -u
OUT=${1:?usage: splits.sh OUT}
. "$(dirname "$0")/budget.sh" 300
logs s splits
S=${SPLITS:-66 32 16 8}
mkdir -p /tmp/q
[ -x build-old/foundry ] || ( cmake -S .dev/old -B build-old -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$ROOT/.dev/deps" \
  >$L/build_old.log 2>&1 && cmake --build build-old -j 8 --target foundry >>$L/build_old.log 2>&1 ) &
old=$!
for d in f16 q8_0; do
  g=/tmp/q/qwen2.5-0.5b-$d.gguf
  [ -f $g ] || build-gpu/bench_make_gguf qwen2.5-0.5b $d $g .dev/shared/models/qwen2.5-0.5b-instruct-shape/tokenizer.json \
    >>$L/make_gguf.log 2>&1
done
step bench_attention, splits: the default and $S
FOUNDRY_ATTN_SPLITS="$S" timeout $(cap 90) build-gpu/bench_attention --quick >$L/attention.jsonl 2>&1
grep attn_decode $L/attention.jsonl | sed 's/"case":"attn_decode",//; s/"fraction_of_copy_bw"/frac/'
bench() {  # bench BIN FILE SPLITS
  echo "-- $(basename $1 | sed 's/foundry//')$(dirname $1) $(basename $2) splits ${3:-default}"
  FOUNDRY_ATTN_SPLITS=${3:-} timeout $(cap 45) $1 bench -m $2 -p 512 -n 128 -r 3 -d 0,4096 2>&1 | grep -E "tg128"
}
step foundry bench tg128
for s in "" $S; do bench build-gpu/foundry /tmp/q/qwen2.5-0.5b-f16.gguf $s; done
wait $old; [ -x build-old/foundry ] && for d in f16 q8_0; do bench build-old/foundry /tmp/q/qwen2.5-0.5b-$d.gguf; done
for s in "" ${Q8_SPLITS:-}; do bench build-gpu/foundry /tmp/q/qwen2.5-0.5b-q8_0.gguf $s; done
step done
