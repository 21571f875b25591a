#!/usr/bin/env bash
# Soak test: the release gateway under steady load for DURATION, with streamed requests, client disconnects, quota
# refusals and a worker killed every few minutes. Samples every 10 s the resident memory of the gateway and its
# workers, the gateway's open descriptors, its shared-memory segments and the p50/p99 latency of the last window;
# writes soak.csv and soak.svg (memory and p99 over time) and prints a summary.
#
# Usage: scripts/soak.sh DURATION [CAPACITY_RPS]
#   DURATION      e.g. 5m, 1h (the bench's duration syntax)
#   CAPACITY_RPS  the gateway's measured capacity in requests/s; without it, a 60 s closed-loop bench measures it
# Environment:
#   BATCHGATE_BIN  the batchgate binary (default: build and use .build/release/batchgate)
#   MODEL          the GGUF model (default: the demo's, .cache/models/SmolLM2-135M-Instruct.Q4_1.gguf)
#   SOAK_DIR       where the run's files go (default: .build/soak/<UTC time>)
#   PORT           the gateway's port (default: a free one)
#   KILL_EVERY     seconds between worker kills (default: 180)
#   LOAD_SHARE     share of capacity to run at (default: 0.7)
set -euo pipefail

if [[ $# -lt 1 ]]; then
    sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
fi
DURATION=$1
CAPACITY=${2:-}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PYTHON=${PYTHON:-python3}
MODEL=${MODEL:-$ROOT/.cache/models/SmolLM2-135M-Instruct.Q4_1.gguf}
SOAK_DIR=${SOAK_DIR:-$ROOT/.build/soak/$(date -u +%Y%m%dT%H%M%SZ)}
PORT=${PORT:-$("$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
KILL_EVERY=${KILL_EVERY:-180}
LOAD_SHARE=${LOAD_SHARE:-0.7}

if [[ -z "${BATCHGATE_BIN:-}" ]]; then
    (cd "$ROOT" && swift build -c release --product batchgate)
    BATCHGATE_BIN=$ROOT/.build/release/batchgate
fi
[[ -f "$MODEL" ]] || { echo "soak: no model at $MODEL (run make fixtures, or set MODEL)" >&2; exit 1; }
mkdir -p "$SOAK_DIR"
cd "$SOAK_DIR"
ln -sf "$MODEL" model.gguf

KEY="bg-soak-$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')"
LIMITED_KEY="bg-soak-limited-$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')"
digest() { printf '%s' "$1" | sha256sum | cut -d' ' -f1; }
cat > batchgate.yaml <<EOF
listener:
  host: 127.0.0.1
  port: $PORT
tls:
  certificate: cert.pem
  key: key.pem
  self_signed: true
models:
  - name: soak
    path: model.gguf
    workers: 2
    max_running: 16
    max_queue: 512
    kv_cache_mib: 128
keys:
  - name: soak
    sha256: $(digest "$KEY")
  - name: limited
    sha256: $(digest "$LIMITED_KEY")
    quotas: {"*": {requests_per_minute: 6}}
cluster:
  data_directory: $SOAK_DIR/data
logging:
  level: notice
EOF

"$BATCHGATE_BIN" serve --config batchgate.yaml > gateway.log 2>&1 &
GATEWAY=$!
cleanup() {
    kill "$GATEWAY" 2>/dev/null || true
    wait "$GATEWAY" 2>/dev/null || true
}
trap cleanup EXIT
for _ in $(seq 1 120); do
    if curl -s --cacert cert.pem "https://localhost:$PORT/health/ready" | grep -q '"ready"'; then break; fi
    kill -0 "$GATEWAY" 2>/dev/null || { cat gateway.log >&2; exit 1; }
    sleep 1
done
URL="https://localhost:$PORT"

bench() { "$BATCHGATE_BIN" bench run --url "$URL" --api-key "$KEY" --model soak --endpoint chat --insecure --quiet \
    --prompt-tokens 64..256 --max-tokens 16..96 "$@"; }
if [[ -z "$CAPACITY" ]]; then
    echo "soak: measuring capacity (60 s, 16 clients)"
    bench --concurrency 16 --duration 60s --json capacity.json > capacity.txt
    CAPACITY=$("$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["request_throughput"])' capacity.json)
fi
RATE=$("$PYTHON" -c "print(round(float('$CAPACITY') * float('$LOAD_SHARE'), 3))")
echo "soak: capacity $CAPACITY requests/s; running at $RATE requests/s for $DURATION in $SOAK_DIR"

bench --rate "$RATE" --poisson --duration "$DURATION" --timeout 120s --json load.json > load.txt 2>&1 &
LOAD=$!
"$PYTHON" "$ROOT/scripts/soak_monitor.py" --url "$URL" --cafile cert.pem --key "$KEY" --limited-key "$LIMITED_KEY" \
    --gateway-pid "$GATEWAY" --model soak --kill-every "$KILL_EVERY" --csv soak.csv --until-pid "$LOAD"
wait "$LOAD" || echo "soak: the bench exited with $? (see load.txt)"
"$PYTHON" "$ROOT/scripts/soak_plot.py" soak.csv soak.svg
"$PYTHON" "$ROOT/scripts/soak_plot.py" --summary soak.csv | tee summary.txt
echo "soak: files in $SOAK_DIR (soak.csv, soak.svg, summary.txt, load.txt, gateway.log)"
