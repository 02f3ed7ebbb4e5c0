#!/bin/sh
# persist.sh — builds and runs tools/cuemu/persist.cpp for one weight dtype:
# the generator (persist_lib.c, linked with the library) writes the
# persistent kernel's generated code, its inline PTX is rewritten for the CPU
# (cp.async as the copies emu.h does at once, cvta as the address itself),
# the attention's PTX helpers come from tools/cuemu/ops/attn_common.cuh, and
# the runtime follows with tools/cuemu/ops/grid_sync.cuh.
#   tools/cuemu/persist.sh OUTDIR DTYPE [PRESET]   (PRESET: tiny, Qwen2, the default; qwen3-tiny, Qwen3)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src=$here/../../src
out=$1
dt=$2
pr=${3:-tiny}
lib=${FD_LIB:-$here/../../build/libfoundry.a}
libs="-lm -ldl -lpthread -fopenmp -ljansson -lpcre2-8 -lutf8proc"
${CC:-cc} -O1 -std=c11 -DPL_MAIN -I"$here/../../include" -I"$src" -o "$out/persist_gen" "$here/persist_lib.c" "$lib" $libs
"$out/persist_gen" "$dt" "$pr" "$out/persist_body_$dt.cuh"
skip=$(wc -l < "$src/ops/attn_common.cuh")
awk -v skip="$skip" '
  skip_n > 0 { skip_n--; next }
  $0 == "/* ---- ops/attn_common.cuh */" { print "#include \"ops/attn_common.cuh\""; skip_n = skip; next }
  $0 == "#include \"ops/persist/runtime.cuh\"" { next }
  { print }' "$out/persist_body_$dt.cuh" > "$out/persist_emu_$dt.cuh"
cat "$src/ops/persist/runtime.cuh" >> "$out/persist_emu_$dt.cuh"
sed -i -e 's/asm volatile("cp\.async\.wait_[a-z_]*[ 0-9]*;" ::: "memory");/;/g' \
  -e 's/asm volatile("cvta\.to\.[a-z]*\.u64 %0, %1;" : "=l"(\([a-z_0-9]*\)) : "l"(\(.*\)));/\1 = (u64)(\2);/' \
  -e 's/asm("mov\.u32 %0, %%dynamic_smem_size;" : "=r"(n));/n = 0;/' \
  -e 's/extern __shared__ float4 fd_smem4\[\];/float4 *fd_smem4 = (float4 *)emu_dyn_smem();/' "$out/persist_emu_$dt.cuh"
if grep -n 'asm' "$out/persist_emu_$dt.cuh"; then echo "persist.sh: inline PTX left in the generated code" >&2; exit 1; fi
${CC:-cc} -O1 -std=c11 -I"$here/../../include" -I"$src" -c -o "$out/persist_lib.o" "$here/persist_lib.c"
${CXX:-g++} -O1 -std=c++17 -w -no-pie -I"$out" -I"$here" -I"$src" -DBODY="\"persist_emu_$dt.cuh\"" -DDT="\"$dt\"" -DPRESET="\"$pr\"" \
  -o "$out/persist_$dt" "$here/persist.cpp" "$out/persist_lib.o" "$lib" $libs
"$out/persist_$dt"
