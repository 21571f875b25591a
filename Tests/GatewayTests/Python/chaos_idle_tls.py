"""COUNT idle TLS connections held open while normal traffic runs: every request must still be answered, with a
median latency close to the one measured before the idle connections (at most 3x plus 50 ms). Then the balance
check of chaos_common.

Usage: chaos_idle_tls.py BASE_URL API_KEY CA_FILE MODEL COUNT
"""
import collections
import concurrent.futures
import resource
import select
import ssl
import sys
import time

import chaos_common

base_url, key, ca_file, model, count = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
target = chaos_common.Target(base_url, key, ca_file, model)
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, count + 1024)), hard))
outcomes = collections.Counter()
before = chaos_common.metrics(target)
problems = []


def median_latency(n):
    times = []
    for index in range(n):
        started = time.monotonic()
        ending = chaos_common.completion(target, stream=index % 2 == 1, max_tokens=8)
        times.append(time.monotonic() - started)
        outcomes[ending] += 1
    times.sort()
    return times[len(times) // 2]


baseline = median_latency(20)


def open_idle(_):
    try:
        return target.connect(30)
    except (OSError, ssl.SSLError):
        return None


started = time.monotonic()
with concurrent.futures.ThreadPoolExecutor(max_workers=16) as pool:
    idle = [c for c in pool.map(open_idle, range(count)) if c is not None]
print(f"{len(idle)} of {count} idle TLS connections open in {time.monotonic() - started:.1f} s")
if len(idle) < count:
    problems.append(f"only {len(idle)} of {count} idle connections could be opened")
loaded = median_latency(40)
print(f"median latency: {baseline * 1000:.1f} ms before, {loaded * 1000:.1f} ms with {len(idle)} idle connections")
if loaded > 3 * baseline + 0.05:
    problems.append(f"latency with idle connections {loaded * 1000:.1f} ms against {baseline * 1000:.1f} ms")
# Still open: an idle connection the gateway closed polls readable (its EOF); an open one does not.
poller = select.poll()
for connection in idle:
    poller.register(connection, select.POLLIN | select.POLLHUP)
closed = len(poller.poll(0))
print(f"{len(idle) - closed} of {len(idle)} idle connections still open after the traffic")
if closed > len(idle) // 20:
    problems.append(f"{closed} idle connections were closed: the traffic did not run beside {count} of them")
for connection in idle:
    connection.close()
sys.exit(chaos_common.report(outcomes, problems + chaos_common.balance(target, before, outcomes)))
