#!/usr/bin/env bash
# Prefill 512 and decode at batch 1, Batchgate against llama.cpp on existing model files, in two alternating rounds
# (who goes first alternates), printing each round's figures and the load average.
#
#   scripts/bench-quants-quick.sh llama-1b-q4_k_m.gguf llama-1b-q5_k_m.gguf ...   (files in .cache/bench)
#
# Each round runs `llama-bench -p 512 -n 32 -t 2 -r 1` and `batchgate model bench --prompt 512 --generate 32
# --batch 1 --threads 2`. Make the files with scripts/bench-quants.sh (or `batchgate model quantize`) first.
# BATCHGATE_BIN: a release build (default .build/release/batchgate).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${BATCHGATE_BIN:-.build/release/batchgate}
echo "$(date -u +%FT%TZ); CPU flags: $(grep -o 'avx512[a-z_]*\|avx2\|avx_vnni' /proc/cpuinfo | sort -u | tr '\n' ' ')"
llama() {
    ../shared/llama.cpp/run llama-bench -m ".cache/bench/$1" -p 512 -n 32 -t 2 -r 1 -o jsonl 2>/dev/null |
        python3 -c 'import json, sys
print(" ".join("%s %.1f" % ("prefill" if d["n_prompt"] else "decode", d["avg_ts"]) for d in map(json.loads, sys.stdin)))'
}
ours() {
    "$bin" model bench ".cache/bench/$1" --prompt 512 --generate 32 --batch 1 --threads 2 --json 2>/dev/null |
        python3 -c 'import json, sys
d = json.load(sys.stdin); r = d["results"][0]
print("prefill %.1f decode %.1f (kernels %s)" % (r["prefill_tokens_per_s"], r["decode_tokens_per_s"], d["kernels"]))'
}
for file in "$@"; do
    for round in 1 2; do
        if ((round == 1)); then order=(llama ours); else order=(ours llama); fi
        for side in "${order[@]}"; do
            echo "$file round $round $side: $($side "$file"), load $(cut -d' ' -f1 /proc/loadavg)"
        done
    done
done
