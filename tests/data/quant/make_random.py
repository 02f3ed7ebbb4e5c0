#!/usr/bin/env python3
"""make_random.py — tests/data/quant/random_blocks.gguf: 4 x 512 random bytes
blocks of every quantized type Foundry reads, written with gguf-py (so every
bit pattern of scales, mins and high bits occurs, beyond what a quantizer
makes). f16 fields stay finite: every byte at an odd offset has bit 6 clear
(every type's blocks have even sizes and their f16 fields even offsets).

usage: /usr/bin/python3 tests/data/quant/make_random.py OUT.gguf [GGUF_PY_DIR]"""
import os, sys
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, sys.argv[2] if len(sys.argv) > 2 else os.path.join(HERE, "..", "..", "..", ".dev", "gguf-py"))
from gguf import GGUFWriter, GGMLQuantizationType as T  # noqa: E402
from gguf.constants import GGML_QUANT_SIZES  # noqa: E402

w = GGUFWriter(sys.argv[1], "qwen2")
rng = np.random.default_rng(29)
for qt in [T.Q4_1, T.Q5_0, T.Q5_1, T.Q2_K, T.Q3_K, T.Q4_K, T.Q5_K, T.Q6_K, T.IQ4_NL, T.IQ4_XS, T.Q8_0, T.Q4_0]:
    be, bb = GGML_QUANT_SIZES[qt]
    raw = rng.integers(0, 256, size=(4, 512 // be * bb), dtype=np.uint8)
    raw[:, 1::2] &= 0xBF
    w.add_tensor(f"r.{qt.name.lower()}", raw, raw_shape=raw.shape, raw_dtype=qt)
w.write_header_to_file()
w.write_kv_data_to_file()
w.write_tensors_to_file()
w.close()
