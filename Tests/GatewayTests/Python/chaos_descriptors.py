"""The gateway out of file descriptors: it runs under a low RLIMIT_NOFILE (the test starts it with `prlimit
--nofile=160:160`), a keep-alive connection is open, and idle connections take what the limit leaves. New connections
must be refused (closed at once, never half-served) and the gateway must live; the open connection must keep being
answered; once the idle ones leave, new connections must be served. Then the balance check of chaos_common.

Usage: chaos_descriptors.py BASE_URL API_KEY CA_FILE MODEL GATEWAY_PID
"""
import collections
import http.client
import json
import os
import resource
import sys
import ssl
import time

import chaos_common

base_url, key, ca_file, model, pid = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
target = chaos_common.Target(base_url, key, ca_file, model)
outcomes = collections.Counter()
before = chaos_common.metrics(target)
problems = []

kept = http.client.HTTPSConnection(target.host, target.port, context=target.context, timeout=30)


def on_kept():
    """One completion on the keep-alive connection; its ending."""
    body = json.dumps({"model": model, "prompt": "kept", "max_tokens": 4, "ignore_eos": True})
    kept.request("POST", "/v1/completions", body, {"Authorization": f"Bearer {key}",
                                                   "Content-Type": "application/json"})
    response = kept.getresponse()
    return chaos_common.classify(response.status, response.read(), stream=False)


outcomes[on_kept()] += 1
held = len(os.listdir(f"/proc/{pid}/fd"))
soft, hard = resource.prlimit(pid, resource.RLIMIT_NOFILE)
print(f"gateway holds {held} descriptors under a limit of {soft}")
# Idle TLS connections until the gateway takes no more (each would hold one of its descriptors).
crowd, refused = [], 0
for _ in range(soft):
    try:
        crowd.append(target.connect(3))
    except (OSError, ssl.SSLError):
        refused += 1
print(f"{len(crowd)} connections taken, {refused} refused")
if not refused:
    problems.append("no connection was refused: the limit was never reached, the test proves nothing")
if not os.path.exists(f"/proc/{pid}"):
    print("FAIL the gateway died")
    sys.exit(1)
for _ in range(5):
    ending = on_kept()
    outcomes[ending] += 1
    if ending != "ok":
        problems.append(f"the open connection was not served while descriptors ran out: {ending}")
ending = chaos_common.completion(target, stream=False, max_tokens=4, timeout=3)
outcomes[ending] += 1
if ending != "refused":
    problems.append(f"a new connection while descriptors ran out: {ending}, not refused")
# The crowd leaves: with descriptors free again, new connections are served.
for connection in crowd:
    connection.close()
time.sleep(1.5)
ending = chaos_common.completion(target, stream=False, max_tokens=4, timeout=10)
outcomes[ending] += 1
if ending != "ok":
    problems.append(f"a new connection once descriptors were free again: {ending}")
kept.close()
for _ in range(6):
    ending = chaos_common.completion(target, stream=False, max_tokens=4)
    outcomes[ending] += 1
    if ending != "ok":
        problems.append(f"a new connection after the crowd left: {ending}")
sys.exit(chaos_common.report(outcomes, problems + chaos_common.balance(target, before, outcomes)))
