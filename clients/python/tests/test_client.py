"""The blocking client against a real broker fed with real GSI."""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import Any, Iterator

import pytest
from conftest import T, Broker, Match
from helpers import Recorder, subscribed

import wardcast


@pytest.fixture
def client(broker: Broker) -> Iterator[wardcast.Client]:
    c = wardcast.Client(broker.ws_url, name="pytest")
    yield c
    c.close()


def test_only_the_subscribed_features_arrive(broker: Broker, client: wardcast.Client) -> None:
    events, heroes = Recorder(), Recorder()
    client.on("event", events)
    client.on("info:me.hero", heroes)
    result = subscribed(client, ["kill", "me"])
    assert result["supportedFeatures"] == ["kill", "me"]

    match = Match(broker)
    match.baseline()
    match.gold(5000)  # gold is not subscribed
    match.death()  # nor is death
    match.kill()
    events.wait_for(lambda e: any(x.name == "kill" for x in e), "the kill")
    assert [e.name for e in events.items] == ["kill"]
    kill = events.items[0]
    assert kill.data == {"kills": 1, "kill_streak": 1, "label": "kill"}
    assert kill.feature == "kill" and isinstance(kill.seq, int) and not kill.replayed
    assert json.loads(kill.raw) == kill.data, "the Overwolf string form is the data's JSON text"
    assert heroes.wait_for(lambda h: h == ["invoker"], "info:me.hero") == ["invoker"]
    assert client.info["me"]["hero"] == "invoker"


def test_decorator_once_and_remove_listener(broker: Broker, client: wardcast.Client) -> None:
    every, first = Recorder(), Recorder()

    @client.on("kill")
    def on_kill(data: Any) -> None:
        every(data["kills"])

    client.once("kill", first)
    removed = Recorder()
    client.on("kill", removed)
    client.remove_listener("kill", removed)
    subscribed(client, ["kill"])
    match = Match(broker)
    match.baseline()
    match.kill()
    match.kill()
    every.wait_for(lambda k: k == [1, 2], "kills 1 and 2")
    assert [d["kills"] for d in first.items] == [1]
    assert removed.items == []
    assert client.listeners("kill") == [on_kill]


def test_wait_event_returns_the_data_or_none_on_timeout(broker: Broker, client: wardcast.Client) -> None:
    subscribed(client, ["kill", "death"])
    started = time.monotonic()
    assert client.wait_event("death", timeout=0.3) is None
    assert 0.3 <= time.monotonic() - started < T
    with pytest.raises(wardcast.Timeout):
        client.wait_event("death", timeout=0.1, raises=True)

    # wait_event in a thread; the post goes out once its listener is in place.
    registered = threading.Event()
    add = client._add

    def watched_add(*args: Any, **kwargs: Any) -> None:
        add(*args, **kwargs)
        registered.set()

    client._add = watched_add  # type: ignore[method-assign]
    got: "list[Any]" = []
    waiter = threading.Thread(target=lambda: got.append(client.wait_event("death", timeout=T)))
    waiter.start()
    assert registered.wait(T)
    match = Match(broker)
    match.baseline()
    match.death()
    waiter.join(T)
    assert got == [{"deaths": 1}]
    assert client.listeners("death") == [], "wait_event leaves no listener behind"


def test_jobs_are_waited_on_by_id(broker: Broker, client: wardcast.Client) -> None:
    subscribed(client, ["me"])
    Match(broker).baseline()
    running = client.request("getRunningGameInfo")
    features = client.request("getFeatures")
    info = client.request("getInfo")
    assert len({running, features, info}) == 3
    # Waited for in another order than they were sent.
    assert client.wait_msg(info, timeout=T)["res"]["features"] == {"me": "True"}
    assert any(f["name"] == "kill" for f in client.wait_msg(features, timeout=T)["features"])
    assert client.wait_msg(running, timeout=T)["classId"] == 7314
    assert client.wait_msg(info, timeout=T)["success"] is True, "an answered job can be waited on again"
    assert client.get_running_game_info()["title"] == "Dota 2"
    with pytest.raises(ValueError):
        client.wait_msg(123456, timeout=T)


def test_broker_errors_raise_typed_exceptions(client: wardcast.Client) -> None:
    with pytest.raises(wardcast.MethodNotFound) as missing:
        client.call("noSuchMethod", timeout=T)
    assert missing.value.code == -32601 and missing.value.method == "noSuchMethod"
    job = client.request("getInfo", {"extra": 1})
    with pytest.raises(wardcast.InvalidParams) as bad:
        client.wait_msg(job, timeout=T)
    assert bad.value.code == -32602 and isinstance(bad.value, wardcast.RpcError)
    # The connection stays usable after errors.
    assert client.get_info(timeout=T)["success"] is True


def test_subscription_results(client: wardcast.Client) -> None:
    result = subscribed(client, ["kill", "party", "nope", "kill"])
    assert result["supportedFeatures"] == ["kill"]
    assert result["unsupportedFeatures"] == ["party", "nope"]
    assert client.epoch == result["epoch"] and client.subscription == result
    none = client.wait_msg(client.set_required_features(["nope"]), timeout=T)
    assert none["success"] is False, "no supported feature is a normal result, not an exception"
    assert client.features == ["kill", "party", "nope"], "a failed call changes nothing"
    with pytest.raises(TypeError):
        client.set_required_features("kill")  # type: ignore[arg-type]


def test_a_late_joiner_gets_the_snapshot(broker: Broker, client: wardcast.Client) -> None:
    Match(broker).baseline()
    ready = wardcast.Client(broker.ws_url)  # a first subscriber proves the body was processed
    try:
        heroes = Recorder()
        ready.on("info:me.hero", heroes)
        subscribed(ready, ["me"])
        heroes.wait_for(lambda h: h == ["invoker"], "the first subscriber's hero")
    finally:
        ready.close()
    infos = Recorder()
    client.on("info", infos)
    subscribed(client, ["me", "match_info"])
    infos.wait_for(lambda i: any(x.feature == "me" for x in i), "the me snapshot")
    me = next(x for x in infos.items if x.feature == "me")
    assert me.snapshot is True and me.data["me"]["team"] == "radiant"
    assert me.raw["me"]["hero"] == "invoker", "string info values stay strings"


def test_local_emit_and_a_failing_listener(client: wardcast.Client, caplog: pytest.LogCaptureFixture) -> None:
    got = Recorder()

    def broken(*args: Any) -> None:
        raise RuntimeError("listener bug")

    client.on("my event", broken)
    client.on("my event", lambda *args: got(args))
    with caplog.at_level(logging.ERROR, logger="wardcast"):
        assert client.emit("my event", 1, [3, 4, 5]) is True
    assert got.items == [(1, [3, 4, 5])]
    assert "listener bug" in caplog.text
    assert client.emit("nobody listens") is False


def test_debug_logging_shows_connect_subscribe_and_emits(broker: Broker, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="wardcast"):
        with wardcast.Client(broker.ws_url) as c:
            kills = Recorder()
            c.on("kill", kills)  # before the post: a wait_event after it could miss the kill
            subscribed(c, ["kill"])
            m = Match(broker)
            m.baseline()
            m.kill()
            kills.wait_for(lambda k: len(k) == 1, "the kill")
    text = caplog.text
    for expected in ("connecting to ws://", "connected to", "subscribe: kill", "emit event: 'connected'", "emit event: 'kill'", "closed"):
        assert expected in text, expected


def test_run_forever_returns_when_a_listener_closes(broker: Broker) -> None:
    client = wardcast.Client(broker.ws_url, features=["kill"])
    closed = Recorder()
    client.on("closed", closed)
    client.on("kill", lambda data: client.close())
    match = Match(broker)

    @client.on("subscribed")
    def play(result: Any) -> None:
        match.baseline()
        match.kill()

    done = threading.Thread(target=client.run_forever)
    done.start()
    done.join(T)
    assert not done.is_alive()
    assert closed.items == [None] and client.state == "closed"
    with pytest.raises(wardcast.ClosedError):
        client.request("getInfo")


def test_events_iterator(broker: Broker, client: wardcast.Client) -> None:
    subscribed(client, ["kill", "death"])
    stream = client.events("kill", "death", timeout=T)
    match = Match(broker)
    match.baseline()
    match.kill()
    match.death()
    first, second = next(stream), next(stream)
    assert [(first.name, first.data["kills"]), (second.name, second.data)] == [("kill", 1), ("death", {"deaths": 1})]
    stream.close()
    assert client.listeners("kill") == []
