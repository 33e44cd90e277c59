#!/usr/bin/env python3
"""Prints Markdown tables from a `wardcast-bench --json` file, as pasted into
BENCHMARKS.md: one table per scenario, every server of a step side by side,
with Wardcast's ratios against the floor and the Node relays of the same step.

Usage: python3 bench/tables.py RESULTS.json
"""

import json
import sys

ORDER = ["floor", "wardcast", "node", "node-cork", "url"]


def f(v, digits=2):
    return "–" if v is None else f"{v:.{digits}f}"


def step_key(r):
    return (r["scenario"], r["clients"], r["rate"])


def main():
    data = json.load(open(sys.argv[1]))
    results = data["results"]
    m = data.get("machine", {})
    print(f"Machine: {m.get('cpus')} × {m.get('cpu')}, kernel {m.get('kernel')}, "
          f"{(m.get('mem_kib') or 0) / 1048576:.0f} GiB\n")
    scenarios = []
    for r in results:
        if r["scenario"] not in scenarios:
            scenarios.append(r["scenario"])
    for sc in scenarios:
        rows = [r for r in results if r["scenario"] == sc]
        rows.sort(key=lambda r: (r["clients"], r["rate"], ORDER.index(r["target"]) if r["target"] in ORDER else 9))
        print(f"### {sc}\n")
        if sc == "idle":
            print("| server | N | RSS before (KiB) | RSS with N idle (KiB) | RSS per connection (KiB) |")
            print("|---|---:|---:|---:|---:|")
            for r in rows:
                print(f"| {r['target']} | {r['clients']} | {r['rss_base_kib']} | {r['rss_kib']} | {f(r['rss_per_conn_kib'], 1)} |")
            print()
            continue
        print("| server | N | R/s | p50 ms | p99 ms | p99.9 ms | max ms | msgs/s | frames/msg | loss | reorder "
              "| server CPU % | CPU µs/msg | client CPU % | RSS/conn KiB (start → end) | p99 ×floor | CPU ×floor "
              "| p99 ×node | CPU ×node | p99 ×node-cork | CPU ×node-cork |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for r in rows:
            print(
                f"| {r['target']} | {r['clients']} | {r['rate']:g} | {f(r['p50_ms'])} | {f(r['p99_ms'])} | {f(r['p999_ms'])} "
                f"| {f(r['max_ms'])} | {r['msgs_per_s']:.0f} | {f(r['frames_per_msg'], 1)} | {r['lost']} | {r['reordered']} "
                f"| {f(r['server_cpu_pct'], 1)} | {f(r['server_cpu_us_per_msg'])} | {f(r['client_cpu_pct'], 1)} "
                f"| {f(r['rss_per_conn_kib'], 1)} → {f(r.get('rss_end_per_conn_kib'), 1)} "
                f"| {f(r['p99_vs_floor'])} | {f(r['cpu_vs_floor'])} | {f(r['p99_vs_node'])} | {f(r['cpu_vs_node'])} "
                f"| {f(r.get('p99_vs_node_cork'))} | {f(r.get('cpu_vs_node_cork'))} |"
            )
        notes = [f"{r['target']} N={r['clients']} R={r['rate']:g}: {r['note']}" for r in rows if r.get("note")]
        if sc == "rate":
            best = {}
            for r in rows:
                best.setdefault(r["target"], None)
                if r.get("max_rate") is not None:
                    best[r["target"]] = r["max_rate"]
            print("\nHighest rate with p99 ≤ the bound: " + ", ".join(
                f"{t} {('%g/s' % v) if v else 'none of those tried'}" for t, v in best.items()))
        for n in notes:
            print(f"\n- {n}")
        print()


if __name__ == "__main__":
    main()
