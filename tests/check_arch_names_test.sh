#!/bin/sh
# check_arch_names_test.sh — tools/check_arch_names.sh must pass on the tree
# and fail on a scratch copy where a file outside src/model/arch/ names a
# tensor (GGUF or Hugging Face style, whole or a distinctive part) or an
# architecture (GGUF name, model_type, class, a variant such as qwen3_moe);
# what it allows (prose, preset names, tokenizer names in src/text/) passes,
# and descriptors it cannot read fail the check rather than empty it.
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
sh "$src/tools/check_arch_names.sh" "$src" || { echo "FAIL: the tree names tensors outside src/model/arch/"; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/t"; cp -R "$src/src" "$src/include" "$src/tools" "$tmp/t/"
check() {  # check FILE LINE: add LINE to FILE of the copy, run the check (its output in $out), restore FILE
  printf '%s\n' "$2" >> "$tmp/t/$1"
  r=0; out=$(sh "$tmp/t/tools/check_arch_names.sh" "$tmp/t" 2>&1) || r=$?
  cp "$src/$1" "$tmp/t/$1"
  return $r
}
plant() {  # plant FILE LINE: expect the check to fail naming FILE
  if check "$1" "$2"; then echo "FAIL: not caught: $1 <- $2"; exit 1; fi
  case $out in *"$1"*) echo "ok: caught $1 <- $2" ;; *) echo "FAIL: message does not name $1: $out"; exit 1 ;; esac
}
allowed() {  # allowed FILE LINE: expect the check to pass
  if check "$1" "$2"; then echo "ok: allowed $1 <- $2"; else echo "FAIL: flagged: $1 <- $2: $out"; exit 1; fi
}
plant src/model/weights.c 'static const char *n = "blk.%u.attn_q.weight";'
plant src/model/hf_folder.c 'static const char *n = "model.layers.0.self_attn.q_proj.weight";'
plant src/format/hf_config.c 'static const char *c = "Qwen2ForCausalLM";'
# an audit's plants (issue 27), each passed by the hand-written list this check replaced
plant src/model/weights.c 'static const char *a = "smollm3";'
plant src/model/weights.c 'static const char *a = "qwen3_moe";'
plant src/model/weights.c 'static const char *t = "rope_freqs.weight";'
plant src/model/weights.c 'static const char *t = "model.norm.weight";'
plant src/model/weights.c 'static const char *t = "q_proj";'
plant src/model/weights.c 'static const char *a = "Qwen3";'
plant include/foundry/model.h 'static const char *t = "blk.%d.ffn_up.weight";'
plant src/text/tok.h 'static const char *t = "lm_head";'
allowed src/cli/model_args.c 'static const char *p = "qwen3-tiny";'
allowed src/model/weights.c 'static const char *m = "%s: a Qwen2 layer"; /* "qwen3" */'
allowed src/text/tok.h 'static const char *m = "llama";'
allowed src/ops/qkv/rows.c 'static const char *k = "attn_qkv";'
# descriptors that do not read fail the check
rm "$tmp/t"/src/model/arch/*.c
if out=$(sh "$tmp/t/tools/check_arch_names.sh" "$tmp/t" 2>&1); then echo "FAIL: passed without descriptors"; exit 1; fi
case $out in *"did not read as descriptors"*) echo "ok: no descriptors, no pass" ;; *) echo "FAIL: $out"; exit 1 ;; esac
