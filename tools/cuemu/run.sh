#!/bin/sh
# run.sh — builds and runs the CPU emulations of the attention (decode, prefill SIMT and tensor-core), the
# GEMM's tensor-core mains (Hopper: wgmma, TMA, mbarriers; mma.sync, with the f16 / bf16 and every quantized
# weight policy), RoPE,
# argmax, q/k-norm rows (qkv/rows.cuh), QKV RoPE epilogue and sampler kernels, of the int8
# GEMV contract per quantized policy, and of the persistent decode kernel with all its blocks at once
# (persist.sh, DTYPE:PRESET pairs in CUEMU_PERSIST, default "f16:tiny q8_0:tiny f16:qwen3-tiny") (see emu.h). Needs a C++17 and a C
# compiler with OpenMP; no GPU, no CUDA. The references of the sampler, the
# quantized GEMM policies and the persistent kernel are the library's (FD_LIB,
# default build/libfoundry.a; their cases are skipped, saying so, without one).
#   tools/cuemu/run.sh       exit 0 if every case matches its reference
#   CUEMU_PAGES="32 128" tools/cuemu/run.sh   also decode and prefill with those page sizes
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src=$here/../../src
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
rc=0
for t in decode prefill argmax rope qkv_norm qkv_epi; do
  ${CXX:-g++} -O1 -std=c++17 -w -I"$here" -I"$src" -o "$out/$t" "$here/$t.cpp"
  "$out/$t" >"$out/$t.txt" || rc=1
  echo "$t: $(tail -n 1 "$out/$t.txt")"
  [ $rc = 0 ] || cat "$out/$t.txt"
done
# decode attention's grouped mode (a block for a kv head's query heads) from 512 positions on, not 16,384
${CXX:-g++} -O1 -std=c++17 -w -DAD_GROUP_FROM=512 -I"$here" -I"$src" -o "$out/decode_grouped" "$here/decode.cpp"
"$out/decode_grouped" >"$out/decode_grouped.txt" || rc=1
echo "decode, grouped from 512 positions: $(tail -n 1 "$out/decode_grouped.txt")"
[ $rc = 0 ] || cat "$out/decode_grouped.txt"
# the tensor-core prefill (attn_prefill_mma.cuh) on an f16 and a bf16 cache
for v in f16 bf16; do
  f=""; [ $v = bf16 ] && f=-DKV_BF16
  ${CXX:-g++} -O1 -std=c++17 -w -DMMA $f -I"$here" -I"$src" -o "$out/prefill_mma_$v" "$here/prefill.cpp"
  "$out/prefill_mma_$v" >"$out/prefill_mma_$v.txt" || rc=1
  echo "prefill on the tensor cores, $v cache: $(tail -n 1 "$out/prefill_mma_$v.txt")"
  [ $rc = 0 ] || cat "$out/prefill_mma_$v.txt"
done
# the GEMM's tensor-core mains per operand type, input stage and epilogue, against the twin in double
# (gemm.cpp): the Hopper main (main_wgmma.cuh: wgmma, TMA, mbarriers emulated in ops/gemm/wgmma.cuh here), and
# with "mma" the mma.sync main (main.cuh: cp.async, ldmatrix, mma.sync in ops/gemm/common.cuh here)
for c in "wg 0 plain store 1" "wg 0 plain bias 1" "wg 0 plain residual 1" "wg 0 plain swiglu 2" \
         "wg 0 rmsnorm store 1" "wg 0 rmsnorm swiglu 2" "wg 1 rmsnorm swiglu 2" "wg 1 plain residual 1" \
         "mma 0 rmsnorm swiglu 2" "mma 1 plain residual 1"; do
  set -- $c
  n=gemm_$1_$2_$3_$4
  ${CXX:-g++} -O1 -std=c++17 -w -I"$here" -I"$src" -DFD_GEMM_OP=$2 -DINPUT="\"ops/gemm/input_$3.cuh\"" \
    -DEPI="\"ops/gemm/epi_$4.cuh\"" -DFD_NOUT=$5 $([ "$c" = "wg 0 plain store 1" ] || echo -DQUICK) \
    $([ $1 = mma ] && echo -DMMA_SYNC) -o "$out/$n" "$here/gemm.cpp"
  "$out/$n" >"$out/$n.txt" 2>&1 || rc=1
  echo "gemm $([ $1 = mma ] && echo mma.sync || echo wgmma), $([ $2 = 1 ] && echo bf16 || echo f16) $3 $4: $(tail -n 1 "$out/$n.txt")"
  [ $rc = 0 ] || cat "$out/$n.txt"
done
# other page sizes of the paged KV cache (the library's is 64), where asked: CUEMU_PAGES="32 128"
for P in ${CUEMU_PAGES:-}; do
  for t in decode prefill; do
    ${CXX:-g++} -O1 -std=c++17 -w -DFD_KV_PAGE=$P -I"$here" -I"$src" -o "$out/${t}_p$P" "$here/$t.cpp"
    "$out/${t}_p$P" >"$out/${t}_p$P.txt" || rc=1
    echo "$t, pages of $P: $(tail -n 1 "$out/${t}_p$P.txt")"
    [ $rc = 0 ] || cat "$out/${t}_p$P.txt"
  done
done
lib=${FD_LIB:-$here/../../build/libfoundry.a}
if [ -f "$lib" ]; then
  ${CXX:-g++} -O1 -std=c++17 -w -I"$here" -I"$src" -I"$here/../../include" -o "$out/sample" "$here/sample.cpp" \
    "$lib" -lm -ldl -lpthread -fopenmp -ljansson
  "$out/sample" 10 >"$out/sample.txt" || rc=1
  echo "sample: $(tail -n 1 "$out/sample.txt")"
  [ $rc = 0 ] || cat "$out/sample.txt"
else
  echo "sample: skipped (no $lib: build the library first)"
fi
# the persistent decode kernel, all blocks at once, against the library's CPU step (persist.sh; needs the library)
if [ -f "$lib" ]; then
  for c in ${CUEMU_PERSIST:-f16:tiny q8_0:tiny f16:qwen3-tiny}; do
    d=${c%%:*} p=${c#*:}
    FD_LIB=$lib "$here/persist.sh" "$out" "$d" "$p" >"$out/persist_${d}_$p.txt" 2>&1 || rc=1
    echo "persist $p $d: $(tail -n 1 "$out/persist_${d}_$p.txt")"
    [ $rc = 0 ] || cat "$out/persist_${d}_$p.txt"
  done
else
  echo "persist: skipped (no $lib: build the library first)"
fi
inc=$here/../../include
# the quantized weight dtypes, from the one list (include/foundry/dtype.h: kinds QUANT and QREAD), as
# name:device_type pairs; every one has a GEMV and a GEMM policy
qtypes=$(sed -nE 's/^ *X\(([a-z0-9_]+),.*"(fd_[a-z0-9_]+)", *(QUANT|QREAD),.*/\1:\2/p' "$inc/foundry/dtype.h")
if [ -z "$qtypes" ]; then echo "quantized dtypes: none read from $inc/foundry/dtype.h"; rc=1; fi
# the GEMM's quantized policies (quant_policy.cuh, kquant_policy.cuh) on the mma.sync main, with the SwiGLU
# epilogue (both products' weights), against the same bytes dequantized by the library (gemm.cpp -DPOLICY)
if [ -f "$lib" ]; then
  for c in $qtypes; do
    p=${c%%:*} P=$(echo ${c%%:*} | tr a-z A-Z)
    ${CXX:-g++} -O1 -std=c++17 -w -I"$here" -I"$src" -I"$inc" -DFD_GEMM_OP=0 -DPOLICY="\"ops/gemm/policy_$p.cuh\"" \
      -DW0_T=${c#*:} -DDT=FD_$P -DINPUT="\"ops/gemm/input_plain.cuh\"" -DEPI="\"ops/gemm/epi_swiglu.cuh\"" -DFD_NOUT=2 \
      -o "$out/gemm_$p" "$here/gemm.cpp" "$lib" -lm -ldl -lpthread -fopenmp -ljansson
    "$out/gemm_$p" >"$out/gemm_$p.txt" 2>&1 || rc=1
    echo "gemm mma.sync, $p plain swiglu: $(tail -n 1 "$out/gemm_$p.txt")"
    [ $rc = 0 ] || cat "$out/gemm_$p.txt"
  done
else
  echo "gemm quantized policies: skipped (no $lib: build the library first)"
fi
# the int8 GEMV contract: device code per policy against the CPU twin (int8_ref.c, compiled as C)
for f in ops/gemv/int8_ref ops/gemv/int8_kquant base/dtype base/status base/quant_legacy base/quant_iq4 base/quant_k; do
  ${CC:-cc} -O1 -std=c11 -fopenmp -I"$inc" -I"$src" -c -o "$out/$(basename $f).o" "$src/$f.c"
done
for c in $qtypes; do
  p=${c%%:*} P=$(echo ${c%%:*} | tr a-z A-Z)
  ${CXX:-g++} -O1 -std=c++17 -w -fopenmp -I"$here" -I"$inc" -I"$src" -DPOLICY="\"ops/gemv/policy_$p.cuh\"" -DDT=FD_$P \
    -o "$out/gemv_$p" "$here/gemv.cpp" "$out/int8_ref.o" "$out/int8_kquant.o" "$out/dtype.o" "$out/status.o" \
    "$out/quant_legacy.o" "$out/quant_iq4.o" "$out/quant_k.o" -lm
  "$out/gemv_$p" >"$out/gemv_$p.txt" || rc=1
  echo "gemv $p: $(tail -n 1 "$out/gemv_$p.txt")"
  [ $rc = 0 ] || cat "$out/gemv_$p.txt"
done
exit $rc
