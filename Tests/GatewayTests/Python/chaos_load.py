"""Steady traffic while a chaos test breaks something, counted client side, then the balance check of chaos_common.

Each of THREADS threads sends one request after another for SECONDS: non-streamed completions, streamed chats,
and (unless --no-leave) streams it leaves after their first bytes. Every request uses a connection of its own, so a
gateway short of descriptors shows as refused connections. With --settle-only it sends nothing and only checks that
nothing is held.

Prints the outcomes, the p50/p99 latency of the answered requests (milliseconds), and either FAIL lines or
"balanced: nothing lost"; exits 1 on any FAIL.

Usage: chaos_load.py BASE_URL API_KEY CA_FILE MODEL SECONDS [THREADS] [--no-leave] [--timeout SECONDS]
"""
import collections
import random
import sys
import threading
import time

import chaos_common

arguments = [a for a in sys.argv[1:] if not a.startswith("--")]
flags = [a for a in sys.argv[1:] if a.startswith("--")]
base_url, key, ca_file, model, seconds = arguments[0], arguments[1], arguments[2], arguments[3], float(arguments[4])
threads = int(arguments[5]) if len(arguments) > 5 else 4
timeout = 60.0
for flag in flags:
    if flag.startswith("--timeout="):
        timeout = float(flag.split("=", 1)[1])
leave = "--no-leave" not in flags
target = chaos_common.Target(base_url, key, ca_file, model)
outcomes = collections.Counter()
latencies = []
lock = threading.Lock()
before = chaos_common.metrics(target)
deadline = time.monotonic() + seconds


def run(seed):
    rng = random.Random(seed)
    while time.monotonic() < deadline:
        kind = rng.choice(["complete", "stream", "leave"] if leave else ["complete", "stream"])
        started = time.monotonic()
        ending = chaos_common.completion(
            target, stream=kind != "complete", max_tokens=1000 if kind == "leave" else rng.randint(4, 24),
            leave_after_first=kind == "leave", timeout=timeout)
        elapsed = time.monotonic() - started
        with lock:
            outcomes[ending] += 1
            if ending == "ok":
                latencies.append(elapsed)
        if ending == "refused":
            time.sleep(0.05)


workers = [threading.Thread(target=run, args=(seed,)) for seed in range(threads)]
for worker in workers:
    worker.start()
for worker in workers:
    worker.join()
if latencies:
    latencies.sort()
    p50 = latencies[len(latencies) // 2] * 1000
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000
    print(f"latency_ms: p50 {p50:.1f} p99 {p99:.1f} over {len(latencies)}")
sys.exit(chaos_common.report(outcomes, chaos_common.balance(target, before, outcomes)))
