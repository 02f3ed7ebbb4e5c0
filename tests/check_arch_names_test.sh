#!/bin/sh
# check_arch_names_test.sh — tools/check_arch_names.sh must pass on the tree
# and fail on a scratch copy where a file outside src/model/arch/ names a
# tensor (GGUF or Hugging Face style) or an architecture class.
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
sh "$src/tools/check_arch_names.sh" "$src" || { echo "FAIL: the tree names tensors outside src/model/arch/"; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
plant() {  # plant FILE LINE: copy the tree, add LINE to FILE, expect the check to fail naming FILE
  rm -rf "$tmp/t"; mkdir "$tmp/t"; cp -R "$src/src" "$src/tools" "$tmp/t/"
  printf '%s\n' "$2" >> "$tmp/t/$1"
  if out=$(sh "$tmp/t/tools/check_arch_names.sh" "$tmp/t" 2>&1); then echo "FAIL: not caught: $1 <- $2"; exit 1; fi
  case $out in *"$1"*) echo "ok: caught $1 <- $2" ;; *) echo "FAIL: message does not name $1: $out"; exit 1 ;; esac
}
plant src/model/weights.c 'static const char *n = "blk.%u.attn_q.weight";'
plant src/model/hf_folder.c 'static const char *n = "model.layers.0.self_attn.q_proj.weight";'
plant src/format/hf_config.c 'static const char *c = "Qwen2ForCausalLM";'
