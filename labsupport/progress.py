"""Progress bars for steps that can take a while (a cold start, provisioning on Azure).

A bar appears only after a second, so fast runs print nothing; ``LAB_PROGRESS=0``
turns bars off (the tests and notebook builds do, to keep outputs deterministic).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager


class _Silent:
    def update(self, n: int = 1) -> None:
        pass

    def set_postfix_str(self, text: str) -> None:
        pass


def enabled() -> bool:
    return os.environ.get("LAB_PROGRESS", "1") != "0"


@contextmanager
def progress(total: int, description: str) -> Iterator:
    """A tqdm bar (widget in Jupyter, text in a terminal) shown after one second."""
    if not enabled():
        yield _Silent()
        return
    from tqdm.auto import tqdm

    bar = tqdm(total=total, desc=description, delay=1.0, leave=False,
               bar_format="{desc}: {n}/{total} {postfix}")
    try:
        yield bar
    finally:
        bar.close()
