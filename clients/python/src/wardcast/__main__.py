"""``python -m wardcast``: see :mod:`wardcast._cli`."""

import sys

from ._cli import main

sys.exit(main())
