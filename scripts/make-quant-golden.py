#!/usr/bin/env python3
"""Make the golden files of the quantizers llama-quantize uses without an importance matrix.

Run with the reference venv:  .venv-ref/bin/python scripts/make-quant-golden.py [path/to/libggml-base.so]

For Q5_0, Q5_1, Q2_K...Q6_K, IQ4_NL and IQ4_XS it quantizes 16 rows of 256 floats with ggml's own
`ggml_quantize_chunk` (the function llama-quantize calls, with no importance matrix) from the libggml-base.so that
ships with ../shared/llama.cpp (the llama.cpp version our byte-equality test compares with). The rows are chosen to
reach every branch: Gaussian rows of several scales, outliers, all-positive and all-negative rows, a constant row,
an all-zero row, tiny values, and rows with zero and non-zero 16/32-value groups mixed:

    quant-<type>.bin: b"BGQT", u32 version=1, u32 ggml type, u32 n_floats, u32 n_bytes, f32 floats, raw bytes
"""
import ctypes
import pathlib
import struct
import sys

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "Tests" / "GGUFTests" / "Golden"
LIB = ROOT.parent / "shared" / "llama.cpp" / "bin" / "libggml-base.so.0"
TYPES = {"q5_0": 6, "q5_1": 7, "q2_k": 10, "q3_k": 11, "q4_k": 12, "q5_k": 13, "q6_k": 14, "iq4_nl": 20, "iq4_xs": 23}


def rows():
    rng = np.random.default_rng(20261207)
    n = 256
    out = [
        rng.normal(0, 0.02, n),
        rng.normal(0, 1.0, n),
        rng.normal(0, 300.0, n),
        rng.normal(0, 1e-4, n),
        np.abs(rng.normal(0.5, 0.1, n)),
        -np.abs(rng.normal(0.5, 0.1, n)),
        np.full(n, 0.375),
        np.zeros(n),
        rng.uniform(-1, 1, n),
        rng.standard_t(2, n) * 0.05,
        np.where(np.arange(n) % 17 == 0, 3.0, rng.normal(0, 0.01, n)),
        np.where((np.arange(n) // 16) % 2 == 0, 0.0, rng.normal(0, 0.1, n)),
        np.where((np.arange(n) // 32) % 3 == 0, 0.0, rng.normal(0.2, 0.1, n)),
        np.round(rng.normal(0, 4, n)),
        rng.normal(0, 1e-8, n),
        rng.laplace(0, 0.03, n),
    ]
    return np.ascontiguousarray(np.concatenate(out).astype(np.float32))


def main():
    lib = ctypes.CDLL(str(sys.argv[1] if len(sys.argv) > 1 else LIB))
    lib.ggml_row_size.restype = ctypes.c_size_t
    lib.ggml_row_size.argtypes = [ctypes.c_int, ctypes.c_int64]
    lib.ggml_quantize_chunk.restype = ctypes.c_size_t
    lib.ggml_quantize_chunk.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64,
                                        ctypes.c_int64, ctypes.c_int64, ctypes.c_void_p]
    values = rows()
    nrows = values.size // 256
    for name, qtype in TYPES.items():
        nbytes = lib.ggml_row_size(qtype, 256) * nrows
        out = np.zeros(nbytes, dtype=np.uint8)
        written = lib.ggml_quantize_chunk(qtype, values.ctypes.data, out.ctypes.data, 0, nrows, 256, None)
        assert written == nbytes, (name, written, nbytes)
        path = OUT / f"quant-{name}.bin"
        path.write_bytes(b"BGQT" + struct.pack("<IIII", 1, qtype, values.size, out.size) + values.tobytes()
                         + out.tobytes())
        print(f"{path.name}: {values.size} floats -> {out.size} bytes")


if __name__ == "__main__":
    main()
