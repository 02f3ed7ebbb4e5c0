#!/bin/bash
# close.sh — the architecture issues' closing GPU call (27: Qwen3; 28: Llama 3.x, SmolLM3, Mistral), one call
# that always hands its logs back (OUT/close.tgz, written on exit whatever happened):
#   LIMIT=560 tools/gpu/close.sh OUT      (repository root on the GPU machine; .dev carried)
# Steps, each capped by what is left of LIMIT seconds:
#   build; llama.cpp's build in the background;
#   tools/parity.py for each of ARCHS (default "qwen3 llama smollm3 mistral") in parallel, in the background:
#     random checkpoints by transformers' own classes at the tiny and the real shape (bf16), q8_0 / q4_0 by
#     `foundry convert`, and llama.cpp's converter's f16 GGUF of the real shape (the RoPE pairing check);
#     CPU / CUDA decode / CUDA prefill against transformers' logits;
#   EXTRA (a shell command, optional) while they run — further GPU tests;
#   then foundry bench and llama-bench on llama.cpp's own GGUFs of the real shapes: f16 as converted and
#     q8_0 / q4_k_m by llama-quantize (QUANTS), tg128 and pp512.
set -u
OUT=${1:?usage: close.sh OUT}
. "$(dirname "$0")/budget.sh" 560
logs c close
LL=$ROOT/.dev/shared/tools/peer/device_llama.sh
step build
build_gpu $L/build.log || exit 1
mkdir -p /tmp/llama
[ -x /tmp/llama/b/bin/llama-bench ] || ( bash $LL build >$L/llama_build.log 2>&1 ) &
llb=$!
step parity "${ARCHS:=qwen3 llama smollm3 mistral}"
pids=""
for a in $ARCHS; do
  ( PYTHONUNBUFFERED=1 OMP_NUM_THREADS=4 timeout $(cap ${PARITY_S:-400}) python3 tools/parity.py build-gpu/foundry $L/p_$a \
      --arch $a --llama-convert $LL >$L/parity_$a.txt 2>&1 ) &
  pids="$pids $!"
done
if [ -n "${EXTRA:-}" ]; then step extra; timeout $(cap 200) bash -c "$EXTRA" >$L/extra.log 2>&1; tail -c 3000 $L/extra.log; fi
wait $pids
for a in $ARCHS; do echo "-- $a"; sed -n '/^| case/,$p' $L/parity_$a.txt; grep -m3 -iE "error|Traceback" $L/parity_$a.txt; done
step speed on llama.cpp\'s own GGUFs
wait $llb; tail -1 $L/llama_build.log 2>/dev/null
for g in /tmp/parity_qwen3/llama-0.6b-bf16-tied-f16.gguf /tmp/parity_llama/llama-3.2-1b-bf16-tied-f16.gguf \
         /tmp/parity_smollm3/llama-3b-bf16-tied-f16.gguf /tmp/parity_mistral/llama-7b-l8-bf16-untied-f16.gguf; do
  [ -f $g ] && [ $(left) -gt 40 ] || continue
  files=$g
  for q in ${QUANTS:-q8_0 q4_k_m}; do
    [ $(left) -gt 60 ] && timeout $(cap 40) bash $LL quantize $g ${g%-f16.gguf} $q >/dev/null 2>&1 && files="$files ${g%-f16.gguf}-$q.gguf"
  done
  for f in $files; do
    [ $(left) -gt 30 ] || break
    echo "-- $(basename $f)"
    timeout $(cap 60) build-gpu/foundry bench -m $f -p 512 -n 128 -r 3 2>&1 | tee $L/bench_$(basename $f).txt | grep -E "^\| "
    [ -x /tmp/llama/b/bin/llama-bench ] && timeout $(cap 40) /tmp/llama/b/bin/llama-bench -m $f -p 512 -n 128 -r 3 -fa 1 \
      -ngl 99 -o md 2>&1 | tee $L/llama_$(basename $f).txt | grep -E "^\|"
  done
done
step done
