#!/usr/bin/env python3
"""ggml_quantize.py — a GGUF's 2-D tensors quantized by ggml's own quantizers (libggml-base.so's
ggml_quantize_chunk, as llama-quantize calls them), the type per tensor chosen by name:
    ggml_quantize.py LIBGGML_BASE IN.gguf OUT.gguf attn_q=Q2_K ffn_up=Q4_K ...
(the first key that is a substring of a tensor's name wins; other tensors stay as they are)."""
import ctypes, os, sys
import numpy as np
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..', '.dev', 'gguf-py'))
from gguf import GGUFReader, GGUFWriter, GGUFValueType, GGMLQuantizationType as T
from gguf.constants import GGML_QUANT_SIZES
lib = ctypes.CDLL(sys.argv[1])
lib.ggml_quantize_chunk.restype = ctypes.c_size_t
lib.ggml_quantize_chunk.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64, ctypes.c_int64, ctypes.c_int64, ctypes.c_void_p]
def q(x, qt):
    rows, cols = x.shape
    be, bb = GGML_QUANT_SIZES[qt]
    out = np.zeros((rows, cols // be * bb), dtype=np.uint8)
    x = np.ascontiguousarray(x, dtype=np.float32)
    lib.ggml_quantize_chunk(int(qt), x.ctypes.data, out.ctypes.data, 0, rows, cols, None)
    return out
r = GGUFReader(sys.argv[2]); w = GGUFWriter(sys.argv[3], 'qwen2')
plan = dict(a.split('=') for a in sys.argv[4:])
for f in r.fields.values():
    if f.name.startswith('GGUF.') or f.name == 'general.architecture': continue
    vt = f.types[0]; w.add_key_value(f.name, f.contents(), vt, f.types[1] if vt == GGUFValueType.ARRAY else None)
for t in r.tensors:
    x = np.array(t.data, dtype=np.float32).reshape(tuple(reversed([int(v) for v in t.shape])))
    key = next((k for k in plan if k in t.name), None)
    if x.ndim == 2 and key:
        qt = T[plan[key]]; b = q(x, qt); w.add_tensor(t.name, b, raw_shape=b.shape, raw_dtype=qt)
    else:
        w.add_tensor(t.name, x)
w.write_header_to_file(); w.write_kv_data_to_file(); w.write_tensors_to_file(); w.close()
