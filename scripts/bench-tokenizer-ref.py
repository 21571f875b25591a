#!/usr/bin/env python3
"""Reference tokenizer speed: llama.cpp (through llama-cpp-python) encoding a text file.

Loads the model with vocab_only, tokenizes the text (no BOS, special tokens as plain text) once untimed and
then N times, and prints one JSON line: median_s, mb_per_s, tokens_per_s, tokens, bytes.

Usage: bench-tokenizer-ref.py MODEL.gguf TEXT_FILE [--repeat N]
Run it with the reference virtual environment (.venv-ref, see scripts/bench-tokenizer.sh).
"""

import argparse
import json
import statistics
import time

from llama_cpp import Llama


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model")
    ap.add_argument("text_file")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()

    with open(args.text_file, "rb") as f:
        data = f.read()
    start = time.perf_counter()
    llm = Llama(model_path=args.model, vocab_only=True, verbose=False)
    load_s = time.perf_counter() - start
    tokens = llm.tokenize(data, add_bos=False, special=False)
    times = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        tokens = llm.tokenize(data, add_bos=False, special=False)
        times.append(time.perf_counter() - start)
    median = statistics.median(times)
    print(
        json.dumps(
            {
                "median_s": median,
                "mb_per_s": len(data) / 1e6 / median,
                "tokens_per_s": len(tokens) / median,
                "tokens": len(tokens),
                "bytes": len(data),
                "load_s": load_s,
                "runs": args.repeat,
            },
            sort_keys=True,
        )
    )


if __name__ == "__main__":
    main()
