"""Tracing what the SDK does: count HTTP requests, record queue operations."""

from __future__ import annotations

from collections import Counter


class RequestCounter:
    """Counts the HTTP requests a client sends, by method.

    Pass it as ``raw_request_hook`` when building a client::

        counter = RequestCounter()
        queue = QueueClient(url, name, credential=cred, raw_request_hook=counter)
    """

    def __init__(self) -> None:
        self.by_method: Counter[str] = Counter()

    def __call__(self, request) -> None:
        self.by_method[request.http_request.method] += 1

    @property
    def total(self) -> int:
        return sum(self.by_method.values())

    def reset(self) -> None:
        self.by_method.clear()

    def __repr__(self) -> str:
        detail = ", ".join(f"{m} {n}" for m, n in sorted(self.by_method.items()))
        return f"{self.total} request(s)" + (f" ({detail})" if detail else "")
