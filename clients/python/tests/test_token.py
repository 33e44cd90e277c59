"""The LAN token (token= or WARDCAST_TOKEN), ?source=, and that no secret
reaches a log or a repr."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from conftest import T, Broker
from helpers import Recorder, subscribed

import wardcast


@pytest.fixture
def guarded(start_broker: Any) -> Broker:
    """A broker that wants the token from loopback clients too."""
    b: Broker = start_broker(["--require-token"])
    return b


def test_without_the_token_the_client_stops_with_unauthorized(guarded: Broker, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WARDCAST_TOKEN", raising=False)
    client = wardcast.Client(guarded.ws_url)
    errors, closed = Recorder(), Recorder()
    client.on("error", errors)
    client.on("closed", closed)
    assert client.connect(timeout=T) is False
    closed.wait_for(lambda c: len(c) == 1, "closed")
    assert errors.items == [{"reason": "unauthorized", "status": 401}]
    assert isinstance(closed.items[0], wardcast.Unauthorized) and closed.items[0].status == 401
    with pytest.raises(wardcast.Unauthorized):
        client.run_forever()
    with pytest.raises(wardcast.ClosedError):
        client.request("getInfo")


def test_token_argument_and_environment(guarded: Broker, monkeypatch: pytest.MonkeyPatch) -> None:
    token = guarded.token()
    with wardcast.Client(guarded.ws_url, token=token) as client:
        assert subscribed(client, ["kill"])["supportedFeatures"] == ["kill"]
    monkeypatch.setenv("WARDCAST_TOKEN", token)
    with wardcast.Client(guarded.ws_url) as client:
        assert client.connect(timeout=T)
        assert client.get_info(timeout=T)["success"] is True


def test_no_secret_in_logs_or_reprs(guarded: Broker, caplog: pytest.LogCaptureFixture) -> None:
    token = guarded.token()
    assert len(token) >= 16
    with caplog.at_level(logging.DEBUG):
        with wardcast.Client(guarded.ws_url, token=token) as client:
            subscribed(client, ["kill"])
            assert token not in repr(client) and token not in client.url
        # A token put in the URL by hand goes in the header instead.
        with wardcast.Client(f"{guarded.ws_url}?token={token}") as client:
            assert client.connect(timeout=T)
            assert "token" not in client.url and token not in repr(client)
    assert "Authorization" in caplog.text, "websockets' header log is there, with the token hidden"
    assert token not in caplog.text


def test_source_and_name_go_on_the_url(broker: Broker) -> None:
    with wardcast.Client(broker.ws_url, source="stage-2", name="my bot") as client:
        assert "source=stage-2" in client.url and "client=my+bot" in client.url
        assert client.connect(timeout=T), "a broker without tournament mode ignores ?source="
