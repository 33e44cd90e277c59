#!/usr/bin/env bash
# CI smoke for the fan-out bench (issue 6): builds wardcast-bench and runs a
# 2-second fan-out with 10 clients against Wardcast and the floor, exiting
# non-zero on any loss, reordering, duplicate or connection failure. Then,
# when a nats-server is found ($WARDCAST_NATS_SERVER or PATH), the same in
# tournament mode (issue 11): `--scenario nats-hop` with 10 clients for 2 s,
# embedded and federated (nats-server + ingest + edge); else it says skipped.
# Benchmarks never run as timed tests: this checks that the tool works, not
# how fast anything is.
#
# The debug profile is the default, so CI reuses what `cargo test` built;
# WARDCAST_BENCH_PROFILE=release uses the release build instead.
set -euo pipefail
cd "$(dirname "$0")/.."

profile="${WARDCAST_BENCH_PROFILE:-debug}"
if [ "$profile" = release ]; then
  cargo build --release --locked -p wardcast-bench
else
  cargo build --locked -p wardcast-bench
fi
bench="target/$profile/wardcast-bench"
timeout 120 "$bench" --scenario smoke --clients 10
if [ -n "${WARDCAST_NATS_SERVER:-}" ] || command -v nats-server >/dev/null; then
  timeout 120 "$bench" --scenario nats-hop --clients 10 --duration 2
else
  echo "tournament-mode smoke skipped: no nats-server (set WARDCAST_NATS_SERVER or put it on PATH)"
fi
