"""Record what an ``httpx`` client asked the queue API, by route, for checks and demos."""

from __future__ import annotations

import re
from collections import Counter

_MESSAGE = re.compile(r"^/queue/messages/(?!peek$|pop$)[^/]+$")


def route_of(path: str) -> str:
    """``/queue/messages/<id>`` → ``/queue/messages/{message_id}``; other paths unchanged."""
    return "/queue/messages/{message_id}" if _MESSAGE.match(path) else path


class HttpLog:
    """An httpx response hook that notes ``(method, route, status)`` of every answer::

        log = HttpLog()
        api = httpx.Client(base_url=url, event_hooks={"response": [log]})
    """

    def __init__(self) -> None:
        self.entries: list[tuple[str, str, int]] = []

    def __call__(self, response) -> None:
        request = response.request
        self.entries.append((request.method, route_of(request.url.path), response.status_code))

    def count(self, method: str, route: str, status: int | None = None) -> int:
        return sum(1 for m, r, s in self.entries
                   if m == method and r == route and (status is None or s == status))

    def clear(self) -> None:
        self.entries.clear()

    def summary(self) -> Counter:
        return Counter(f"{m} {r} → {s}" for m, r, s in self.entries)

    def __repr__(self) -> str:
        return f"{len(self.entries)} request(s)"
