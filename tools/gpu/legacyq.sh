#!/bin/sh
# legacyq.sh — the GPU checks of the q4_1 / q5_0 / q5_1 / iq4_nl weight
# policies (issue 29): the GEMV, QKV and GEMM parity matrices and the embed
# lookup against their CPU twins (bounds in the tests' headers), and every
# kernel variant compiled for the device (no spills).
# Run from the repository root on the GPU machine after build-gpu/ is built:
#   tools/gpu/legacyq.sh OUTDIR
# Writes OUTDIR/<test>.txt and OUTDIR/compile.txt; prints each test's last
# line and the new types' lines that report an error. Exit status 1 if a
# test failed or a variant did not compile or spilled, else 0.
set -u
out=${1:?usage: tools/gpu/legacyq.sh OUTDIR}
b=${FD_BUILD:-build-gpu}   # the build folder (the lead's session builds build-gpu)
mkdir -p "$out"
rc=0
for t in test_compound test_gemm test_qkv test_tokens; do
  "$b/$t" >"$out/$t.txt" 2>&1 || rc=1
  echo "$t: $(tail -n 1 "$out/$t.txt")"
  grep -E "q4_1|q5_0|q5_1|iq4_nl" "$out/$t.txt" | grep -iE "err|fail" | grep -vE "rel err 0( |$)" | head -20
done
arch=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null | head -n 1 | tr -d .)
"$b/foundry" kernels --compile-all --arch "${arch:-90}" >"$out/compile.txt" 2>&1 || rc=1
tail -n 1 "$out/compile.txt"
if grep -E "q4_1|q5_0|q5_1|iq4_nl" "$out/compile.txt" | grep -v "spills   0 B"; then rc=1; fi
echo "legacyq: $([ $rc = 0 ] && echo ALL OK || echo FAILED)"
exit $rc
