#!/usr/bin/env bash
# Engine speed, Batchgate vs llama.cpp, measured one after the other in the same run on the same file.
#
#   scripts/bench-engine.sh [TYPE ...]      (default types: q8_0 f16)
#
# For each type: makes the Qwen2-0.5B-shaped random-weight model in .cache/bench if missing, then runs
#   llama-bench -p 512 -n 64 -t 2 -r 1                        and  batchgate model bench --prompt 512 --generate 64 --batch 1
#   llama-batched-bench -npp 128 -ntg 32 -npl 1,16 -t 2       and  batchgate model bench --prompt 128 --generate 32 --batch 1,16
# BATCHGATE_BIN: a release build (default .build/release/batchgate). LLAMA_TOOLS: the folder of llama.cpp's tools
# (default ../shared/llama.cpp/bin). NATIVE: a folder whose libllama.so/libggml*.so were built for this CPU
# (GGML_NATIVE=ON) next to links to the tools' other libraries; the shared libraries are built for AVX-512 and
# die with SIGILL without it.
set -euo pipefail
cd "$(dirname "$0")/.."

bin=${BATCHGATE_BIN:-.build/release/batchgate}
tools=${LLAMA_TOOLS:-../shared/llama.cpp/bin}
native=${NATIVE:-../shared/llama.cpp/lib}
types=("$@")
[[ ${#types[@]} -gt 0 ]] || types=(q8_0 f16)

mkdir -p .cache/bench
for type in "${types[@]}"; do
    model=.cache/bench/qwen2-0.5b-$type.gguf
    if [[ ! -f $model ]]; then
        "$bin" model create "$model" --arch qwen2 --vocab .cache/fixtures/ggml-vocab-qwen2.gguf --dim 896 \
            --layers 24 --heads 14 --kv-heads 2 --ff 4864 --tied --type "$type" --seed 1
    fi
    echo "== $type: $(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg)"
    LD_LIBRARY_PATH=$native "$tools/llama-bench" -m "$model" -p 512 -n 64 -t 2 -r 1 2>/dev/null | grep -E "pp512|tg64"
    "$bin" model bench "$model" --prompt 512 --generate 64 --batch 1 --threads 2
    LD_LIBRARY_PATH=$native "$tools/llama-batched-bench" -m "$model" -c 4096 -npp 128 -ntg 32 -npl 1,16 -t 2 \
        2>/dev/null | grep -E "^\|"
    "$bin" model bench "$model" --prompt 128 --generate 32 --batch 1,16 --threads 2
done
