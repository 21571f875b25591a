#!/usr/bin/env bash
# Tokenizer speed, Batchgate vs llama.cpp (llama-cpp-python), measured in the same run on the same text.
#
#   scripts/bench-tokenizer.sh [--repeat N] [VOCAB ...]     (default vocabularies: qwen2 llama-spm)
#
# Builds batchgate in release, makes the ~1 MB mixed corpus (scripts/make-tokenizer-corpus.py) if missing,
# creates the reference venv .venv-ref from ../shared/wheels if missing, then for each vocabulary runs
# `batchgate model tokenize-bench` and scripts/bench-tokenizer-ref.py and prints MB/s, the ratio and whether the
# token counts agree. Fixtures come from `make fixtures` (.cache/fixtures) or BATCHGATE_FIXTURES.
#
# The shared wheel is built for AVX-512 and dies with SIGILL (exit 132) on CPUs without it. There, build
# llama.cpp's libraries natively (e.g. `CMAKE_ARGS=-DGGML_NATIVE=ON pip install llama-cpp-python==0.3.36` in a
# scratch venv, ~25 min on 2 cores) and point LLAMA_CPP_LIB_PATH (and LD_LIBRARY_PATH) at the folder holding
# libllama.so and libggml*.so; the bindings in .venv-ref then load those instead.
set -euo pipefail
cd "$(dirname "$0")/.."

repeat=5
vocabs=()
while [[ $# -gt 0 ]]; do
    case $1 in
        --repeat) repeat=$2; shift 2 ;;
        *) vocabs+=("$1"); shift ;;
    esac
done
[[ ${#vocabs[@]} -gt 0 ]] || vocabs=(qwen2 llama-spm)

fixtures=${BATCHGATE_FIXTURES:-.cache/fixtures}
corpus=.cache/bench/tokenizer-corpus.txt
wheels=${BATCHGATE_WHEELS:-../shared/wheels}

[[ -f $corpus ]] || python3 scripts/make-tokenizer-corpus.py --out "$corpus"
if [[ ! -x .venv-ref/bin/python ]]; then
    python3 -m venv .venv-ref
    .venv-ref/bin/pip install --quiet "$wheels"/llama_cpp_python-0.3.36-*.whl
fi
# BATCHGATE_BIN: an already built release binary (skips the build).
bin=${BATCHGATE_BIN:-}
if [[ -z $bin ]]; then
    swift build -c release --product batchgate >&2
    bin=$(swift build -c release --show-bin-path)/batchgate
fi

field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }

printf '%-10s %12s %12s %8s %10s %10s %s\n' vocab "ours MB/s" "llama MB/s" ratio "our toks" "ref toks" counts
for vocab in "${vocabs[@]}"; do
    model=$fixtures/ggml-vocab-$vocab.gguf
    [[ -f $model ]] || { echo "missing $model: run 'make fixtures'" >&2; exit 1; }
    ours=$("$bin" model tokenize-bench "$model" --text-file "$corpus" --repeat "$repeat" --json)
    if ! ref=$(.venv-ref/bin/python scripts/bench-tokenizer-ref.py "$model" "$corpus" --repeat "$repeat" | tail -1); then
        echo "reference run failed (SIGILL means the wheel needs AVX-512: see LLAMA_CPP_LIB_PATH above)" >&2
        exit 1
    fi
    ours_mb=$(field "$ours" mb_per_s)
    ref_mb=$(field "$ref" mb_per_s)
    ours_tokens=$(field "$ours" tokens)
    ref_tokens=$(field "$ref" tokens)
    ratio=$(python3 -c "print(f'{$ours_mb / $ref_mb:.2f}x')")
    agree=$([[ $ours_tokens == "$ref_tokens" ]] && echo agree || echo DIFFER)
    printf '%-10s %12.2f %12.2f %8s %10s %10s %s\n' "$vocab" "$ours_mb" "$ref_mb" "$ratio" "$ours_tokens" "$ref_tokens" "$agree"
done
