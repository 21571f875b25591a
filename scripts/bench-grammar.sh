#!/usr/bin/env bash
# What structured output costs in decode: `batchgate model bench` with and without a JSON Schema constraint on the
# same model, in alternating rounds, at batch 1 and 16.
#
#   ROUNDS=3 scripts/bench-grammar.sh [MODEL.gguf]
#
# Default model: the Qwen2-0.5B-shaped Q8_0 file of scripts/bench-engine.sh (made if missing), whose vocabulary is
# qwen2's 151,936 tokens. The schema (Benchmarks/grammar-schema.json) is an array of objects with a free string and
# an integer: a random-weight model spends most tokens inside strings, so after the first few tokens its masks come
# from the cache, as a real model's repeated structure does. Prints each round's decode tokens/s and the ratio of the
# medians (constrained ÷ free). A constrained output that ends (its grammar complete) is replaced by a new sequence
# in an untimed step, so both sides time steps of the same batch size. BATCHGATE_BIN: a release build (default .build/release/batchgate).
set -euo pipefail
cd "$(dirname "$0")/.."

bin=${BATCHGATE_BIN:-.build/release/batchgate}
rounds=${ROUNDS:-3}
model=${1:-.cache/bench/qwen2-0.5b-q8_0.gguf}
schema=Benchmarks/grammar-schema.json
mkdir -p .cache/bench
if [[ ! -f $model ]]; then
    "$bin" model create "$model" --arch qwen2 --vocab .cache/fixtures/ggml-vocab-qwen2.gguf --dim 896 \
        --layers 24 --heads 14 --kv-heads 2 --ff 4864 --tied --type q8_0 --seed 1
fi
echo "CPU flags: $(grep -o 'avx512[a-z_]*\|avx2' /proc/cpuinfo | sort -u | tr '\n' ' '); load $(cut -d' ' -f1-3 /proc/loadavg)"
figures=$(mktemp)
run() {
    local side=free
    [[ $# -eq 0 ]] || side=constrained
    "$bin" model bench "$model" --prompt 32 --generate 64 --batch 1,16 --threads 2 --json "$@" |
        python3 -c 'import json, sys
side = sys.argv[1]
for r in json.load(sys.stdin)["results"]:
    print("b%d %s %s" % (r["batch"], side, r["decode_tokens_per_s"]))' "$side" >>"$figures"
}
for round in $(seq "$rounds"); do
    if ((round % 2)); then run; run --json-schema "$schema"; else run --json-schema "$schema"; run; fi
    echo "round $round done $(date -u +%T)"
done
python3 - "$figures" <<'PY'
import statistics, sys
values = {}
for line in open(sys.argv[1]):
    batch, side, value = line.split()
    values.setdefault(batch, {}).setdefault(side, []).append(float(value))
for batch in sorted(values, key=lambda b: int(b[1:])):
    free, constrained = values[batch]["free"], values[batch]["constrained"]
    print("batch %s: free %s, constrained %s tok/s; constrained/free = %.3f" % (
        batch[1:], " / ".join("%.1f" % v for v in free), " / ".join("%.1f" % v for v in constrained),
        statistics.median(constrained) / statistics.median(free)))
PY
rm -f "$figures"
