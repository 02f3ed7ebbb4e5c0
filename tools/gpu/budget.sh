# budget.sh — sourced by the one-call GPU scripts (last.sh, close.sh, final.sh, splits.sh): a wall budget of
# LIMIT seconds (default $1) from now, each step capped by what is left, and this tree's build.
#   . tools/gpu/budget.sh DEFAULT_LIMIT
ROOT=$(pwd); END=$(( $(date +%s) + ${LIMIT:-$1} ))
export FOUNDRY_CACHE_DIR=/tmp/fdcache SRC=$ROOT/.dev/peer/llama-src.tar.xz
left() { echo $(( END - $(date +%s) )); }
# cap N: N seconds, or what is left less 10 (at least 1)
cap() { local l=$(( $(left) - 10 )); [ $l -lt $1 ] && echo $(( l > 1 ? l : 1 )) || echo $1; }
step() { echo "=== $* ($(date +%T), $(left) s left)"; }
# build_gpu LOG: this tree into build-gpu (.dev/deps), then the card's name; 1 with the errors on failure
build_gpu() {
  cmake -S . -B build-gpu -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$ROOT/.dev/deps" >$1 2>&1 &&
    cmake --build build-gpu -j 16 >>$1 2>&1 || { grep -E "error" $1 | head -20; return 1; }
  nvidia-smi --query-gpu=name,memory.total --format=csv,noheader | tee $(dirname $1)/card.txt
}
