#!/usr/bin/env bash
# A Yi-34B-shaped model on one machine: load time, resident memory, an answered request, and decode speed against
# llama.cpp on the same file.
#
#   ROUNDS=2 scripts/bench-yi34b.sh
#
# Makes .cache/bench/yi-34b-q4_k_m.gguf once with `batchgate model create` (random weights with Yi-34B's shapes:
# 60 layers, dim 7168, 56 heads and 8 KV heads of 128, ff 20480, a 64,000-token SentencePiece vocabulary, rope base
# 5,000,000, context 4096; llama-quantize's Q4_K_M type mixture; about 20 GB; needs that much free disk and takes
# a while on 2 cores). Then:
#   1. `batchgate serve` with the model and default settings (kv_cache_mib auto): the time from start to "worker
#      ready", the worker's resident memory (VmRSS) and the gateway's KV cache line, then one completion of 8 tokens.
#   2. ROUNDS alternating rounds of `llama-bench -p 0 -n 16 -t 2` and `batchgate model bench --prompt 16
#      --generate 16 --batch 1`: decode tokens/s, medians and their ratio.
# BATCHGATE_BIN: a release build (default .build/release/batchgate); LLAMA_TOOLS: llama.cpp's tools
# (default ../shared/llama.cpp/bin).
set -euo pipefail
cd "$(dirname "$0")/.."

bin=${BATCHGATE_BIN:-.build/release/batchgate}
tools=${LLAMA_TOOLS:-../shared/llama.cpp/bin}
rounds=${ROUNDS:-2}
model=.cache/bench/yi-34b-q4_k_m.gguf
mkdir -p .cache/bench
if [[ ! -f $model ]]; then
    start=$(date +%s)
    "$bin" model create "$model" --arch llama --vocab .cache/fixtures/ggml-vocab-llama-spm.gguf --vocab-size 64000 \
        --dim 7168 --layers 60 --heads 56 --kv-heads 8 --ff 20480 --context 4096 --rope-base 5000000 \
        --type q4_k_m --seed 1 --name yi-34b-shaped
    echo "created $model in $(($(date +%s) - start)) s"
fi
echo "file: $(du -h "$model" | cut -f1); CPU flags: $(grep -o 'avx512[a-z_]*\|avx2' /proc/cpuinfo | sort -u | tr '\n' ' ')"
echo "memory: $(grep -E 'MemTotal|MemAvailable' /proc/meminfo | tr -s ' ' | tr '\n' ' ')"

# 1. serve: load time, resident memory, one answer.
dir=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true; rm -rf "$dir"' EXIT
key=bench-$(date +%s)
cat >"$dir/batchgate.yaml" <<YAML
listener:
  host: 127.0.0.1
  port: 18480
  plaintext: true
models:
  - name: yi
    path: $(pwd)/$model
keys:
  - name: bench
    sha256: $(printf %s "$key" | sha256sum | cut -d' ' -f1)
YAML
started=$(date +%s.%N)
"$bin" serve --config "$dir/batchgate.yaml" >"$dir/log" 2>&1 &
server=$!
until grep -q "worker ready" "$dir/log"; do
    kill -0 $server 2>/dev/null || { cat "$dir/log"; exit 1; }
    sleep 1
done
ready=$(date +%s.%N)
grep -E "KV cache|loading" "$dir/log" | sed 's/^/  /'
worker=$(pgrep -f "batchgate worker .*--model $(pwd)/$model" | head -1)
echo "load: $(python3 -c "print(round($ready - $started, 1))") s to worker ready; worker $(grep VmRSS /proc/$worker/status)"
curl -s -m 600 http://127.0.0.1:18480/v1/completions -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
    -d '{"model": "yi", "prompt": "The capital of France is", "max_tokens": 8, "temperature": 0}' |
    python3 -c 'import json, sys; r = json.load(sys.stdin); print("answer:", r["usage"], repr(r["choices"][0]["text"]))'
kill $server
wait $server 2>/dev/null || true

# 2. decode speed, alternating rounds.
figures=$(mktemp)
llama() {
    "$tools/llama-bench" -m "$model" -p 0 -n 16 -t 2 -r 1 -o jsonl 2>/dev/null |
        python3 -c 'import json, sys
for line in sys.stdin: print("llama.cpp", json.loads(line)["avg_ts"])' >>"$figures"
}
ours() {
    "$bin" model bench "$model" --prompt 16 --generate 16 --batch 1 --threads 2 --json |
        python3 -c 'import json, sys; print("batchgate", json.load(sys.stdin)["results"][0]["decode_tokens_per_s"])' >>"$figures"
}
for round in $(seq "$rounds"); do
    if ((round % 2)); then llama; ours; else ours; llama; fi
    echo "round $round done $(date -u +%T)"
done
python3 - "$figures" <<'PY'
import statistics, sys
values = {}
for line in open(sys.argv[1]):
    side, value = line.split()
    values.setdefault(side, []).append(float(value))
ours, theirs = values["batchgate"], values["llama.cpp"]
print("decode tok/s, batch 1: Batchgate %s, llama.cpp %s, ratio of medians %.2f×" % (
    " / ".join("%.2f" % v for v in ours), " / ".join("%.2f" % v for v in theirs),
    statistics.median(ours) / statistics.median(theirs)))
PY
rm -f "$figures"
