#!/usr/bin/env bash
# Engine speed per weight type on a Llama-3.2-1B-shaped model, Batchgate vs llama.cpp in alternating rounds.
#
#   ROUNDS=3 scripts/bench-quants.sh [TYPE ...]     (default types: Q4_K_M Q5_K_M Q4_0 IQ4_XS; llama-quantize's names)
#
# Makes .cache/bench/llama-1b-f16.gguf once (random weights with Llama-3.2-1B's shapes: dim 2048, 16 layers, 32
# heads of 64, 8 KV heads, ff 8192, the llama-bpe vocabulary of 128,256 tokens, tied embeddings), then each type
# with `batchgate model quantize` (byte-equal to llama-quantize's output, which its tests check) and runs
# scripts/bench-engine.sh on it: llama-bench's prefill 512 and decode 64 at batch 1 and llama-batched-bench's
# decode at 1 and 16 sequences, against `batchgate model bench` on the same file, ROUNDS alternating rounds, ratio
# of medians. BATCHGATE_BIN: a release build (default .build/release/batchgate).
set -euo pipefail
cd "$(dirname "$0")/.."

bin=${BATCHGATE_BIN:-.build/release/batchgate}
types=("$@")
[[ ${#types[@]} -gt 0 ]] || types=(Q4_K_M Q5_K_M Q4_0 IQ4_XS)

mkdir -p .cache/bench
source=.cache/bench/llama-1b-f16.gguf
if [[ ! -f $source ]]; then
    "$bin" model create "$source" --arch llama --vocab .cache/fixtures/ggml-vocab-llama-bpe.gguf --dim 2048 \
        --layers 16 --heads 32 --kv-heads 8 --ff 8192 --context 8192 --tied --type f16 --seed 1
fi
echo "CPU flags: $(grep -o 'avx512[a-z_]*\|avx2' /proc/cpuinfo | sort -u | tr '\n' ' ')"
for type in "${types[@]}"; do
    model=.cache/bench/llama-1b-${type,,}.gguf
    [[ -f $model ]] || "$bin" model quantize "$source" "$model" --type "${type,,}" >/dev/null
    echo "### $type"
    MODEL=$model BATCHGATE_BIN=$bin scripts/bench-engine.sh
done
