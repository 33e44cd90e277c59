"""Reconnect and resume: a connection cut under the client (a TCP proxy the
test severs), and a broker restart (a new epoch)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, List

import pytest
from conftest import T, Broker, Match, Proxy
from helpers import Recorder, subscribed

import wardcast
import wardcast.aio

FAST = wardcast.Backoff(min_delay=0.05, max_delay=0.2)


class Watcher:
    """A client connected to the broker directly: once it has seen a kill, the
    broker has surely published it (to the history a resume replays from)."""

    def __init__(self, broker: Broker) -> None:
        self.seen = Recorder()
        self.client = wardcast.Client(broker.ws_url, features=["kill"])
        self.client.on("kill", self.seen)
        assert self.client.connect(timeout=T)

    def wait(self, kills: int) -> None:
        self.seen.wait_for(lambda k: any(d["kills"] == kills for d in k), f"kill {kills} at the broker")
        self.client.close()


def test_a_cut_connection_resumes_and_nothing_is_lost(
    broker: Broker, proxy: Proxy, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="wardcast")
    client = wardcast.Client(proxy.ws_url, reconnect=FAST)
    kills, gold, lifecycle = Recorder(), Recorder(), Recorder()
    client.on("event", lambda e: kills((e.data["kills"], e.replayed, e.seq)) if e.name == "kill" else None)
    client.on("gold", gold)
    for name in ("connected", "disconnected", "resumed"):
        client.on(name, lambda data, name=name: lifecycle((name, data)))
    try:
        subscribed(client, ["kill", "gold"])
        epoch = client.epoch
        watcher = Watcher(broker)
        match = Match(broker)
        match.baseline()
        match.kill()
        kills.wait_for(lambda k: len(k) == 1, "kill 1")

        proxy.hold()
        proxy.sever()
        lifecycle.wait_for(lambda l: any(n == "disconnected" for n, _ in l), "the disconnect")
        for _ in range(4):
            match.kill()  # kills 2..5 while the client is away
        match.gold(1234)
        watcher.wait(5)

        proxy.release()
        resumed = lifecycle.wait_for(lambda l: any(n == "resumed" for n, _ in l), "the resume")
        result = next(d for n, d in resumed if n == "resumed")
        assert result["recovered"] is True and result["epoch"] == epoch
        assert result["replayed"] >= 5, result  # 4 kills and the gold
        kills.wait_for(lambda k: len(k) == 5, "kills 2..5 replayed")
        assert gold.wait_for(lambda g: len(g) == 1, "the gold")[0]["gold"] == 1234

        match.kill()  # live again
        got = kills.wait_for(lambda k: len(k) == 6, "kill 6")
        assert [k for k, _, _ in got] == [1, 2, 3, 4, 5, 6], "every kill, in order, once"
        assert [r for _, r, _ in got] == [False, True, True, True, True, False]
        seqs = [s for _, _, s in got]
        assert seqs == sorted(set(seqs)), "seq rises"
        names = [n for n, _ in lifecycle.items]
        assert names == ["connected", "disconnected", "connected", "resumed"], names
        assert lifecycle.items[2][1]["reconnected"] is True
        assert lifecycle.items[1][1]["will_reconnect"] is True
        assert f"resume epoch={epoch} since=" in caplog.text and "resumed: recovered" in caplog.text
    finally:
        client.close()


def test_a_job_sent_before_a_cut_is_answered_after_it(broker: Broker, proxy: Proxy) -> None:
    client = wardcast.Client(proxy.ws_url, reconnect=FAST)
    try:
        assert client.connect(timeout=T)
        disconnected = Recorder()
        client.on("disconnected", disconnected)
        proxy.hold()
        proxy.sever()
        disconnected.wait_for(lambda d: len(d) == 1, "the disconnect")
        job = client.request("getRunningGameInfo", timeout=T)  # queued while away
        proxy.release()
        assert client.wait_msg(job, timeout=T)["classId"] == 7314
    finally:
        client.close()


def test_a_broker_restart_gives_a_fresh_snapshot(start_broker: Any) -> None:
    broker: Broker = start_broker()
    client = wardcast.Client(broker.ws_url, reconnect=FAST)
    resumed, heroes, kills = Recorder(), Recorder(), Recorder()
    client.on("resumed", resumed)
    client.on("info:me.hero", heroes)
    client.on("kill", kills)
    try:
        first = subscribed(client, ["kill", "me"])
        match = Match(broker)
        match.baseline()
        match.kill()
        kills.wait_for(lambda k: len(k) == 1, "kill 1")
        heroes.wait_for(lambda h: h == ["invoker"], "the hero")
        assert client.info["me"]["hero"] == "invoker"

        broker = broker.restart()  # SIGTERM: close 1001; a new run, a new epoch
        result = resumed.wait_for(lambda r: len(r) == 1, "the resume")[0]
        assert result["recovered"] is False, "another broker run cannot replay"
        assert result["epoch"] != first["epoch"] and client.epoch == result["epoch"]
        assert client.last_seq == result["seq"], "a new epoch restarts the position"
        assert client.info == {}, "the old run's info is gone"

        match = Match(broker)
        match.baseline()
        heroes.wait_for(lambda h: h == ["invoker", "invoker"], "the hero again")
        match.kill()
        assert [k["kills"] for k in kills.wait_for(lambda k: len(k) == 2, "kill 1 again")] == [1, 1]
    finally:
        client.close()
        broker.stop()


def test_the_asyncio_face_resumes_too(broker: Broker, proxy: Proxy) -> None:
    async def body() -> None:
        loop = asyncio.get_running_loop()
        async with wardcast.aio.Client(proxy.ws_url, features=["kill"], reconnect=FAST) as client:
            assert await client.connect(timeout=T)
            stream = client.events("kill", "resumed")
            watcher = await loop.run_in_executor(None, Watcher, broker)
            match = Match(broker)
            await loop.run_in_executor(None, match.baseline)
            await loop.run_in_executor(None, match.kill)
            first = await asyncio.wait_for(stream.__anext__(), T)
            assert first.data["kills"] == 1

            async def cut() -> None:
                proxy.hold()
                proxy.sever()

            # gather starts the wait (its listener is in place) before the cut.
            await asyncio.gather(client.wait_event("disconnected", timeout=T, raises=True), cut())
            await loop.run_in_executor(None, match.kill)
            await loop.run_in_executor(None, watcher.wait, 2)
            proxy.release()
            got: List[Any] = []
            while len(got) < 2:
                event = await asyncio.wait_for(stream.__anext__(), T)
                got.append((event.name, event.data.get("recovered") if event.name == "resumed" else event.data["kills"], event.replayed))
            assert got == [("resumed", True, False), ("kill", 2, True)]

    asyncio.run(asyncio.wait_for(body(), 3 * T))
