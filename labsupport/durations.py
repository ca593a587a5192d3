"""How the lab writes a span of time for a reader: one rule for every figure and view.

The timelines label their stretches and bar ends with it; the queue inspector writes the
time left on a lease, delay or time to live with it.
"""

from __future__ import annotations


def duration_text(seconds: float) -> str:
    """``350 ms``, ``4.2 s``, ``42 s``, ``12 min``, ``5 h``, ``3 d``: short, in one unit."""
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 2 * 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.0f} h"
    return f"{seconds / 86400:.0f} d"
