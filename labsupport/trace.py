"""Tracing what the SDK does: count HTTP requests, record queue operations."""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, fields

from azure.core.exceptions import HttpResponseError

from .patterns.leases import error_code, is_stale_lease


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


# --- Recording what happens to messages -------------------------------------------------

SEVEN_DAYS = 7 * 24 * 3600


@dataclass
class Event:
    """One queue operation (or a noted happening) as the timeline sees it."""

    t: float                        # seconds since the tracer started
    actor: str                      # producer, consumer-1, …
    operation: str                  # send, receive, update, delete, or a noted event
    message: str                    # the message's label (never its id)
    dequeue_count: int | None = None
    lease: float | None = None      # the visibility timeout asked for, in seconds
    visible_at: float | None = None  # when the message becomes visible again (seconds)
    expires_at: float | None = None  # when its time to live runs out (seconds)
    outcome: str = "ok"


def describe_error(error: BaseException, *, expired: bool = False) -> str:
    """A short, stable outcome for a failed call.

    E.g. ``stale pop receipt (400 PopReceiptMismatch)`` or ``expired (404 MessageNotFound)``.
    """
    if not isinstance(error, HttpResponseError):
        return f"error ({type(error).__name__})"
    status, code = error.status_code, error_code(error)
    detail = f"{status} {code}".strip()
    if expired and status == 404:
        return f"expired ({detail})"
    if is_stale_lease(error):
        return f"stale pop receipt ({detail})"
    return f"error ({detail})"


class Tracer:
    """Records the queue calls of a demo, actor by actor, for tables and timelines.

    Wrap a ``QueueClient`` once per actor; the wrapper has the same methods, so the code
    in a notebook stays the code you would write::

        tracer = Tracer()
        producer = tracer.client(queue, "producer")
        consumer = tracer.client(queue, "consumer-1")
        producer.send_message("A")
        message = consumer.receive_message(visibility_timeout=2)
        consumer.delete_message(message)
        tracer.table()      # who did what, without times, ids or pop receipts

    Messages are labelled by their content (or ``label=`` on send, or ``labeler``).
    Thread-safe: competing consumers may share one tracer.
    """

    def __init__(self, labeler=None, clock=time.monotonic) -> None:
        self._clock = clock
        self._start = clock()
        self._labeler = labeler or str
        self._labels: dict[str, str] = {}
        self._expiry: dict[str, float] = {}
        self._lock = threading.Lock()
        self.events: list[Event] = []

    # -- recording ---------------------------------------------------------------------
    def now(self) -> float:
        """Seconds since the tracer started."""
        return self._clock() - self._start

    def client(self, queue, actor: str, *, send_as: str = "send") -> TracedQueue:
        """``queue`` (a QueueClient) as seen by ``actor``: every call is recorded.

        ``send_as`` names what a send to this queue means in the story, e.g.
        ``"copy to poison"`` for a poison queue.
        """
        return TracedQueue(queue, actor, self, send_as=send_as)

    def record(self, actor: str, operation: str, message: str, *, t: float | None = None,
               **fields) -> Event:
        """Note something that is not a queue call (e.g. "crash", "ship", "expired")."""
        event = Event(t=self.now() if t is None else t, actor=actor, operation=operation,
                      message=message, **fields)
        with self._lock:
            self.events.append(event)
        return event

    def label(self, message) -> str:
        """The label of a message (or receipt, or message id) this tracer has seen."""
        message_id = getattr(message, "id", message)
        if message_id in self._labels:
            return self._labels[message_id]
        content = getattr(message, "content", None)
        return self._labeler(content) if content is not None else "?"

    def _remember(self, message, label: str, expires_at: float | None) -> None:
        with self._lock:
            self._labels[message.id] = label
            if expires_at is not None:
                self._expiry[message.id] = expires_at

    def _expired(self, message_id: str, t: float) -> bool:
        expires_at = self._expiry.get(message_id)
        return expires_at is not None and t >= expires_at

    # -- reading -----------------------------------------------------------------------
    def frame(self):
        """Every event as a pandas DataFrame, with times (for plots and analysis)."""
        import pandas as pd

        columns = [f.name for f in fields(Event)]
        with self._lock:
            rows = [asdict(e) for e in sorted(self.events, key=lambda e: e.t)]
        frame = pd.DataFrame(rows, columns=columns)
        frame["dequeue_count"] = frame["dequeue_count"].astype("Int64")
        return frame

    def table(self):
        """Who did what, in order, without times, ids or pop receipts (stable output)."""
        import pandas as pd

        with self._lock:
            events = sorted(self.events, key=lambda e: e.t)
        rows = [{
            "actor": e.actor,
            "operation": e.operation,
            "message": e.message,
            "dequeue count": "" if e.dequeue_count is None else e.dequeue_count,
            "visible from": _visible_from(e),
            "outcome": e.outcome,
        } for e in events]
        table = pd.DataFrame(rows, columns=["actor", "operation", "message", "dequeue count",
                                            "visible from", "outcome"])
        table.index = range(1, len(table) + 1)
        return table

    def messages(self) -> list[str]:
        """Message labels in the order they first appear."""
        with self._lock:
            events = sorted(self.events, key=lambda e: e.t)
        return list(dict.fromkeys(e.message for e in events))

    def processed(self) -> list[str]:
        """Labels in the order their messages were deleted successfully (processing order)."""
        with self._lock:
            events = sorted(self.events, key=lambda e: e.t)
        return [e.message for e in events if e.operation == "delete" and e.outcome == "ok"]

    def story(self) -> list[str]:
        """One line per message: what happened to it, in order (no times).

        Includes "expired" where a message's time to live ran out (by now) before anyone
        deleted it.
        """
        now = self.now()
        with self._lock:
            events = list(self.events)
        deleted = {}
        for e in events:
            if e.operation == "delete" and e.outcome == "ok":
                deleted.setdefault(e.message, e.t)
        events += [Event(t=e.expires_at, actor="", operation="expired", message=e.message)
                   for e in events
                   if e.operation == "send" and e.outcome == "ok" and e.expires_at is not None
                   and e.expires_at <= min(now, deleted.get(e.message, now))]
        events.sort(key=lambda e: e.t)
        lines = []
        for label in self.messages():
            steps = [_step(e) for e in events if e.message == label]
            lines.append(f"{label}: " + " → ".join(steps))
        return lines

    def print_story(self) -> None:
        for line in self.story():
            print(line)


def _visible_from(event: Event) -> str:
    if event.outcome != "ok" or event.visible_at is None:
        return ""
    if event.lease:
        return f"+{event.lease:g} s"
    return "now"


def _step(event: Event) -> str:
    op, who = event.operation, event.actor
    if event.outcome != "ok":
        return f"{op} by {who} failed: {event.outcome}"
    if op == "send":
        return f"sent by {who}" + (f" (hidden {event.lease:g} s)" if event.lease else "")
    if op == "receive":
        verb = "received by" if (event.dequeue_count or 1) == 1 else "redelivered to"
        return f"{verb} {who} (dequeue {event.dequeue_count})"
    if op == "update":
        return f"lease {'given back' if not event.lease else 'extended'} by {who}"
    if op == "delete":
        return f"deleted by {who}"
    if op == "expired" and not who:
        return "expired (time to live)"
    return f"{op} ({who})"


class TracedQueue:
    """A ``QueueClient`` whose send/receive/update/delete calls are recorded by a Tracer.

    Other attributes (``peek_messages``, ``get_queue_properties``…) pass straight through.
    ``receive_messages`` returns a list (the SDK returns a lazy pager) so that what was
    received is recorded at once.
    """

    def __init__(self, queue, actor: str, tracer: Tracer, *, send_as: str = "send") -> None:
        self._queue = queue
        self.actor = actor
        self.tracer = tracer
        self.send_as = send_as

    def __getattr__(self, name):
        return getattr(self._queue, name)

    def send_message(self, content, *, label: str | None = None, **kwargs):
        tracer, t = self.tracer, self.tracer.now()
        name = label or tracer._labeler(content)
        delay = kwargs.get("visibility_timeout") or 0
        ttl = kwargs.get("time_to_live")
        ttl = SEVEN_DAYS if ttl is None else ttl
        expires_at = None if ttl == -1 else t + ttl
        try:
            sent = self._queue.send_message(content, **kwargs)
        except HttpResponseError as error:
            tracer.record(self.actor, self.send_as, name, t=t, outcome=describe_error(error))
            raise
        if self.send_as != "send":  # a copy to another queue: a noted event on this row
            tracer.record(self.actor, self.send_as, name, t=t)
            return sent
        tracer._remember(sent, name, expires_at)
        tracer.record(self.actor, "send", name, t=t, lease=delay or None,
                      visible_at=t + delay, expires_at=expires_at)
        return sent

    def _received(self, t: float, message, lease: float) -> None:
        tracer = self.tracer
        name = tracer.label(message)
        tracer._remember(message, name, None)
        tracer.record(self.actor, "receive", name, t=t, dequeue_count=message.dequeue_count,
                      lease=lease, visible_at=t + lease)

    def receive_messages(self, **kwargs) -> list:
        t = self.tracer.now()
        lease = kwargs.get("visibility_timeout") or 30
        messages = list(self._queue.receive_messages(**kwargs))
        for message in messages:
            self._received(t, message, lease)
        return messages

    def receive_message(self, **kwargs):
        t = self.tracer.now()
        lease = kwargs.get("visibility_timeout") or 30
        message = self._queue.receive_message(**kwargs)
        if message is not None:
            self._received(t, message, lease)
        return message

    def update_message(self, message, pop_receipt=None, content=None, **kwargs):
        tracer, t = self.tracer, self.tracer.now()
        name = tracer.label(message)
        lease = kwargs.get("visibility_timeout") or 0
        try:
            updated = self._queue.update_message(message, pop_receipt, content, **kwargs)
        except HttpResponseError as error:
            expired = tracer._expired(getattr(message, "id", message), t)
            tracer.record(self.actor, "update", name, t=t, lease=lease,
                          outcome=describe_error(error, expired=expired))
            raise
        tracer.record(self.actor, "update", name, t=t, lease=lease, visible_at=t + lease)
        return updated

    def delete_message(self, message, pop_receipt=None, **kwargs) -> None:
        tracer, t = self.tracer, self.tracer.now()
        name = tracer.label(message)
        try:
            self._queue.delete_message(message, pop_receipt, **kwargs)
        except HttpResponseError as error:
            expired = tracer._expired(getattr(message, "id", message), t)
            tracer.record(self.actor, "delete", name, t=t,
                          outcome=describe_error(error, expired=expired))
            raise
        tracer.record(self.actor, "delete", name, t=t)

    def __repr__(self) -> str:
        return f"<TracedQueue {self._queue.queue_name} as {self.actor}>"
