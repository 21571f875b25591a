#!/usr/bin/env bash
# Engine speed, Batchgate vs llama.cpp, measured alternately in the same run on the same file.
#
#   ROUNDS=3 scripts/bench-engine.sh [TYPE ...]      (default types: q8_0 f16; default 3 rounds)
#   MODEL=FILE.gguf ROUNDS=3 scripts/bench-engine.sh  (the same figures on an existing model file)
#
# For each type: makes the Qwen2-0.5B-shaped random-weight model in .cache/bench if missing, then ROUNDS times, one
# after the other:
#   llama-bench -p 512 -n 64 -t 2 -r 1                        and  batchgate model bench --prompt 512 --generate 64 --batch 1
#   llama-batched-bench -npp 128 -ntg 32 -npl 1,16 -t 2       and  batchgate model bench --prompt 128 --generate 32 --batch 1,16
# (who goes first alternating from round to round) and prints every round's figures, then each figure's median
# over the rounds and the ratio of the medians. These machines are shared: single runs of either side move by
# 10-20% from minute to minute, so a ratio is only quoted from medians of alternating rounds.
# BATCHGATE_BIN: a release build (default .build/release/batchgate). LLAMA_TOOLS: the folder of llama.cpp's tools
# (default ../shared/llama.cpp/bin). NATIVE: a folder whose libllama.so/libggml*.so were built for this CPU
# (GGML_NATIVE=ON) next to links to the tools' other libraries; the shared libraries are built for AVX-512 and
# die with SIGILL without it.
set -euo pipefail
cd "$(dirname "$0")/.."

bin=${BATCHGATE_BIN:-.build/release/batchgate}
tools=${LLAMA_TOOLS:-../shared/llama.cpp/bin}
native=${NATIVE:-../shared/llama.cpp/lib}
rounds=${ROUNDS:-3}
types=("$@")
[[ ${#types[@]} -gt 0 ]] || types=(q8_0 f16)
[[ -z ${MODEL:-} ]] || types=(file)

mkdir -p .cache/bench
for type in "${types[@]}"; do
    model=${MODEL:-.cache/bench/qwen2-0.5b-$type.gguf}
    if [[ ! -f $model ]]; then
        "$bin" model create "$model" --arch qwen2 --vocab .cache/fixtures/ggml-vocab-qwen2.gguf --dim 896 \
            --layers 24 --heads 14 --kv-heads 2 --ff 4864 --tied --type "$type" --seed 1
    fi
    echo "== $type ($model): $(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg), $rounds rounds"
    figures=$(mktemp)
    llama_single() {
        LD_LIBRARY_PATH=$native "$tools/llama-bench" -m "$model" -p 512 -n 64 -t 2 -r 1 -o jsonl 2>/dev/null |
            python3 -c 'import json, sys
for line in sys.stdin:
    r = json.loads(line)
    name = "prefill_512" if r["n_prompt"] else "decode_tg64"
    print(name, "llama.cpp", r["avg_ts"])' >>"$figures"
    }
    ours_single() {
        "$bin" model bench "$model" --prompt 512 --generate 64 --batch 1 --threads 2 --json |
            python3 -c 'import json, sys
r = json.load(sys.stdin)["results"][0]
print("prefill_512 batchgate", r["prefill_tokens_per_s"])
print("decode_tg64 batchgate", r["decode_tokens_per_s"])' >>"$figures"
    }
    llama_batched() {
        # llama-batched-bench's table: | PP | TG | B | N_KV | T_PP s | S_PP t/s | T_TG s | S_TG t/s | ...
        LD_LIBRARY_PATH=$native "$tools/llama-batched-bench" -m "$model" -c 4096 -npp 128 -ntg 32 -npl 1,16 -t 2 \
            2>/dev/null | awk -F'|' '$2 ~ /^ *128 *$/ { gsub(/ /, "", $4); gsub(/ /, "", $9); print "decode_b" $4, "llama.cpp", $9 }' >>"$figures"
    }
    ours_batched() {
        "$bin" model bench "$model" --prompt 128 --generate 32 --batch 1,16 --threads 2 --json |
            python3 -c 'import json, sys
for r in json.load(sys.stdin)["results"]:
    print("decode_b%d batchgate %s" % (r["batch"], r["decode_tokens_per_s"]))' >>"$figures"
    }
    for round in $(seq "$rounds"); do
        # Who goes first alternates, so that neither side always runs in the wake of the other.
        if ((round % 2)); then
            llama_single; ours_single; llama_batched; ours_batched
        else
            ours_single; llama_single; ours_batched; llama_batched
        fi
        echo "round $round done $(date -u +%T)"
    done
    python3 - "$figures" <<'PY'
import statistics, sys
values = {}
for line in open(sys.argv[1]):
    name, side, value = line.split()
    values.setdefault(name, {}).setdefault(side, []).append(float(value))
labels = {"decode_tg64": "decode, batch 1 (tg64)", "decode_b1": "decode, batch 1 (batched-bench B=1)",
          "decode_b16": "aggregate decode, 16 sequences", "prefill_512": "prefill 512"}
print("| figure (tok/s) | Batchgate, each round | llama.cpp, each round | median ratio |")
print("|---|---|---|---|")
for name in ["decode_tg64", "decode_b1", "decode_b16", "prefill_512"]:
    ours, theirs = values[name]["batchgate"], values[name]["llama.cpp"]
    ratio = statistics.median(ours) / statistics.median(theirs)
    print("| %s | %s | %s | **%.2f×** |" % (labels[name], " / ".join("%.1f" % v for v in ours),
                                           " / ".join("%.1f" % v for v in theirs), ratio))
PY
    rm -f "$figures"
done
