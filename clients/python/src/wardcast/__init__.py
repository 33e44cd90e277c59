"""Wardcast for Python: Dota 2 and Counter-Strike 2 game events from a
Wardcast broker, in the style of the Dota 2 Python Game Coordinator client.
The client knows no game: a feature is a name, whichever game serves it.

::

    from wardcast import Client

    client = Client()                      # ws://127.0.0.1:7314/ws

    @client.on("kill")
    def on_kill(data):
        print("kill!", data["label"], "- total", data["kills"])

    client.set_required_features(["kill", "death", "me"])
    client.run_forever()

:class:`Client` is the blocking face (listeners on a background thread);
:mod:`wardcast.aio` has the same names as coroutines. :func:`discover` finds
brokers on the LAN (``pip install wardcast[discovery]``).
"""

import logging

from ._core import Backoff
from ._protocol import DEFAULT_URL, Event, overwolf_value
from .client import Client
from .discovery import Broker, discover
from . import errors
from .errors import *  # noqa: F403 (the names in errors.__all__)

__version__ = "1.0.0"

__all__ = [
    "Client",
    "Event",
    "Backoff",
    "Broker",
    "discover",
    "overwolf_value",
    "DEFAULT_URL",
    "__version__",
    *errors.__all__,
]

# A library logs nothing unless the application configures logging.
logging.getLogger("wardcast").addHandler(logging.NullHandler())
