"""The parts without a socket: URLs, the resume position, the Overwolf string
form, errors, backoff, the emitter, event iterators and discovery records."""

from __future__ import annotations

import json
from typing import Any, List

import pytest

import wardcast
from wardcast import _protocol as p
from wardcast.discovery import broker_from_info


def test_urls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WARDCAST_URL", raising=False)
    assert p.build_url(None, source=None, name=None) == "ws://127.0.0.1:7314/ws"
    monkeypatch.setenv("WARDCAST_URL", "ws://10.0.0.5:7314/ws")
    assert p.build_url(None, source="main", name="a b") == "ws://10.0.0.5:7314/ws?source=main&client=a+b"
    assert p.build_url("wss://h:1/ws?source=x", source="y", name=None) == "wss://h:1/ws?source=y"
    with pytest.raises(ValueError):
        p.build_url("http://127.0.0.1:7314/ws", source=None, name=None)
    assert p.split_token("ws://h:1/ws?token=s3cret&client=x") == ("ws://h:1/ws?client=x", "s3cret")
    assert p.redact_url("ws://h:1/ws?token=s3cret") == "ws://h:1/ws?token=***"


def test_token_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WARDCAST_TOKEN", "from-env")
    assert p.token_from_env(None) == "from-env"
    assert p.token_from_env("given") == "given"
    monkeypatch.setenv("WARDCAST_TOKEN", "")
    assert p.token_from_env(None) is None
    client = wardcast.Client("ws://h:1/ws", token="hidden-token")
    assert "hidden-token" not in repr(client) and "hidden-token" not in repr(client._options)


def test_position_follows_protocol_5() -> None:
    pos = p.Position()
    assert not pos.can_resume()
    assert pos.on_result("setRequiredFeatures", {"success": True, "epoch": "e1", "seq": 10}) is False
    assert pos.accept({"seq": 9, "snapshot": True}) is False, "snapshots are never dropped"
    assert pos.accept({"seq": 11}) is False and pos.seq == 11
    assert pos.accept({"seq": 11}) is None, "a seq seen already is dropped"
    # A recovered resume replays two notifications; the position moves to the
    # result's seq only once both are in.
    assert pos.on_result("resume", {"success": True, "epoch": "e1", "seq": 20, "recovered": True, "replayed": 2}) is True
    assert pos.accept({"seq": 13}) is True and pos.seq == 13
    assert pos.accept({"seq": 15}) is True and pos.seq == 20
    assert pos.accept({"seq": 21}) is False
    # Another broker run: the position starts again from its result.
    assert pos.on_result("resume", {"success": True, "epoch": "e2", "seq": 3, "recovered": False}) is False
    assert pos.epoch == "e2" and pos.seq == 3


def test_overwolf_string_form() -> None:
    kill = p.Event("kill", {"kills": 2, "label": "double_kill"}, "event")
    assert json.loads(kill.raw) == kill.data and " " not in kill.raw
    assert p.Event("new_game", None, "event").raw == ""
    info = p.Event("info:match_info", {"team_score": {"team_score": {"radiant": 1, "dire": 0}}, "me": {"hero": "invoker"}}, "info")
    assert info.raw == {"team_score": {"team_score": '{"radiant":1,"dire":0}'}, "me": {"hero": "invoker"}}
    assert p.Event("info:me.hero", None, "key").raw is None
    assert wardcast.overwolf_value(0.5) == "0.5" and wardcast.overwolf_value(True) == "true"


def test_info_updates_keep_the_store() -> None:
    store: dict[str, dict[str, Any]] = {}
    emitted = p.info_emissions({"seq": 1, "feature": "me", "info": {"me": {"hero": "invoker", "team": "radiant"}}}, False, store)
    assert [name for name, _, _ in emitted] == ["info:me", "info:me.hero", "info:me.team", "info"]
    p.info_emissions({"seq": 2, "feature": "me", "info": {"me": {"hero": None}}}, False, store)
    assert store == {"me": {"team": "radiant"}}
    p.info_emissions({"seq": 3, "feature": "me", "info": {"me": {"team": None}}}, False, store)
    assert store == {}


def test_rpc_errors_by_code() -> None:
    err = wardcast.RpcError.from_error({"code": -32602, "message": "invalid params", "data": {"x": 1}}, "getInfo")
    assert type(err) is wardcast.InvalidParams and err.code == -32602 and err.data == {"x": 1}
    assert type(wardcast.RpcError.from_error({"code": -32005, "message": "slow down"})) is wardcast.RateLimited
    odd = wardcast.RpcError.from_error("garbage")
    assert type(odd) is wardcast.RpcError and odd.code == 0
    assert issubclass(wardcast.Timeout, TimeoutError) and issubclass(wardcast.Unauthorized, wardcast.ClosedError)


def test_timeouts_must_be_positive() -> None:
    with pytest.raises(ValueError):
        wardcast.Client("ws://h:1/ws", request_timeout=0)
    with pytest.raises(ValueError):
        wardcast.Client("ws://h:1/ws", connect_timeout=-1)


def test_backoff_stays_within_bounds() -> None:
    backoff = wardcast.Backoff(min_delay=0.5, max_delay=15.0, factor=2.0, jitter=0.3)
    for attempt in range(0, 200, 7):
        assert 0 <= backoff.delay(attempt) <= 15.0
    assert 0.35 <= backoff.delay(0) <= 0.65


def test_emitter_rules() -> None:
    client = wardcast.Client("ws://h:1/ws")
    calls: List[Any] = []

    def listener(*args: Any) -> None:
        calls.append(args)

    client.once("x", listener)
    client.on("x", listener)  # on() makes a once() listener permanent, never a duplicate
    client.emit("x", 1)
    client.emit("x", 2)
    assert calls == [(1,), (2,)]
    client.remove_all_listeners()
    assert client.emit("x") is False
    with pytest.raises(TypeError):
        client.on("x", "not callable")  # type: ignore[call-overload]
    assert client.wait_event("x", timeout=0.01) is None


def test_an_unread_event_iterator_overflows() -> None:
    client = wardcast.Client("ws://h:1/ws")
    stream = client.events("tick", maxsize=2)
    for i in range(4):
        client.emit("tick", i)
    with pytest.raises(wardcast.Overflow):
        next(stream)
    assert client.listeners("tick") == [], "an overflowed iterator lets go"
    stream = client.events("tick", timeout=0.01)
    del stream
    assert client.listeners("tick") == [], "a dropped iterator lets go"


def test_broker_records_from_dns_sd() -> None:
    zeroconf = pytest.importorskip("zeroconf")
    info = zeroconf.ServiceInfo(
        "_wardcast._tcp.local.",
        "Wardcast on streampc._wardcast._tcp.local.",
        addresses=[bytes([127, 0, 0, 1]), bytes([192, 168, 1, 20])],
        port=7314,
        properties={"version": "0.1.0", "path": "/ws", "token": "required", "game": "dota2"},
        server="streampc.local.",
    )
    broker = broker_from_info(info)
    assert broker.name == "Wardcast on streampc"
    assert broker.url == "ws://192.168.1.20:7314/ws", "a LAN address before loopback"
    assert broker.urls[-1] == "ws://127.0.0.1:7314/ws"
    assert broker.token_required is True and broker.version == "0.1.0" and broker.txt["game"] == "dota2"
