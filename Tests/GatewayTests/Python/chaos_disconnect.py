"""Clients that leave at every point of a request's life, then the balance check of chaos_common.

Points, each ROUNDS times: during the TCP connect (connect, close), during the TLS handshake (half a ClientHello),
mid-headers, mid-body, while queued (behind streams that fill every running slot), during prefill (a long prompt,
left right after it is sent), mid-stream (after the first bytes). Then a few ordinary requests must still be answered.
The gateway counts a request once it has named its model: the ones left mid-headers or mid-body are not counted;
the others are counted once each (499 when the gateway saw the client go).

Usage: chaos_disconnect.py BASE_URL API_KEY CA_FILE MODEL ROUNDS FILLERS
"""
import collections
import socket
import sys
import threading
import time

import chaos_common

base_url, key, ca_file, model = sys.argv[1:5]
rounds, fillers = int(sys.argv[5]), int(sys.argv[6])
target = chaos_common.Target(base_url, key, ca_file, model)
outcomes = collections.Counter()
before = chaos_common.metrics(target)

# Half of a TLS 1.2 ClientHello record: the header promises 512 bytes, 40 come.
PARTIAL_HELLO = bytes([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xFC, 0x03, 0x03]) + bytes(29)


def raw(payload):
    connection = socket.create_connection((target.host, target.port), timeout=10)
    if payload:
        connection.sendall(payload)
    time.sleep(0.01)
    connection.close()


def tls_partial(payload):
    connection = target.connect(10)
    connection.sendall(payload)
    time.sleep(0.01)
    connection.close()


def body_of(prompt, stream, max_tokens):
    body = {"model": model, "max_tokens": max_tokens, "ignore_eos": True, "stream": stream}
    body["messages"] = [{"role": "user", "content": prompt}]
    return body


def sent_then_left(body, wait):
    """Sends a whole request, waits `wait` seconds (or, with None, for the first response byte), then leaves."""
    connection = target.connect(30)
    try:
        connection.sendall(target.request_bytes("POST", "/v1/chat/completions", body))
        if wait is None:
            connection.recv(1)
        else:
            time.sleep(wait)
        return "gone"
    finally:
        connection.close()


request = target.request_bytes("POST", "/v1/chat/completions", body_of("hello", False, 4))
head, _, body = request.partition(b"\r\n\r\n")
for _ in range(rounds):
    raw(b"")
    raw(PARTIAL_HELLO)
    tls_partial(head[: len(head) // 2])
    tls_partial(head + b"\r\n\r\n" + body[: len(body) // 2])

# While queued: fillers take every running slot with long streams first.
fill_threads = []
fill_stop = threading.Event()


def fill():
    connection = target.connect(60)
    try:
        connection.sendall(target.request_bytes("POST", "/v1/chat/completions", body_of("fill", True, 1500)))
        connection.recv(1)
        fill_stop.wait(60)
    finally:
        connection.close()


for _ in range(fillers):
    thread = threading.Thread(target=fill)
    thread.start()
    fill_threads.append(thread)
time.sleep(1.0)
waiting = chaos_common.family(chaos_common.metrics(target), "batchgate_num_requests_running", model=model)
print("running while filled:", waiting)
for _ in range(rounds):
    outcomes[sent_then_left(body_of("queued", False, 8), 0.3)] += 1
fill_stop.set()
for thread in fill_threads:
    thread.join()
    outcomes["gone"] += 1
held = chaos_common.wait_settled(target, 10)
if held:
    print("still held after the queued round:", held)

long_prompt = "the quick brown fox jumps over the lazy dog " * 60
for _ in range(rounds):
    outcomes[sent_then_left(body_of(long_prompt, False, 8), 0.005)] += 1
    outcomes[sent_then_left(body_of("stream", True, 1000), None)] += 1

for _ in range(4):
    outcomes[chaos_common.completion(target, stream=False, max_tokens=4)] += 1
    outcomes[chaos_common.completion(target, stream=True, max_tokens=4)] += 1
sys.exit(chaos_common.report(outcomes, chaos_common.balance(target, before, outcomes)))
