#!/bin/bash
# session.sh — one GPU machine call of a session, by phase (a call must end inside the device tool's 10
# minutes): tools/gpu/session.sh OUT PHASE...
#   build    this tree into build-gpu (.dev/deps: static PCRE2, utf8proc, Jansson); llama.cpp's build starts in
#            the background (.dev/peer/llama-src.tar.xz -> /tmp/llama, kept while the machine stays warm)
#   ctest    the GPU entries of CTest (the CPU ones run in CI)
#   kernels  bench_handover (the persistent step's floor), tools/gpu/int8.sh, tools/gpu/attn.sh
#   model    tools/gpu/model.sh (Qwen3 and Qwen2 parity against transformers, the Qwen3 goldens for CI)
#   lite     final without the peer and the server (about 4 minutes)
#   final    a session's last call, each step capped to fit 10 minutes: build, the floor, the kernel
#            benchmarks, the tiny Qwen3 parity + goldens, this tree / llama.cpp at 0.5B (f16, q8_0), the server
#            against llama-server at 1, 8 and 32 streams
#   figures  the floor, the q/k norm's GPU parity, the GEMV, attention and sampler benchmarks
#   tiny     in the background: tools/parity.py --quick --goldens for qwen3, llama, smollm3 and mistral (the
#            CPU goldens for CI, beside OUT; wait for it with the phase `wait`)
#   peerq    this tree / llama.cpp on files our writer makes (build-gpu/bench_make_gguf): 0.5B f16 q8_0 q4_0,
#            Qwen3-0.6B f16 q8_0, 1.5B f16 q8_0 (PEERQ overrides "shape:dtype ..."), as far as the deadline allows
#   old      the old tree (.dev/old) built in the background into build-old (peerq then times it as "old")
#   serve    foundry serve against llama-server at 1, 8, 32 streams on our writer's 0.5B q8_0 file
#   wait     waits for the background parity runs and prints their tables
#   peer     the old tree (.dev/old) built too; random Qwen checkpoints written by llama.cpp's converter and
#            quantizer (tools/gpu/peer_models.sh); tools/gpu/peer_bench.py old / new / llama.cpp; tools/gpu/serve.sh
# Everything lands under OUT (tar it: the device tool brings back 8 files).
set -u
OUT=${1:?usage: session.sh OUT PHASE...}; shift
mkdir -p "$OUT"
ROOT=$(pwd)
export FOUNDRY_CACHE_DIR=/tmp/fdcache SRC=$ROOT/.dev/peer/llama-src.tar.xz
# Every call ends by DEADLINE (default: 570 s from now): cap N gives min(N, seconds left - 15).
DEADLINE=${DEADLINE:-$(( $(date +%s) + 570 ))}
cap() { local l=$(( DEADLINE - $(date +%s) - 15 )); [ $l -lt $1 ] && echo $(( l > 1 ? l : 1 )) || echo $1; }
step() { echo "=== $* ($(date +%T))"; }
build_tree() {  # build_tree SRC BUILD LOG
  cmake -S "$1" -B "$2" -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$ROOT/.dev/deps" >"$3" 2>&1 &&
    cmake --build "$2" -j 12 >>"$3" 2>&1 || { grep -E "error" "$3" | head -20; return 1; }
}
llama_build() {  # in the background, once per machine
  [ -x /tmp/llama/b/bin/llama-server ] || [ -f /tmp/llama/building ] && return 0
  mkdir -p /tmp/llama && touch /tmp/llama/building
  ( bash .dev/shared/tools/peer/device_llama.sh build >/tmp/llama/build.out 2>&1; rm -f /tmp/llama/building ) &
}
llama_wait() { while [ -f /tmp/llama/building ]; do sleep 2; done; tail -2 /tmp/llama/build.out; }
qwen3_parity() {  # in the background: the tiny Qwen3 parity and the CI goldens (copied beside OUT)
  ( PYTHONUNBUFFERED=1 timeout 150 python3 tools/parity.py build-gpu/foundry "$OUT" --arch qwen3 --quick --goldens \
      >"$OUT/parity_qwen3.txt" 2>&1; cp "$OUT"/goldens_*.tar.gz "$OUT/.." 2>/dev/null ) &
  par=$!
}
kernel_figures() {  # the floor, the q/k norm's GPU parity, the GEMV, attention and sampler benchmarks
  step floor; timeout 40 build-gpu/bench_handover >"$OUT/handover.json" 2>&1; grep -E "us_per|qwen2.5-0.5b|qwen2.5-1.5b" "$OUT/handover.json"
  step qk_norm; timeout 30 build-gpu/test_qk_norm test_gpu_parity 2>&1 | tail -5
  step bench_gemv; timeout 120 build-gpu/bench_gemv >"$OUT/bench_gemv.json" 2>"$OUT/bench_gemv.err"; tail -2 "$OUT/bench_gemv.err"
  step attention; timeout 40 build-gpu/bench_attention --quick >"$OUT/bench_attention.jsonl" 2>&1; tail -c 1200 "$OUT/bench_attention.jsonl"
  step sampler; timeout 30 build-gpu/test_sample test_gpu_graph 2>&1 | grep -E "sample V|failed"
}
for phase in "$@"; do
  case $phase in
  build)
    step build; llama_build
    build_tree . build-gpu "$OUT/build.log" || exit 1
    nvidia-smi --query-gpu=name,memory.total,clocks.max.sm --format=csv,noheader | tee "$OUT/card.txt";;
  ctest)
    step ctest
    (cd build-gpu && timeout $(cap 400) ctest -j 4 --timeout 200 -E "kernels_compile_all" -R "gpu|cuda|GPU|handover" \
      --output-on-failure) >"$OUT/ctest.log" 2>&1
    grep -E "tests passed|tests failed|\*\*\*Failed|Timeout" "$OUT/ctest.log" | head -20;;
  kernels)
    step handover floor; build-gpu/bench_handover >"$OUT/handover.json" 2>&1; head -40 "$OUT/handover.json"
    step int8; mkdir -p "$OUT/int8"; timeout 240 bash tools/gpu/int8.sh "$OUT/int8" 2>&1 | tail -40
    step attn; mkdir -p "$OUT/attn"; timeout 200 bash tools/gpu/attn.sh "$OUT/attn" 2>&1 | tail -60;;
  model)
    step model; mkdir -p "$OUT/model"; SHARED=.dev/shared timeout 560 bash tools/gpu/model.sh "$OUT/model" 2>&1 | tail -80;;
  peer)
    step peer; llama_build
    [ -d .dev/old/src ] && { build_tree .dev/old build-old "$OUT/build_old.log" & }
    M=/tmp/m; bash tools/gpu/peer_models.sh $M ${PEER_SHAPES:-qwen2.5-0.5b qwen2.5-1.5b} 2>&1 | tail -12
    wait; llama_wait
    files=$(ls $M/*.gguf 2>/dev/null)
    FOUNDRY="new=build-gpu/foundry old=build-old/foundry" REPS=${REPS:-3} python3 tools/gpu/peer_bench.py "$OUT" $files 2>&1 |
      tee "$OUT/peer_bench.txt" | sed -n '/^| file/,$p'
    if [ -f tools/gpu/serve.sh ] && [ -f $M/qwen2.5-0.5b-q8_0.gguf ]; then
      step serve; mkdir -p "$OUT/serve"
      timeout 240 bash tools/gpu/serve.sh "$OUT/serve" $M/qwen2.5-0.5b-q8_0.gguf /tmp/llama/b/bin 2>&1 | tail -30
    fi;;
  final)
    M=/tmp/m; mkdir -p $M
    step final: llama.cpp builds and a 0.5B checkpoint converts in the background while this tree builds; llama_build
    ( [ -f $M/qwen2.5-0.5b-hf/config.json ] || python3 .dev/shared/tools/make_random_qwen.py $M/qwen2.5-0.5b-hf --dtype bf16 \
        >$M/make.log 2>&1; bash .dev/shared/tools/peer/device_llama.sh convert $M/qwen2.5-0.5b-hf $M/qwen2.5-0.5b f16 q8_0 ) \
      >"$OUT/convert.log" 2>&1 &
    conv=$!
    build_tree . build-gpu "$OUT/build.log" || exit 1
    nvidia-smi --query-gpu=name,memory.total,clocks.max.sm --format=csv,noheader | tee "$OUT/card.txt"
    qwen3_parity
    kernel_figures
    step sampled vs greedy
    P=$(python3 -c 'print(" ".join(["The quick brown fox jumps over the lazy dog."] * 40))')
    for T in 0.8 0; do
      timeout 30 build-gpu/foundry run --synthetic qwen2.5-0.5b -p "$P" -n 256 --ignore-eos --temp $T --seed 1 >"$OUT/run_t$T.txt" 2>&1
      echo "temp $T: $(grep -o 'prompt: .*' "$OUT/run_t$T.txt")"
    done
    step qwen3 parity; wait $par; tail -8 "$OUT/parity_qwen3.txt"
    step serve; wait $conv; tail -2 "$OUT/convert.log"; llama_wait; mkdir -p "$OUT/serve"
    REQS=1 timeout 150 bash tools/gpu/serve.sh "$OUT/serve" $M/qwen2.5-0.5b-q8_0.gguf /tmp/llama/b/bin 2>&1 | tail -14
    step peer
    REPS=2 timeout 90 python3 tools/gpu/peer_bench.py "$OUT" $M/qwen2.5-0.5b-f16.gguf $M/qwen2.5-0.5b-q8_0.gguf \
      >"$OUT/peer_bench.txt" 2>&1; sed -n '/^| file/,$p' "$OUT/peer_bench.txt"
    ;;
  lite)   # the kernels' figures and the Qwen3 goldens, no peer: for a call of about 4 minutes
    build_tree . build-gpu "$OUT/build.log" || exit 1
    nvidia-smi --query-gpu=name,memory.total,clocks.max.sm --format=csv,noheader | tee "$OUT/card.txt"
    qwen3_parity
    kernel_figures
    step qwen3 parity; wait $par; tail -8 "$OUT/parity_qwen3.txt";;
  figures) kernel_figures;;
  old)   # in the background: the old tree (.dev/old) into build-old; peerq then times it too
    llama_build; [ -d .dev/old/src ] && { build_tree .dev/old build-old "$OUT/build_old.log" & oldb=$!; };;
  serve)   # foundry serve / llama-server at 1, 8, 32 streams on our writer's 0.5B q8_0 file
    step serve; g=/tmp/q/qwen2.5-0.5b-q8_0.gguf; mkdir -p /tmp/q "$OUT/serve"
    [ -f $g ] || build-gpu/bench_make_gguf qwen2.5-0.5b q8_0 $g .dev/shared/models/qwen2.5-0.5b-instruct-shape/tokenizer.json >/dev/null
    llama_wait; REQS=${REQS:-1} timeout $(cap 200) bash tools/gpu/serve.sh "$OUT/serve" $g /tmp/llama/b/bin 2>&1 | tail -14;;
  tiny)
    tiny=""
    for a in qwen3 llama smollm3 mistral; do
      ( PYTHONUNBUFFERED=1 timeout $(cap 300) python3 tools/parity.py build-gpu/foundry "$OUT/tiny_$a" --arch $a --quick \
          --goldens >"$OUT/parity_tiny_$a.txt" 2>&1
        cp "$OUT/tiny_$a"/goldens_*.tar.gz "$OUT/.." 2>/dev/null ) &
      tiny="$tiny $!"
    done;;
  wait)
    step wait; [ -n "${tiny:-}" ] && wait $tiny
    for f in "$OUT"/parity_tiny_*.txt; do echo "-- $f"; sed -n '/^| case/,$p' "$f"; tail -3 "$f"; done;;
  peerq)
    step peerq; M=/tmp/q; mkdir -p $M; files=""
    for sd in ${PEERQ:-qwen2.5-0.5b:f16 qwen2.5-0.5b:q8_0 qwen2.5-0.5b:q4_0 qwen3-0.6b:f16 qwen3-0.6b:q8_0 \
                qwen2.5-1.5b:f16 qwen2.5-1.5b:q8_0}; do
      g=$M/${sd%%:*}-${sd##*:}.gguf
      [ -f $g ] || timeout $(cap 60) build-gpu/bench_make_gguf ${sd%%:*} ${sd##*:} $g \
        .dev/shared/models/qwen2.5-0.5b-instruct-shape/tokenizer.json >/dev/null || continue
      files="$files $g"
    done
    llama_wait
    [ -n "${oldb:-}" ] && { wait $oldb; oldb=""; }
    FOUNDRY="new=build-gpu/foundry old=build-old/foundry" REPS=${REPS:-2} timeout $(cap 400) python3 tools/gpu/peer_bench.py "$OUT" $files \
      >"$OUT/peer_bench.txt" 2>&1; grep -q '^| file' "$OUT/peer_bench.txt" && sed -n '/^| file/,$p' "$OUT/peer_bench.txt" ||
      tail -c 3000 "$OUT/peer_bench.txt";;
  *) echo "unknown phase $phase"; exit 2;;
  esac
done
step done
