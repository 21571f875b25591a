"""The soak's side of the load and its sampler (scripts/soak.sh runs it beside `batchgate bench`).

While the process --until-pid lives (the bench), it
- leaves a streamed request after its first bytes every 2 s (a client disconnect),
- sends a request with the quota-limited key every second (refused with 429 once its quota is spent),
- SIGKILLs one worker of the gateway every --kill-every seconds,
- and every 10 s writes one CSV row: the resident memory of the gateway (all, and its anonymous part) and of its
  workers (KiB), the gateway's open descriptors and shared-memory segments (memfd descriptors, and entries of
  /dev/shm), the requests that ended in the window and their p50/p99 end-to-end latency (seconds, from the
  gateway's histogram), and the side traffic's counts so far.

Standard library only.
"""
import argparse
import csv
import json
import os
import re
import signal
import socket
import ssl
import threading
import time
import urllib.parse

parser = argparse.ArgumentParser()
parser.add_argument("--url", required=True)
parser.add_argument("--cafile", required=True)
parser.add_argument("--key", required=True)
parser.add_argument("--limited-key", required=True)
parser.add_argument("--gateway-pid", type=int, required=True)
parser.add_argument("--model", required=True)
parser.add_argument("--kill-every", type=float, default=180)
parser.add_argument("--interval", type=float, default=10)
parser.add_argument("--csv", required=True)
parser.add_argument("--until-pid", type=int, required=True)
options = parser.parse_args()

parsed = urllib.parse.urlparse(options.url)
context = ssl.create_default_context(cafile=options.cafile)
context.check_hostname = False
counts = {"disconnects": 0, "quota_refusals": 0, "quota_answered": 0, "worker_kills": 0, "side_errors": 0}
lock = threading.Lock()
stop = threading.Event()
BUCKET = re.compile(r'^batchgate_e2e_request_latency_seconds_bucket\{(.*)\} ([0-9.eE+-]+)$')


def count(name):
    with lock:
        counts[name] += 1


def request(key, body, leave_early=False):
    """Sends one POST to the chat endpoint; the status, or None after leaving early."""
    data = json.dumps(body).encode()
    raw = socket.create_connection((parsed.hostname, parsed.port), timeout=60)
    with context.wrap_socket(raw, server_hostname="localhost") as connection:
        connection.sendall(
            (f"POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {key}\r\n"
             f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\nConnection: close\r\n\r\n").encode()
            + data)
        first = connection.recv(64)
        if leave_early:
            return None
        while connection.recv(65536):
            pass
        return int(first.split(b" ", 2)[1])


def get(path):
    raw = socket.create_connection((parsed.hostname, parsed.port), timeout=30)
    with context.wrap_socket(raw, server_hostname="localhost") as connection:
        connection.sendall(f"GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while True:
            part = connection.recv(65536)
            if not part:
                break
            data += part
    body = data.partition(b"\r\n\r\n")[2]
    if b"transfer-encoding: chunked" in data.partition(b"\r\n\r\n")[0].lower():
        out = b""
        while True:
            size_line, _, rest = body.partition(b"\r\n")
            size = int(size_line.split(b";")[0] or b"0", 16)
            if size == 0:
                break
            out += rest[:size]
            body = rest[size + 2:]
        body = out
    return body.decode()


def every(seconds, action):
    while not stop.wait(seconds):
        try:
            action()
        except (OSError, ssl.SSLError, ValueError, IndexError):
            count("side_errors")


def disconnect():
    request(options.key, {"model": options.model, "stream": True, "max_tokens": 200,
                          "messages": [{"role": "user", "content": "Tell me a long story."}]}, leave_early=True)
    count("disconnects")


def limited():
    status = request(options.limited_key, {"model": options.model, "max_tokens": 4,
                                           "messages": [{"role": "user", "content": "Hi"}]})
    count("quota_refusals" if status == 429 else "quota_answered")


def children(pid):
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                if int(fields[1]) == pid:
                    out.append(int(entry))
            except (OSError, IndexError, ValueError):
                pass
    return out


def kill_worker():
    workers = children(options.gateway_pid)
    if workers:
        os.kill(workers[0], signal.SIGKILL)
        count("worker_kills")


def rss_kib(pid, field="VmRSS:"):
    """A resident-memory line of /proc/PID/status in KiB: VmRSS (all), RssAnon (heap and stacks, where a leak
    shows) or RssFile (pages of the binary and mapped files, which grow as more code runs)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def descriptors(pid):
    fds = os.listdir(f"/proc/{pid}/fd")
    memfds = 0
    for fd in fds:
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}").startswith("/memfd:"):
                memfds += 1
        except OSError:
            pass
    return len(fds), memfds


def buckets():
    """The e2e latency histogram summed over models: {upper bound: cumulative count}."""
    totals = {}
    for line in get("/metrics").splitlines():
        match = BUCKET.match(line)
        if match:
            bound = re.search(r'le="([^"]+)"', match.group(1)).group(1)
            upper = float("inf") if bound == "+Inf" else float(bound)
            totals[upper] = totals.get(upper, 0) + float(match.group(2))
    return totals


def quantile(delta, q):
    """The q-quantile of a window's histogram (cumulative counts by upper bound), interpolated in its bucket."""
    bounds = sorted(delta)
    total = delta[bounds[-1]] if bounds else 0
    if total <= 0:
        return ""
    rank, lower, below = q * total, 0.0, 0.0
    for upper in bounds:
        if delta[upper] >= rank:
            if upper == float("inf"):
                return lower
            share = (rank - below) / max(delta[upper] - below, 1e-9)
            return round(lower + (upper - lower) * share, 4)
        lower, below = upper, delta[upper]
    return lower


def alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False


threads = [threading.Thread(target=every, args=(2, disconnect), daemon=True),
           threading.Thread(target=every, args=(1, limited), daemon=True),
           threading.Thread(target=every, args=(options.kill_every, kill_worker), daemon=True)]
for thread in threads:
    thread.start()

started = time.monotonic()
previous = buckets()
fields = ["t_s", "gateway_rss_kib", "gateway_anon_kib", "workers_rss_kib", "workers", "gateway_fds", "memfd_segments", "dev_shm_entries",
          "window_requests", "p50_s", "p99_s"] + list(counts)
with open(options.csv, "w", newline="") as out:
    writer = csv.DictWriter(out, fieldnames=fields)
    writer.writeheader()
    while alive(options.until_pid) and alive(options.gateway_pid):
        time.sleep(options.interval)
        try:
            now = buckets()
        except (OSError, ssl.SSLError):
            now = previous
        delta = {upper: now.get(upper, 0) - previous.get(upper, 0) for upper in now}
        previous = now
        workers = children(options.gateway_pid)
        fds, memfds = descriptors(options.gateway_pid)
        with lock:
            row = dict(counts)
        row.update(
            t_s=round(time.monotonic() - started, 1), gateway_rss_kib=rss_kib(options.gateway_pid),
            gateway_anon_kib=rss_kib(options.gateway_pid, "RssAnon:"),
            workers_rss_kib=sum(rss_kib(pid) for pid in workers), workers=len(workers), gateway_fds=fds,
            memfd_segments=memfds, dev_shm_entries=len(os.listdir("/dev/shm")),
            window_requests=int(delta.get(float("inf"), 0)), p50_s=quantile(delta, 0.5), p99_s=quantile(delta, 0.99))
        writer.writerow(row)
        out.flush()
        print(" ".join(f"{k}={row[k]}" for k in fields), flush=True)
stop.set()
