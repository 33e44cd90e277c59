#!/usr/bin/env python3
"""Kill-streak announcer: says "Double kill!", "Triple kill!"... on multi-kills.

    pip install ./clients/python
    wardcast demo &                          # or a real game
    python examples/python/killstreak.py     # WARDCAST_URL / WARDCAST_TOKEN as for any client

By default it prints; pass another `say` to `announce()` to speak instead, e.g.
with pyttsx3: `engine = pyttsx3.init(); announce(client, lambda t: (engine.say(t), engine.runAndWait()))`.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, Callable, Optional

import wardcast

# The kill event's `label` (protocol/features.md): the multi-kill chain so far.
ANNOUNCEMENTS = {
    "double_kill": "Double kill!",
    "triple_kill": "Triple kill!",
    "ultra_kill": "Ultra kill!",
    "rampage": "Rampage!",
}


def announce(client: wardcast.Client, say: Callable[[str], None] = print) -> None:
    """Calls `say` with a line for every multi-kill, and for long streaks."""

    @client.on("kill")
    def on_kill(data: Any) -> None:
        line = ANNOUNCEMENTS.get(data.get("label", ""))
        if line is None and data.get("kill_streak", 0) >= 3:
            line = f"{data['kill_streak']} kills without dying!"
        if line is not None:
            say(line)

    @client.on("death")
    def on_death(data: Any) -> None:
        say(f"Death number {data['deaths']}. Streak over.")


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="the broker (default $WARDCAST_URL, else ws://127.0.0.1:7314/ws)")
    args = parser.parse_args(argv)

    client = wardcast.Client(args.url, name="killstreak.py")
    announce(client, lambda text: print(text, flush=True))
    client.set_required_features(["kill", "death"])
    if client.connect(timeout=10):
        print(f"listening for kills on {client.url}", file=sys.stderr, flush=True)
    else:
        print(f"no broker at {client.url} yet; still trying", file=sys.stderr, flush=True)
    client.run_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
