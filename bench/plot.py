#!/usr/bin/env python3
"""Plots p99 POST-to-receive latency against the number of clients from a
`wardcast-bench --json` file: one line per server (Wardcast, the floor, the
Node relay), fan-out scenario only. Writes an SVG with no dependencies.

Usage: python3 bench/plot.py RESULTS.json OUT.svg [--metric p99_ms|p50_ms|server_cpu_us_per_msg]
"""

import json
import math
import sys

COLORS = {"wardcast": "#d9480f", "floor": "#1c7ed6", "node": "#2f9e44", "node-cork": "#7048e8", "url": "#862e9c"}
LABELS = {
    "wardcast": "Wardcast",
    "floor": "floor (wardcast-floor)",
    "node": "Node relay (ws)",
    "node-cork": "Node relay, corked",
    "url": "--url",
}
TITLES = {
    "p99_ms": "p99 POST-to-receive latency (ms)",
    "p50_ms": "p50 POST-to-receive latency (ms)",
    "server_cpu_us_per_msg": "server CPU per delivered message (µs)",
}


def nice_ticks(lo, hi):
    """Decade ticks with 2 and 5 in between, covering lo..hi (log scale)."""
    ticks = []
    e = math.floor(math.log10(lo))
    while 10 ** e <= hi * 1.0001:
        for m in (1, 2, 5):
            v = m * 10 ** e
            if lo * 0.9999 <= v <= hi * 1.0001:
                ticks.append(v)
        e += 1
    return ticks


def fmt(v):
    return f"{v:g}" if v >= 1 else f"{v:.2g}"


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    metric = "p99_ms"
    if "--metric" in sys.argv:
        metric = sys.argv[sys.argv.index("--metric") + 1]
    data = json.load(open(sys.argv[1]))
    runs = [r for r in data["results"] if r["scenario"] == "fanout" and r.get(metric, 0) > 0]
    if not runs:
        sys.exit("no fan-out results with " + metric)
    series = {}
    for r in runs:
        series.setdefault(r["target"], []).append((r["clients"], r[metric]))
    for s in series.values():
        s.sort()

    W, H, L, R, T, B = 720, 440, 70, 190, 40, 60
    xs = [n for s in series.values() for n, _ in s]
    ys = [v for s in series.values() for _, v in s]
    x0, x1 = min(xs) / 1.5, max(xs) * 1.5
    y0, y1 = min(ys) / 1.5, max(ys) * 1.5

    def px(n):
        return L + (math.log10(n) - math.log10(x0)) / (math.log10(x1) - math.log10(x0)) * (W - L - R)

    def py(v):
        return H - B - (math.log10(v) - math.log10(y0)) / (math.log10(y1) - math.log10(y0)) * (H - T - B)

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" font-size="12">',
        f'<rect width="{W}" height="{H}" fill="white"/>',
        f'<text x="{L}" y="22" font-size="15" font-weight="bold">{TITLES.get(metric, metric)} vs clients</text>',
    ]
    m = data.get("machine", {})
    rate = runs[0].get("rate")
    out.append(
        f'<text x="{L}" y="{H - 12}" fill="#555">R = {rate:g} snapshots/s, every client subscribed to every feature; '
        f'{m.get("cpus", "?")} cores ({m.get("cpu", "?")}); log-log</text>'
    )
    for v in nice_ticks(y0, y1):
        y = py(v)
        out.append(f'<line x1="{L}" y1="{y:.1f}" x2="{W - R}" y2="{y:.1f}" stroke="#e9ecef"/>')
        out.append(f'<text x="{L - 6}" y="{y + 4:.1f}" text-anchor="end">{fmt(v)}</text>')
    for n in sorted(set(xs)):
        x = px(n)
        out.append(f'<line x1="{x:.1f}" y1="{T}" x2="{x:.1f}" y2="{H - B}" stroke="#e9ecef"/>')
        out.append(f'<text x="{x:.1f}" y="{H - B + 16}" text-anchor="middle">{n}</text>')
    out.append(f'<text x="{(L + W - R) / 2:.0f}" y="{H - B + 34}" text-anchor="middle">clients (N)</text>')
    out.append(f'<rect x="{L}" y="{T}" width="{W - L - R}" height="{H - T - B}" fill="none" stroke="#868e96"/>')
    order = ["floor", "wardcast", "node", "node-cork", "url"]
    for i, target in enumerate(sorted(series, key=lambda t: order.index(t) if t in order else 9)):
        pts = series[target]
        color = COLORS.get(target, "#495057")
        path = " ".join(f"{px(n):.1f},{py(v):.1f}" for n, v in pts)
        out.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2.5"/>')
        for n, v in pts:
            out.append(f'<circle cx="{px(n):.1f}" cy="{py(v):.1f}" r="4" fill="{color}"><title>{target} N={n}: {v:.2f}</title></circle>')
            out.append(f'<text x="{px(n) + 6:.1f}" y="{py(v) - 6:.1f}" fill="{color}" font-size="10">{v:.1f}</text>')
        ly = T + 20 + 22 * i
        out.append(f'<line x1="{W - R + 15}" y1="{ly}" x2="{W - R + 40}" y2="{ly}" stroke="{color}" stroke-width="2.5"/>')
        out.append(f'<text x="{W - R + 46}" y="{ly + 4}">{LABELS.get(target, target)}</text>')
    out.append("</svg>")
    with open(sys.argv[2], "w") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
