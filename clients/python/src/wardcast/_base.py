"""What the blocking and the asyncio client have in common: their options,
their read-only state and the listener registry."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Union

from ._core import Backoff, Core, Options
from ._emitter import Listeners
from ._protocol import Event, redact_url

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
