"""The asyncio client: the names of :class:`wardcast.Client`, as coroutines,
plus ``async for event in client.events("kill", "death")``.

Listeners may be plain functions or coroutine functions; they run in the
client's event loop, one after the other, in the order the broker sent
things (a coroutine listener is awaited before the next emission).
"""

from __future__ import annotations

import asyncio
import inspect
from typing import Any, AsyncIterator, Dict, List, Mapping, Optional, Tuple

from . import _protocol as p
from ._base import BaseClient, Watch
from ._core import Backoff, Core
from ._emitter import log
from .errors import ClosedError, Timeout

__all__ = ["Client", "EventStream", "Backoff"]



class Client(BaseClient):
    """The asyncio face of :class:`wardcast.Client`: the same options, the
    same events, the same jobs. Use it inside a running event loop::

        async with wardcast.aio.Client() as client:
            await client.set_required_features(["kill", "death"])
            async for event in client.events("kill", "death"):
                print(event.name, event.data)
    """

    # ------------------------------------------------------------ connection

    async def connect(self, timeout: Optional[float] = 10.0) -> bool:
        """Starts the client (once) and waits up to ``timeout`` seconds until it
        is connected and its subscription, if any, is in force. Returns
        whether it is; on ``False`` it keeps trying in the background."""
        return await self._start().wait_ready(timeout)

    async def run_forever(self) -> None:
        """Starts the client and waits until it is closed. Raises
        :class:`Unauthorized` if the broker refuses the token."""
        core = self._start()
        await core.wait_closed()
        if core.fatal is not None:
            raise core.fatal

    async def close(self) -> None:
        """Closes the connection for good. Emissions already received are
        delivered first, then ``"closed"``; waiting jobs raise
        :class:`ClosedError`. Awaited from a listener, it returns at once and
        the closing completes when the listener returns."""
        core = self._core
        self._closed = True
        if core is None:
            return
        if asyncio.current_task() is core.dispatcher:
            asyncio.ensure_future(core.close())
            return
        await core.close()

    async def __aenter__(self) -> "Client":
        """Starts the client (without waiting for the connection)."""
        self._start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # ------------------------------------------------------------ jobs

    async def set_required_features(self, features: List[str]) -> int:
        """Subscribes to ``features``, replacing any earlier set; returns the
        job id (``await wait_msg(job)`` gives the result). See
        :meth:`wardcast.Client.set_required_features`."""
        return await self._start().subscribe(p.check_features(features))

    async def request(self, method: str, params: Optional[Mapping[str, Any]] = None, timeout: Optional[float] = None) -> int:
        """Sends a JSON-RPC request and returns its job id at once; see
        :meth:`wardcast.Client.request`."""
        return await self._start().request(method, params, timeout)

    async def wait_msg(self, job: int, timeout: Optional[float] = None, raises: bool = False) -> Any:
        """The result of job ``job``; ``None`` after ``timeout`` seconds (or
        :class:`Timeout` with ``raises=True``); :class:`RpcError` for a
        JSON-RPC error."""
        try:
            return await self._start().wait(job, timeout)
        except Timeout:
            if raises:
                raise
            return None

    async def call(self, method: str, params: Optional[Mapping[str, Any]] = None, timeout: Optional[float] = None) -> Any:
        """``request`` and ``wait_msg`` in one: the result, or :class:`Timeout`."""
        return await self.wait_msg(await self.request(method, params, timeout), timeout, raises=True)

    async def get_info(self, timeout: Optional[float] = None) -> Dict[str, Any]:
        """``getInfo``: the current info of the subscribed features."""
        return dict(await self.call("getInfo", None, timeout))

    async def get_features(self, timeout: Optional[float] = None) -> Dict[str, Any]:
        """``getFeatures``: the whole catalogue, with each feature's health."""
        return dict(await self.call("getFeatures", None, timeout))

    async def get_running_game_info(self, timeout: Optional[float] = None) -> Dict[str, Any]:
        """``getRunningGameInfo``: whether the source's game (Dota 2 or
        Counter-Strike 2, ``classId`` and ``title`` say which) is sending game state."""
        return dict(await self.call("getRunningGameInfo", None, timeout))

    # ------------------------------------------------------------ events

    async def emit(self, name: str, *args: Any) -> bool:
        """Calls ``name``'s listeners with ``args`` (awaiting coroutine
        listeners); returns whether there were any."""
        return await self._emit_now(name, args, self._local(name, args))

    async def wait_event(self, name: str, timeout: Optional[float] = None, raises: bool = False) -> Any:
        """Waits for the next emission of ``name`` and returns its argument (a
        tuple when there were several); ``None`` after ``timeout`` seconds (or
        :class:`Timeout` with ``raises=True``)."""
        got: "asyncio.Future[Any]" = asyncio.get_running_loop().create_future()

        def listener(*args: Any) -> None:
            if not got.done():
                got.set_result(args[0] if len(args) == 1 else args)

        self._add(name, listener, once=False)
        try:
            return await asyncio.wait_for(got, timeout)
        except asyncio.TimeoutError:
            if raises:
                raise Timeout(f"no {name!r} within {timeout} s") from None
            return None
        finally:
            self.remove_listener(name, listener)

    def events(self, *names: str, maxsize: int = 1000) -> "EventStream":
        """An async iterator over the emissions of ``names`` as :class:`Event`
        records, from now until the client closes (or ``aclose()``). It
        raises :class:`Overflow` if more than ``maxsize`` wait unread."""
        return EventStream(self, names, maxsize)

    # ------------------------------------------------------------ internals

    _closed = False

    def _start(self) -> Core:
        if self._closed:
            raise ClosedError("the client is closed")
        if self._core is None:
            self._core = Core(self._options, self._deliver)
        self._core.start()
        return self._core

    async def _deliver(self, batch: List[p.Emission]) -> None:
        for name, args, event in batch:
            await self._emit_now(name, args, event)

    async def _emit_now(self, name: str, args: Any, event: p.Event) -> bool:
        results = self._call(name, tuple(args), event)
        for result in results:
            if inspect.isawaitable(result):
                try:
                    await result
                except Exception:
                    log.exception("listener of %r raised", name)
        return bool(results)


class EventStream(Watch, AsyncIterator[p.Event]):
    """``async for event in client.events(...)``: see :meth:`Client.events`."""

    def __init__(self, client: Client, names: Tuple[str, ...], maxsize: int) -> None:
        self._queue: "asyncio.Queue[Any]" = asyncio.Queue(maxsize + 1)
        super().__init__(client, names, maxsize, self._queue, asyncio.QueueFull)

    def __aiter__(self) -> "EventStream":
        return self

    async def __anext__(self) -> p.Event:
        if not self._check():
            raise StopAsyncIteration
        event = self._unwrap(await self._queue.get())
        if event is None:
            raise StopAsyncIteration
        return event

    async def aclose(self) -> None:
        """Stops the stream: no more events are queued for it."""
        self._detach()
