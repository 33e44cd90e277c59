#!/usr/bin/env python3
"""Match logger: writes every game event and info update to a CSV file.

    python examples/python/match_logger.py match.csv                 # every supported feature
    python examples/python/match_logger.py match.csv --features kill,death,gold
    python examples/python/match_logger.py match.csv --max-rows 100   # stop after 100 rows

Columns: time (UTC, ISO 8601), seq, feature, name (the event, or
info:<category>.<key>), value (JSON), snapshot (1 for the state sent on
subscribing). Rows are flushed as they come, so the file can be tailed.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import threading
from datetime import datetime, timezone
from typing import Optional

import wardcast

COLUMNS = ["time", "seq", "feature", "name", "value", "snapshot"]


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("csv", help="the file to write (appended to if it exists)")
    parser.add_argument("--url", help="the broker (default $WARDCAST_URL, else ws://127.0.0.1:7314/ws)")
    parser.add_argument("--features", help="comma-separated features (default: every supported one)")
    parser.add_argument("--max-rows", type=int, help="stop after writing this many rows")
    args = parser.parse_args(argv)

    client = wardcast.Client(args.url, name="match_logger.py")
    if args.features:
        features = [f.strip() for f in args.features.split(",") if f.strip()]
    else:
        catalogue = client.get_features(timeout=10)
        features = [f["name"] for f in catalogue["features"] if f["supported"]]

    with open(args.csv, "a", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        if out.tell() == 0:
            writer.writerow(COLUMNS)
        rows = 0
        lock = threading.Lock()

        def write(event: wardcast.Event) -> None:
            nonlocal rows
            with lock:
                if args.max_rows is not None and rows >= args.max_rows:
                    return
                now = datetime.now(timezone.utc).isoformat(timespec="milliseconds")
                value = json.dumps(event.data, separators=(",", ":"), ensure_ascii=False)
                writer.writerow([now, event.seq, event.feature, event.name, value, int(event.snapshot)])
                out.flush()
                rows += 1
                if args.max_rows is not None and rows >= args.max_rows:
                    client.close()

        def write_keys(update: wardcast.Event) -> None:
            # "info" gives the whole update of a feature: one row per key.
            for category, keys in update.data.items():
                for key, value in keys.items():
                    write(wardcast.Event(f"info:{category}.{key}", value, "key", update.feature, update.seq, update.snapshot))

        client.on("event", write)  # every game event
        client.on("info", write_keys)
        result = client.wait_msg(client.set_required_features(features), timeout=10)
        if result is None:
            print(f"no answer from {client.url} yet; still trying", file=sys.stderr, flush=True)
        else:
            print(f"logging {len(result['supportedFeatures'])} features to {args.csv}", file=sys.stderr, flush=True)
        client.run_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
