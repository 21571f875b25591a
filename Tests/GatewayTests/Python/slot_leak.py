"""Sends many requests for a key with a concurrency quota and ends them in every way a request can end, then checks
through GET /v1/quotas that every concurrency slot came back.

Endings: finished (streamed and not), client gone mid-stream, client timeout, refused by the quota (429), refused by
the scheduler after the quota admitted it (503 queue_full), and (from the test driving this script) worker
processes killed while streams run.

Usage: slot_leak.py BASE_URL API_KEY CA_FILE MODEL COUNT
"""
import collections
import json
import random
import sys
import threading

import httpx2 as httpx

base_url, api_key, ca_file, model, count = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
headers = {"Authorization": f"Bearer {api_key}"}
outcomes = collections.Counter()
lock = threading.Lock()
rng = random.Random(7)
kinds = ["finish", "finish_stream", "disconnect", "timeout"]
plan = [rng.choice(kinds) for _ in range(count)]


def record(kind):
    with lock:
        outcomes[kind] += 1


def one(client, kind):
    body = {"model": model, "prompt": "slot", "ignore_eos": True}
    try:
        if kind == "finish":
            body["max_tokens"] = 4
            response = client.post(f"{base_url}/completions", json=body)
            record(f"{kind}:{response.status_code}")
        elif kind == "finish_stream":
            body.update(max_tokens=6, stream=True)
            with client.stream("POST", f"{base_url}/completions", json=body) as response:
                text = "".join(response.iter_text())
                record(f"{kind}:{response.status_code}:{'done' if text.endswith('data: [DONE]' + chr(10) * 2) else 'cut'}")
        elif kind == "disconnect":
            body.update(max_tokens=2000, stream=True)
            with client.stream("POST", f"{base_url}/completions", json=body) as response:
                if response.status_code == 200:
                    for _ in response.iter_bytes():
                        break  # leave after the first bytes
                record(f"{kind}:{response.status_code}")
        elif kind == "timeout":
            body.update(max_tokens=2000)
            try:
                client.post(f"{base_url}/completions", json=body, timeout=0.2)
                record(f"{kind}:finished")
            except httpx.TimeoutException:
                record(f"{kind}:timed_out")
    except httpx.HTTPError as error:
        record(f"{kind}:error:{type(error).__name__}")


def worker(indices):
    with httpx.Client(verify=ca_file, headers=headers, timeout=60) as client:
        for index in indices:
            one(client, plan[index])


threads = [threading.Thread(target=worker, args=(range(t, count, 8),)) for t in range(8)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()

print("outcomes:", json.dumps(dict(sorted(outcomes.items()))))
with httpx.Client(verify=ca_file, headers=headers) as client:
    import time

    deadline = time.monotonic() + 10
    while True:
        report = client.get(f"{base_url}/quotas").json()
        in_use = report["data"][0]["concurrent_requests"]["in_use"]
        if in_use == 0 or time.monotonic() > deadline:
            break
        time.sleep(0.05)
print("in_use after:", in_use)
refused = sum(n for k, n in outcomes.items() if ":429" in k)
if in_use != 0:
    print("FAIL slots leaked")
    sys.exit(1)
if refused == 0:
    print("FAIL the concurrency quota never refused anything; the test did not exercise it")
    sys.exit(1)
print("ok: every slot returned")
