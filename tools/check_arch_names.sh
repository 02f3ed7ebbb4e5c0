#!/bin/sh
# check_arch_names.sh — nothing outside src/model/arch/ names a tensor or an
# architecture in code: the descriptors there are the one place (issue 27).
# Looks at string literals of src/ (comments may mention names); src/text/
# is left out (tokenizer.ggml.pre names pre-tokenizers, a namespace of its own).
#   tools/check_arch_names.sh [ROOT]     exit 0 if clean, 1 with one line per hit
set -eu
root=${1:-$(dirname "$0")/..}
cd "$root"
pat='"[^"]*(blk\.|token_embd|output_norm|output\.weight|attn_(q|k|v|output|norm)|ffn_(gate|up|down|norm)|self_attn|mlp\.|model\.layers|embed_tokens|lm_head|ForCausalLM)[^"]*"'
hits=$(find src -name '*.c' -o -name '*.h' | grep -v '^src/model/arch/' | grep -v '^src/text/' | sort |
  xargs grep -nE "$pat|\"(qwen[0-9]|llama|mistral)\"" 2>/dev/null | grep -vE '^[^:]*:[0-9]+:[[:space:]]*(/?\*|//)' || true)
if [ -n "$hits" ]; then
  echo "$hits" | sed 's/$/  <- names a tensor or an architecture outside src\/model\/arch\//'
  exit 1
fi
exit 0
