#!/usr/bin/env python3
"""Write .cache/bench/tokenizer-corpus.txt: about 1 MB of mixed English prose, Chinese text and source code.

Deterministic (seeded) and offline. Where the text comes from:
- English: the licence texts under /usr/share/common-licenses (GPL, Apache-2.0, ...).
- Code: the Python standard library's own sources (the running interpreter's stdlib directory).
- Chinese: the UTF-8 samples in the stdlib's test/cjkencodings folder when present, plus phrases drawn
  (seeded) from the CJK entries of the qwen2 vocabulary fixture (.cache/fixtures/ggml-vocab-qwen2.gguf),
  joined with Chinese punctuation. The latter is vocabulary-shaped text, not natural prose.
The three kinds are interleaved in chunks of a few kilobytes so the tokenizer sees them mixed.

Usage: scripts/make-tokenizer-corpus.py [--bytes N] [--out PATH] [--seed S]
"""

import argparse
import glob
import os
import random
import struct
import sysconfig

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def read_gguf_tokens(path):
    """Returns tokenizer.ggml.tokens of a GGUF v2/v3 file (a minimal reader, no dependencies)."""
    sizes = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}
    with open(path, "rb") as f:
        data = f.read()
    pos = 4 + 4
    _tensors, kv_count = struct.unpack_from("<QQ", data, pos)
    pos += 16

    def read_string(p):
        (n,) = struct.unpack_from("<Q", data, p)
        return data[p + 8 : p + 8 + n], p + 8 + n

    def skip_value(t, p):
        if t in sizes:
            return p + sizes[t]
        if t == 8:
            return read_string(p)[1]
        (et,) = struct.unpack_from("<I", data, p)
        (n,) = struct.unpack_from("<Q", data, p + 4)
        p += 12
        if et in sizes:
            return p + sizes[et] * n
        for _ in range(n):
            p = skip_value(et, p)
        return p

    for _ in range(kv_count):
        key, pos = read_string(pos)
        (t,) = struct.unpack_from("<I", data, pos)
        pos += 4
        if key == b"tokenizer.ggml.tokens":
            (et,) = struct.unpack_from("<I", data, pos)
            (n,) = struct.unpack_from("<Q", data, pos + 4)
            pos += 12
            out = []
            for _ in range(n):
                s, pos = read_string(pos)
                out.append(s.decode("utf-8", "replace"))
            return out
        pos = skip_value(t, pos)
    return []


def is_cjk(ch):
    c = ord(ch)
    return 0x4E00 <= c <= 0x9FFF or 0x3400 <= c <= 0x4DBF


def english_chunks():
    chunks = []
    for path in sorted(glob.glob("/usr/share/common-licenses/*")):
        if os.path.isfile(path):
            with open(path, encoding="utf-8", errors="replace") as f:
                chunks.append(f.read())
    return chunks


def code_chunks():
    stdlib = sysconfig.get_paths()["stdlib"]
    chunks = []
    for sub in ["json", "email", "http", "logging", "asyncio", "unittest", "xml/dom", "urllib"]:
        for path in sorted(glob.glob(os.path.join(stdlib, sub, "*.py"))):
            with open(path, encoding="utf-8", errors="replace") as f:
                chunks.append(f.read())
    return chunks


def chinese_chunks(rng, target):
    chunks = []
    stdlib = sysconfig.get_paths()["stdlib"]
    for name in ["gb2312-utf8.txt", "gbk-utf8.txt", "gb18030-utf8.txt", "big5-utf8.txt", "hz-utf8.txt"]:
        path = os.path.join(stdlib, "test", "cjkencodings", name)
        if os.path.exists(path):
            with open(path, encoding="utf-8", errors="replace") as f:
                chunks.append(f.read())
    vocab = os.path.join(ROOT, ".cache", "fixtures", "ggml-vocab-qwen2.gguf")
    words = []
    if os.path.exists(vocab):
        # Byte-level BPE stores text in GPT-2's byte alphabet; map it back to UTF-8.
        byte_for = {}
        n = 0
        for b in range(256):
            if 0x21 <= b <= 0x7E or 0xA1 <= b <= 0xAC or 0xAE <= b <= 0xFF:
                byte_for[chr(b)] = b
            else:
                byte_for[chr(256 + n)] = b
                n += 1
        for token in read_gguf_tokens(vocab):
            try:
                text = bytes(byte_for[c] for c in token).decode("utf-8")
            except (KeyError, UnicodeDecodeError):
                continue
            if text and all(is_cjk(c) for c in text):
                words.append(text)
    if not words:
        words = ["中文", "文本", "测试", "分词", "模型"]
    size = sum(len(c.encode()) for c in chunks)
    while size < target:
        sentence = "".join(rng.choice(words) for _ in range(rng.randint(4, 14)))
        sentence += rng.choice(["，", "。", "；", "！", "？", "：", "。\n"])
        chunks.append(sentence)
        size += len(sentence.encode())
    return chunks


def take(chunks, budget, rng):
    """Slices of the chunks (in a seeded order) adding up to about `budget` bytes."""
    out = []
    size = 0
    order = list(range(len(chunks)))
    rng.shuffle(order)
    i = 0
    while size < budget and order:
        text = chunks[order[i % len(order)]]
        start = rng.randrange(0, max(1, len(text) - 4000))
        piece = text[start : start + rng.randint(1500, 4000)]
        out.append(piece)
        size += len(piece.encode())
        i += 1
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bytes", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=20240601)
    ap.add_argument("--out", default=os.path.join(ROOT, ".cache", "bench", "tokenizer-corpus.txt"))
    args = ap.parse_args()
    rng = random.Random(args.seed)

    english = take(english_chunks(), args.bytes * 0.4, rng)
    code = take(code_chunks(), args.bytes * 0.3, rng)
    chinese_source = chinese_chunks(rng, args.bytes * 0.35)
    chinese = take(["".join(chinese_source[i : i + 40]) for i in range(0, len(chinese_source), 40)], args.bytes * 0.3, rng)
    pieces = english + code + chinese
    rng.shuffle(pieces)
    text = "\n\n".join(pieces)
    data = text.encode("utf-8")[: args.bytes]
    data = data.decode("utf-8", "ignore").encode("utf-8")  # never end inside a character
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "wb") as f:
        f.write(data)
    print(f"{args.out}: {len(data)} bytes ({len(english)} English, {len(code)} code, {len(chinese)} Chinese pieces)")


if __name__ == "__main__":
    main()
