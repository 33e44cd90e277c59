"""The one implementation under both clients: an asyncio connection to the
broker with jobs, subscription, reconnect and resume.

It lives on one event loop (the caller's for :mod:`wardcast.aio`, a background
thread's for :class:`wardcast.Client`). What it receives becomes batches of
emissions that a single dispatcher task hands, in order, to the face's
``deliver`` coroutine, through a bounded queue: when the queue is full the
reader waits, so the socket pushes back on the broker rather than the client
buffering without bound (a broker that cannot send closes the connection as a
slow consumer, and the client resumes).
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import random
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Dict, List, Mapping, Optional, Tuple, Union

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus, WebSocketException

from . import _protocol as p
from .errors import ClosedError, RpcError, Timeout, Unauthorized, WardcastError

log = logging.getLogger("wardcast")

DISPATCH_QUEUE = 1024
"""Batches (one per notification) waiting for the listeners, at most."""

KEPT_JOBS = 256
"""Answered jobs kept for a later ``wait_msg``, at most; the oldest go first."""

Deliver = Callable[[List[p.Emission]], Awaitable[None]]


@dataclass(frozen=True)
class Backoff:
    """How long to wait between reconnect attempts: ``min_delay`` seconds
    after the first loss, times ``factor`` per failed attempt up to
    ``max_delay``, each randomised by ``±jitter`` (a fraction)."""

    min_delay: float = 0.5
    max_delay: float = 15.0
    factor: float = 2.0
    jitter: float = 0.3

    def delay(self, attempt: int) -> float:
        """The wait before attempt number ``attempt`` (0 for the first)."""
        base = min(self.max_delay, self.min_delay * self.factor ** min(attempt, 64))
        return max(0.0, min(self.max_delay, base * (1 + self.jitter * (2 * random.random() - 1))))


@dataclass(frozen=True)
class Options:
    """What a client was configured with (the token is never logged)."""

    url: str
    token: Optional[str]
    features: Tuple[str, ...]
    reconnect: Optional[Backoff]
    connect_timeout: float
    request_timeout: float

    @staticmethod
    def make(
        url: Optional[str],
        token: Optional[str],
        source: Optional[str],
        name: Optional[str],
        features: Optional[List[str]],
        reconnect: Union[bool, Backoff],
        connect_timeout: float,
        request_timeout: float,
    ) -> "Options":
        """Checks and normalises the constructor arguments of either client."""
        for what, value in (("connect_timeout", connect_timeout), ("request_timeout", request_timeout)):
            if not value > 0:
                raise ValueError(f"{what} must be a positive number of seconds, got {value!r}")
        backoff = reconnect if isinstance(reconnect, Backoff) else (Backoff() if reconnect else None)
        bare, in_url = p.split_token(p.build_url(url, source=source, name=name))
        return Options(
            url=bare,
            token=p.token_from_env(token if token is not None else in_url),
            features=tuple(p.check_features(features or [])),
            reconnect=backoff,
            connect_timeout=connect_timeout,
            request_timeout=request_timeout,
        )

    def __repr__(self) -> str:
        return f"Options(url={p.redact_url(self.url)!r}, token={'***' if self.token else None})"


# websockets 15+ reads proxy settings from the environment unless told not to;
# a broker is on this machine or the LAN, never behind an HTTP proxy.
_NO_PROXY: Dict[str, Any] = {"proxy": None} if "proxy" in inspect.signature(connect).parameters else {}


def _next_step(delay: Optional[float], closing: bool) -> str:
    if closing:
        return "closed"
    return f"reconnecting in {delay:.1f} s" if delay is not None else "reconnect is off: closing"


class _Redact(logging.Filter):
    """Hides the token in websockets' own debug logs (it logs request headers)."""

    def __init__(self, secret: str) -> None:
        super().__init__()
        self._secret = secret

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        if self._secret in text:
            record.msg, record.args = text.replace(self._secret, "***"), None
        return True


class _Job:
    __slots__ = ("id", "method", "text", "future", "internal", "sent", "hook", "timer")

    def __init__(
        self,
        job_id: int,
        method: str,
        text: str,
        future: "asyncio.Future[Any]",
        internal: bool,
        hook: Optional[Callable[[Any, Optional[WardcastError]], List[p.Emission]]],
    ) -> None:
        self.id = job_id
        self.method = method
        self.text = text
        self.future = future
        self.internal = internal
        self.sent = False
        self.hook = hook
        self.timer: Optional[asyncio.TimerHandle] = None


class Core:
    """The connection. Every method runs on the loop it was created on."""

    def __init__(self, options: Options, deliver: Deliver) -> None:
        self.options = options
        self.position = p.Position()
        self.features: List[str] = list(options.features)
        #: "idle", "connecting", "open", "reconnecting" or "closed".
        self.state = "idle"
        #: Why the client closed itself (a refused token), if it did.
        self.fatal: Optional[WardcastError] = None
        self.shown_url = p.redact_url(options.url)
        self._info: Dict[str, Dict[str, Any]] = {}
        self._info_lock = threading.Lock()
        self._loop = asyncio.get_running_loop()
        self._deliver = deliver
        self._queue: "asyncio.Queue[Optional[List[p.Emission]]]" = asyncio.Queue(DISPATCH_QUEUE)
        self.dispatcher = self._loop.create_task(self._dispatch())
        self._runner: "Optional[asyncio.Task[None]]" = None
        self._ws: Optional[ClientConnection] = None
        self._jobs: "OrderedDict[int, _Job]" = OrderedDict()
        self._answered = 0
        self._next_id = 1
        self._ever_opened = False
        self._closing = False
        self._ready = asyncio.Event()
        self._wake = asyncio.Event()
        self._closed = asyncio.Event()
        self._ws_logger = logging.getLogger("wardcast.websockets")
        self._redact = _Redact(options.token) if options.token else None
        if self._redact is not None:
            self._ws_logger.addFilter(self._redact)

    # ------------------------------------------------------------ public

    def start(self) -> None:
        """Starts connecting (once)."""
        if self._runner is None and not self._closing:
            self._runner = self._loop.create_task(self._run())

    def info(self) -> Dict[str, Dict[str, Any]]:
        """A copy of the current info (callable from any thread)."""
        with self._info_lock:
            return {category: dict(keys) for category, keys in self._info.items()}

    async def wait_ready(self, timeout: Optional[float]) -> bool:
        """Waits until the socket is open and the subscription in force."""
        self.start()
        if self._closing:
            return False
        waits = [self._loop.create_task(e.wait()) for e in (self._ready, self._closed)]
        try:
            await asyncio.wait(waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for w in waits:
                w.cancel()
        return self._ready.is_set() and not self._closing

    async def wait_closed(self) -> None:
        """Waits until the client is closed."""
        await self._closed.wait()

    async def request(
        self,
        method: str,
        params: Optional[Mapping[str, Any]] = None,
        timeout: Optional[float] = None,
        *,
        internal: bool = False,
        hook: Optional[Callable[[Any, Optional[WardcastError]], List[p.Emission]]] = None,
    ) -> int:
        """Queues a request (sent now if the socket is open, else on connect)
        and returns its job id."""
        if self._closing:
            raise self.fatal or ClosedError("the client is closed")
        if not isinstance(method, str) or not method:
            raise TypeError("method must be a non-empty string")
        wait = self.options.request_timeout if timeout is None else timeout
        if not wait > 0:
            raise ValueError(f"a request's timeout must be a positive number of seconds, got {timeout!r}")
        job_id = self._next_id
        self._next_id += 1
        text = p.encode_request(job_id, method, params)
        job = _Job(job_id, method, text, self._loop.create_future(), internal, hook)
        self._jobs[job_id] = job
        job.timer = self._loop.call_later(wait, self._expire, job, wait)
        if not internal:
            self.start()
        if self._ws is not None and self.state == "open":
            await self._send(job)
        return job_id

    async def wait(self, job_id: int, timeout: Optional[float]) -> Any:
        """The result of job ``job_id``. Raises :class:`Timeout` if it does not
        come within ``timeout`` seconds (or the request expired unanswered),
        :class:`RpcError` for a JSON-RPC error, ``ValueError`` for an unknown
        job."""
        job = self._jobs.get(job_id)
        if job is None or job.internal:
            raise ValueError(f"no job {job_id!r} (never requested, or answered long ago and forgotten)")
        try:
            return await asyncio.wait_for(asyncio.shield(job.future), timeout)
        except asyncio.TimeoutError:
            raise Timeout(f"no answer to job {job_id} ({job.method}) within {timeout} s") from None

    async def subscribe(self, features: List[str]) -> int:
        """``setRequiredFeatures`` as a job; on success the features are kept
        and sent again (as ``resume``) on every reconnect."""
        params = {"features": list(features), "dataFormat": "object"}
        log.debug("subscribe: %s", ",".join(features))
        return await self.request(
            "setRequiredFeatures", params, hook=lambda r, e: self._subscribed("setRequiredFeatures", params, r, e, False)
        )

    async def close(self) -> None:
        """Closes for good: no reconnect; unanswered jobs fail with
        :class:`ClosedError`; emissions already received are delivered, then
        ``closed``."""
        if self._closing:
            await self._closed.wait()
            return
        self._closing = True
        self._wake.set()
        ws = self._ws
        if ws is not None:
            await ws.close(1000)
        runner = self._runner
        if runner is not None and runner is not asyncio.current_task():
            if self.state != "open":
                runner.cancel()  # dialling or waiting to redial
            await asyncio.gather(runner, return_exceptions=True)
        self._fail_all(self.fatal or ClosedError("the client was closed"))
        self.state = "closed"
        await self._queue.put([p.status("closed", self.fatal)])
        await self._queue.put(None)
        await asyncio.gather(self.dispatcher, return_exceptions=True)
        if self._redact is not None:
            self._ws_logger.removeFilter(self._redact)
        self._closed.set()
        log.debug("closed")

    # ------------------------------------------------------------ the connection

    async def _run(self) -> None:
        attempt = 0
        while not self._closing:
            self.state = "reconnecting" if self._ever_opened else "connecting"
            log.debug("connecting to %s", self.shown_url)
            lost: Optional[Dict[str, Any]] = None
            try:
                ws = await connect(
                    self.options.url,
                    additional_headers={"Authorization": f"Bearer {self.options.token}"} if self.options.token else None,
                    open_timeout=self.options.connect_timeout,
                    close_timeout=2,
                    max_size=p.MAX_BROKER_FRAME,
                    logger=self._ws_logger,
                    **_NO_PROXY,
                )
            except InvalidStatus as err:
                status = err.response.status_code
                if status in (401, 403):
                    await self._refused(status)
                    return
                why = f"HTTP {status}"
            except (OSError, asyncio.TimeoutError, WebSocketException) as err:
                why = str(err) or type(err).__name__
            else:
                attempt = 0
                try:
                    lost = await self._session(ws)
                except Exception as err:  # a bug here must not end reconnecting silently
                    log.exception("the connection failed unexpectedly")
                    await ws.close(1011)
                    lost = {"code": 1011, "reason": f"client error: {err!r}"}
            backoff = None if self._closing else self.options.reconnect
            delay = backoff.delay(attempt) if backoff is not None else None
            attempt += 1
            if lost is not None:
                (log.debug if self._closing else log.info)(
                    "disconnected (code %s%s); %s", lost["code"], f" {lost['reason']}" if lost["reason"] else "", _next_step(delay, self._closing)
                )
                lost.update(will_reconnect=delay is not None, delay=delay)
                await self._put([p.status("disconnected", lost)])
            else:
                log.debug("connection failed (%s); %s", why, _next_step(delay, self._closing))
            if delay is None:
                if not self._closing:
                    self._loop.create_task(self.close())
                return
            try:
                await asyncio.wait_for(self._wake.wait(), delay)
            except asyncio.TimeoutError:
                pass

    async def _refused(self, status: int) -> None:
        """The broker refused the token: retrying cannot help."""
        self.fatal = Unauthorized(status)
        log.error("%s", self.fatal)
        await self._put([p.status("error", {"reason": "unauthorized", "status": status})])
        self._loop.create_task(self.close())

    async def _session(self, ws: ClientConnection) -> Dict[str, Any]:
        """Serves one open socket until it closes; returns its close code and
        reason."""
        self._ws = ws
        self.state = "open"
        reconnected, self._ever_opened = self._ever_opened, True
        log.debug("connected to %s", self.shown_url)
        await self._put([p.status("connected", {"url": self.shown_url, "reconnected": reconnected})])
        try:
            if self.features:
                await self._send_subscription(fresh=False)
            for job in list(self._jobs.values()):
                if not job.sent and not job.internal and not job.future.done():
                    await self._send(job)
            self._maybe_ready()
            async for message in ws:
                await self._on_message(message)
        except ConnectionClosed:
            pass
        finally:
            self._ws = None
            self._ready.clear()
            self.position.lost()
            self._socket_lost()
        # ws.protocol has these in every websockets release we support (13.1+).
        return {"code": ws.protocol.close_code, "reason": ws.protocol.close_reason or ""}

    async def _send_subscription(self, fresh: bool) -> None:
        resume = self.position.can_resume() and not fresh
        method = "resume" if resume else "setRequiredFeatures"
        params: Dict[str, Any] = {"features": list(self.features), "dataFormat": "object"}
        if resume:
            params["epoch"] = self.position.epoch
            params["since"] = self.position.seq
            log.debug("resume epoch=%s since=%d features=%s", self.position.epoch, self.position.seq, ",".join(self.features))
        else:
            log.debug("subscribe: %s", ",".join(self.features))
        await self.request(method, params, internal=True, hook=lambda r, e: self._subscribed(method, params, r, e, True))

    def _subscribed(
        self, method: str, params: Dict[str, Any], result: Any, error: Optional[WardcastError], internal: bool
    ) -> List[p.Emission]:
        """Runs when a subscription's answer arrives, before the notifications
        behind it are read."""
        if error is not None:
            if not internal:
                self._maybe_ready()
                return []  # a user's call failed: it changes nothing, and they get the error
            if isinstance(error, RpcError) and method == "resume" and error.code in (-32601, -32602):
                log.debug("the broker has no resume (%s): subscribing afresh", error)
                self._loop.create_task(self._send_subscription(fresh=True))
            elif self._ws is not None:
                log.warning("subscription failed (%s): reconnecting", error)
                self._loop.create_task(self._ws.close(4000, "subscription failed"))
            return []
        out: List[p.Emission] = []
        if isinstance(result, dict) and result.get("success") is True:
            recovered = self.position.on_result(method, result)
            self.features = list(params["features"])
            if not recovered:
                with self._info_lock:
                    self._info.clear()  # a snapshot follows: the info is whole again from it
            if method == "resume":
                log.debug("resumed: %s", f"recovered, {result.get('replayed', 0)} replayed" if recovered else "not recovered, fresh snapshot")
                out.append(p.status("resumed", result))
            else:
                log.debug("subscribed: supported %s, unsupported %s", result.get("supportedFeatures"), result.get("unsupportedFeatures"))
            out.append(p.status("subscribed", result))
        elif isinstance(result, dict):
            log.warning("no requested feature is supported: %s", result.get("unsupportedFeatures"))
        self._maybe_ready()
        return out

    def _maybe_ready(self) -> None:
        """Ready: the socket is open and no subscription is awaiting its answer
        (so ``connect()`` returns once the features asked for are in force)."""
        pending = any(
            j.method in ("setRequiredFeatures", "resume") and not j.future.done() for j in self._jobs.values()
        )
        if self._ws is not None and not pending:
            self._ready.set()

    async def _send(self, job: _Job) -> None:
        ws = self._ws
        if ws is None:
            return
        try:
            await ws.send(job.text)
            job.sent = True
        except ConnectionClosed:
            job.sent = False  # sent again on the next connection

    def _socket_lost(self) -> None:
        # Internal requests belong to the dead socket; users' go out again on the next.
        for job in list(self._jobs.values()):
            if job.internal:
                self._forget(job)
                self._settle(job, None, ClosedError("connection lost"))
            else:
                job.sent = False

    # ------------------------------------------------------------ jobs

    def _expire(self, job: _Job, after: float) -> None:
        if job.future.done():
            return
        if job.internal:
            self._forget(job)
        self._settle(job, None, Timeout(f"{job.method} got no answer within {after} s"))

    def _settle(self, job: _Job, result: Any, error: Optional[WardcastError]) -> List[p.Emission]:
        if job.timer is not None:
            job.timer.cancel()
        if job.future.done():
            return []
        if error is None:
            job.future.set_result(result)
        else:
            job.future.set_exception(error)
            job.future.exception()  # retrieved: a job nobody waits for is not an error to report
        if not job.internal:
            self._answered += 1
            self._evict()
        return job.hook(result, error) if job.hook is not None else []

    def _forget(self, job: _Job) -> None:
        self._jobs.pop(job.id, None)

    def _evict(self) -> None:
        if self._answered <= KEPT_JOBS:
            return
        for job in list(self._jobs.values()):
            if job.future.done():
                self._forget(job)
                self._answered -= 1
                if self._answered <= KEPT_JOBS:
                    return

    def _fail_all(self, error: WardcastError) -> None:
        for job in list(self._jobs.values()):
            self._settle(job, None, error)

    # ------------------------------------------------------------ incoming

    async def _on_message(self, message: "str | bytes") -> None:
        try:
            batch = self._decode(message)
        except Exception as err:  # nothing the broker sends may stop the reader
            log.exception("could not handle a message from the broker")
            batch = [p.status("error", {"reason": "invalid_message", "detail": repr(err)})]
        await self._put(batch)

    def _decode(self, message: "str | bytes") -> List[p.Emission]:
        if isinstance(message, bytes):
            return self._invalid("a binary frame")
        try:
            msg = json.loads(message)
        except ValueError:
            return self._invalid(f"not JSON: {message[:80]!r}")
        if not isinstance(msg, dict):
            return self._invalid(f"not a JSON object: {message[:80]!r}")
        method = msg.get("method")
        if isinstance(method, str):
            params = msg.get("params")
            if not isinstance(params, dict):
                return self._invalid(f"{method} without params")
            return self._notification(method, params)
        if "id" in msg:
            return self._response(msg)
        return self._invalid(f"neither a notification nor a response: {message[:80]!r}")

    def _invalid(self, what: str) -> List[p.Emission]:
        log.warning("ignored a message from the broker: %s", what)
        return [p.status("error", {"reason": "invalid_message", "detail": what})]

    def _response(self, msg: Dict[str, Any]) -> List[p.Emission]:
        job_id = msg.get("id")
        job = self._jobs.get(job_id) if isinstance(job_id, int) and not isinstance(job_id, bool) else None
        if job is None:
            if "error" in msg:
                log.warning("the broker answered error %s to a request it could not read", msg.get("error"))
            else:
                log.debug("ignored an answer to unknown or expired job %r", job_id)
            return []
        if job.internal:
            self._forget(job)
        if "error" in msg:
            return self._settle(job, None, RpcError.from_error(msg["error"], job.method))
        return self._settle(job, msg.get("result"), None)

    def _notification(self, method: str, params: Dict[str, Any]) -> List[p.Emission]:
        replayed = self.position.accept(params)
        if replayed is None:
            return []  # delivered already (seq rises strictly on a connection)
        if method == "onNewEvents":
            return p.event_emissions(params, replayed)
        if method == "onInfoUpdates2":
            with self._info_lock:
                return p.info_emissions(params, replayed, self._info)
        if method == "onError":
            log.warning("the broker reports an error: %s", params.get("reason"))
            return [p.status("error", p.without_seq(params))]
        if method == "onGameInfoUpdated":
            return [p.status("game_info", p.without_seq(params))]
        log.debug("ignored unknown notification %r", method)  # protocol §11
        return []

    # ------------------------------------------------------------ dispatch

    async def _put(self, batch: List[p.Emission]) -> None:
        if batch:
            await self._queue.put(batch)

    async def _dispatch(self) -> None:
        while True:
            batch = await self._queue.get()
            if batch is None:
                return
            try:
                await self._deliver(batch)
            except Exception:
                log.exception("delivering %s failed", [name for name, _, _ in batch])
