"""The wire side of protocol v1 (protocol/README.md), with no sockets and no
threads: URLs, the ``Event`` record, the Overwolf string encoding, the resume
position, and turning one notification into the emissions it causes."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

DEFAULT_URL = "ws://127.0.0.1:7314/ws"
"""Where a broker listens by default."""

MAX_CLIENT_FRAME = 64 * 1024
"""Protocol §1: a bigger client frame closes the connection with 1009."""

MAX_BROKER_FRAME = 16 * 1024 * 1024
"""The largest frame accepted from the broker (a whole spectator roster is far
smaller)."""

_SECRET_PARAMS = ("token",)


@dataclass(frozen=True)
class Event:
    """One emission, as the event iterators and the ``"event"``/``"info"``
    listeners see it.

    ``data`` is what a listener of ``name`` is called with. ``kind`` tells what
    it is: ``"event"`` (a game event: ``data`` is its data, ``None`` when it has
    none), ``"info"`` (``info:<feature>``: ``data`` is ``{category: {key:
    value}}``), ``"key"`` (``info:<category>.<key>``: ``data`` is the value,
    ``None`` when the key was reset) or ``"status"`` (``connected``,
    ``game_info``, ``error``, local emits...).
    """

    name: str
    data: Any
    kind: str = "status"
    feature: Optional[str] = None
    seq: Optional[int] = None
    snapshot: bool = False
    replayed: bool = False
    args: Tuple[Any, ...] = field(default=(), repr=False, compare=False)

    @property
    def raw(self) -> Any:
        """The data as Overwolf's ``"string"`` format has it (protocol §6), for
        code ported from Overwolf that calls ``JSON.parse`` itself: an event's
        data as JSON text (``""`` when it has none), info values that are not
        strings as JSON text. Member order may differ from the broker's; parse
        it, never compare the text."""
        if self.kind == "event":
            return "" if self.data is None else _json_text(self.data)
        if self.kind == "key":
            return overwolf_value(self.data)
        if self.kind == "info" and isinstance(self.data, dict):
            return {
                category: {key: overwolf_value(v) for key, v in keys.items()}
                for category, keys in self.data.items()
                if isinstance(keys, dict)
            }
        return self.data


def _json_text(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def overwolf_value(value: Any) -> Any:
    """An info value in Overwolf's string form: strings and ``None`` as they
    are, anything else as compact JSON text."""
    if value is None or isinstance(value, str):
        return value
    return _json_text(value)


# ---------------------------------------------------------------- URLs


def build_url(url: Optional[str], *, source: Optional[str], name: Optional[str]) -> str:
    """The URL to dial: ``url`` (default ``$WARDCAST_URL``, else
    ``ws://127.0.0.1:7314/ws``) with ``?source=`` and ``?client=`` added.
    Raises ``ValueError`` for anything but a ``ws://``/``wss://`` URL."""
    base = url or os.environ.get("WARDCAST_URL") or DEFAULT_URL
    parts = urlsplit(base)
    if parts.scheme not in ("ws", "wss") or not parts.netloc:
        raise ValueError(f"the url must be ws://HOST:PORT/PATH or wss://..., got {redact_url(base)!r}")
    query = parse_qsl(parts.query, keep_blank_values=True)
    for key, value in (("source", source), ("client", name)):
        if value is not None:
            query = [(k, v) for k, v in query if k != key] + [(key, value)]
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/ws", urlencode(query), ""))


def split_token(url: str) -> Tuple[str, Optional[str]]:
    """``url`` without its ``token=`` query parameter, and that token: the
    client sends it as a header instead, where no access log records it."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    tokens = [v for k, v in query if k in _SECRET_PARAMS]
    if not tokens:
        return url, None
    kept = [(k, v) for k, v in query if k not in _SECRET_PARAMS]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(kept), "")), tokens[-1] or None


def redact_url(url: str) -> str:
    """``url`` with the value of any ``token=`` query parameter hidden, for
    logs and reprs."""
    try:
        parts = urlsplit(url)
        query = parse_qsl(parts.query, keep_blank_values=True)
    except ValueError:
        return "<unparsable url>"
    if not any(k in _SECRET_PARAMS for k, _ in query):
        return url
    hidden = [(k, "***" if k in _SECRET_PARAMS else v) for k, v in query]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(hidden, safe="*"), ""))


def token_from_env(token: Optional[str]) -> Optional[str]:
    """``token``, else ``$WARDCAST_TOKEN``, else ``None`` (empty means none)."""
    chosen = token if token is not None else os.environ.get("WARDCAST_TOKEN")
    return chosen or None


# ---------------------------------------------------------------- requests


def encode_request(request_id: int, method: str, params: Optional[Mapping[str, Any]]) -> str:
    """One request frame. Raises ``ValueError`` if it would be larger than the
    broker accepts (it would close the connection)."""
    frame: Dict[str, Any] = {"jsonrpc": "2.0", "id": request_id, "method": method}
    if params is not None:
        frame["params"] = dict(params)
    text = _json_text(frame)
    if len(text.encode("utf-8")) > MAX_CLIENT_FRAME:
        raise ValueError(f"{method} request larger than 64 KiB (the broker would close the connection)")
    return text


def unique(names: Sequence[str]) -> List[str]:
    """``names`` without repeats, first occurrence first."""
    return list(dict.fromkeys(names))


def check_features(features: Any) -> List[str]:
    """The feature list, checked: a sequence of strings (not one string)."""
    if isinstance(features, (str, bytes)) or not all(isinstance(f, str) for f in features):
        raise TypeError("features must be a list of feature names (strings)")
    return unique(list(features))


# ---------------------------------------------------------------- the resume position


class Position:
    """Where this client is in the broker's stream (protocol §5): the epoch of
    the broker run and the seq to resume from, with the bookkeeping of a
    recovered replay. Mirrors web/wardcast.js."""

    def __init__(self) -> None:
        #: The broker run's epoch, from the last subscription result.
        self.epoch: Optional[str] = None
        #: max(seq of the last notification, seq of the last result).
        self.seq = 0
        #: The last successful setRequiredFeatures/resume result.
        self.subscription: Optional[Dict[str, Any]] = None
        self._replay_left = 0
        self._replay_seq = 0

    def can_resume(self) -> bool:
        """Whether the next subscription should be a ``resume``."""
        return self.subscription is not None and self.epoch is not None

    def lost(self) -> None:
        """The socket is gone: a replay in progress will not finish on it."""
        self._replay_left = 0

    def on_result(self, method: str, result: Dict[str, Any]) -> bool:
        """Applies a successful subscription result; returns whether it was a
        recovered resume (nothing lost) rather than a fresh snapshot."""
        same_epoch = result.get("epoch") == self.epoch
        recovered = method == "resume" and result.get("recovered") is True and same_epoch
        epoch = result.get("epoch")
        self.epoch = epoch if isinstance(epoch, str) else None
        self.subscription = result
        seq = _int(result.get("seq"))
        if recovered:
            left = _int(result.get("replayed"))
            # The replayed notifications carry seqs up to the result's: keep the
            # position at the last one received until all have arrived, so a
            # drop mid-replay resumes from the right place.
            self._replay_left, self._replay_seq = left, seq
            if left <= 0:
                self.seq = max(self.seq, seq)
        else:
            self._replay_left = 0
            self.seq = max(self.seq, seq) if same_epoch else seq
        return recovered

    def accept(self, params: Mapping[str, Any]) -> Optional[bool]:
        """Checks a notification's seq: ``None`` if it was delivered already
        (drop it), else whether it is part of a replay."""
        seq = params.get("seq")
        if not isinstance(seq, int) or isinstance(seq, bool) or params.get("snapshot") is True:
            return False
        if seq <= self.seq:
            return None
        self.seq = seq
        if self._replay_left > 0:
            self._replay_left -= 1
            if self._replay_left == 0:
                self.seq = max(self.seq, self._replay_seq)
            return True
        return False


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


# ---------------------------------------------------------------- notifications

Emission = Tuple[str, Tuple[Any, ...], Event]
"""What the client emits: the name, the listeners' arguments, the Event."""


def status(name: str, data: Any) -> Emission:
    """A client status emission (``connected``, ``resumed``...)."""
    return (name, (data,), Event(name, data))


def without_seq(params: Mapping[str, Any]) -> Dict[str, Any]:
    """A notification's params without the ``seq`` member."""
    return {k: v for k, v in params.items() if k != "seq"}


def event_emissions(params: Mapping[str, Any], replayed: bool) -> List[Emission]:
    """The emissions of one ``onNewEvents``: per event, ``<name>`` then
    ``"event"``. Malformed entries are skipped."""
    out: List[Emission] = []
    feature = params.get("feature")
    feature = feature if isinstance(feature, str) else None
    seq = params.get("seq") if isinstance(params.get("seq"), int) else None
    events = params.get("events")
    for entry in events if isinstance(events, list) else []:
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            continue
        event = Event(entry["name"], entry.get("data"), "event", feature, seq, False, replayed)
        out.append((event.name, (event.data,), event))
        out.append(("event", (event,), event))
    return out


def info_emissions(
    params: Mapping[str, Any], replayed: bool, store: Dict[str, Dict[str, Any]]
) -> List[Emission]:
    """The emissions of one ``onInfoUpdates2``, after applying it to ``store``
    (``None`` values forget the key): ``info:<feature>``, one
    ``info:<category>.<key>`` per key, then ``"info"``."""
    raw = params.get("info")
    feature = params.get("feature") if isinstance(params.get("feature"), str) else None
    seq = params.get("seq") if isinstance(params.get("seq"), int) else None
    snapshot = params.get("snapshot") is True
    info = {c: dict(keys) for c, keys in raw.items() if isinstance(keys, dict)} if isinstance(raw, dict) else {}
    for category, keys in info.items():
        for key, value in keys.items():
            if value is None:
                kept = store.get(category)
                if kept is not None:
                    kept.pop(key, None)
                    if not kept:
                        del store[category]
            else:
                store.setdefault(category, {})[key] = value
    whole = Event(f"info:{feature}", info, "info", feature, seq, snapshot, replayed)
    out: List[Emission] = [(whole.name, (info,), whole)]
    for category, keys in info.items():
        for key, value in keys.items():
            one = Event(f"info:{category}.{key}", value, "key", feature, seq, snapshot, replayed)
            out.append((one.name, (value,), one))
    out.append(("info", (whole,), whole))
    return out
