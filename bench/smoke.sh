#!/usr/bin/env bash
# CI smoke for the fan-out bench (issue 6): builds wardcast-bench and runs a
# 2-second fan-out with 10 clients against Wardcast and the floor, exiting
# non-zero on any loss, reordering, duplicate or connection failure.
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
exec timeout 120 "target/$profile/wardcast-bench" --scenario smoke --clients 10
