#!/bin/sh
# tools/gpu/examples.sh OUTDIR — the installed library on the GPU machine (issue
# 26 §3): installs build-gpu/ into OUTDIR/prefix, builds examples/ against it
# with pkg-config, runs the kernel example on CUDA (its NVRTC-compiled code
# against a double-precision loop) and the generate example on the tiny
# random-weight model (on the GPU: the foundry's AUTO backend).
# Success: "example_axpb on the GPU: 10000 values, worst relative error ... ok"
# and a "[N prompt tokens, 16 generated in ... s]" line (fewer than 16 if the
# random model hits an end-of-generation id); exit status 0.
set -eu
cd "$(dirname "$0")/../.."
OUT=${1:?usage: tools/gpu/examples.sh OUTDIR}
mkdir -p "$OUT"
BUILD=${BUILD:-build-gpu}
prefix="$(cd "$OUT" && pwd)/prefix"
cmake --install "$BUILD" --prefix "$prefix" > "$OUT/install.log"
lib=$(ls -d "$prefix"/lib*/ | head -1)
export PKG_CONFIG_PATH="${lib}pkgconfig" LD_LIBRARY_PATH="$lib"
for ex in generate kernel; do
  cc -std=c11 -Wall -Wextra -Werror examples/$ex.c $(pkg-config --cflags --libs foundry) -lm -o "$OUT/$ex"
done
"$OUT/kernel" cuda | tee "$OUT/kernel.txt"
"$OUT/generate" --tiny tests/data/tokenizer/ggml-vocab-qwen2.gguf "Once upon a time" 16 | tee "$OUT/generate.txt"
