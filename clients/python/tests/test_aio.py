"""The asyncio client: against a real broker, and against a fake broker that
sends what no broker should."""

from __future__ import annotations

import asyncio
import json
from typing import Any, Awaitable, Callable, List, TypeVar

import pytest
from conftest import T, Broker, Match
from websockets.asyncio.server import ServerConnection, serve

import wardcast
import wardcast.aio

R = TypeVar("R")


def run(test: Callable[[], Awaitable[R]]) -> R:
    """Runs an async test body with an overall timeout."""
    return asyncio.run(asyncio.wait_for(test(), 3 * T))


async def post(broker: Broker, action: Callable[[], None]) -> None:
    """Runs a blocking GSI post off the event loop."""
    await asyncio.get_running_loop().run_in_executor(None, action)


def test_events_iterator_gets_only_the_names_asked_for(broker: Broker) -> None:
    async def body() -> None:
        async with wardcast.aio.Client(broker.ws_url) as client:
            result = await client.wait_msg(await client.set_required_features(["kill", "death", "gold"]), timeout=T)
            assert result["success"] is True
            stream = client.events("kill", "death")
            match = Match(broker)
            await post(broker, match.baseline)
            await post(broker, lambda: match.gold(4000))
            await post(broker, match.kill)
            await post(broker, match.death)
            got: List[Any] = []
            async for event in stream:
                got.append((event.name, event.data))
                if len(got) == 2:
                    break
            assert got == [("kill", {"kills": 1, "kill_streak": 1, "label": "kill"}), ("death", {"deaths": 1})]
            await stream.aclose()
            assert client.listeners("kill") == []

    run(body)


def test_wait_event_once_and_async_listeners(broker: Broker) -> None:
    async def body() -> None:
        client = wardcast.aio.Client(broker.ws_url, features=["kill"])
        assert await client.connect(timeout=T)
        assert await client.wait_event("kill", timeout=0.2) is None
        with pytest.raises(wardcast.Timeout):
            await client.wait_event("kill", timeout=0.1, raises=True)
        seen: List[int] = []
        once: List[int] = []

        @client.on("kill")
        async def on_kill(data: Any) -> None:
            await asyncio.sleep(0)  # a coroutine listener is awaited in order
            seen.append(data["kills"])

        client.once("kill", lambda data: once.append(data["kills"]))
        match = Match(broker)
        await post(broker, match.baseline)
        # gather starts the wait (its listener is in place) before the post.
        kill, _ = await asyncio.gather(client.wait_event("kill", timeout=T), post(broker, match.kill))
        assert kill == {"kills": 1, "kill_streak": 1, "label": "kill"}
        kill, _ = await asyncio.gather(client.wait_event("kill", timeout=T), post(broker, match.kill))
        assert kill["kills"] == 2
        # A local emit goes through the same listeners.
        assert await client.emit("kill", {"kills": 99}) is True
        await client.close()  # delivers everything received first
        assert sorted(seen) == [1, 2, 99] and once == [1]
        assert client.state == "closed"

    run(body)


def test_jobs_and_errors(broker: Broker) -> None:
    async def body() -> None:
        async with wardcast.aio.Client(broker.ws_url) as client:
            features = await client.request("getFeatures")
            info = await client.request("getInfo")
            assert (await client.wait_msg(info, timeout=T))["res"] == {"features": {}}
            assert len((await client.wait_msg(features, timeout=T))["features"]) >= 40
            with pytest.raises(wardcast.MethodNotFound) as err:
                await client.call("nope", timeout=T)
            assert err.value.code == -32601
            with pytest.raises(wardcast.InvalidParams):
                await client.call("getFeatures", {"x": 1}, timeout=T)
            assert (await client.get_running_game_info(timeout=T))["classId"] == 7314

    run(body)


def test_nothing_the_broker_sends_crashes_the_client() -> None:
    """A fake broker answers the subscription, then sends frames no broker
    should; each is an `error` event and a log line, and the good
    notification behind them still arrives."""
    bad: List[Any] = [
        b"\x00binary",
        "not json",
        "[1, 2]",
        json.dumps({"jsonrpc": "2.0", "method": "onNewEvents", "params": "nope"}),
        json.dumps({"jsonrpc": "2.0", "id": 999, "result": {}}),  # an unknown job: ignored
        json.dumps({"jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": "parse error"}}),
        json.dumps({"jsonrpc": "2.0", "method": "onSomethingNew", "params": {"seq": 2}}),  # unknown: ignored
        json.dumps({"jsonrpc": "2.0", "method": "onInfoUpdates2", "params": {"seq": 3, "feature": "me", "info": [1]}}),
    ]
    good = {
        "jsonrpc": "2.0",
        "method": "onNewEvents",
        "params": {"seq": 4, "feature": "kill", "events": [{"nope": 1}, {"name": "kill", "data": {"kills": 1}}]},
    }

    async def fake(ws: ServerConnection) -> None:
        request = json.loads(await ws.recv())
        assert request["method"] == "setRequiredFeatures" and request["params"]["dataFormat"] == "object"
        result = {"success": True, "status": "success", "supportedFeatures": ["kill"], "unsupportedFeatures": [], "epoch": "e1", "seq": 1}
        await ws.send(json.dumps({"jsonrpc": "2.0", "id": request["id"], "result": result}))
        for frame in bad:
            await ws.send(frame)
        await ws.send(json.dumps(good))
        await ws.wait_closed()

    async def body() -> None:
        async with serve(fake, "127.0.0.1", 0) as server:
            port = list(server.sockets)[0].getsockname()[1]
            async with wardcast.aio.Client(f"ws://127.0.0.1:{port}/ws", features=["kill"]) as client:
                errors: List[Any] = []
                client.on("error", errors.append)
                kill = await client.wait_event("kill", timeout=T, raises=True)
                assert kill == {"kills": 1}
                assert [e["reason"] for e in errors] == ["invalid_message"] * 4
                assert client.state == "open"

    run(body)
