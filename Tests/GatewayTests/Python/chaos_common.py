"""What the chaos scripts share: one HTTPS request with its ending classified, the gateway's counters read from
/metrics and /v1/quotas, and the check that they balance with what the client counted.

An ending is one of:
- ok: a 200 answer, complete (a non-streamed body with choices, or a stream that ends in a finish and [DONE]);
- error:STATUS: a clear error: a non-200 status with an OpenAI-shaped error body, or (STATUS 200) a stream that ends
  in an error event and [DONE];
- gone: the client left on purpose after sending its whole request (the gateway counts it as 499);
- refused: the connection failed before the request was sent (nothing was accepted);
- lost: anything else: an accepted request that ended with neither an answer nor a clear error.

Standard library only, so that it runs where the venv is not wanted.
"""
import json
import re
import socket
import ssl
import time
import urllib.parse

METRIC_LINE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? ([0-9.eE+-]+|NaN|\+Inf|-Inf)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


class Target:
    """The gateway: its base URL (https://host:port), a key, the CA file and the model."""

    def __init__(self, base_url, key, ca_file, model):
        parsed = urllib.parse.urlparse(base_url)
        self.host, self.port = parsed.hostname, parsed.port
        self.key, self.model = key, model
        self.context = ssl.create_default_context(cafile=ca_file)
        self.context.check_hostname = False

    def connect(self, timeout=60):
        """A TLS connection to the gateway (raises on failure)."""
        raw = socket.create_connection((self.host, self.port), timeout=timeout)
        try:
            return self.context.wrap_socket(raw, server_hostname="localhost")
        except BaseException:
            raw.close()
            raise

    def request_bytes(self, method, path, body=None, key=None):
        """The bytes of one HTTP/1.1 request that closes its connection afterwards."""
        data = b"" if body is None else json.dumps(body).encode()
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {key or self.key}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\nConnection: close\r\n\r\n"
        )
        return head.encode() + data

    def get(self, path, timeout=30):
        """GET `path`: (status, body bytes); raises when the gateway cannot be reached."""
        connection = self.connect(timeout)
        try:
            connection.sendall(self.request_bytes("GET", path))
            return read_response(connection)
        finally:
            connection.close()


def read_response(connection):
    """Reads a whole `Connection: close` response: (status, body bytes), de-chunked."""
    data = b""
    while True:
        part = connection.recv(65536)
        if not part:
            break
        data += part
    head, _, body = data.partition(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 "):
        raise ConnectionError(f"no HTTP response: {data[:80]!r}")
    status = int(head.split(b" ", 2)[1])
    if b"transfer-encoding: chunked" in head.lower():
        body = dechunk(body)
    return status, body


def dechunk(body):
    """The payload of a chunked body; raises if the body was cut before its last chunk."""
    out = b""
    while True:
        size_line, sep, rest = body.partition(b"\r\n")
        if not sep:
            raise ConnectionError("chunked body cut off")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            return out
        out += rest[:size]
        body = rest[size + 2:]


def classify(status, body, stream):
    """The ending of a response that arrived whole (see the module's docstring)."""
    if status != 200:
        try:
            error = json.loads(body)["error"]
            return f"error:{status}" if error.get("message") else "lost"
        except (ValueError, KeyError, TypeError, AttributeError):
            return "lost"
    if not stream:
        try:
            return "ok" if json.loads(body)["choices"] else "lost"
        except (ValueError, KeyError, TypeError):
            return "lost"
    events = [line[6:] for line in body.decode(errors="replace").split("\n") if line.startswith("data: ")]
    if not events or events[-1] != "[DONE]":
        return "lost"
    for event in events[:-1]:
        payload = json.loads(event)
        if "error" in payload:
            return "error:200" if payload["error"].get("message") else "lost"
        if any(choice.get("finish_reason") for choice in payload.get("choices", [])):
            return "ok"
    return "lost"


def completion(target, stream, max_tokens, leave_after_first=False, timeout=60, prompt="chaos"):
    """Sends one completion on a connection of its own; returns its ending."""
    body = {"model": target.model, "max_tokens": max_tokens, "ignore_eos": True, "stream": stream}
    if stream:
        body["messages"] = [{"role": "user", "content": prompt}]
        path = "/v1/chat/completions"
    else:
        body["prompt"] = prompt
        path = "/v1/completions"
    try:
        connection = target.connect(timeout)
    except (OSError, ssl.SSLError):
        return "refused"
    try:
        try:
            connection.sendall(target.request_bytes("POST", path, body))
        except (OSError, ssl.SSLError):
            return "refused"
        if leave_after_first:
            first = connection.recv(1)
            if not first:
                return "lost"
            return "gone"
        status, data = read_response(connection)
        return classify(status, data, stream)
    except (OSError, ssl.SSLError, ValueError, ConnectionError):
        return "lost"
    finally:
        connection.close()


def metrics(target):
    """/metrics as {(name, frozenset(labels)): value}."""
    status, body = target.get("/metrics")
    if status != 200:
        raise RuntimeError(f"/metrics answered {status}")
    values = {}
    for line in body.decode().splitlines():
        match = METRIC_LINE.match(line)
        if match:
            labels = frozenset(LABEL.findall(match.group(2) or ""))
            values[(match.group(1), labels)] = float(match.group(3))
    return values


def family(values, name, **wanted):
    """The samples of `name` whose labels include `wanted`, as [(labels dict, value)]."""
    out = []
    for (metric, labels), value in values.items():
        labels = dict(labels)
        if metric == name and all(labels.get(k) == v for k, v in wanted.items()):
            out.append((labels, value))
    return out


def requests_by_status(values, model):
    """batchgate_requests_total of `model` by status."""
    return {labels["status"]: value for labels, value in family(values, "batchgate_requests_total", model=model)}


def unsettled(target):
    """What still holds a request once all should be done (empty when settled): waiting, running, quota slots in
    use (the metric and /v1/quotas) and KV blocks held."""
    values = metrics(target)
    held = []
    for name in ("batchgate_num_requests_waiting", "batchgate_num_requests_running",
                 "batchgate_quota_concurrent_requests", "batchgate_kv_blocks_used"):
        for labels, value in family(values, name, model=target.model):
            if value != 0:
                held.append(f"{name}{labels}={value}")
    status, body = target.get("/v1/quotas")
    if status != 200:
        held.append(f"/v1/quotas answered {status}")
    else:
        for entry in json.loads(body)["data"]:
            in_use = (entry.get("concurrent_requests") or {}).get("in_use", 0)
            if in_use:
                held.append(f"/v1/quotas {entry.get('model')} in_use={in_use}")
    return held


def wait_settled(target, seconds=20):
    """Waits until nothing is held; returns what is still held after `seconds` (empty: settled)."""
    deadline = time.monotonic() + seconds
    while True:
        held = unsettled(target)
        if not held or time.monotonic() > deadline:
            return held
        time.sleep(0.2)


def balance(target, before, outcomes):
    """Problems (empty: none) between the client's count of endings and the gateway's request counter, read now
    against `before` (a `metrics` reading from before the load). Every request the client sent whole is counted by
    the gateway once: ok under 200, gone under 499, and every error under some status."""
    held = wait_settled(target)
    ok = outcomes.get("ok", 0)
    gone = outcomes.get("gone", 0)
    errors = sum(count for ending, count in outcomes.items() if ending.startswith("error:"))
    first = requests_by_status(before, target.model)
    # A stream's request is counted when its body ends, a moment after its sequence is released: read again
    # for a few seconds before calling a difference a problem.
    deadline = time.monotonic() + 5
    while True:
        after = requests_by_status(metrics(target), target.model)
        delta = {status: after.get(status, 0) - first.get(status, 0) for status in after}
        delta = {status: count for status, count in delta.items() if count}
        answered = delta.get("200", 0)
        if (ok <= answered <= ok + gone and sum(delta.values()) == ok + gone + errors) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    problems = list(held)
    # A stream cut by an error event after its 200 head is counted under the error's status; a client that left
    # is counted under 200 when its answer was complete before the gateway saw it go.
    if not ok <= answered <= ok + gone:
        problems.append(f"gateway counted {answered} answered (200), the client {ok} (and {gone} left): {delta}")
    if sum(delta.values()) != ok + gone + errors:
        problems.append(
            f"gateway counted {sum(delta.values())} requests {delta}, the client sent {ok + gone + errors} "
            f"(ok {ok}, gone {gone}, errors {errors})")
    return problems


def report(outcomes, problems):
    """Prints the outcomes and problems; the exit status (0 only if nothing was lost and all balanced)."""
    print("outcomes:", json.dumps(dict(sorted(outcomes.items()))))
    if outcomes.get("lost", 0):
        problems = problems + [f"{outcomes['lost']} requests lost (neither an answer nor a clear error)"]
    for problem in problems:
        print("FAIL", problem)
    if not problems:
        print("balanced: nothing lost")
    return 1 if problems else 0
