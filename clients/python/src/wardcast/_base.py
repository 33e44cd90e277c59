"""What the blocking and the asyncio client have in common: their options,
their read-only state and the listener registry."""

from __future__ import annotations

import weakref
from typing import Any, Dict, List, Optional, Tuple, Union

from ._core import Backoff, Core, Options
from ._emitter import Listeners
from ._protocol import Event, redact_url
from .errors import Overflow

# Every emission goes to its own name's listeners; these also get the Event
# of every game event, and of every info update.
ALL_EVENTS = "event"
ALL_INFO = "info"


class BaseClient(Listeners):
    """The state both clients expose; see :class:`wardcast.Client`."""

    def __init__(
        self,
        url: Optional[str] = None,
        *,
        token: Optional[str] = None,
        source: Optional[str] = None,
        name: Optional[str] = None,
        features: Optional[List[str]] = None,
        reconnect: Union[bool, Backoff] = True,
        connect_timeout: float = 10.0,
        request_timeout: float = 10.0,
    ) -> None:
        super().__init__()
        self._options = Options.make(
            url, token, source, name, features, reconnect, connect_timeout, request_timeout
        )
        self._core: Optional[Core] = None

    @property
    def url(self) -> str:
        """The broker URL, with any token in it hidden."""
        return redact_url(self._options.url)

    @property
    def state(self) -> str:
        """``"idle"`` (not started), ``"connecting"``, ``"open"``,
        ``"reconnecting"`` or ``"closed"``."""
        return self._core.state if self._core is not None else "idle"

    @property
    def info(self) -> Dict[str, Dict[str, Any]]:
        """A copy of the current info of the subscribed features,
        ``{category: {key: value}}``, kept up to date from the snapshot and
        every info update (a reset key is removed)."""
        return self._core.info() if self._core is not None else {}

    @property
    def features(self) -> List[str]:
        """The features subscribed to (sent again on every reconnect)."""
        return list(self._core.features) if self._core is not None else list(self._options.features)

    @property
    def epoch(self) -> Optional[str]:
        """The broker run's epoch, from the last subscription result."""
        return self._core.position.epoch if self._core is not None else None

    @property
    def last_seq(self) -> int:
        """The position a reconnect resumes from (protocol §5)."""
        return self._core.position.seq if self._core is not None else 0

    @property
    def subscription(self) -> Optional[Dict[str, Any]]:
        """The last successful ``setRequiredFeatures``/``resume`` result."""
        return self._core.position.subscription if self._core is not None else None

    def __repr__(self) -> str:
        return f"<{type(self).__module__}.{type(self).__qualname__} {self.url} {self.state}>"

    def _local(self, name: str, args: Any) -> Event:
        return Event(name, args[0] if len(args) == 1 else (args or None), "status", args=tuple(args))


END = object()
"""What an event stream's queue gets when the client closes."""


class Watch:
    """The listener side of an event stream: every emission of ``names``
    (and ``"closed"``, which ends the stream) is offered to the stream's
    bounded queue. The registry holds the stream only weakly, so a stream left
    behind (a ``break``) is collected and unregistered."""

    def __init__(
        self, client: BaseClient, names: Tuple[str, ...], maxsize: int, pending: Any, full: "type[Exception]"
    ) -> None:
        #: The stream's queue (a queue.Queue or an asyncio.Queue), and the
        #: exception its put_nowait raises when full.
        self._pending = pending
        self._full = full
        self._client = client
        self._names = set(names) | {"closed"}
        self._wants_closed = "closed" in names
        self.maxsize = maxsize
        self.overflowed = False
        self.done = client.state == "closed"
        ref = weakref.ref(self)

        def listener(event: Event) -> None:
            stream = ref()
            if stream is not None and not stream.done:
                closing = event.name == "closed" and not stream._wants_closed
                if not stream._offer(END if closing else event):
                    stream.overflowed = True

        self._listener = listener
        if not self.done:
            for name in self._names:
                client._add(name, listener, once=False, wants_event=True)

    def _offer(self, item: Any) -> bool:
        """Queues ``item`` without waiting; returns False when full."""
        try:
            self._pending.put_nowait(item)
            return True
        except self._full:
            return False

    def _check(self) -> bool:
        """Before taking the next item: raises :class:`Overflow` if the
        stream fell behind; returns False when it is over and drained."""
        if self.overflowed:
            self._detach()
            raise Overflow(f"more than {self.maxsize} events waited unread")
        return not (self.done and self._pending.empty())

    def _unwrap(self, item: Any) -> Optional[Event]:
        """The event of a queued item; None (and detached) at the end."""
        if item is END:
            self._detach()
            return None
        event: Event = item
        return event

    def _detach(self) -> None:
        self.done = True
        for name in self._names:
            self._client.remove_listener(name, self._listener)

    def __del__(self) -> None:
        if not self.done:
            self._detach()
