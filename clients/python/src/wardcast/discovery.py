"""Finding brokers on the LAN over mDNS/DNS-SD, as ``wardcast discover`` does.

A broker that listens beyond loopback advertises ``_wardcast._tcp`` with a
TXT record: ``version``, ``path`` (``/ws``), ``dashboard``, ``game``,
``class_id`` and ``token`` (``required`` or ``none``; never the token itself).
This needs the optional ``zeroconf`` package: ``pip install 'wardcast[discovery]'``.
"""

from __future__ import annotations

import ipaddress
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Set, Tuple

if TYPE_CHECKING:
    from zeroconf import ServiceInfo

SERVICE_TYPE = "_wardcast._tcp.local."
"""The DNS-SD service type brokers advertise."""


@dataclass(frozen=True)
class Broker:
    """A broker that answered on the LAN."""

    #: Its instance name, e.g. ``"Wardcast on streampc"``.
    name: str
    #: The host name it gave, e.g. ``"streampc.local."``.
    host: str
    #: Its addresses, those a LAN peer can reach first.
    addresses: Tuple[str, ...]
    #: Its port.
    port: int
    #: The WebSocket path (``/ws``).
    path: str = "/ws"
    #: The broker's version.
    version: Optional[str] = None
    #: Whether clients on other machines must present the access token.
    token_required: bool = False
    #: The whole TXT record.
    txt: Dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def urls(self) -> List[str]:
        """The WebSocket URL of each address."""
        return [f"ws://{_host(a)}:{self.port}{self.path}" for a in self.addresses]

    @property
    def url(self) -> str:
        """The WebSocket URL of the best address (pass it to ``Client``)."""
        urls = self.urls
        return urls[0] if urls else f"ws://{self.host.rstrip('.')}:{self.port}{self.path}"


def _host(address: str) -> str:
    return f"[{address}]" if ":" in address else address


def _reach(address: str) -> Tuple[int, str]:
    """LAN IPv4, LAN IPv6, link-local, then loopback (as the broker sorts)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return (5, address)
    if ip.is_loopback:
        rank = 4
    elif ip.is_link_local:
        rank = 2 if ip.version == 4 else 3
    else:
        rank = 0 if ip.version == 4 else 1
    return (rank, address)


def broker_from_info(info: "ServiceInfo") -> Broker:
    """The :class:`Broker` a resolved DNS-SD service describes."""
    txt: Dict[str, str] = {}
    for key, value in (info.properties or {}).items():
        if isinstance(key, bytes):
            txt[key.decode("utf-8", "replace")] = value.decode("utf-8", "replace") if isinstance(value, bytes) else ""
    name = info.name[: -len(SERVICE_TYPE)].rstrip(".") if info.name.endswith(SERVICE_TYPE) else info.name
    addresses = tuple(sorted(dict.fromkeys(info.parsed_addresses()), key=_reach))
    return Broker(
        name=name,
        host=info.server or "",
        addresses=addresses,
        port=int(info.port or 0),
        path=txt.get("path") or "/ws",
        version=txt.get("version"),
        token_required=txt.get("token") == "required",
        txt=txt,
    )


def discover(timeout: float = 3.0) -> List[Broker]:
    """Browses the LAN for ``timeout`` seconds and returns the brokers that
    answered, by name. Raises ``ImportError`` without ``zeroconf``."""
    try:
        from zeroconf import ServiceBrowser, ServiceStateChange, Zeroconf
    except ImportError as err:  # pragma: no cover - depends on the extra
        raise ImportError("wardcast.discover() needs zeroconf: pip install 'wardcast[discovery]'") from err

    names: Set[str] = set()
    lock = threading.Lock()

    def on_change(zeroconf: Any, service_type: str, name: str, state_change: Any) -> None:
        with lock:
            if state_change is ServiceStateChange.Removed:
                names.discard(name)
            else:
                names.add(name)

    zc = Zeroconf()
    try:
        browser = ServiceBrowser(zc, SERVICE_TYPE, handlers=[on_change])
        threading.Event().wait(timeout)  # the browse window: answers come when they come
        browser.cancel()
        with lock:
            seen = sorted(names)
        found: List[Broker] = []
        for name in seen:
            info = zc.get_service_info(SERVICE_TYPE, name, timeout=1500)
            if info is not None:
                found.append(broker_from_info(info))
        return found
    finally:
        zc.close()
