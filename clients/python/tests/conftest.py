"""Test support: a real `wardcast serve` on a free port, fed with a real GSI
body (tests/fixtures/in_game.json, post 10 of the engine's player lifecycle
sequence), and a TCP proxy that can cut the client's connection.

Every wait has a timeout (T seconds); nothing sleeps to synchronise.
"""

from __future__ import annotations

import copy
import json
import os
import queue
import re
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import urllib.request
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

import pytest

T = 10.0
"""The timeout of every wait in the tests, in seconds."""

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
FIXTURE = json.loads((HERE / "fixtures" / "in_game.json").read_text())
BIN = Path(os.environ.get("WARDCAST_BIN") or REPO / "target" / "debug" / "wardcast")


def pytest_sessionstart(session: pytest.Session) -> None:
    """Builds the broker with cargo if it is missing (a fresh clone), here
    rather than in a fixture, where the per-test timeout would cut the build."""
    if not BIN.exists() and "WARDCAST_BIN" not in os.environ:
        subprocess.run(["cargo", "build", "--locked", "--bin", "wardcast"], cwd=REPO, check=True, timeout=1800)


@pytest.fixture(scope="session")
def wardcast_bin() -> Path:
    """The broker binary."""
    if not BIN.exists():
        pytest.fail(f"{BIN} not found (set WARDCAST_BIN, or build it with cargo build --bin wardcast)")
    return BIN


@pytest.fixture(scope="session")
def config_home() -> Iterator[str]:
    """A fresh XDG_CONFIG_HOME for every broker and `wardcast token` run: a
    developer's own `wardcast setup` token must not make test posts fail."""
    path = tempfile.mkdtemp(prefix="wardcast-py-test-config-")
    yield path
    shutil.rmtree(path, ignore_errors=True)


class Broker:
    """One `wardcast serve` process."""

    def __init__(self, binary: Path, env: Dict[str, str], listen: str, args: List[str]) -> None:
        self.args = args
        self._binary = binary
        self._env = env
        self.proc = subprocess.Popen(
            [str(binary), "serve", "--listen", listen, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            text=True,
        )
        lines: "queue.Queue[str]" = queue.Queue()
        self._stderr: List[str] = []
        threading.Thread(target=self._drain, args=(self.proc.stdout, lines), daemon=True).start()
        threading.Thread(target=self._drain, args=(self.proc.stderr, None), daemon=True).start()
        try:
            first = lines.get(timeout=T)
        except queue.Empty:
            self.stop()
            raise RuntimeError(f"the broker printed no address within {T} s: {''.join(self._stderr)}")
        match = re.match(r"^wardcast \S+ listening on (\S+)$", first.strip())
        if not match:
            self.stop()
            raise RuntimeError(f"unexpected first line {first!r}: {''.join(self._stderr)}")
        self.addr: str = match.group(1)
        self.ws_url = f"ws://{self.addr}/ws"

    def _drain(self, stream: Any, into: "Optional[queue.Queue[str]]") -> None:
        for line in stream:
            if into is not None:
                into.put(line)
            else:
                self._stderr = (self._stderr + [line])[-100:]

    def post(self, body: Dict[str, Any]) -> None:
        """POSTs one GSI body; the broker answers 200 at once."""
        request = urllib.request.Request(
            f"http://{self.addr}/gsi", data=json.dumps(body).encode(), headers={"content-type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=T) as response:
            assert response.status == 200

    def token(self) -> str:
        """The access token (`wardcast token`, same config dir)."""
        out = subprocess.run([str(self._binary), "token"], env=self._env, capture_output=True, text=True, timeout=T)
        return out.stdout.strip().splitlines()[-1].strip()

    def stop(self) -> None:
        """SIGTERM (the broker closes its clients with 1001), then SIGKILL."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)

    def restart(self) -> "Broker":
        """Stops this broker and starts a new one on the same address (a new
        epoch)."""
        self.stop()
        return Broker(self._binary, self._env, self.addr, self.args)


@pytest.fixture
def start_broker(wardcast_bin: Path, config_home: str) -> Iterator[Any]:
    """Starts brokers (stopped after the test): start_broker(args=[...])."""
    env = dict(os.environ, XDG_CONFIG_HOME=config_home, RUST_LOG=os.environ.get("RUST_LOG", "warn"))
    env.pop("WARDCAST_LISTEN", None)
    started: List[Broker] = []

    def start(args: Optional[List[str]] = None, listen: str = "127.0.0.1:0") -> Broker:
        broker = Broker(wardcast_bin, env, listen, args or [])
        started.append(broker)
        return broker

    yield start
    for broker in started:
        broker.stop()


@pytest.fixture
def broker(start_broker: Any) -> Broker:
    """A broker on a free port."""
    b: Broker = start_broker()
    return b


def in_game(clock: int, **player: Any) -> Dict[str, Any]:
    """The fixture body at game clock `clock`, with player fields changed."""
    body: Dict[str, Any] = copy.deepcopy(FIXTURE)
    body["map"]["clock_time"] = clock
    body["player"].update(player)
    return body


class Match:
    """A player-mode match on one broker: each post moves the clock 30 s on
    (beyond the 18 s multi-kill window, so every kill is a plain "kill")."""

    def __init__(self, broker: Broker) -> None:
        self.broker = broker
        self.clock = 100
        self.player: Dict[str, Any] = {"kills": 0, "kill_streak": 0, "deaths": 0, "assists": 0}

    def post(self, step: int = 30, **changes: Any) -> None:
        self.player.update(changes)
        self.clock += step
        self.broker.post(in_game(self.clock, **self.player))

    def baseline(self) -> None:
        """The first body: it sets the counters' baseline (no events) and the
        `me` info."""
        self.post()

    def kill(self, n: int = 1, step: int = 30) -> None:
        """`n` kills in one body (they chain into a multi-kill)."""
        self.post(step, kills=self.player["kills"] + n, kill_streak=self.player["kill_streak"] + n)

    def death(self) -> None:
        self.post(deaths=self.player["deaths"] + 1, kill_streak=0)

    def gold(self, gold: int) -> None:
        self.post(gold=gold, gold_reliable=0, gold_unreliable=gold)


class Proxy:
    """A TCP proxy to the broker that the test can cut, as a network drop
    would: `sever()` resets every connection through it; while `hold()` is in
    force new connections are accepted and closed at once, so the client stays
    away until `release()`."""

    def __init__(self, target: str) -> None:
        host, port = target.rsplit(":", 1)
        self._target = (host, int(port))
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.addr = "127.0.0.1:%d" % self._listener.getsockname()[1]
        self.ws_url = f"ws://{self.addr}/ws"
        self._lock = threading.Lock()
        self._pairs: List[Tuple[socket.socket, socket.socket]] = []
        self._held = False
        self._stopped = False
        self.accepted = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._stopped:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                self.accepted += 1
                if self._held:
                    _reset(client)
                    continue
            try:
                upstream = socket.create_connection(self._target, timeout=T)
            except OSError:
                _reset(client)
                continue
            with self._lock:
                self._pairs.append((client, upstream))
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()

    def _pump(self, a: socket.socket, b: socket.socket) -> None:
        try:
            while True:
                readable, _, _ = select.select([a, b], [], [], T)
                for src in readable:
                    data = src.recv(65536)
                    if not data:
                        raise OSError("closed")
                    (b if src is a else a).sendall(data)
        except (OSError, ValueError):
            pass
        finally:
            _reset(a)
            _reset(b)

    def sever(self) -> None:
        """Resets every connection through the proxy."""
        with self._lock:
            pairs, self._pairs = self._pairs, []
        for a, b in pairs:
            _reset(a)
            _reset(b)

    def hold(self) -> None:
        """Refuses (accepts and resets) new connections until release()."""
        with self._lock:
            self._held = True

    def release(self) -> None:
        """Lets new connections through again."""
        with self._lock:
            self._held = False

    def close(self) -> None:
        self._stopped = True
        self._listener.close()
        self.sever()


def _reset(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()


@pytest.fixture
def proxy(broker: Broker) -> Iterator[Proxy]:
    """A cuttable TCP proxy in front of `broker`."""
    p = Proxy(broker.addr)
    yield p
    p.close()
