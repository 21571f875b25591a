#!/usr/bin/env python3
"""Make the dequantization and quantization golden files under Tests/GGUFTests/Golden/.

Run once with the reference venv:  .venv-ref/bin/python scripts/make-dequant-golden.py

For each of F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q4_K, Q6_K, Q5_0, Q5_1, IQ4_NL, Q2_K, Q3_K, Q5_K and IQ4_XS it draws a few blocks of deterministic pseudo-random raw
block bytes (f16 scales are drawn as sane finite values) and stores them with the floats gguf-py's
`gguf.quants.dequantize` gives for them:

    dequant-<type>.bin: b"BGDQ", u32 version=1, u32 ggml type, u32 n_bytes, u32 n_floats, raw bytes, f32 floats

For F16, BF16, Q8_0, Q4_0 and Q4_1 it also stores fixed float inputs with the bytes gguf-py's `gguf.quants.quantize`
gives for them:

    quant-<type>.bin: b"BGQT", u32 version=1, u32 ggml type, u32 n_floats, u32 n_bytes, f32 floats, raw bytes

When llama-cpp-python's libggml-base.so is present it also checks gguf-py against ggml's own C code
(`ggml_get_type_traits(t)->to_float` and `ggml_quantize_chunk`) and prints what it finds.
"""
import ctypes
import pathlib
import struct

import numpy as np
from gguf import GGMLQuantizationType as T
from gguf import quants

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "Tests" / "GGUFTests" / "Golden"
rng = np.random.default_rng(20240531)


def sane_f16(n, low=1e-3, high=2.0, signed=True):
    """n finite, non-NaN f16 scale values as little-endian bytes, shape (n, 2)."""
    mag = np.exp(rng.uniform(np.log(low), np.log(high), n)).astype(np.float32)
    if signed:
        mag *= rng.choice([-1, 1], n).astype(np.float32)
    h = mag.astype(np.float16)
    assert np.all(np.isfinite(h))
    return h.view(np.uint8).reshape(n, 2)


def raw_blocks(qtype):
    if qtype == T.F32:
        v = rng.normal(0, 1, 64).astype(np.float32)
        v[:4] = [0.0, -0.0, 1e-40, -3.4e38]  # zero, negative zero, a subnormal, a huge finite value
        return v.view(np.uint8)
    if qtype == T.F16:
        bits = rng.integers(0, 1 << 16, 256, dtype=np.uint32).astype(np.uint16)
        bits = np.where((bits & 0x7C00) == 0x7C00, bits & 0xBFFF, bits).astype(np.uint16)  # no Inf/NaN
        bits[:4] = [0x0000, 0x8000, 0x0001, 0x7BFF]
        return bits.view(np.uint8)
    if qtype == T.BF16:
        bits = rng.integers(0, 1 << 16, 256, dtype=np.uint32).astype(np.uint16)
        bits = np.where((bits & 0x7F80) == 0x7F80, bits & 0xBFFF, bits).astype(np.uint16)
        bits[:4] = [0x0000, 0x8000, 0x0001, 0x7F7F]
        return bits.view(np.uint8)
    if qtype == T.Q8_0:
        n = 8
        return np.concatenate([sane_f16(n), rng.integers(0, 256, (n, 32), dtype=np.uint8)], axis=1).ravel()
    if qtype == T.Q4_0:
        n = 8
        return np.concatenate([sane_f16(n), rng.integers(0, 256, (n, 16), dtype=np.uint8)], axis=1).ravel()
    if qtype == T.Q4_1:
        n = 8
        return np.concatenate([sane_f16(n), sane_f16(n), rng.integers(0, 256, (n, 16), dtype=np.uint8)], axis=1).ravel()
    if qtype == T.Q4_K:
        n = 4
        d = sane_f16(n, 1e-4, 0.05, signed=False)
        dmin = sane_f16(n, 1e-4, 0.05, signed=False)
        return np.concatenate(
            [d, dmin, rng.integers(0, 256, (n, 12), dtype=np.uint8), rng.integers(0, 256, (n, 128), dtype=np.uint8)],
            axis=1).ravel()
    if qtype == T.Q6_K:
        n = 4
        return np.concatenate(
            [rng.integers(0, 256, (n, 128 + 64 + 16), dtype=np.uint8), sane_f16(n, 1e-4, 0.05)], axis=1).ravel()
    if qtype in (T.Q5_0, T.IQ4_NL):
        n = 8
        return np.concatenate([sane_f16(n), rng.integers(0, 256, (n, qtype == T.Q5_0 and 20 or 16), dtype=np.uint8)],
                              axis=1).ravel()
    if qtype == T.Q5_1:
        n = 8
        return np.concatenate([sane_f16(n), sane_f16(n), rng.integers(0, 256, (n, 20), dtype=np.uint8)], axis=1).ravel()
    if qtype == T.Q2_K:
        n = 4
        return np.concatenate(
            [rng.integers(0, 256, (n, 80), dtype=np.uint8), sane_f16(n, 1e-4, 0.05, signed=False),
             sane_f16(n, 1e-4, 0.05, signed=False)], axis=1).ravel()
    if qtype == T.Q3_K:
        n = 4
        return np.concatenate([rng.integers(0, 256, (n, 108), dtype=np.uint8), sane_f16(n, 1e-4, 0.05)], axis=1).ravel()
    if qtype == T.Q5_K:
        n = 4
        d = sane_f16(n, 1e-4, 0.05, signed=False)
        dmin = sane_f16(n, 1e-4, 0.05, signed=False)
        return np.concatenate([d, dmin, rng.integers(0, 256, (n, 172), dtype=np.uint8)], axis=1).ravel()
    if qtype == T.IQ4_XS:
        n = 4
        return np.concatenate([sane_f16(n, 1e-4, 0.05), rng.integers(0, 256, (n, 134), dtype=np.uint8)], axis=1).ravel()
    raise ValueError(qtype)


def quant_inputs(qtype):
    """256 floats: random blocks at several scales plus the edge cases each quantizer has to get right."""
    v = (rng.normal(0, 1, (8, 32)) * np.array([1e-3, 0.02, 0.1, 1, 10, 300, 1, 1])[:, None]).astype(np.float32)
    v[6] = 0.0  # an all-zero block: scale 0, every quant 0 (Q4_0: 8)
    if qtype == T.Q8_0:
        v[7] = np.arange(32, dtype=np.float32) - 15.5  # max 16.5 → d = 16.5/127; many near-ties
        v[7, 0] = 127.0
        v[7, 1:8] = [2.5, -2.5, 3.5, -3.5, 0.5, -0.5, 126.5]  # d = 1 exactly: true ties, away from zero
    elif qtype == T.Q4_0:
        v[7] = np.linspace(-8, 7, 32, dtype=np.float32)
        v[7, 3] = -8.0  # the most negative value is the largest in magnitude: d = 1
        v[5, 9] = -abs(v[5]).max() * 1.5  # a negative extreme
    elif qtype == T.Q4_1:
        v[7] = np.linspace(-3, 12, 32, dtype=np.float32)  # d = 1 exactly: every value on a step
        v[5, 9] = -abs(v[5]).max() * 1.5  # a negative extreme sets the minimum
    elif qtype == T.BF16:
        bits = np.array([0x3F808000, 0x3F818000, 0x3F80_7FFF, 0x3F81_8001, 0x7F7FFFFF, 0x00000001,
                         0x80008000, 0x7FC00001, 0xFF800000, 0x7F800000, 0x3F800000, 0x00018000], dtype=np.uint32)
        v[7, :len(bits)] = bits.view(np.float32)  # ties both ways, overflow to infinity, subnormals, NaN, ±Inf
    elif qtype == T.F16:
        v[7, :10] = [65504.0, 65520.0, 65519.996, 1e-8, 5.96e-8, 2.98e-8, 1.0009765625 + 2 ** -11,
                     1 + 3 * 2 ** -11, -0.0, 1e5]
    return v.ravel()


def write(path, magic, qtype, first, second):
    path.write_bytes(magic + struct.pack("<IIII", 1, int(qtype), first.size, second.size) + first.tobytes() + second.tobytes())


def load_ggml():
    lib_dir = pathlib.Path(ROOT / ".venv-ref").glob("lib/python3*/site-packages/llama_cpp/lib/libggml-base.so")
    lib_path = next(iter(lib_dir), None)
    if lib_path is None:
        return None
    lib = ctypes.CDLL(str(lib_path))

    class Traits(ctypes.Structure):
        _fields_ = [("type_name", ctypes.c_char_p), ("blck_size", ctypes.c_int64),
                    ("blck_size_interleave", ctypes.c_int64), ("type_size", ctypes.c_size_t),
                    ("is_quantized", ctypes.c_bool), ("to_float", ctypes.c_void_p), ("from_float_ref", ctypes.c_void_p)]

    lib.ggml_get_type_traits.restype = ctypes.POINTER(Traits)
    lib.ggml_get_type_traits.argtypes = [ctypes.c_int]
    lib.ggml_quantize_chunk.restype = ctypes.c_size_t
    lib.ggml_quantize_chunk.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64,
                                        ctypes.c_int64, ctypes.c_int64, ctypes.c_void_p]
    return lib, Traits


def ggml_dequantize(ggml, qtype, raw):
    lib, _ = ggml
    t = lib.ggml_get_type_traits(int(qtype)).contents
    n = raw.size // t.type_size * t.blck_size
    out = np.zeros(n, dtype=np.float32)
    if not t.to_float:  # F32 has no conversion: the bytes are the floats
        return raw.view(np.float32).copy(), t.type_name.decode()
    fn = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64)(t.to_float)
    src = np.ascontiguousarray(raw)
    fn(src.ctypes.data, out.ctypes.data, n)
    return out, t.type_name.decode()


def ggml_quantize(ggml, qtype, values, nbytes):
    lib, _ = ggml
    out = np.zeros(nbytes, dtype=np.uint8)
    src = np.ascontiguousarray(values)
    lib.ggml_quantize_chunk(int(qtype), src.ctypes.data, out.ctypes.data, 0, 1, values.size, None)
    return out


def dequantize_one(ggml, qtype):
    raw = raw_blocks(qtype).astype(np.uint8)
    floats = np.ascontiguousarray(quants.dequantize(raw, qtype).astype(np.float32).ravel())
    assert np.all(np.isfinite(floats)), qtype
    write(OUT / f"dequant-{qtype.name.lower()}.bin", b"BGDQ", qtype, raw, floats)
    note = ""
    if ggml is not None:
        c_floats, name = ggml_dequantize(ggml, qtype, raw)
        same = np.array_equal(c_floats.view(np.uint32), floats.view(np.uint32))
        note = f"ggml {name} to_float {'bitwise equal' if same else 'DIFFERS'}"
        if not same:
            diff = np.abs(c_floats - floats)
            note += f" (max abs diff {diff.max():.3g}, {np.count_nonzero(diff)} of {floats.size} differ)"
    print(f"dequant-{qtype.name.lower()}.bin: {raw.size} bytes -> {floats.size} floats; {note}")


def quantize_one(ggml, qtype):
    values = quant_inputs(qtype).astype(np.float32)
    q = quants.quantize(values.reshape(1, -1), qtype)
    qbytes = np.ascontiguousarray(q).view(np.uint8).ravel()
    write(OUT / f"quant-{qtype.name.lower()}.bin", b"BGQT", qtype, values, qbytes)
    note = ""
    if ggml is not None:
        c_bytes = ggml_quantize(ggml, qtype, values, qbytes.size)
        note = "ggml_quantize_chunk " + ("byte-identical" if np.array_equal(c_bytes, qbytes) else
                                         f"DIFFERS in {np.count_nonzero(c_bytes != qbytes)} bytes")
    print(f"quant-{qtype.name.lower()}.bin: {values.size} floats -> {qbytes.size} bytes; {note}")


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    ggml = load_ggml()
    for qtype in [T.F32, T.F16, T.BF16, T.Q8_0, T.Q4_0, T.Q4_K, T.Q6_K]:
        dequantize_one(ggml, qtype)
    for qtype in [T.F16, T.BF16, T.Q8_0, T.Q4_0]:
        quantize_one(ggml, qtype)
    # Types added later come last, so that the random draws behind the earlier files stay the same.
    dequantize_one(ggml, T.Q4_1)
    quantize_one(ggml, T.Q4_1)
    for qtype in [T.Q5_0, T.Q5_1, T.IQ4_NL, T.Q2_K, T.Q3_K, T.Q5_K, T.IQ4_XS]:
        dequantize_one(ggml, qtype)


if __name__ == "__main__":
    main()
