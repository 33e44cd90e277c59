"""The exceptions of the Wardcast client.

Every exception the client raises on purpose is a :class:`WardcastError`. A
JSON-RPC error from the broker is an :class:`RpcError` (or one of its
subclasses, one per code of protocol §7), carrying the broker's ``code``,
``message`` and ``data``.
"""

from __future__ import annotations

from typing import Any, Dict, Optional, Type

__all__ = [
    "WardcastError",
    "Timeout",
    "ClosedError",
    "Unauthorized",
    "Overflow",
    "RpcError",
    "ParseError",
    "InvalidRequest",
    "MethodNotFound",
    "InvalidParams",
    "InternalError",
    "RateLimited",
]


class WardcastError(Exception):
    """The base class of every error the Wardcast client raises."""


class Timeout(WardcastError, TimeoutError):
    """A wait ran out of time (``wait_event``/``wait_msg`` with ``raises=True``,
    ``connect``, or a request the broker did not answer in time)."""


class ClosedError(WardcastError):
    """The client was closed (by :meth:`close`, or for good after the broker
    refused it), so the request or wait cannot complete."""


class Unauthorized(ClosedError):
    """The broker refused the WebSocket upgrade with HTTP 401 or 403: a token
    is needed (pass ``token=`` or set ``WARDCAST_TOKEN``), or the one given is
    wrong. The client does not retry."""

    def __init__(self, status: int) -> None:
        super().__init__(
            f"the broker refused the connection with HTTP {status}: "
            "pass the access token as token= or WARDCAST_TOKEN (see `wardcast token`)"
        )
        #: The HTTP status the broker answered (401 or 403).
        self.status = status


class Overflow(WardcastError):
    """An event iterator fell more events behind than its queue holds; the
    events after that point were not queued for it, so it stops."""


class RpcError(WardcastError):
    """The broker answered a request with a JSON-RPC error."""

    #: The JSON-RPC code this class stands for (``None`` for other codes).
    CODE: Optional[int] = None

    def __init__(
        self, code: int, message: str, data: Any = None, method: Optional[str] = None
    ) -> None:
        super().__init__(f"{method or 'request'} failed: {message} ({code})")
        #: The JSON-RPC error code, e.g. ``-32601``.
        self.code = code
        #: The broker's human-readable message.
        self.message = message
        #: The error's optional ``data`` member.
        self.data = data
        #: The method of the request that failed.
        self.method = method

    @staticmethod
    def from_error(error: Any, method: Optional[str] = None) -> "RpcError":
        """Builds the error of the right subclass from a response's ``error``
        member, whatever its shape."""
        if not isinstance(error, dict):
            return RpcError(0, repr(error), None, method)
        code = error.get("code")
        if not isinstance(code, int) or isinstance(code, bool):
            code = 0
        message = error.get("message")
        cls = _BY_CODE.get(code, RpcError)
        return cls(code, str(message) if message is not None else "", error.get("data"), method)


class ParseError(RpcError):
    """``-32700``: the broker could not parse a frame as JSON."""

    CODE = -32700


class InvalidRequest(RpcError):
    """``-32600``: the message is not a valid JSON-RPC request."""

    CODE = -32600


class MethodNotFound(RpcError):
    """``-32601``: the broker has no such method."""

    CODE = -32601


class InvalidParams(RpcError):
    """``-32602``: the params break the method's rules."""

    CODE = -32602


class InternalError(RpcError):
    """``-32603``: the broker failed to serve a valid request."""

    CODE = -32603


class RateLimited(RpcError):
    """``-32005``: the connection sent requests faster than its budget."""

    CODE = -32005


_BY_CODE: Dict[int, Type[RpcError]] = {
    cls.CODE: cls
    for cls in (ParseError, InvalidRequest, MethodNotFound, InvalidParams, InternalError, RateLimited)
    if cls.CODE is not None
}
