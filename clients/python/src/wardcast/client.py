"""The blocking client, for scripts and bots: listeners run on one background
thread, and every call blocks the caller at most for its ``timeout``."""

from __future__ import annotations

import asyncio
import concurrent.futures
import queue
import threading
from typing import Any, Coroutine, Dict, Iterator, List, Mapping, Optional, Tuple, TypeVar

from . import _protocol as p
from ._base import BaseClient, Watch
from ._core import Core
from .errors import ClosedError, Timeout

T = TypeVar("T")



class Client(BaseClient):
    """A connection to a Wardcast broker, in the style of the Dota 2 Python
    Game Coordinator client.

    ``url`` defaults to ``$WARDCAST_URL``, else ``ws://127.0.0.1:7314/ws``.
    ``token`` (default ``$WARDCAST_TOKEN``) is the access token a client on
    another machine needs; it is sent as an ``Authorization`` header and never
    logged. ``source`` is passed as ``?source=`` (tournament mode, where a
    broker serves several game sources). ``name`` names the connection on the
    broker's dashboard (``?client=``). ``features`` subscribes at once on
    connect. ``reconnect`` (``True``, ``False`` or a :class:`Backoff`) redials
    after a loss and resumes where it was, so nothing is lost across short
    drops.

    Nothing happens on the network until :meth:`connect`,
    :meth:`set_required_features`, :meth:`request` or :meth:`run_forever`.
    Listeners (``on``, ``once``) are called on the client's one dispatch
    thread, in the order the broker sent things; a slow listener delays the
    next ones, never the connection's keep-alive.

    Events: each game event by name (``"kill"``, ``"death"``...) with its data;
    ``"info:<feature>"`` with ``{category: {key: value}}``;
    ``"info:<category>.<key>"`` with the value (``None`` when reset);
    ``"event"`` and ``"info"`` with an :class:`Event` for every game event and
    info update; ``"game_info"`` (``onGameInfoUpdated``), ``"error"``
    (``onError``, a refused token, or a message that could not be read),
    ``"connected"``, ``"disconnected"``, ``"subscribed"``, ``"resumed"`` and
    ``"closed"``.
    """

    def __init__(self, url: Optional[str] = None, **options: Any) -> None:
        super().__init__(url, **options)
        self._start_lock = threading.Lock()
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._thread: Optional[threading.Thread] = None
        self._executor: Optional[concurrent.futures.ThreadPoolExecutor] = None
        self._dispatch_ident: Optional[int] = None
        self._closed = False

    # ------------------------------------------------------------ connection

    def connect(self, timeout: Optional[float] = 10.0) -> bool:
        """Starts the client (once) and waits up to ``timeout`` seconds until it
        is connected and its subscription, if any, is in force. Returns
        whether it is; on ``False`` it keeps trying in the background."""
        core = self._start()
        return bool(self._run(core.wait_ready(timeout)))

    def run_forever(self) -> None:
        """Starts the client and blocks until :meth:`close` is called (from a
        listener or another thread) or Ctrl-C. Raises :class:`Unauthorized`
        if the broker refuses the token."""
        core = self._start()
        assert self._loop is not None
        done = asyncio.run_coroutine_threadsafe(core.wait_closed(), self._loop)
        try:
            while True:
                try:
                    done.result(timeout=1.0)  # short waits keep Ctrl-C responsive everywhere
                    break
                except concurrent.futures.TimeoutError:
                    continue
        except KeyboardInterrupt:
            pass
        finally:
            self.close()
        if core.fatal is not None:
            raise core.fatal

    def close(self, timeout: float = 5.0) -> None:
        """Closes the connection for good. Emissions already received are
        delivered first, then ``"closed"``; waiting jobs raise
        :class:`ClosedError`. Called from a listener, it returns at once and
        the closing completes when the listener returns."""
        with self._start_lock:
            core, loop, thread = self._core, self._loop, self._thread
            already, self._closed = self._closed, True
        if core is None or loop is None or thread is None:
            return
        if not already and not loop.is_closed():
            closing = asyncio.run_coroutine_threadsafe(core.close(), loop)
            closing.add_done_callback(lambda _: loop.call_soon_threadsafe(loop.stop))
        if threading.get_ident() == self._dispatch_ident or thread is threading.current_thread():
            return
        thread.join(timeout)
        if thread.is_alive() and not loop.is_closed():
            loop.call_soon_threadsafe(loop.stop)  # a listener is stuck: give up on it
            thread.join(timeout)

    def __enter__(self) -> "Client":
        """Starts the client (without waiting for the connection)."""
        self._start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------ jobs

    def set_required_features(self, features: List[str]) -> int:
        """Subscribes to ``features`` (``setRequiredFeatures`` with
        ``dataFormat: "object"``), replacing any earlier set, and starts the
        client if needed. Returns the job id: ``wait_msg(job)`` gives the
        result (``supportedFeatures``, ``unsupportedFeatures``...). The
        features are kept and resumed on every reconnect."""
        names = p.check_features(features)
        return int(self._run(self._start().subscribe(names)))

    def request(self, method: str, params: Optional[Mapping[str, Any]] = None, timeout: Optional[float] = None) -> int:
        """Sends a JSON-RPC request (``"getInfo"``, ``"getFeatures"``,
        ``"getRunningGameInfo"``...) and returns its job id at once; it is sent
        when the client is connected. The broker must answer within
        ``timeout`` seconds (default ``request_timeout``)."""
        return int(self._run(self._start().request(method, params, timeout)))

    def wait_msg(self, job: int, timeout: Optional[float] = None, raises: bool = False) -> Any:
        """Waits up to ``timeout`` seconds for job ``job``'s result and returns
        it; ``None`` on timeout (or :class:`Timeout` with ``raises=True``).
        A JSON-RPC error raises :class:`RpcError` (a subclass per code)."""
        try:
            return self._run(self._start().wait(job, timeout))
        except Timeout:
            if raises:
                raise
            return None

    def call(self, method: str, params: Optional[Mapping[str, Any]] = None, timeout: Optional[float] = None) -> Any:
        """``request`` and ``wait_msg`` in one: the result, or :class:`Timeout`."""
        return self.wait_msg(self.request(method, params, timeout), timeout, raises=True)

    def get_info(self, timeout: Optional[float] = None) -> Dict[str, Any]:
        """``getInfo``: the current info of the subscribed features."""
        return dict(self.call("getInfo", None, timeout))

    def get_features(self, timeout: Optional[float] = None) -> Dict[str, Any]:
        """``getFeatures``: the whole catalogue, with each feature's health."""
        return dict(self.call("getFeatures", None, timeout))

    def get_running_game_info(self, timeout: Optional[float] = None) -> Dict[str, Any]:
        """``getRunningGameInfo``: whether the source's game (Dota 2 or
        Counter-Strike 2, ``classId`` and ``title`` say which) is sending game state."""
        return dict(self.call("getRunningGameInfo", None, timeout))

    # ------------------------------------------------------------ events

    def emit(self, name: str, *args: Any) -> bool:
        """Calls ``name``'s listeners with ``args`` at once, in the calling
        thread; returns whether there were any."""
        return bool(self._call(name, args, self._local(name, args)))

    def wait_event(self, name: str, timeout: Optional[float] = None, raises: bool = False) -> Any:
        """Blocks until the next emission of ``name`` and returns its argument
        (an event's data; a tuple when there were several). Returns ``None``
        after ``timeout`` seconds (or raises :class:`Timeout` with
        ``raises=True``). It cannot be called from a listener: the listener
        thread would wait for itself."""
        if threading.get_ident() == self._dispatch_ident:
            raise RuntimeError("wait_event() inside a listener would wait for itself; use once() instead")
        got: "queue.Queue[Tuple[Any, ...]]" = queue.Queue(1)

        def listener(*args: Any) -> None:
            try:
                got.put_nowait(args)
            except queue.Full:
                pass

        self._add(name, listener, once=False)
        try:
            args = got.get(timeout=timeout)
        except queue.Empty:
            if raises:
                raise Timeout(f"no {name!r} within {timeout} s") from None
            return None
        finally:
            self.remove_listener(name, listener)
        return args[0] if len(args) == 1 else args

    def events(self, *names: str, timeout: Optional[float] = None, maxsize: int = 1000) -> "EventIterator":
        """Iterates over the emissions of ``names`` as :class:`Event` records
        (``event.name``, ``event.data``, ``event.raw``...), queued from this
        call on, until the client closes or no emission comes for ``timeout``
        seconds. Raises :class:`Overflow` if more than ``maxsize`` wait
        unread."""
        return EventIterator(self, names, timeout, maxsize)

    # ------------------------------------------------------------ the loop thread

    def _start(self) -> Core:
        with self._start_lock:
            if self._closed:
                raise ClosedError("the client is closed")
            if self._core is not None:
                return self._core
            loop = asyncio.new_event_loop()
            self._executor = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="wardcast-dispatch")
            thread = threading.Thread(target=self._serve, args=(loop,), name="wardcast-loop", daemon=True)
            thread.start()
            core = asyncio.run_coroutine_threadsafe(self._make_core(), loop).result()
            self._loop, self._thread, self._core = loop, thread, core
            return core

    async def _make_core(self) -> Core:
        core = Core(self._options, self._deliver)
        core.start()
        return core

    def _serve(self, loop: asyncio.AbstractEventLoop) -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_forever()
        finally:
            loop.close()
            if self._executor is not None:
                self._executor.shutdown(wait=False)

    async def _deliver(self, batch: List[p.Emission]) -> None:
        await asyncio.get_running_loop().run_in_executor(self._executor, self._deliver_now, batch)

    def _deliver_now(self, batch: List[p.Emission]) -> None:
        self._dispatch_ident = threading.get_ident()
        for name, args, event in batch:
            self._call(name, args, event)

    def _run(self, coro: "Coroutine[Any, Any, T]") -> T:
        loop = self._loop
        if loop is None or loop.is_closed():
            coro.close()
            raise ClosedError("the client is closed")
        return asyncio.run_coroutine_threadsafe(coro, loop).result()


class EventIterator(Watch, Iterator[p.Event]):
    """``for event in client.events(...)``: see :meth:`Client.events`."""

    def __init__(self, client: Client, names: Tuple[str, ...], timeout: Optional[float], maxsize: int) -> None:
        self._queue: "queue.Queue[Any]" = queue.Queue(maxsize + 1)
        self._timeout = timeout
        super().__init__(client, names, maxsize, self._queue, queue.Full)

    def __iter__(self) -> "EventIterator":
        return self

    def __next__(self) -> p.Event:
        if not self._check():
            raise StopIteration
        try:
            event = self._unwrap(self._queue.get(timeout=self._timeout))
        except queue.Empty:
            self._detach()
            raise StopIteration from None
        if event is None:
            raise StopIteration
        return event

    def close(self) -> None:
        """Stops the iteration: no more events are queued for it."""
        self._detach()
