"""`python -m wardcast tail`, against a real broker."""

from __future__ import annotations

import json
import os

from conftest import T, Broker, Match
from helpers import Process


def tail(broker: Broker, *args: str) -> Process:
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    env.pop("WARDCAST_TOKEN", None)
    return Process(["-m", "wardcast", "tail", "--url", broker.ws_url, *args], env=env)


def test_tail_prints_events_live(broker: Broker) -> None:
    run = tail(broker, "kill", "death", "--count", "2")
    try:
        run.line(run.err, lambda l: l.startswith("subscribed: kill,death"), "'subscribed'")
        match = Match(broker)
        match.baseline()
        match.kill()
        match.death()
        assert run.line(run.out, lambda l: True, "the kill") == 'kill {"kills": 1, "kill_streak": 1, "label": "kill"}'
        assert run.line(run.out, lambda l: True, "the death") == 'death {"deaths": 1}'
        assert run.wait(T) == 0
    finally:
        run.stop()


def test_tail_json(broker: Broker) -> None:
    run = tail(broker, "kill", "me", "--json", "--count", "2")
    try:
        run.line(run.err, lambda l: l.startswith("subscribed:"), "'subscribed'")
        match = Match(broker)
        match.baseline()
        match.kill()
        info = json.loads(run.line(run.out, lambda l: True, "the me update"))
        kill = json.loads(run.line(run.out, lambda l: True, "the kill"))
        assert info["name"] == "info:me" and info["data"]["me"]["hero"] == "invoker"
        assert kill["name"] == "kill" and kill["feature"] == "kill" and kill["data"]["kills"] == 1
        assert kill["seq"] > info["seq"]
        assert run.wait(T) == 0
    finally:
        run.stop()

