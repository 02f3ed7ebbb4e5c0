#!/usr/bin/env python3
"""check_dequant.py — Foundry's CPU dequantization against gguf-py's, bit for bit.

usage: tools/check_dequant.py BENCH_QUANT FILE.gguf... [--gguf-py DIR] [--hashes OUT.tsv]

BENCH_QUANT is build/bench_quant (its --dump writes every tensor Foundry reads as
f32); gguf-py is llama.cpp's Python package (default: .dev/gguf-py beside this
script's repository; `tar xJf llama-src.tar.xz ./gguf-py` there). For every tensor
of every file, gguf-py's quants.dequantize of the stored bytes must equal Foundry's
f32 bit for bit (NaN payloads included). Prints one line per file and a table of
types x tensors; exits 1 on any difference. --hashes writes, per tensor, the
64-bit FNV-1a of gguf-py's f32 bytes (the expected values tests/test_quant.c keeps).
Needs numpy (/usr/bin/python3 has it)."""
import argparse, os, subprocess, sys, tempfile
from collections import defaultdict

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def fnv1a64(data: bytes) -> int:
    h = 14695981039346656037
    for b in data:
        h = ((h ^ b) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return h


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("bench_quant")
    ap.add_argument("files", nargs="+")
    ap.add_argument("--gguf-py", default=os.path.join(HERE, "..", ".dev", "gguf-py"))
    ap.add_argument("--hashes")
    a = ap.parse_args()
    sys.path.insert(0, a.gguf_py)
    from gguf import GGUFReader, GGMLQuantizationType  # noqa: E402
    from gguf.quants import dequantize  # noqa: E402

    table = defaultdict(lambda: [0, 0])  # type -> [tensors, equal]
    hashes = []
    bad = 0
    for path in a.files:
        with tempfile.TemporaryDirectory() as d:
            r = subprocess.run([a.bench_quant, "--dump", path, d], capture_output=True, text=True)
            if r.returncode:
                print(f"{path}: bench_quant --dump failed: {r.stderr.strip()}")
                bad += 1
                continue
            index = {}
            with open(os.path.join(d, "index.tsv")) as f:
                for line in f:
                    i, name, tname, n = line.rstrip("\n").split("\t")
                    index[name] = (i, tname, int(n))
            reader = GGUFReader(path)
            n_eq = n_t = 0
            for t in reader.tensors:
                qt = GGMLQuantizationType(t.tensor_type)
                ref = np.ascontiguousarray(dequantize(t.data, qt), dtype=np.float32).reshape(-1)
                i, tname, n = index[t.name]
                ours = np.fromfile(os.path.join(d, f"{i}.f32"), dtype=np.float32)
                same = tname == qt.name and ours.size == ref.size == n and \
                    np.array_equal(ours.view(np.uint32), ref.view(np.uint32))
                table[qt.name][0] += 1
                table[qt.name][1] += same
                n_t += 1
                n_eq += same
                if not same:
                    diff = np.nonzero(ours.view(np.uint32) != ref.view(np.uint32))[0] if ours.size == ref.size else []
                    where = f"{len(diff)} values differ, first at {diff[0]}: {ours[diff[0]]!r} vs {ref[diff[0]]!r}" \
                        if len(diff) else f"sizes {ours.size} vs {ref.size}, types {tname} vs {qt.name}"
                    print(f"{path}: {t.name} ({qt.name}): {where}")
                if a.hashes:
                    hashes.append((os.path.basename(path), t.name, qt.name, fnv1a64(ref.tobytes())))
            if len(index) != n_t:
                print(f"{path}: Foundry dumped {len(index)} tensors, gguf-py read {n_t}")
                bad += 1
            print(f"{path}: {n_eq}/{n_t} tensors equal")
            bad += n_t - n_eq
    print(f"{'type':<8} {'tensors':>8} {'equal':>8}")
    for k in sorted(table):
        print(f"{k:<8} {table[k][0]:>8} {table[k][1]:>8}")
    if a.hashes:
        with open(a.hashes, "w") as f:
            for h in hashes:
                f.write(f"{h[0]}\t{h[1]}\t{h[2]}\t{h[3]:016x}\n")
    print("all equal" if not bad else f"{bad} differences")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
