#!/usr/bin/env python3
"""Time to first token of a first and a second chat request that share one system prompt of N tokens.

    scripts/bench-prefix-ttft.py URL KEY CA_CERT MODEL [ROUNDS] [SYSTEM_TOKENS]

Each round makes a new system prompt of exactly SYSTEM_TOKENS tokens (default 1000; counted with the server's
/tokenize) and sends two requests with it, each with its own short question and max_tokens 1, not streamed, so the
request's whole time is the time to its one token. The first request computes the system prompt; with a prefix
cache the second finds it cached. Prints one JSON line per round: both times (curl's time_total, seconds), the
prompt tokens and usage.prompt_tokens_details.cached_tokens of each. Used by scripts/bench-prefix-ttft.sh.
"""
import json
import random
import subprocess
import sys

url, key, cert, model = sys.argv[1:5]
rounds = int(sys.argv[5]) if len(sys.argv) > 5 else 3
target = int(sys.argv[6]) if len(sys.argv) > 6 else 1000
WORDS = ("the of and to in is was for on that with as by at from his her they this had not are but which be one "
         "have all were when there can an been their more will would other into has time two may like our over "
         "some new first these also could made after many people then them water work most way world life day").split()


def post(path, body, extra=()):
    return subprocess.run(
        ["curl", "-s", "--max-time", "600", "--cacert", cert, "-H", f"Authorization: Bearer {key}", "-H",
         "Content-Type: application/json", "-d", json.dumps(body), *extra, url + path],
        capture_output=True, text=True, check=True).stdout


def count(text):
    return len(json.loads(post("/tokenize", {"model": model, "prompt": text}))["tokens"])


def system_prompt(seed):
    """Common words, as many as make exactly `target` tokens."""
    rnd = random.Random(seed)
    words = [rnd.choice(WORDS) for _ in range(target * 2)]
    n = target
    for _ in range(10):
        tokens = count(" ".join(words[:n]))
        if tokens == target:
            break
        n += target - tokens
    return " ".join(words[:n]), tokens


def ask(system, question):
    body = {"model": model, "max_tokens": 1,
            "messages": [{"role": "system", "content": system}, {"role": "user", "content": question}]}
    text, total = post("/v1/chat/completions", body, ("-w", "\nTOTAL %{time_total}\n")).rsplit("\nTOTAL ", 1)
    usage = json.loads(text)["usage"]
    return {"ttft_s": float(total), "prompt_tokens": usage["prompt_tokens"],
            "cached_tokens": usage.get("prompt_tokens_details", {}).get("cached_tokens")}


for r in range(rounds):
    system, tokens = system_prompt(1000 + r)
    first = ask(system, f"Question {r}: what is the first word?")
    second = ask(system, f"Question {r}: and what is the last one?")
    print(json.dumps({"round": r, "system_tokens": tokens, "first": first, "second": second,
                      "ratio": round(first["ttft_s"] / second["ttft_s"], 1)}), flush=True)
