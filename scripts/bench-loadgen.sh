#!/usr/bin/env bash
# The load generator's own throughput: `batchgate bench` against the timing stub (`batchgate bench stub-server`:
# first token after 50 ms, then one every 10 ms) on loopback, both from a release build.
# Usage: scripts/bench-loadgen.sh [RATE] [DURATION] [MAX_TOKENS]   (defaults: 2000 req/s for 20s, 16 tokens)
set -euo pipefail
cd "$(dirname "$0")/.."
rate=${1:-2000}
duration=${2:-20s}
tokens=${3:-16}
swift build -c release --product batchgate >/dev/null
bin=.build/release/batchgate
out=$(mktemp -d)
trap 'kill "$stub_pid" 2>/dev/null || true; rm -rf "$out"' EXIT
"$bin" bench stub-server --port 0 --for 10m >"$out/stub.txt" &
stub_pid=$!
for _ in $(seq 50); do grep -q listening "$out/stub.txt" 2>/dev/null && break; sleep 0.1; done
port=$(sed -n 's/.*127.0.0.1:\([0-9]*\).*/\1/p' "$out/stub.txt")
stub_before=$(awk '{print $14 + $15}' "/proc/$stub_pid/stat")
TIMEFORMAT="generator CPU: %U s user + %S s system over %R s"
time "$bin" bench --url "http://127.0.0.1:$port" --rate "$rate" --duration "$duration" --max-tokens "$tokens" \
    --prompt-tokens 32 --max-in-flight 4096 --quiet --json "$out/report.json" >"$out/table.txt"
stub_after=$(awk '{print $14 + $15}' "/proc/$stub_pid/stat")
echo "stub CPU: $(( (stub_after - stub_before) / $(getconf CLK_TCK) )).$(( (stub_after - stub_before) % $(getconf CLK_TCK) )) s"
python3 - "$out/report.json" "$rate" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print(f"offered {float(sys.argv[2]):.0f} req/s: completed {r['request_throughput']:.0f} req/s, "
      f"{r['output_token_throughput']:.0f} tok/s, failed {r['requests_failed']}, "
      f"ttft p50 {r['ttft_ms']['p50']:.1f} ms p99 {r['ttft_ms']['p99']:.1f} ms "
      f"(uncorrected p99 {r['uncorrected']['ttft_ms']['p99']:.1f} ms)")
PY
