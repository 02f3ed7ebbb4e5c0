#!/bin/sh
# make_files.sh — remakes the llama-quantize files of tests/data/quant/ and
# their expected values (see README). Run from the repository root:
#   tests/data/quant/make_files.sh LLAMA_BIN_DIR [BUILD_DIR]
# LLAMA_BIN_DIR holds llama-quantize (a CPU build of llama.cpp); BUILD_DIR
# (default build) holds bench_quant; gguf-py is .dev/gguf-py (see check_dequant.py).
set -eu
Q=$1/llama-quantize
B=${2:-build}
D=tests/data/quant
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
# A random Qwen2 (bench_quant --random: L D H KV hd F V, seed 29): rows of 256
# for the K-quants where the shape allows, and fallbacks where it does not
# (attn_output has 64 columns, ffn_down 64).
"$B/bench_quant" --random "$T/tiny_f32.gguf" 1 256 2 1 32 64 32
# The mix most files on the Hub are: Q4_K, Q6_K, the Q5_0 and Q8_0 fallbacks.
"$Q" "$T/tiny_f32.gguf" "$D/tiny_q4_k_m.gguf" Q4_K_M >"$T/log" 2>&1 || { cat "$T/log"; exit 1; }
# Every other type once, one tensor each (--tensor-type), over a Q5_K_M base.
"$Q" --tensor-type attn_q=q2_k --tensor-type attn_k=q3_k --tensor-type attn_v=iq4_xs \
     --tensor-type attn_output=iq4_nl --tensor-type ffn_gate=q5_k --tensor-type ffn_up=q4_1 \
     --tensor-type ffn_down=q5_1 --tensor-type token_embd=q6_k --tensor-type output=q5_0 \
     "$T/tiny_f32.gguf" "$D/tiny_mixed.gguf" Q5_K_M >"$T/log" 2>&1 || { cat "$T/log"; exit 1; }
# Every K-quant and IQ type in one model, by ggml's quantizers called directly (the forward-pass test's file).
/usr/bin/python3 "$D/ggml_quantize.py" "$1/libggml-base.so" "$T/tiny_f32.gguf" "$D/tiny_ggml_mix.gguf" \
    attn_q=Q2_K attn_k=Q3_K attn_v=IQ4_XS attn_output=IQ4_NL ffn_gate=Q5_K ffn_up=Q4_K ffn_down=Q5_1 \
    token_embd=Q6_K output=Q4_1
/usr/bin/python3 "$D/make_random.py" "$D/random_blocks.gguf"
/usr/bin/python3 tools/check_dequant.py "$B/bench_quant" "$D/random_blocks.gguf" "$D/tiny_q4_k_m.gguf" \
    "$D/tiny_mixed.gguf" "$D/tiny_ggml_mix.gguf" --hashes "$D/expected.tsv"
