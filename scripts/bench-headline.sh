#!/usr/bin/env bash
# The headline comparison: `batchgate bench --sweep` against Batchgate and against llama.cpp's server on the same
# Q8_0 model with Qwen2-0.5B's shapes, 128 prompt tokens and 64 output tokens per request, SLO
# ttft_p99=2s,tpot_p99=250ms. Both servers are plain HTTP on loopback, 2 threads, 16 sequences at once; one runs
# at a time. Prompts are counted with the model's own tokenizer (--tokenizer), so both get the same requests.
#
#   LLAMA_SERVER=/path/to/llama-server scripts/bench-headline.sh [STEP_DURATION]
#
# BATCHGATE_BIN defaults to .build-release/release/batchgate; reports go to ${OUT:-out/headline}/. Every request
# gets a prompt of its own (PROMPT_POOL, default 5000 distinct prompts): llama-server keeps each slot's last prompt
# and reuses a repeated one, so a small pool of repeated prompts would measure its prompt cache instead of its
# prefill. SERVERS="batchgate llama-server" chooses which to run.
#
# TURNS=8 runs issue 19's multi-turn workload instead: each arrival is a chat conversation of 8 turns, each turn 128
# new prompt tokens and 64 out, resending the history and the previous answers (a prefix cache's best case). Its
# reports go to out/multiturn/ by default, and llama-server gets a context of 16 × 2048 tokens so that every slot
# holds a whole conversation (its prompt cache on, as it ships).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BATCHGATE_BIN:-.build-release/release/batchgate}
STEP=${1:-30s}
TURNS=${TURNS:-1}
if ((TURNS > 1)); then OUT=${OUT:-out/multiturn}; CTX=${CTX:-32768}; else OUT=${OUT:-out/headline}; CTX=${CTX:-4096}; fi
LLAMA_SERVER=${LLAMA_SERVER:?set LLAMA_SERVER to a llama-server binary built for this CPU}
mkdir -p "$OUT"
MODEL="$OUT/qwen2-0.5b-q8_0.gguf"
[ -f "$MODEL" ] || "$BIN" model create "$MODEL" --arch qwen2 --vocab "${BATCHGATE_FIXTURES:-.cache/fixtures}/ggml-vocab-qwen2.gguf" \
  --dim 896 --layers 24 --heads 14 --kv-heads 2 --ff 4864 --tied --type q8_0
KEY=bg-headline
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_ready() { for _ in $(seq 600); do curl -s -o /dev/null -w '%{http_code}' "$1" | grep -q 200 && return 0; sleep 0.5; done; return 1; }
sweep() {  # NAME URL [API KEY]
  # bench exits 1 when the sweep found no rate within the SLO (its reports are written all the same): say so and go
  # on to the other server rather than stop here.
  "$BIN" bench --url "$2" ${3:+--api-key "$3"} --model q --sweep --slo ttft_p99=2s,tpot_p99=250ms \
    --step-duration "$STEP" --prompt-tokens 128 --max-tokens 64 --tokenizer "$MODEL" --quiet \
    --prompt-pool "${PROMPT_POOL:-5000}" --turns "$TURNS" \
    --json "$OUT/$1.json" --html "$OUT/$1.html" || echo "== $1: bench exited $? (see its message above)"
}

SERVERS=${SERVERS:-batchgate llama-server}
if [[ " $SERVERS " == *" batchgate "* ]]; then
P=$(port)
"$BIN" serve --model "q=$MODEL" --plaintext --port "$P" --api-key $KEY >"$OUT/batchgate.log" 2>&1 &
SERVER=$!
trap 'kill ${SERVER:-0} 2>/dev/null || true' EXIT
wait_ready "http://127.0.0.1:$P/health/ready"
echo "== Batchgate (max_running 16, max_batch_tokens 512)"
sweep batchgate "http://127.0.0.1:$P" $KEY
kill $SERVER; wait $SERVER || true
fi

if [[ " $SERVERS " == *" llama-server "* ]]; then
P=$(port)
"$LLAMA_SERVER" -m "$MODEL" -t 2 --parallel 16 -c "$CTX" --port "$P" --alias q >"$OUT/llama-server.log" 2>&1 &
SERVER=$!
wait_ready "http://127.0.0.1:$P/health"
echo "== llama-server (--parallel 16, -c $CTX)"
sweep llama-server "http://127.0.0.1:$P"
kill $SERVER; wait $SERVER || true
fi
[ -f "$OUT/llama-server.json" ] && [ -f "$OUT/batchgate.json" ] && "$BIN" bench compare "$OUT/llama-server.json" "$OUT/batchgate.json"
