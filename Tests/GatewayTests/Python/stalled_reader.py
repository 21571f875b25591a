"""A streaming client that stops reading: it sends a long streamed chat completion with a tiny receive buffer, reads
nothing for SECONDS, then reads what the gateway sent until the connection ends.

Prints `closed` when the gateway had closed the connection (the read reaches its end, or a reset), `open` when
data still flowed after 10 s of reading.

Usage: stalled_reader.py PORT API_KEY SECONDS
"""
import json
import socket
import ssl
import sys
import time

port, api_key, seconds = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])

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
time.sleep(seconds)

deadline = time.monotonic() + 10
received = 0
state = "open"
connection.settimeout(1)
while time.monotonic() < deadline:
    try:
        chunk = connection.recv(65536)
    except socket.timeout:
        continue
    except (ConnectionResetError, ssl.SSLError, OSError):
        state = "closed"
        break
    if not chunk:
        state = "closed"
        break
    received += len(chunk)
print("%s after %d bytes" % (state, received))
