"""The ``python -m wardcast`` command.

``tail FEATURE...`` prints every game event and info update of those features
live, one line each (``--json`` for JSON lines); connection news goes to
stderr. ``discover`` lists the brokers on the LAN.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import threading
from typing import Any, Dict, List, Optional

from . import __version__
from ._protocol import Event
from .client import Client
from .errors import Unauthorized, WardcastError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m wardcast", description="Wardcast's Python client.")
    parser.add_argument("--version", action="version", version=f"wardcast {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    tail = commands.add_parser("tail", help="print events and info updates live")
    tail.add_argument("features", nargs="*", help="features to subscribe to (default: every supported one)")
    tail.add_argument("--url", help="the broker (default $WARDCAST_URL, else ws://127.0.0.1:7314/ws)")
    tail.add_argument("--token", help="the access token (default $WARDCAST_TOKEN)")
    tail.add_argument("--source", help="the game source (tournament mode)")
    tail.add_argument("--json", action="store_true", help="print one JSON object a line")
    tail.add_argument("--count", type=int, help="exit after printing this many lines")
    tail.add_argument("--debug", action="store_true", help="log the client's debug messages to stderr")

    find = commands.add_parser("discover", help="list the brokers on the LAN (needs wardcast[discovery])")
    find.add_argument("--timeout", type=float, default=3.0, help="seconds to listen (default 3)")
    find.add_argument("--json", action="store_true", help="print one JSON object a line")
    return parser


def _line(event: Event, as_json: bool) -> str:
    if as_json:
        record: Dict[str, Any] = {"name": event.name, "feature": event.feature, "seq": event.seq, "data": event.data}
        if event.snapshot:
            record["snapshot"] = True
        if event.replayed:
            record["replayed"] = True
        return json.dumps(record, separators=(",", ":"), ensure_ascii=False)
    mark = " (snapshot)" if event.snapshot else " (replayed)" if event.replayed else ""
    return f"{event.name} {json.dumps(event.data, ensure_ascii=False)}{mark}"


def _status(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _tail(args: argparse.Namespace) -> int:
    if args.count is not None and args.count < 1:
        _status("--count must be at least 1")
        return 2
    client = Client(args.url, token=args.token, source=args.source, name="python -m wardcast tail")
    printed = 0
    lock = threading.Lock()

    def show(event: Event) -> None:
        nonlocal printed
        with lock:
            if args.count is not None and printed >= args.count:
                return
            print(_line(event, args.json), flush=True)
            printed += 1
            if args.count is not None and printed >= args.count:
                client.close()

    client.on("event", show)
    client.on("info", show)
    client.on("connected", lambda d: _status(f"connected to {d['url']}"))
    client.on("disconnected", lambda d: _status(f"disconnected ({d['reason'] or d['code']}); reconnecting" if d["will_reconnect"] else "disconnected"))
    client.on("subscribed", lambda r: _status(f"subscribed: {','.join(r.get('supportedFeatures') or []) or '(none)'}"))
    client.on("error", lambda d: _status(f"error: {d.get('reason')}"))

    features: List[str] = list(args.features)
    try:
        if not features:
            catalogue = client.get_features(timeout=10)
            features = [f["name"] for f in catalogue.get("features", []) if f.get("supported")]
        job = client.set_required_features(features)
        result = client.wait_msg(job, timeout=10)
        if result is None:
            _status(f"no answer from {client.url} yet; still trying")
        elif result.get("unsupportedFeatures"):
            _status(f"unsupported: {','.join(result['unsupportedFeatures'])}")
        client.run_forever()
    except Unauthorized as err:
        _status(str(err))
        return 1
    except WardcastError as err:
        _status(f"error: {err}")
        client.close()
        return 1
    return 0


def _discover(args: argparse.Namespace) -> int:
    from .discovery import discover

    try:
        brokers = discover(args.timeout)
    except ImportError as err:
        _status(str(err))
        return 1
    for broker in brokers:
        if args.json:
            print(json.dumps({"name": broker.name, "url": broker.url, "urls": broker.urls, "version": broker.version, "token_required": broker.token_required}))
        else:
            print(f"{broker.name}\t{broker.url}\ttoken {'required' if broker.token_required else 'none'}")
    if not brokers:
        _status("no broker answered")
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    """Runs the command line; returns the exit code."""
    args = _parser().parse_args(argv)
    if getattr(args, "debug", False):
        logging.basicConfig(format="[%(asctime)s] %(levelname)s %(name)s: %(message)s", level=logging.DEBUG)
    if args.command == "tail":
        return _tail(args)
    return _discover(args)
