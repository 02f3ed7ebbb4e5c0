#!/bin/bash
# diag.sh — one GPU call that looks for causes, not figures: the persistent step's wrong logits (the tiny
# model through `foundry eval`, per-kernel against persistent with 1, 2 and all blocks, then under
# compute-sanitizer) and the decode regression against the old tree (`foundry bench --profile` of both on our
# writer's Qwen2.5-0.5B f16 file: per-kernel times). Writes OUT/diag.tgz.
#   LIMIT=400 tools/gpu/diag.sh OUT        (repository root on the GPU machine; .dev carried)
set -u
OUT=${1:?usage: diag.sh OUT}
. "$(dirname "$0")/budget.sh" 400
logs d diag
step build
build_gpu $L/build.log || exit 1
bg_files $L f16
bg_old $L
T=1,2,3,4,5,6,7,8,9,10,11,12
ev() {  # ev LABEL ARGS...: top-1 id and logit per position
  echo "-- $1"; shift
  timeout $(cap 40) build-gpu/foundry eval --synthetic tiny --tokens $T --json "$@" 2>$L/ev.err | tee -a $L/eval.txt |
    python3 -c 'import json,sys; d=json.load(sys.stdin)["positions"]; print(" ".join("%d:%.4f" % (p["top5_ids"][0], p["top5_logits"][0]) for p in d))' \
    || tail -3 $L/ev.err
  grep -iE "notice|off|error" $L/ev.err | head -3
}
step the persistent step, tiny f16
ev "per-kernel" --no-persistent
for b in 1 2 ""; do FOUNDRY_PERSIST_BLOCKS=$b ev "persistent, blocks ${b:-all}" --persistent; done
ev "per-kernel q8_0" --no-persistent --dtype q8_0
FOUNDRY_PERSIST_BLOCKS=1 ev "persistent q8_0, 1 block" --persistent --dtype q8_0
step compute-sanitizer memcheck, persistent, 3 tokens
FOUNDRY_PERSIST_BLOCKS=2 timeout $(cap 100) compute-sanitizer --tool memcheck --print-limit 8 build-gpu/foundry eval \
  --synthetic tiny --tokens 1,2,3 --persistent >$L/memcheck.txt 2>&1
grep -E "ERROR SUMMARY|Invalid|at 0x|by thread|Address" $L/memcheck.txt | head -16
step profiles: this tree and the old one, f16 0.5B
wait_files
timeout $(cap 40) build-gpu/foundry bench -m /tmp/q/f16.gguf -p 64 -n 32 -r 1 --profile >$L/prof_new.txt 2>&1
wait $OLD
timeout $(cap 40) build-old/foundry bench -m /tmp/q/f16.gguf -p 64 -n 32 -r 1 --profile >$L/prof_old.txt 2>&1
for t in new old; do echo "-- $t"; grep -A16 "^kernels" $L/prof_$t.txt; grep -E "tg32|decode " $L/prof_$t.txt | head -3; done
step done
