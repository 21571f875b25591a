"""Renders a soak's CSV (scripts/soak_monitor.py) as an SVG of resident memory and p99 latency over time, or with
--summary prints what the soak is judged by: memory after warm-up (flat within 5%?), descriptors and segments
(first against last), p99 per window. Standard library only.

Usage: soak_plot.py SOAK.csv OUT.svg
       soak_plot.py --summary SOAK.csv
"""
import csv
import sys

WARM_UP_S = 60


def rows_of(path):
    with open(path) as f:
        return list(csv.DictReader(f))


def number(value):
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def summary(rows):
    warm = [r for r in rows if float(r["t_s"]) >= WARM_UP_S] or rows
    lines = [f"samples: {len(rows)} over {rows[-1]['t_s']} s (warm-up: the first {WARM_UP_S} s left out)"]
    for name in ("gateway_rss_kib", "gateway_anon_kib", "workers_rss_kib"):
        if name not in warm[0]:
            continue
        values = [float(r[name]) for r in warm]
        low, high = min(values), max(values)
        spread = (high - low) / low * 100 if low else 0
        lines.append(f"{name}: {low / 1024:.1f}..{high / 1024:.1f} MiB after warm-up, spread {spread:.1f}% "
                     f"({'flat within 5%' if spread <= 5 else 'NOT flat within 5%'})")
    for name in ("gateway_fds", "memfd_segments", "dev_shm_entries"):
        first, last = warm[0][name], warm[-1][name]
        highest = max(int(r[name]) for r in warm)
        lines.append(f"{name}: {first} first, {last} last, {highest} highest after warm-up")
    p99 = [v for v in (number(r["p99_s"]) for r in warm) if v is not None]
    if p99:
        lines.append(f"p99 per window: {min(p99):.3f}..{max(p99):.3f} s, median window {sorted(p99)[len(p99) // 2]:.3f} s")
    lines += cycles(warm)
    lines += blocks(warm)
    last = rows[-1]
    lines.append("side traffic: " + ", ".join(
        f"{k} {last[k]}" for k in ("disconnects", "quota_refusals", "quota_answered", "worker_kills", "side_errors")))
    return "\n".join(lines)


def cycles(rows):
    """The workers' peak resident memory in each whole cycle between two worker kills (the last, cut short by the
    end of the run, left out): a kill restarts a worker with a fresh, smaller resident set, so growth shows as
    peaks rising from cycle to cycle, not as the spread."""
    peaks = {}
    for r in rows:
        cycle = int(r["worker_kills"])
        peaks[cycle] = max(peaks.get(cycle, 0), float(r["workers_rss_kib"]))
    peaks.pop(max(peaks, default=0), None)
    if len(peaks) < 2:
        return []
    values = [peaks[c] for c in sorted(peaks)]
    spread = (max(values) - min(values)) / min(values) * 100
    return [f"workers_rss_kib peak per kill cycle: {' '.join(f'{v / 1024:.0f}' for v in values)} MiB, "
            f"spread {spread:.1f}% ({'flat within 5%' if spread <= 5 else 'NOT flat within 5%'})"]


def blocks(rows, seconds=600):
    """The median of the window p99s and the gateway's resident memory per block of `seconds`: whether latency and
    memory drift over the run (single 10 s windows hold a dozen requests, so their p99 is nearly their maximum)."""
    groups = {}
    for r in rows:
        groups.setdefault(int(float(r["t_s"]) // seconds), []).append(r)
    out = []
    for block in sorted(groups):
        group = groups[block]
        p99 = sorted(v for v in (number(r["p99_s"]) for r in group) if v is not None)
        p50 = sorted(v for v in (number(r["p50_s"]) for r in group) if v is not None)
        requests = sum(int(r["window_requests"]) for r in group)
        rss = max(float(r["gateway_rss_kib"]) for r in group) / 1024
        median = f"{p99[len(p99) // 2]:.2f} s" if p99 else "-"
        median50 = f"{p50[len(p50) // 2]:.2f} s" if p50 else "-"
        over = sum(1 for v in p99 if v > 10)
        out.append(f"  minutes {block * seconds // 60}-{(block + 1) * seconds // 60}: median window p50 {median50}, "
                   f"p99 {median}, windows with p99 over 10 s {over} of {len(p99)}, {requests} requests, "
                   f"gateway peak {rss:.1f} MiB")
    return [f"per {seconds // 60} minutes:"] + out


def polyline(points, width, height, x_max, y_max, color):
    if not points:
        return ""
    coords = " ".join(f"{60 + x / x_max * (width - 80):.1f},{20 + height - y / y_max * height:.1f}" for x, y in points)
    return f'<polyline fill="none" stroke="{color}" stroke-width="1.5" points="{coords}"/>'


def panel(top, title, series, unit, width=760, height=180):
    x_max = max((x for _, points, _ in series for x, _ in points), default=1) or 1
    y_max = max((y for _, points, _ in series for _, y in points), default=1) * 1.1 or 1
    parts = [f'<g transform="translate(0,{top})">',
             f'<text x="60" y="14" font-size="13" font-weight="bold">{title}</text>',
             f'<line x1="60" y1="{20 + height}" x2="{width - 20}" y2="{20 + height}" stroke="#999"/>',
             f'<line x1="60" y1="20" x2="60" y2="{20 + height}" stroke="#999"/>']
    for step in range(5):
        y = y_max * step / 4
        parts.append(f'<text x="55" y="{24 + height - height * step / 4:.0f}" font-size="10" '
                     f'text-anchor="end">{y:.3g}</text>')
        x = x_max * step / 4
        parts.append(f'<text x="{60 + (width - 80) * step / 4:.0f}" y="{34 + height}" font-size="10" '
                     f'text-anchor="middle">{x:.0f} s</text>')
    parts.append(f'<text x="10" y="{20 + height / 2:.0f}" font-size="10">{unit}</text>')
    for index, (name, points, color) in enumerate(series):
        parts.append(polyline(points, width, height, x_max, y_max, color))
        parts.append(f'<text x="{width - 220 + index * 110}" y="14" font-size="11" fill="{color}">{name}</text>')
    parts.append("</g>")
    return "\n".join(parts)


def svg(rows):
    t = [float(r["t_s"]) for r in rows]
    memory = [("gateway", [(x, float(r["gateway_rss_kib"]) / 1024) for x, r in zip(t, rows)], "#1f77b4"),
              ("workers", [(x, float(r["workers_rss_kib"]) / 1024) for x, r in zip(t, rows)], "#ff7f0e")]
    p99 = [("p99", [(x, number(r["p99_s"])) for x, r in zip(t, rows) if number(r["p99_s"]) is not None], "#d62728"),
           ("p50", [(x, number(r["p50_s"])) for x, r in zip(t, rows) if number(r["p50_s"]) is not None], "#2ca02c")]
    return "\n".join([
        '<svg xmlns="http://www.w3.org/2000/svg" width="760" height="470" font-family="sans-serif">',
        '<rect width="100%" height="100%" fill="white"/>',
        panel(0, "Resident memory (MiB)", memory, "MiB"),
        panel(235, "End-to-end latency per 10 s window (s)", p99, "s"),
        "</svg>"])


if __name__ == "__main__":
    if sys.argv[1] == "--summary":
        print(summary(rows_of(sys.argv[2])))
    else:
        with open(sys.argv[2], "w") as out:
            out.write(svg(rows_of(sys.argv[1])))
