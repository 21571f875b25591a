#!/usr/bin/env python3
"""Record llama.cpp's answers for small random-weight models, as golden files for the engine's conformance tests.

For each model: build it with `batchgate model create` (the tests rebuild it with the same arguments, which give
the same bytes), load it in llama-cpp-python, and for each prompt (token ids) record the greedy continuation
(argmax step by step after evaluating the prompt) and the top-20 next-token log-probabilities after the prompt.

Run from the repository root with the reference venv:
    swift build --product batchgate
    .venv-ref/bin/python scripts/make-engine-golden.py [--batchgate .build/debug/batchgate]

The shipped wheel's libggml-cpu is built for AVX-512 and dies with SIGILL on CPUs without it; then build the
wheel's vendored llama.cpp natively (cmake -DGGML_NATIVE=ON -DBUILD_SHARED_LIBS=ON, target `llama`) and point
llama-cpp-python at it with LLAMA_CPP_LIB_PATH=<build>/bin. The golden files name the llama-cpp-python version.
"""
import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import llama_cpp.llama_cpp as llama_low
from llama_cpp import Llama

# Quantized models are recorded with llama.cpp's weight repacking off (`use_extra_bufts = false`, what llama-server's
# --no-repack sets): on x86 it repacks Q4_0, Q4_K, Q6_K, Q2_K and IQ4_NL into interleaved layouts whose kernels sum
# in another order than the plain `vec_dot` path, which is the order the engine follows.
_default_model_params = llama_low.llama_model_default_params


def _model_params_without_repacking():
    params = _default_model_params()
    params.use_extra_bufts = False
    return params

SIZES = ["--dim", "64", "--layers", "2", "--heads", "4", "--kv-heads", "2", "--ff", "192", "--context", "256"]
# The original Qwen has as many kv heads as heads, and its feed_forward_length is twice the network's width.
QWEN_SIZES = ["--dim", "64", "--layers", "2", "--heads", "4", "--kv-heads", "4", "--ff", "192", "--context", "256"]
# Qwen3 with heads wider than dim/heads (4 × 32 = 128 ≠ 64), as in Qwen3-0.6B (16 × 128 ≠ 1024).
QWEN3_SIZES = SIZES + ["--head-dim", "32"]
# The quantized models: K-quants need rows that are multiples of 256.
QUANT_SIZES = ["--dim", "256", "--layers", "2", "--heads", "4", "--kv-heads", "2", "--ff", "512", "--context", "256"]
YARN = ["--rope-scaling", "yarn", "--rope-scaling-factor", "4", "--original-context", "64"]
MODELS = [
    # name, arch, vocab file, extra args (after SIZES unless they start with --dim), type, seed
    ("qwen2-f32", "qwen2", "ggml-vocab-qwen2.gguf", ["--tied"], "f32", 11),
    ("qwen2-f16", "qwen2", "ggml-vocab-qwen2.gguf", ["--tied"], "f16", 12),
    ("qwen2-q8_0", "qwen2", "ggml-vocab-qwen2.gguf", ["--tied"], "q8_0", 13),
    ("llama-f32", "llama", "ggml-vocab-llama-spm.gguf", [], "f32", 21),
    ("llama-f16", "llama", "ggml-vocab-llama-spm.gguf", [], "f16", 22),
    ("llama-q8_0", "llama", "ggml-vocab-llama-spm.gguf", [], "q8_0", 23),
    ("qwen-f32", "qwen", "ggml-vocab-qwen2.gguf", QWEN_SIZES, "f32", 31),
    ("qwen-f16", "qwen", "ggml-vocab-qwen2.gguf", QWEN_SIZES, "f16", 32),
    ("qwen3-f32", "qwen3", "ggml-vocab-qwen2.gguf", QWEN3_SIZES + ["--tied"], "f32", 41),
    ("qwen3-f16", "qwen3", "ggml-vocab-qwen2.gguf", QWEN3_SIZES + ["--tied"], "f16", 42),
    ("llama-rope-freqs-f32", "llama", "ggml-vocab-llama-spm.gguf", ["--rope-freqs"], "f32", 51),
    ("qwen2-yarn-f32", "qwen2", "ggml-vocab-qwen2.gguf", ["--tied"] + YARN, "f32", 61),
    # llama.cpp's llama loader also takes heads narrower than dim/heads (4 × 8 = 32 ≠ 64).
    ("llama-head-dim-f32", "llama", "ggml-vocab-llama-spm.gguf", ["--head-dim", "8"], "f32", 71),
] + [
    # Every quantized type, as llama-quantize's mixes (`model create --type` gives each tensor the type and bytes
    # llama-quantize would): rows of 256 and 512 so that the K-quants apply.
    (f"{arch}-{typ}", arch, vocab, QUANT_SIZES + (["--tied"] if arch == "qwen2" else []), typ, 80 + i)
    for i, (arch, vocab, typ) in enumerate([
        ("llama", "ggml-vocab-llama-spm.gguf", "q4_0"), ("llama", "ggml-vocab-llama-spm.gguf", "q4_1"),
        ("llama", "ggml-vocab-llama-spm.gguf", "q5_0"), ("llama", "ggml-vocab-llama-spm.gguf", "q5_1"),
        ("llama", "ggml-vocab-llama-spm.gguf", "q2_k"), ("llama", "ggml-vocab-llama-spm.gguf", "q3_k_m"),
        ("llama", "ggml-vocab-llama-spm.gguf", "q4_k_s"), ("llama", "ggml-vocab-llama-spm.gguf", "q4_k_m"),
        ("llama", "ggml-vocab-llama-spm.gguf", "q5_k_s"), ("qwen2", "ggml-vocab-qwen2.gguf", "q5_k_m"),
        ("llama", "ggml-vocab-llama-spm.gguf", "q6_k"), ("qwen2", "ggml-vocab-qwen2.gguf", "iq4_nl"),
        ("llama", "ggml-vocab-llama-spm.gguf", "iq4_xs"),
    ])
]
PROMPTS = {
    "qwen2": [[9707, 11, 1879, 0], [785, 3974, 13876, 38835, 34208, 916, 279, 15678, 5562, 13, 576, 3974]],
    "llama": [[1, 15043, 29892, 3186, 29991], [1, 450, 4996, 17354, 1701, 29916, 432, 17204, 975, 278, 17366, 11203]],
}
# The models added with qwen, qwen3, rope_freqs and YaRN also run a longer third prompt (positions past 40, where
# scaled and unscaled frequencies part further).
LONG_PROMPTS = {
    "ggml-vocab-qwen2.gguf": [40, 1075, 311, 4227, 3940, 279, 8584, 13, 1205, 2581, 10250, 11, 323, 279, 9396, 374,
                              16062, 448, 34578, 29065, 13, 2411, 3729, 11, 279, 12884, 1033, 9906, 323, 279, 9759,
                              1513, 537, 5030, 13],
    "ggml-vocab-llama-spm.gguf": [1, 306, 763, 304, 19133, 2001, 278, 14378, 29889, 450, 16172, 471, 8444, 29892,
                                  322, 278, 4799, 1328, 411, 14289, 22498, 29889, 2180, 4646, 29892, 278, 10819,
                                  892, 11785, 322, 278, 1571, 7698, 3216, 29889],
}
ORIGINAL = {"qwen2-f32", "qwen2-f16", "qwen2-q8_0", "llama-f32", "llama-f16", "llama-q8_0"}


def find_vocab(name):
    for d in (".cache/fixtures", "/work/shared/fixtures"):
        p = os.path.join(d, name)
        if os.path.exists(p):
            return p
    sys.exit(f"vocab {name} not found in .cache/fixtures or /work/shared/fixtures")


def log_softmax(x):
    x = np.asarray(x, dtype=np.float64)
    m = x.max()
    return x - m - np.log(np.exp(x - m).sum())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batchgate", default=".build/debug/batchgate")
    ap.add_argument("--out", default="Tests/InferenceCoreTests/Golden")
    ap.add_argument("--only", nargs="*", help="model names to record (default: all)")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for name, arch, vocab, extra, typ, seed in MODELS:
            if args.only and name not in args.only:
                continue
            model = os.path.join(tmp, name + ".gguf")
            sizes = [] if "--dim" in extra else SIZES
            create = ["--arch", arch, "--vocab", vocab] + sizes + extra + ["--type", typ, "--seed", str(seed)]
            cli = [a if a != vocab else find_vocab(vocab) for a in create]
            subprocess.run([args.batchgate, "model", "create", model] + cli, check=True, stdout=subprocess.DEVNULL)
            sha = hashlib.sha256(open(model, "rb").read()).hexdigest()
            quantized = typ not in ("f32", "f16", "bf16")
            llama_low.llama_model_default_params = (
                _model_params_without_repacking if quantized else _default_model_params)
            llm = Llama(model_path=model, n_ctx=256, n_threads=2, logits_all=True, verbose=False)
            steps = 32 if typ in ("f32", "f16") else 16
            cases = []
            prompts = PROMPTS["llama" if "llama" in vocab else "qwen2"]
            if name not in ORIGINAL:
                prompts = prompts + [LONG_PROMPTS[vocab]]
            for prompt in prompts:
                llm.reset()
                llm.eval(prompt)
                first = np.array(llm.scores[llm.n_tokens - 1], dtype=np.float32)
                lp = log_softmax(first)
                top = np.argsort(-lp, kind="stable")[:20]
                greedy = []
                logits = first
                for _ in range(steps):
                    tok = int(np.argmax(logits))
                    greedy.append(tok)
                    llm.eval([tok])
                    logits = np.array(llm.scores[llm.n_tokens - 1], dtype=np.float32)
                cases.append({
                    "prompt": prompt,
                    "greedy": greedy,
                    "top_logprobs": [[int(t), float(lp[t])] for t in top],
                })
            del llm
            golden = {
                "model": name,
                "model_create": create,
                "sha256": sha,
                "llama_cpp_python": __import__("llama_cpp").__version__,
                "repacking": not quantized,
                "cases": cases,
            }
            path = os.path.join(args.out, f"engine-{name}.json")
            with open(path, "w") as f:
                json.dump(golden, f, indent=1)
                f.write("\n")
            print(path, [c["greedy"][:8] for c in cases])


if __name__ == "__main__":
    main()
