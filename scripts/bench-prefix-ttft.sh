#!/usr/bin/env bash
# Prefix caching: time to first token of a second request that shares a 1,000-token system prompt with the first,
# with models[].prefix_cache on, then off, on the same model and machine.
#
#   ROUNDS=3 scripts/bench-prefix-ttft.sh [MODEL.gguf]     (default .cache/bench/qwen2-0.5b-q8_0.gguf)
#
# Starts `batchgate serve` (BATCHGATE_BIN, default .build/release/batchgate) on a loopback port with one worker of
# 2 threads and a 256 MiB KV cache, runs scripts/bench-prefix-ttft.py (ROUNDS rounds of two requests, each round a
# new system prompt of SYSTEM_TOKENS tokens, default 1000), stops it, and does the same with prefix_cache: false.
# Shared machines move timings by 10-20% from minute to minute: quote the load average with the figures.
set -euo pipefail
cd "$(dirname "$0")/.."
MODEL="$(realpath "${1:-.cache/bench/qwen2-0.5b-q8_0.gguf}")"
BIN="$(realpath "${BATCHGATE_BIN:-.build/release/batchgate}")"
ROUNDS="${ROUNDS:-3}"
SCRIPT="$(realpath scripts/bench-prefix-ttft.py)"
DIR="$(mktemp -d)"
trap 'rm -rf "$DIR"' EXIT
KEY="bg-bench-prefix-key"
DIGEST="$(printf %s "$KEY" | sha256sum | cut -d' ' -f1)"
PORT=18543
cd "$DIR"
for CACHE in true false; do
    cat > "bench-$CACHE.yaml" <<YAML
listener: {host: 127.0.0.1, port: $PORT}
tls: {certificate: cert.pem, key: key.pem, self_signed: true}
models:
  - {name: bench, path: "$MODEL", workers: 1, threads: 2, max_batch_tokens: 512, max_running: 4, kv_cache_mib: 256,
     prefix_cache: $CACHE}
keys:
  - {name: bench, sha256: $DIGEST}
YAML
    "$BIN" serve --config "bench-$CACHE.yaml" > "serve-$CACHE.log" 2>&1 &
    SERVER=$!
    for _ in $(seq 1 120); do
        [ "$(curl -s -o /dev/null -w '%{http_code}' --cacert cert.pem "https://localhost:$PORT/health/ready")" = 200 ] && break
        sleep 1
    done
    echo "prefix_cache: $CACHE   ($(uptime | sed 's/.*load/load/'))"
    python3 "$SCRIPT" "https://localhost:$PORT" "$KEY" cert.pem bench "$ROUNDS" "${SYSTEM_TOKENS:-1000}"
    kill "$SERVER"
    wait "$SERVER" || true
done
