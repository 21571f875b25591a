"""A streaming client that reads far too slowly: it sends a long streamed chat completion with a tiny receive
buffer, reads nothing until the gateway logs that it cut the client off, then reads the rest of the stream.

It checks that the stream ends with a `slow_client` error event and then `data: [DONE]`, and prints the number of
tokens it received (one logprobs entry per token) as `delivered N`, for the test to compare with the log line.

Usage: slow_reader.py PORT API_KEY GATEWAY_LOG
"""
import json
import socket
import ssl
import sys
import time

port, api_key, log_path = int(sys.argv[1]), sys.argv[2], sys.argv[3]

context = ssl.create_default_context()
context.check_hostname = False
context.verify_mode = ssl.CERT_NONE
context.set_alpn_protocols(["http/1.1"])
raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
raw.settimeout(30)
raw.connect(("127.0.0.1", port))
connection = context.wrap_socket(raw, server_hostname="localhost")
body = json.dumps({
    "model": "tiny", "messages": [{"role": "user", "content": "go"}], "stream": True, "ignore_eos": True,
    "max_tokens": 4000, "logprobs": True, "top_logprobs": 20,
})
connection.sendall((
    "POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + api_key
    + "\r\nContent-Type: application/json\r\nContent-Length: " + str(len(body)) + "\r\n\r\n" + body
).encode())

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
