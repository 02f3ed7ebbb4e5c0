# budget.sh — sourced by the one-call GPU scripts (last.sh, close.sh, final.sh, splits.sh, chunk.sh, diag.sh, decode_ab.sh, persist_ab.sh): a wall budget of
# LIMIT seconds (default $1) from now, each step capped by what is left, and this tree's build.
#   . tools/gpu/budget.sh DEFAULT_LIMIT
ROOT=$(pwd); END=$(( $(date +%s) + ${LIMIT:-$1} ))
export FOUNDRY_CACHE_DIR=/tmp/fdcache SRC=$ROOT/.dev/peer/llama-src.tar.xz
left() { echo $(( END - $(date +%s) )); }
# cap N: N seconds, or what is left less 10 (at least 1)
cap() { local l=$(( $(left) - 10 )); [ $l -lt $1 ] && echo $(( l > 1 ? l : 1 )) || echo $1; }
step() { echo "=== $* ($(date +%T), $(left) s left)"; }
# logs DIR NAME: this script's logs in OUT/DIR (the folder in L), handed back as OUT/NAME.tgz on exit, whatever
# happened
logs() { L=$OUT/$1; mkdir -p "$L"; trap "tar czf '$OUT/$2.tgz' -C '$OUT' '$1' 2>/dev/null" EXIT; }
# build_gpu LOG: this tree into build-gpu (.dev/deps), then the card's name; 1 with the errors on failure
build_gpu() {
  cmake -S . -B build-gpu -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$ROOT/.dev/deps" >$1 2>&1 &&
    cmake --build build-gpu -j 16 >>$1 2>&1 || { grep -E "error" $1 | head -20; return 1; }
  nvidia-smi --query-gpu=name,memory.total --format=csv,noheader | tee $(dirname $1)/card.txt
}
# bg_files LOGDIR DTYPE...: our writer's Qwen2.5-0.5B files of those dtypes, /tmp/q/DTYPE.gguf, made in the
# background (then /tmp/q/done); wait_files: until they are there, while time is left
bg_files() {
  local l=$1; shift; mkdir -p /tmp/q
  ( for d in "$@"; do
      build-gpu/bench_make_gguf qwen2.5-0.5b $d /tmp/q/$d.gguf .dev/shared/models/qwen2.5-0.5b-instruct-shape/tokenizer.json \
        >>$l/make_gguf.log 2>&1
    done; touch /tmp/q/done ) &
}
wait_files() { while [ ! -f /tmp/q/done ] && [ $(left) -gt 30 ]; do sleep 1; done; }
# bg_old LOGDIR: the old tree (.dev/old) built into build-old in the background; its pid in OLD
bg_old() {
  ( cmake -S .dev/old -B build-old -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$ROOT/.dev/deps" >$1/build_old.log 2>&1 &&
    cmake --build build-old -j 6 --target foundry >>$1/build_old.log 2>&1 ) &
  OLD=$!
}
