"""Waiting for a condition with a timeout: the local cloud's one waiting loop.

Starting Azurite, waiting for the daemon's record, the start lock and stopping a process
all wait the same way: ask a question until it has an answer or the time is up. The lab's
side has its own (``labsupport/waits.py``): the local cloud imports nothing of the lab.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_for(answer: Callable[[], T], timeout: float, interval: float = 0.02) -> T | None:
    """Call ``answer`` until it returns something true, and return that; None if
    ``timeout`` seconds pass first (it is always asked at least once, and once more at
    the deadline). Whatever ``answer`` raises ends the wait."""
    deadline = time.monotonic() + timeout
    while True:
        last_chance = time.monotonic() >= deadline
        result = answer()
        if result:
            return result
        if last_chance:
            return None
        time.sleep(min(interval, max(0.0, deadline - time.monotonic())))
