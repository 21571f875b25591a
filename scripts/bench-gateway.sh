#!/usr/bin/env bash
# Gateway throughput and added latency: `batchgate serve` over TLS (HTTP/1.1 keep-alive), loaded by wrk from the
# same 2-core machine. The workers run the deterministic fake engine (`--fake-engine`: no model, tokens from a
# hash), so what is measured is the gateway: TLS, HTTP, JSON, tokenizer, quotas, scheduler and the shared-memory
# round trip to a real worker process. ENGINE=real runs the tiny model (dim 64, 2 layers, llama-spm vocabulary)
# instead, whose 32,000-token output layer then dominates.
#
#   scripts/bench-gateway.sh [SECONDS]      (BATCHGATE_BIN defaults to .build-release/release/batchgate)
#
# TRACING=on turns request tracing on (`tracing.otlp_endpoint`), exporting every request's spans over OTLP/HTTP
# (protobuf, batches every second) to a local sink that reads and drops them, so tracing off and on can be compared.
#
# Prints wrk's results for: non-streaming completions of one token at 64 connections (throughput), the same at one
# connection (latency), and GET /health/live at one connection (TLS + HTTP alone), then the mean step time from
# /metrics, so that added latency = completion latency − step time.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BATCHGATE_BIN:-.build-release/release/batchgate}
SECONDS_PER_RUN=${1:-15}
VOCAB=${BATCHGATE_FIXTURES:-.cache/fixtures}/ggml-vocab-llama-spm.gguf
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
DIR=$(mktemp -d)
SINK=
trap 'kill $SERVER $SINK 2>/dev/null || true; wait $SERVER $SINK 2>/dev/null || true; rm -rf "$DIR"' EXIT
"$BIN" model create "$DIR/tiny.gguf" --arch llama --vocab "$VOCAB" --dim 64 --layers 2 --heads 4 --kv-heads 2 \
  --ff 128 --context 512 --type f16 --seed 1 >/dev/null
KEY=bg-bench-gateway-key
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$DIR/bench.yaml" <<YAML
listener: {host: 127.0.0.1, port: $PORT}
tls: {certificate: cert.pem, key: key.pem, self_signed: true}
models:
  - {name: tiny, path: tiny.gguf, workers: 1, threads: 1, max_running: 64, max_batch_tokens: 2048, max_queue: 4096, kv_cache_mib: 16}
keys:
  - {name: bench, sha256: $("$BIN" keys hash --key $KEY)}
logging: {level: warning}
YAML
if [ "${TRACING:-off}" = on ]; then
  SINK_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  python3 - "$SINK_PORT" >"$DIR/sink.log" 2>&1 <<'PY' &
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
class Sink(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")
    def log_message(self, *args):
        pass
ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Sink).serve_forever()
PY
  SINK=$!
  echo "tracing: {otlp_endpoint: 'http://127.0.0.1:$SINK_PORT', export_interval: 1s}" >> "$DIR/bench.yaml"
  echo "== tracing on: spans go to the sink on port $SINK_PORT"
fi
FAKE=--fake-engine
[ "${ENGINE:-fake}" = real ] && FAKE=
# A state directory of its own: the usage records go to a fresh SQLite file (the default one under ~ grows with every
# run, and a large table makes each insert dearer), and binaries of other schema versions run side by side.
XDG_STATE_HOME="$DIR/state" "$BIN" serve --config "$DIR/bench.yaml" $FAKE >"$DIR/serve.log" 2>&1 &
SERVER=$!
for _ in $(seq 100); do
  curl -sk -o /dev/null "https://127.0.0.1:$PORT/health/ready" && break
  sleep 0.2
done
cat > "$DIR/post.lua" <<LUA
wrk.method = "POST"
wrk.body = '{"model":"tiny","prompt":[1,15,200,37],"max_tokens":1,"temperature":0}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $KEY"
LUA
URL="https://127.0.0.1:$PORT"
wrk -t1 -c4 -d3s -s "$DIR/post.lua" "$URL/v1/completions" >/dev/null   # warm-up
echo "== completions, 64 connections, 2 wrk threads"
wrk -t2 -c64 -d"${SECONDS_PER_RUN}s" --latency -s "$DIR/post.lua" "$URL/v1/completions"
echo "== completions, 1 connection"
wrk -t1 -c1 -d"${SECONDS_PER_RUN}s" --latency -s "$DIR/post.lua" "$URL/v1/completions"
echo "== /health/live, 64 connections (TLS and HTTP alone)"
wrk -t2 -c64 -d"${SECONDS_PER_RUN}s" --latency "$URL/health/live"
echo "== /health/live, 1 connection (TLS and HTTP alone)"
wrk -t1 -c1 -d"${SECONDS_PER_RUN}s" --latency "$URL/health/live"
echo "== step time from /metrics"
curl -sk "$URL/metrics" | grep -E '^batchgate_step_duration_seconds_(sum|count)'
if grep -q ' 50[0-9] \|status=5' "$DIR/serve.log"; then echo "server errors:"; grep 'status=5' "$DIR/serve.log" | head; fi
