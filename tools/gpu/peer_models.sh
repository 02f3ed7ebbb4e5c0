#!/usr/bin/env bash
# peer_models.sh DIR SHAPE... — on the GPU machine: random-weight Qwen checkpoints made with transformers'
# own classes (.dev/shared/tools/make_random_qwen.py), written by llama.cpp's own converter as GGUF (f16,
# q8_0) and quantized by llama-quantize (q4_0 and any of $QUANTS), so Foundry and llama.cpp are measured on
# the same files. SHAPE: qwen2.5-0.5b | qwen2.5-1.5b. Waits for the peer's build (session.sh starts it) before
# quantizing. Files: DIR/SHAPE-{f16,q8_0,q4_0,...}.gguf
set -u
D=$1; shift; mkdir -p "$D"
P=.dev/shared/tools/peer/device_llama.sh
export SRC=${SRC:-.dev/peer/llama-src.tar.xz}
for s in "$@"; do
  case $s in
  qwen2.5-0.5b) args="" ;;
  qwen2.5-1.5b) args="--layers 28 --hidden 1536 --heads 12 --kv-heads 2 --ffn 8960" ;;
  *) echo "peer_models: unknown shape $s"; exit 2 ;;
  esac
  hf=$D/$s-hf
  [ -f "$hf/config.json" ] || python3 .dev/shared/tools/make_random_qwen.py "$hf" $args --dtype bf16 >"$D/$s-make.log" 2>&1 ||
    { tail -5 "$D/$s-make.log"; continue; }
  bash $P convert "$hf" "$D/$s" f16 q8_0
  while [ ! -x /tmp/llama/b/bin/llama-quantize ] && [ -f /tmp/llama/building ]; do sleep 2; done
  [ -x /tmp/llama/b/bin/llama-quantize ] && bash $P quantize "$D/$s-f16.gguf" "$D/$s" q4_0 ${QUANTS:-}
done
ls -la "$D"/*.gguf
