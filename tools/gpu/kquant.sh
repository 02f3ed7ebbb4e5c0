#!/bin/sh
# kquant.sh — the GPU checks of the super-block weight policies (q2_k .. q6_k,
# iq4_xs; issue 29): the GEMV, QKV and GEMM parity matrices and the
# embed lookup against their CPU twins (bounds in the tests' headers), the
# CPU-only tests of the types (twin vs dequantization, tiny_q4_k_m.gguf as
# stored), tiny_q4_k_m.gguf evaluated as stored on the GPU against the CPU,
# and every kernel variant compiled for the device (spills listed).
# Run from the repository root on the GPU machine after build-gpu/ is built:
#   tools/gpu/kquant.sh OUTDIR
# Writes OUTDIR/<test>.txt, OUTDIR/{gpu,cpu}.json, OUTDIR/compile.txt; prints
# each test's last line and the new types' lines that report an error.
# Exit status 1 if a test failed, the eval differs (top-1 id at some
# position, or a top-5 logit by more than 1e-2: the int8 x of CPU and GPU
# can round a value one step apart, test_compound.c says why) or a variant
# did not compile, else 0. Spills are listed, not failed (8-12 B measured
# under NVRTC 12 in the 3-product and QKV variants at the 40-register cap).
set -u
out=${1:?usage: tools/gpu/kquant.sh OUTDIR}
b=${FD_BUILD:-build-gpu}   # the build folder (the lead's session builds build-gpu)
mkdir -p "$out"
rc=0
for t in test_compound test_gemm test_qkv test_tokens test_quant test_int8_kquant; do
  "$b/$t" >"$out/$t.txt" 2>&1 || rc=1
  echo "$t: $(tail -n 1 "$out/$t.txt")"
  grep -E "q2_k|q3_k|q4_k|q5_k|q6_k|iq4_xs" "$out/$t.txt" | grep -iE "err|fail" | grep -vE "rel err 0( |$)" | head -20
done
M=tests/data/quant/tiny_q4_k_m.gguf
T=1,7,30,2,31,5,9,12
"$b/foundry" eval -m $M --tokens $T --backend cuda --json >"$out/gpu.json" 2>"$out/gpu.err" || { echo "eval: GPU failed: $(cat "$out/gpu.err")"; rc=1; }
"$b/foundry" eval -m $M --tokens $T --backend cpu --json >"$out/cpu.json" 2>"$out/cpu.err" || { echo "eval: CPU failed"; rc=1; }
python3 - "$out/gpu.json" "$out/cpu.json" <<'PY' || rc=1
import json, sys
try:
    g, c = (json.load(open(p))["positions"] for p in sys.argv[1:3])
except Exception as e:
    print("eval: unreadable:", e); sys.exit(1)
top1 = all(a["top5_ids"][0] == b["top5_ids"][0] for a, b in zip(g, c))
diff = max(abs(x - y) for a, b in zip(g, c) for x, y in zip(a["top5_logits"], b["top5_logits"]))
ok = top1 and diff < 1e-2 and len(g) == len(c) > 0
print(f"eval tiny_q4_k_m.gguf as stored, GPU vs CPU: top-1 equal {top1}, largest top-5 logit difference {diff:.2e}: {'ok' if ok else 'FAILED'}")
sys.exit(0 if ok else 1)
PY
arch=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null | head -n 1 | tr -d .)
"$b/foundry" kernels --compile-all --arch "${arch:-90}" >"$out/compile.txt" 2>&1 || rc=1
tail -n 1 "$out/compile.txt"
grep -E "q2_k|q3_k|q4_k|q5_k|q6_k|iq4_xs" "$out/compile.txt" | grep -v "spills   0 B" | sed 's/^/spills: /'
echo "kquant: $([ $rc = 0 ] && echo ALL OK || echo FAILED)"
exit $rc
