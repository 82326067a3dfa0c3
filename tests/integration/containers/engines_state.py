"""The one running set of test engines per pytest process.

Several conftests and test modules import the ``engines`` fixture (the GUI container tests, the
keyring tests that pull from a registry); pytest then holds one session fixture per importer. They
all share the engines started first, kept here under this module's one import name, and the last
user to finish stops them.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any


class SharedEngines:
    engines: Any = None
    runner: Generator[Any, None, None] | None = None
    users = 0


STATE = SharedEngines()
