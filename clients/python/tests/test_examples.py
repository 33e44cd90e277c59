"""The examples in examples/python and the README's first example, each run
as a user would run it, against a real broker."""

from __future__ import annotations

import csv
import importlib.util
import json
import os
import re
from pathlib import Path
from typing import Any, Dict, List

from conftest import REPO, T, Broker, Match
from helpers import Process, Recorder

import wardcast

EXAMPLES = REPO / "examples" / "python"


def env_for(broker: Broker) -> Dict[str, str]:
    env = dict(os.environ, WARDCAST_URL=broker.ws_url, PYTHONUNBUFFERED="1")
    env.pop("WARDCAST_TOKEN", None)
    return env


def test_killstreak_prints_multi_kills(broker: Broker) -> None:
    run = Process([str(EXAMPLES / "killstreak.py")], env=env_for(broker))
    try:
        run.line(run.err, lambda l: l.startswith("listening for kills"), "'listening for kills'")
        match = Match(broker)
        match.baseline()
        match.kill()  # a single kill: nothing to announce
        match.kill(n=2)  # two more in one body: they chain with none before (30 s apart)
        match.kill(step=5)  # within the multi-kill window of the last: a triple
        assert run.line(run.out, lambda l: True, "an announcement") == "Double kill!"
        assert run.line(run.out, lambda l: True, "the next announcement") == "Triple kill!"
        match.death()
        assert run.line(run.out, lambda l: True, "the death") == "Death number 1. Streak over."
    finally:
        run.stop()


def test_killstreak_speaks_through_a_callback(broker: Broker) -> None:
    spec = importlib.util.spec_from_file_location("killstreak", EXAMPLES / "killstreak.py")
    assert spec is not None and spec.loader is not None
    killstreak = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(killstreak)
    said = Recorder()
    with wardcast.Client(broker.ws_url) as client:
        killstreak.announce(client, said)
        assert client.wait_msg(client.set_required_features(["kill", "death"]), timeout=T)["success"]
        match = Match(broker)
        match.baseline()
        match.kill(n=5)  # five in one body
        said.wait_for(lambda s: "Rampage!" in s, "the rampage")


def test_match_logger_writes_every_event_to_csv(broker: Broker, tmp_path: Path) -> None:
    out = tmp_path / "match.csv"
    run = Process(
        [str(EXAMPLES / "match_logger.py"), str(out), "--features", "kill,death,me", "--max-rows", "5"], env=env_for(broker)
    )
    try:
        run.line(run.err, lambda l: l.startswith("logging 3 features"), "'logging 3 features'")
        match = Match(broker)
        match.baseline()  # me: team, steam_id, hero
        match.kill()
        match.death()
        assert run.wait(T) == 0
    finally:
        run.stop()
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [r["name"] for r in rows] == ["info:me.team", "info:me.steam_id", "info:me.hero", "kill", "death"]
    assert json.loads(rows[2]["value"]) == "invoker"
    assert json.loads(rows[3]["value"])["label"] == "kill" and rows[3]["feature"] == "kill"
    assert all(r["time"] and int(r["seq"]) > 0 for r in rows)


def first_python_block(readme: Path) -> str:
    match = re.search(r"```python\n(.*?)```", readme.read_text(encoding="utf-8"), re.S)
    assert match, "the README has a python example"
    return match.group(1)


def test_the_readme_first_example_sees_the_demo_kills(start_broker: Any, tmp_path: Path) -> None:
    """The issue's "done when": copy the README's first example, run it
    against `wardcast demo`, and see the demo's first kill."""
    demo: Broker = start_broker(["--demo", "--speed", "20"])
    script = tmp_path / "first.py"
    script.write_text(first_python_block(REPO / "clients" / "python" / "README.md"), encoding="utf-8")
    run = Process([str(script)], env=env_for(demo))
    try:
        line = run.line(run.out, lambda l: "kill" in l.lower(), "a kill", timeout=3 * T)
        assert "kill" in line.lower()
    finally:
        run.stop()
