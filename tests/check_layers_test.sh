#!/bin/sh
# check_layers_test.sh — tools/check_layers.sh must pass on the tree and fail
# on a scratch copy where a base file includes a model header, a public base
# header includes a core one, and ops reaches into backend/cuda.
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
"$src/tools/check_layers.sh" "$src" || { echo "FAIL: the tree breaks the layer order"; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
plant() {  # plant FILE LINE: copy the tree, add LINE to FILE, expect the check to fail naming FILE
  rm -rf "$tmp/t"; mkdir "$tmp/t"; cp -R "$src/src" "$src/include" "$src/tools" "$tmp/t/"
  printf '%s\n' "$2" >> "$tmp/t/$1"
  if out=$("$tmp/t/tools/check_layers.sh" "$tmp/t" 2>&1); then echo "FAIL: not caught: $1 <- $2"; exit 1; fi
  case $out in *"$1"*) echo "ok: caught $1 <- $2" ;; *) echo "FAIL: message does not name $1: $out"; exit 1 ;; esac
}
plant src/base/mem.c '#include "model/model_int.h"'
plant include/foundry/status.h '#include "foundry/foundry.h"'
plant src/ops/elementwise.c '#include "backend/cuda/nvrtc.h"'
plant src/text/tokenizer.c '#include "generate/x.h"'
