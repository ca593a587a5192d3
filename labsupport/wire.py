"""What crossed the wire: every request a queue client sent and what the service answered.

A :class:`WireLog` plugs into the SDK's own observation points — the ``raw_request_hook``
and ``raw_response_hook`` that every ``azure.storage.queue`` client accepts, on the client
or on one call — so the client stays the SDK's ``QueueClient`` (or ``aio.QueueClient``)::

    log = WireLog()
    queue = QueueClient(account_url, name, credential=credential, **log.hooks)
    queue.send_message("hello")
    log.exchanges[-1].operation, log.exchanges[-1].status      # ('send', 201)

``raw_response_hook=log`` alone also works (then an exchange has no start time of its
own). The hooks run once per attempt, so a retried request shows up twice, as it did
on the wire. An :class:`Exchange` keeps the method, path, query, status, the service's
``x-ms-error-code`` and the messages in the response XML (ids, dequeue counts, times):
never a pop receipt, a key, a signature or a token.
"""

from __future__ import annotations

import contextlib
import threading
import time
import xml.etree.ElementTree as ElementTree
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from urllib.parse import parse_qsl, unquote, urlsplit

from .patterns.error_codes import error_code

_STARTED = "queuelab.wire.started"

#: Query parameters worth keeping (never ``sig``, ``popreceipt`` or other secrets).
KEPT_QUERY = frozenset({"comp", "peekonly", "numofmessages", "visibilitytimeout", "messagettl",
                        "prefix", "include", "maxresults", "timeout"})


@dataclass(frozen=True)
class WireMessage:
    """One message as the service described it in a response."""

    id: str
    text: str | None = None               # the message text as sent on the wire
    dequeue_count: int | None = None
    inserted_on: datetime | None = None
    expires_on: datetime | None = None
    next_visible_on: datetime | None = None


@dataclass(frozen=True)
class Exchange:
    """One HTTP request and its response (``status`` None: no answer was recorded)."""

    actor: str
    sent: float                      # the log's clock when the request left
    answered: float                  # … and when its response arrived
    method: str
    path: str                        # the URL path, e.g. /account/orders/messages/<id>
    query: dict[str, str]            # the kept query parameters, lowercase names
    queue: str | None                # the queue the request was about, if any
    operation: str                   # send, receive, peek, update, delete, clear, …
    status: int | None
    error_code: str = ""
    message_id: str | None = None    # from the path (update, delete)
    request_text: str | None = None  # the message text of a send or update
    messages: tuple[WireMessage, ...] = ()
    next_visible_on: datetime | None = None   # an update's x-ms-time-next-visible
    service_time: datetime | None = None      # the response's Date header

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def duration(self) -> float:
        return self.answered - self.sent


# --- Parsing ----------------------------------------------------------------------------

def _text(element, tag: str) -> str | None:
    child = element.find(tag)
    return None if child is None else (child.text or "")


def _time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None


def _xml(body) -> ElementTree.Element | None:
    if not body:
        return None
    if isinstance(body, str):
        body = body.encode("utf-8")
    try:
        return ElementTree.fromstring(body)
    except ElementTree.ParseError:
        return None


def parse_messages(body) -> tuple[WireMessage, ...]:
    """The messages of a ``QueueMessagesList`` response body (empty if there are none)."""
    root = _xml(body)
    if root is None or root.tag != "QueueMessagesList":
        return ()
    found = []
    for item in root.findall("QueueMessage"):
        count = _text(item, "DequeueCount")
        found.append(WireMessage(
            id=_text(item, "MessageId") or "",
            text=_text(item, "MessageText"),
            dequeue_count=int(count) if count and count.isdigit() else None,
            inserted_on=_time(_text(item, "InsertionTime")),
            expires_on=_time(_text(item, "ExpirationTime")),
            next_visible_on=_time(_text(item, "TimeNextVisible")),
        ))
    return tuple(found)


def request_text(body) -> str | None:
    """The ``MessageText`` of a send or update request body, XML-unescaped."""
    root = _xml(body)
    return None if root is None else _text(root, "MessageText")


def _body(response) -> bytes:
    try:
        return response.body() or b""
    except Exception:  # a streamed or unread body: nothing to parse
        return b""


def classify(method: str, segments: list[str], query: dict[str, str]) -> tuple[str, str | None]:
    """(operation, message id) for a request, from the path after the queue's name."""
    if segments[:1] == ["messages"]:
        message_id = segments[1] if len(segments) > 1 else None
        if message_id is None:
            return {"POST": "send", "DELETE": "clear"}.get(method, "receive" if method == "GET"
                                                          else method.lower()), None
        return {"PUT": "update", "DELETE": "delete"}.get(method, method.lower()), message_id
    comp = query.get("comp")
    if comp == "metadata":
        return ("set metadata" if method == "PUT" else "properties"), None
    if comp == "acl":
        return ("set access policy" if method == "PUT" else "access policy"), None
    return {"PUT": "create queue", "DELETE": "delete queue"}.get(method, method.lower()), None


def _split(url: str, queue: str | None) -> tuple[str, list[str], dict[str, str]]:
    parts = urlsplit(url)
    path = parts.path
    query = {k.lower(): v for k, v in parse_qsl(parts.query, keep_blank_values=True)}
    segments = [unquote(s) for s in path.split("/") if s]
    after: list[str] = []
    if queue and queue in segments:
        after = segments[len(segments) - segments[::-1].index(queue):]
    return path, after, query


def exchange_from(response, *, actor: str, queue: str | None, clock,
                  started: float | None = None) -> Exchange:
    """An :class:`Exchange` from a ``PipelineResponse`` (what the response hook receives)."""
    request, http = response.http_request, response.http_response
    answered = clock()
    if started is None:
        started = response.context.get(_STARTED, answered) if response.context else answered
    path, after, query = _split(request.url, queue)
    method = request.method.upper()
    if query.get("comp") in ("list", "properties", "stats"):
        operation, message_id = f"service {query['comp']}", None
    else:
        operation, message_id = classify(method, after, query)
        if operation == "receive" and query.get("peekonly") == "true":
            operation = "peek"
    body = _body(http) if operation in ("send", "receive", "peek") else b""
    return Exchange(
        actor=actor, sent=started, answered=answered, method=method, path=path,
        query={k: v for k, v in query.items() if k in KEPT_QUERY}, queue=queue,
        operation=operation, status=http.status_code, error_code=error_code(http),
        message_id=message_id,
        request_text=request_text(request.body) if operation in ("send", "update") else None,
        messages=parse_messages(body) if 200 <= http.status_code < 300 else (),
        next_visible_on=_time(http.headers.get("x-ms-time-next-visible")),
        service_time=_time(http.headers.get("Date")),
    )


# --- Recording ----------------------------------------------------------------------------

_listeners: list[Callable[[Exchange], None]] = []
_listeners_lock = threading.Lock()


def add_listener(listener: Callable[[Exchange], None]) -> None:
    """Call ``listener(exchange)`` for every exchange any :class:`WireLog` records."""
    with _listeners_lock:
        _listeners.append(listener)


def remove_listener(listener: Callable[[Exchange], None]) -> None:
    with _listeners_lock:
        if listener in _listeners:
            _listeners.remove(listener)


#: Traced receives on the wire (sent, not yet answered): their queue and when they left.
_receiving: dict[int, tuple[str, float]] = {}
_receive_ids = iter(range(1, 1 << 62))
_RECEIVE = "queuelab.wire.receive"
#: A receive unanswered for longer is forgotten: one that failed without a response (a
#: connection error) never reaches the response hook.
RECEIVE_FORGOTTEN_AFTER = 10.0


def receiving(queue: str) -> bool:
    """True while a traced client's receive on ``queue`` has left and not been answered
    (and, once answered, until its exchange has reached every listener). The inspector
    waits for it before it calls a message that left its peek *hidden*."""
    now = time.monotonic()
    with _listeners_lock:
        for key, (_, left) in list(_receiving.items()):
            if now - left > RECEIVE_FORGOTTEN_AFTER:
                del _receiving[key]
        return any(name == queue for name, _ in _receiving.values())


def _publish(exchange: Exchange) -> None:
    with _listeners_lock:
        listeners = list(_listeners)
    for listener in listeners:
        with contextlib.suppress(Exception):  # an observer must never break the lesson's call
            listener(exchange)


class WireLog:
    """Records the exchanges of the clients it is hooked into (thread-safe).

    ``actor`` names who sends (for timelines); ``queue`` is the queue name the requests
    are about, used to tell a message request from a queue request (found from the URL
    when omitted). ``on_exchange`` is called with each new exchange.
    """

    def __init__(self, actor: str = "", *, queue: str | None = None, clock=time.monotonic,
                 on_exchange: Callable[[Exchange], None] | None = None) -> None:
        self.actor = actor
        self.queue = queue
        self._clock = clock
        self._on_exchange = on_exchange
        self._lock = threading.Lock()
        self.exchanges: list[Exchange] = []

    # -- the SDK's hooks -------------------------------------------------------------------
    def on_request(self, request) -> None:
        """``raw_request_hook``: note when this attempt left (and if it is a receive)."""
        request.context[_STARTED] = self._clock()
        http = request.http_request
        queue = self.queue or _queue_from_url(http.url)
        _, after, query = _split(http.url, queue)
        if queue and classify(http.method.upper(), after, query)[0] == "receive" \
                and query.get("peekonly") != "true":
            with _listeners_lock:
                key = request.context[_RECEIVE] = next(_receive_ids)
                _receiving[key] = (queue, time.monotonic())

    def on_response(self, response) -> None:
        """``raw_response_hook``: record the request and its response."""
        queue = self.queue or _queue_from_url(response.http_request.url)
        exchange = exchange_from(response, actor=self.actor, queue=queue, clock=self._clock)
        with self._lock:
            self.exchanges.append(exchange)
        if self._on_exchange:
            self._on_exchange(exchange)
        _publish(exchange)
        key = response.context.get(_RECEIVE) if response.context else None
        if key is not None:   # after the listeners have it: no moment with neither
            with _listeners_lock:
                _receiving.pop(key, None)

    def __call__(self, pipeline_object) -> None:
        """Used as ``raw_response_hook=log``: record the response and its request."""
        if not hasattr(pipeline_object, "http_response"):
            raise TypeError(f"{type(self).__name__} records requests with their responses: pass "
                            f"it as raw_response_hook=..., or pass **log.hooks for both hooks")
        self.on_response(pipeline_object)

    @property
    def hooks(self) -> dict[str, Callable]:
        """``raw_request_hook`` and ``raw_response_hook``, for ``QueueClient(..., **log.hooks)``."""
        return {"raw_request_hook": self.on_request, "raw_response_hook": self.on_response}

    # -- reading ---------------------------------------------------------------------------
    def snapshot(self) -> list[Exchange]:
        with self._lock:
            return list(self.exchanges)

    def of(self, *operations: str) -> list[Exchange]:
        """The exchanges of the given operations (all when none is named)."""
        return [e for e in self.snapshot() if not operations or e.operation in operations]

    def reset(self) -> None:
        with self._lock:
            self.exchanges.clear()

    def max_in_flight(self, *operations: str) -> int:
        """The most requests (of ``operations``) that were in flight at the same moment."""
        edges = sorted([(e.sent, 1) for e in self.of(*operations)]
                       + [(e.answered, -1) for e in self.of(*operations)],
                       key=lambda edge: (edge[0], edge[1]))
        most = current = 0
        for _, step in edges:
            current += step
            most = max(most, current)
        return most


def _queue_from_url(url: str) -> str | None:
    """The queue a request is about, for logs that were not told (path-style or host-style)."""
    segments = [unquote(s) for s in urlsplit(url).path.split("/") if s]
    if "messages" in segments:
        index = len(segments) - 1 - segments[::-1].index("messages")
        return segments[index - 1] if index >= 1 else None
    return segments[-1] if segments else None


class RequestCounter(WireLog):
    """Counts the HTTP requests a client sends, by method — from what crossed the wire.

    Pass it as the client's ``raw_response_hook`` (called with every response and the
    request it answers)::

        counter = RequestCounter()
        queue = QueueClient(url, name, credential=credential, raw_response_hook=counter)
    """

    @property
    def by_method(self) -> Counter[str]:
        return Counter(e.method for e in self.snapshot())

    @property
    def total(self) -> int:
        return len(self.snapshot())

    def __repr__(self) -> str:
        detail = ", ".join(f"{m} {n}" for m, n in sorted(self.by_method.items()))
        return f"{self.total} request(s)" + (f" ({detail})" if detail else "")


__all__ = ["Exchange", "RequestCounter", "WireLog", "WireMessage", "add_listener",
           "exchange_from", "receiving", "remove_listener"]
