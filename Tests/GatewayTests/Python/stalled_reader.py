"""A streaming client that stops reading: it sends a long streamed chat completion with a tiny receive buffer, reads
nothing for SECONDS, then reads what the gateway sent until the connection ends.

Prints `closed` when the gateway had closed the connection (the read reaches its end, or a reset), `open` when
data still flowed after 10 s of reading.

Usage: stalled_reader.py PORT API_KEY SECONDS
"""
import socket
import ssl
import sys
import time

from long_stream import open_long_stream

port, api_key, seconds = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])

connection = open_long_stream(port, api_key)
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
