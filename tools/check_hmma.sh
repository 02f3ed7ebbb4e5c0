#!/bin/bash
# check_hmma.sh — proves the GEMM family's tensor-core variants run on the
# tensor cores: dumps the SASS of every compiled gemm_* kernel in the kernel
# cache (CUBINs behind a 40-byte header) with cuobjdump and counts HMMA, LDSM
# (ldmatrix) and LDGSTS (cp.async) instructions. Fails if a variant with f16,
# bf16, q8_0 or q4_0 weights has no HMMA (f32 weights take the SIMT path: FFMA).
# Usage (GPU machine, after the GEMM tests or bench filled the cache):
#   FOUNDRY_CACHE_DIR=/tmp/fdcache tools/check_hmma.sh [OUTDIR]
set -u
CACHE=${FOUNDRY_CACHE_DIR:-$HOME/.cache/foundry}
OUT=${1:-/tmp}
command -v cuobjdump >/dev/null || { echo "check_hmma: no cuobjdump on PATH"; exit 2; }
python3 - "$CACHE" "$OUT" <<'PY'
import glob, os, re, subprocess, sys
cache, out = sys.argv[1], sys.argv[2]
bad = seen = 0
for f in sorted(glob.glob(os.path.join(cache, "*.cubin"))):
    b = open(f, "rb").read()
    i = b.find(b"\x7fELF")
    if i < 0: continue
    m = re.search(rb"(gemm_(?:x|rmsnorm)_[a-z0-9_]+?_tile2?_[a-z]+)\x00", b)
    if not m: continue
    name = m.group(1).decode()
    path = os.path.join(out, name + ".cubin")
    open(path, "wb").write(b[i:])
    sass = subprocess.run(["cuobjdump", "-sass", path], capture_output=True, text=True).stdout
    os.remove(path)
    n = {op: len(re.findall(r"\b" + op + r"\b", sass)) for op in ("HMMA", "LDSM", "LDGSTS", "FFMA")}
    simt = "_f32_" in name
    ok = n["FFMA"] > 0 if simt else n["HMMA"] > 0 and n["LDSM"] > 0 and n["LDGSTS"] > 0
    seen += 1
    bad += not ok
    print("%-34s HMMA %4d  LDSM %3d  LDGSTS %3d  FFMA %4d  %s" % (name, n["HMMA"], n["LDSM"], n["LDGSTS"], n["FFMA"],
          "ok" if ok else "MISSING TENSOR-CORE INSTRUCTIONS"))
    if name == "gemm_x_f16_tile_store":
        open(os.path.join(out, "gemm_x_f16_tile_store.sass"), "w").write(sass)
print("check_hmma: %d GEMM variants, %d without their instructions" % (seen, bad))
sys.exit(1 if bad or not seen else 0)
PY
