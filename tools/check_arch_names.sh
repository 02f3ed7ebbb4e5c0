#!/bin/sh
# check_arch_names.sh — nothing outside src/model/arch/ names a tensor or an
# architecture in code: the descriptors there are the one place (issue 27).
# What is forbidden is read from the descriptors themselves (GGUF, model_type
# and class names; every tensor name in both forms, its dotted pairs and its
# parts such as q_proj): tools/check_arch_names.awk has the rules. Checks the
# string literals of src/ and include/ (comments may mention names).
#   tools/check_arch_names.sh [ROOT]     exit 0 if clean, 1 with one line per hit
set -eu
root=${1:-$(dirname "$0")/..}
cd "$root"
# Genuine uses that are not an architecture or a tensor: PATH|TEXT|reason.
allow='src/cli/model_args.c|ggml-vocab-qwen2.gguf|the file name of the default vocabulary (tests/data/tokenizer/)
src/ops/qkv/rows.c|q_norm and k_norm|the QKV kernel'"'"'s arguments (fd_qkv_rows_norm_args), not tensor names'
arch=$(find src/model/arch -name '*.c' -o -name '*.h' | sort)
files=$(find src include -name '*.c' -o -name '*.h' -o -name '*.cuh' | grep -v '^src/model/arch/' | sort)
rc=0
# shellcheck disable=SC2086  # the lists are paths without spaces
hits=$(awk -v allow="$allow" -f tools/check_arch_names.awk $arch $files) || rc=$?
case $rc in 0) ;; 1) echo "$hits" | sed 's/$/  <- outside src\/model\/arch\//' ;; *) echo "$hits" ;; esac
exit $rc
