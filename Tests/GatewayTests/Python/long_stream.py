"""A long streamed chat completion on a connection with a tiny receive buffer, for the clients that read slowly or
not at all (slow_reader.py, stalled_reader.py)."""
import json
import socket
import ssl


def open_long_stream(port, api_key):
    """Sends the request over TLS (HTTP/1.1) to 127.0.0.1:PORT and returns the connection, nothing read yet."""
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
    return connection
