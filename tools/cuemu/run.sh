#!/bin/sh
# run.sh — builds and runs the CPU emulations of the attention, RoPE, argmax and
# q/k-norm rows (qkv/rows.cuh) kernels (see emu.h). Needs a C++17 compiler; no GPU, no CUDA.
#   tools/cuemu/run.sh       exit 0 if every case matches its reference
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src=$here/../../src
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
rc=0
for t in decode prefill argmax rope qkv_norm; do
  ${CXX:-g++} -O1 -std=c++17 -w -I"$here" -I"$src" -o "$out/$t" "$here/$t.cpp"
  "$out/$t" >"$out/$t.txt" || rc=1
  echo "$t: $(tail -n 1 "$out/$t.txt")"
  [ $rc = 0 ] || cat "$out/$t.txt"
done
exit $rc
