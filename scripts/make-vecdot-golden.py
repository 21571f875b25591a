#!/usr/bin/env python3
"""Make Tests/InferenceCoreTests/Golden/vecdot-<type>.bin: ggml's own AVX2 dot products to check our references by.

Run with the reference venv:  .venv-ref/bin/python scripts/make-vecdot-golden.py [LIBGGML_CPU]

It loads llama.cpp's AVX2 CPU variant (default ../shared/llama.cpp/bin/libggml-cpu-haswell.so: AVX2, FMA, F16C, no
AVX-512, so ggml's plain AVX2 `vec_dot` code runs), and for each weight type draws random weight rows (random bytes,
sane F16 scales) and random activation rows, quantizes the activations with the CPU traits' `from_float` of the
type's `vec_dot_type` and calls the traits' `vec_dot` on every (weight row, activation row) pair:

    vecdot-<type>.bin: b"BGVD", u32 version=1, u32 ggml type, u32 columns, u32 weight rows, u32 activation rows,
                       weight bytes, activation floats (f32), results (f32, activation row major)
"""
import ctypes
import pathlib
import struct
import sys

import numpy as np
from gguf import GGMLQuantizationType as T

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "Tests" / "InferenceCoreTests" / "Golden"
LIB = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / ".." / "shared" / "llama.cpp" / "bin" /
                   "libggml-cpu-haswell.so")
rng = np.random.default_rng(20261207)

# (type, block bytes, block values, byte offsets of F16 scales)
TYPES = [
    (T.Q4_0, 18, 32, [0]), (T.Q5_0, 22, 32, [0]), (T.Q5_1, 24, 32, [0, 2]), (T.IQ4_NL, 18, 32, [0]),
    (T.Q2_K, 84, 256, [80, 82]), (T.Q3_K, 110, 256, [108]), (T.Q4_K, 144, 256, [0, 2]), (T.Q5_K, 176, 256, [0, 2]),
    (T.Q6_K, 210, 256, [208]), (T.IQ4_XS, 136, 256, [0]), (T.BF16, 2, 1, []),
]


class Traits(ctypes.Structure):
    _fields_ = [("from_float", ctypes.c_void_p), ("vec_dot", ctypes.c_void_p), ("vec_dot_type", ctypes.c_int),
                ("nrows", ctypes.c_int64)]


def main():
    ctypes.CDLL(str(LIB.parent / "libggml-base.so.0"), mode=ctypes.RTLD_GLOBAL)
    lib = ctypes.CDLL(str(LIB))
    lib.ggml_cpu_init()
    lib.ggml_get_type_traits_cpu.restype = ctypes.POINTER(Traits)
    size = {int(T.Q8_0): (34, 32), int(T.Q8_1): (36, 32), int(T.Q8_K): (292, 256), int(T.BF16): (2, 1)}
    OUT.mkdir(parents=True, exist_ok=True)
    for qtype, block_bytes, block_values, halves in TYPES:
        columns = 1280 if block_values == 256 else (1312 if block_values == 32 else 2083)
        rows, count = 5, 3
        blocks = rows * columns // block_values
        if qtype == T.BF16:
            w = rng.normal(0, 1, rows * columns).astype(np.float32)
            raw = (w.view(np.uint32) >> 16).astype(np.uint16).view(np.uint8)
        else:
            raw = rng.integers(0, 256, (blocks, block_bytes), dtype=np.uint8)
            for k, off in enumerate(halves):
                mag = np.exp(rng.uniform(np.log(1e-4), np.log(0.02), blocks)).astype(np.float32)
                if block_values == 32:
                    mag *= rng.choice([-1, 1], blocks).astype(np.float32)
                raw[:, off:off + 2] = mag.astype(np.float16).view(np.uint8).reshape(blocks, 2)
            raw = raw.ravel()
        x = rng.normal(0, 1, (count, columns)).astype(np.float32)
        x[1, :256] *= 40.0
        traits = lib.ggml_get_type_traits_cpu(int(qtype)).contents
        vt = traits.vec_dot_type
        act_bytes, act_values = size[vt]
        from_float = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64)(
            lib.ggml_get_type_traits_cpu(vt).contents.from_float)
        vec_dot = ctypes.CFUNCTYPE(None, ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_void_p,
                                   ctypes.c_size_t, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int)(traits.vec_dot)
        row_bytes = columns // block_values * block_bytes
        results = np.zeros((count, rows), dtype=np.float32)
        for i in range(count):
            q = np.zeros(columns // act_values * act_bytes + 64, dtype=np.uint8)
            src = np.ascontiguousarray(x[i])
            from_float(src.ctypes.data, q.ctypes.data, columns)
            for r in range(rows):
                wrow = np.ascontiguousarray(raw[r * row_bytes:(r + 1) * row_bytes])
                out = ctypes.c_float()
                vec_dot(columns, ctypes.byref(out), 0, wrow.ctypes.data, 0, q.ctypes.data, 0, 1)
                results[i, r] = out.value
        name = f"vecdot-{qtype.name.lower()}.bin"
        (OUT / name).write_bytes(b"BGVD" + struct.pack("<IIIII", 1, int(qtype), columns, rows, count) + raw.tobytes()
                                 + x.tobytes() + results.tobytes())
        print(f"{name}: {columns} columns, {rows} x {count} pairs, vec_dot_type {vt}")


if __name__ == "__main__":
    main()
