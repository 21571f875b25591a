"""A streaming client that reads far too slowly: it sends a long streamed chat completion with a tiny receive
buffer, reads nothing until the gateway logs that it cut the client off, then reads the rest of the stream.

It checks that the stream ends with a `slow_client` error event and then `data: [DONE]`, and prints the number of
tokens it received (one logprobs entry per token) as `delivered N`, for the test to compare with the log line.

Usage: slow_reader.py PORT API_KEY GATEWAY_LOG
"""
import json
import sys
import time

from long_stream import open_long_stream

port, api_key, log_path = int(sys.argv[1]), sys.argv[2], sys.argv[3]

connection = open_long_stream(port, api_key)

deadline = time.monotonic() + 60
while "too slowly" not in open(log_path, encoding="utf-8").read():
    if time.monotonic() > deadline:
        sys.exit("the gateway never cut the client off")
    time.sleep(0.1)

data = b""
while b"\r\n0\r\n\r\n" not in data:
    chunk = connection.recv(65536)
    if not chunk:
        break
    data += chunk
head, _, rest = data.partition(b"\r\n\r\n")
if not head.startswith(b"HTTP/1.1 200"):
    sys.exit("unexpected head: %r" % head[:200])
# Undo the chunked transfer encoding.
payload = b""
while rest:
    size_line, _, rest = rest.partition(b"\r\n")
    size = int(size_line, 16)
    if size == 0:
        break
    payload += rest[:size]
    rest = rest[size + 2:]
events = [line[len("data: "):] for line in payload.decode().split("\n\n") if line.startswith("data: ")]
if len(events) < 3 or events[-1] != "[DONE]":
    sys.exit("the stream does not end with [DONE]: %r" % events[-3:])
error = json.loads(events[-2]).get("error")
if not error or error.get("code") != "slow_client":
    sys.exit("the event before [DONE] is not a slow_client error: %r" % events[-2])
delivered = 0
for event in events[:-2]:
    for choice in json.loads(event).get("choices", []):
        delivered += len((choice.get("logprobs") or {}).get("content") or [])
print("delivered %d" % delivered)
