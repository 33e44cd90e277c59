"""The listener registry both clients share: ``on``, ``once``,
``remove_listener``, in the style of gevent-eventemitter. Thread-safe: listeners
may be added and removed from any thread while events are emitted."""

from __future__ import annotations

import logging
import threading
from typing import Any, Callable, Dict, List, Optional, Tuple, TypeVar, overload

from ._protocol import Event

log = logging.getLogger("wardcast")

F = TypeVar("F", bound=Callable[..., Any])


class _Entry:
    __slots__ = ("fn", "once", "wants_event")

    def __init__(self, fn: Callable[..., Any], once: bool, wants_event: bool) -> None:
        self.fn = fn
        self.once = once
        self.wants_event = wants_event


class Listeners:
    """A registry of listeners by event name.

    A function is registered at most once per name: adding it again changes
    nothing, except that ``on`` makes a ``once`` listener permanent.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._listeners: Dict[str, List[_Entry]] = {}

    @overload
    def on(self, name: str) -> Callable[[F], F]: ...

    @overload
    def on(self, name: str, fn: F) -> F: ...

    def on(self, name: str, fn: Optional[F] = None) -> Any:
        """Calls ``fn`` on every emission of ``name``, with the emission's
        arguments (a game event's data, an info value...). Without ``fn``, it
        is a decorator: ``@client.on("kill")``. Returns ``fn``."""
        if fn is None:
            return lambda f: self.on(name, f)
        self._add(name, fn, once=False)
        return fn

    @overload
    def once(self, name: str) -> Callable[[F], F]: ...

    @overload
    def once(self, name: str, fn: F) -> F: ...

    def once(self, name: str, fn: Optional[F] = None) -> Any:
        """As :meth:`on`, but ``fn`` is called for the next emission of
        ``name`` only."""
        if fn is None:
            return lambda f: self.once(name, f)
        self._add(name, fn, once=True)
        return fn

    def remove_listener(self, name: str, fn: Optional[Callable[..., Any]] = None) -> None:
        """Removes ``fn`` from ``name``'s listeners, or every listener of
        ``name`` when ``fn`` is not given."""
        with self._lock:
            entries = self._listeners.get(name, [])
            kept = [] if fn is None else [e for e in entries if e.fn is not fn and e.fn != fn]
            if kept:
                self._listeners[name] = kept
            else:
                self._listeners.pop(name, None)

    def remove_all_listeners(self, name: Optional[str] = None) -> None:
        """Removes every listener of ``name``, or of every name."""
        if name is not None:
            self.remove_listener(name)
            return
        with self._lock:
            self._listeners.clear()

    def listeners(self, name: str) -> List[Callable[..., Any]]:
        """The functions listening to ``name``, in the order they were added."""
        with self._lock:
            return [e.fn for e in self._listeners.get(name, [])]

    def _add(self, name: str, fn: Callable[..., Any], once: bool, wants_event: bool = False) -> None:
        if not callable(fn):
            raise TypeError(f"a listener must be callable, got {fn!r}")
        with self._lock:
            entries = self._listeners.setdefault(name, [])
            for entry in entries:
                if entry.fn is fn:
                    entry.once = entry.once and once
                    return
            entries.append(_Entry(fn, once, wants_event))

    def _take(self, name: str) -> List[_Entry]:
        """The listeners to call for one emission; ``once`` ones are removed
        here, under the lock, so each fires exactly once."""
        with self._lock:
            entries = self._listeners.get(name)
            if not entries:
                return []
            remaining = [e for e in entries if not e.once]
            if len(remaining) != len(entries):
                if remaining:
                    self._listeners[name] = remaining
                else:
                    del self._listeners[name]
            return list(entries)

    def _call(self, name: str, args: Tuple[Any, ...], event: Event) -> List[Any]:
        """Calls ``name``'s listeners in the calling thread and returns what
        they returned (``None`` for one that raised). A listener that raises is
        logged and skipped: it never stops the others or the client."""
        if log.isEnabledFor(logging.DEBUG):
            log.debug("emit event: %r", name)
        results: List[Any] = []
        for entry in self._take(name):
            try:
                results.append(entry.fn(event) if entry.wants_event else entry.fn(*args))
            except Exception:
                log.exception("listener %r of %r raised", entry.fn, name)
                results.append(None)
        return results
