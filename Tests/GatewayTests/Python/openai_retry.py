"""Checks that the openai client's automatic retries wait for Batchgate's Retry-After.

The gateway runs one sequence at a time with a queue of one (max_running 1, max_queue 1). Two long generations
fill both; a third request then gets 503 queue_full with Retry-After, and the client (max_retries 30) waits that
long before each retry until the queue has room, then succeeds.

With FILLERS 1 and STATUS 429 the key's concurrency quota of one does the refusing instead.

Usage: openai_retry.py BASE_URL API_KEY CA_FILE MODEL FILLERS STATUS
"""
import sys
import threading
import time

import openai

base_url, api_key, ca_file, model = sys.argv[1:5]
filler_count, refusal_status = int(sys.argv[5]), int(sys.argv[6])
attempts = []  # (time sent, status, retry-after)


def on_response(response):
    attempts.append((time.monotonic(), response.status_code, response.headers.get("retry-after")))


def long_generation():
    client = openai.OpenAI(
        base_url=base_url, api_key=api_key, http_client=openai.DefaultHttpx2Client(verify=ca_file), max_retries=0
    )
    client.completions.create(model=model, prompt="fill", max_tokens=3500, extra_body={"ignore_eos": True})


fillers = [threading.Thread(target=long_generation) for _ in range(filler_count)]
for filler in fillers:
    filler.start()
    # Short: the engine makes a 3,500-token filler in about half a second, and the fillers must still hold the
    # running slot and the queue when the request below arrives.
    time.sleep(0.1)

client = openai.OpenAI(
    base_url=base_url,
    api_key=api_key,
    http_client=openai.DefaultHttpx2Client(verify=ca_file, event_hooks={"response": [on_response]}),
    max_retries=30,
)
started = time.monotonic()
answer = client.completions.create(model=model, prompt="retry", max_tokens=2)
for filler in fillers:
    filler.join()

print(f"attempts: {[(round(t - started, 2), s, r) for t, s, r in attempts]}")
refused = [a for a in attempts if a[1] == refusal_status]
if not refused:
    print(f"FAIL no {refusal_status} was seen; nothing was full")
    sys.exit(1)
for (sent, status, retry_after), (next_sent, _, _) in zip(attempts, attempts[1:]):
    if status == refusal_status:
        if retry_after is None:
            print("FAIL a 503 without Retry-After")
            sys.exit(1)
        # The response hook fires when the answer arrives; the next attempt must come Retry-After later.
        if next_sent - sent < float(retry_after) - 0.05:
            print(f"FAIL retried after {next_sent - sent:.2f}s, Retry-After was {retry_after}")
            sys.exit(1)
if attempts[-1][1] != 200 or answer.choices[0].finish_reason not in ("stop", "length"):
    print("FAIL the retried request did not succeed")
    sys.exit(1)
print(f"ok: {len(refused)} refusals, each retried after its Retry-After, then 200")
