"""Tracing a demo: who sent, received, updated and deleted which message, and when.

A :class:`Tracer` hands each *actor* of a demo its own ``QueueClient`` — the SDK's class,
with the tracer's :class:`~labsupport.wire.WireLog` in the client's ``raw_request_hook``
and ``raw_response_hook`` — and turns what crossed the wire into events for tables,
stories and timelines. Nothing is wrapped: every call, pager and error is the SDK's own.
"""

from __future__ import annotations

import threading
import time
from dataclasses import asdict, dataclass
from datetime import datetime

from azure.core.exceptions import HttpResponseError

from .patterns.error_codes import error_code
from .patterns.leases import STALE_LEASE_ERRORS
from .wire import Exchange, RequestCounter, WireLog

SEVEN_DAYS = 7 * 24 * 3600
DEFAULT_LEASE = 30  # the service's visibility timeout when a receive names none

#: The columns of :meth:`Tracer.frame`, in order.
FRAME_COLUMNS = ["t", "actor", "operation", "message", "dequeue_count", "lease", "visible_at",
                 "expires_at", "outcome"]


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
    message_id: str | None = None   # the service's id (kept out of tables and stories)
    next_visible_on: datetime | None = None  # the service's own time for visible_at


def describe_failure(status: int | None, code: str, *, expired: bool = False) -> str:
    """A short, stable outcome for a failed request, e.g. ``stale pop receipt (404 …)``."""
    detail = f"{status} {code}".strip() if status is not None else "no answer"
    if expired and status == 404:
        return f"expired ({detail})"
    if (status, code) in STALE_LEASE_ERRORS:
        return f"stale pop receipt ({detail})"
    return f"error ({detail})"


def describe_error(error: BaseException, *, expired: bool = False) -> str:
    """:func:`describe_failure` for an exception the SDK raised."""
    if not isinstance(error, HttpResponseError):
        return f"error ({type(error).__name__})"
    return describe_failure(error.status_code, error_code(error), expired=expired)


def traced_client(queue, log: WireLog):
    """A new client of ``queue``'s own class and queue, whose requests ``log`` records.

    Works for ``azure.storage.queue.QueueClient`` and its ``aio`` twin; keeps the queue's
    URL (with a SAS, if it has one), credential, API version and message encoding.
    """
    return type(queue).from_queue_url(
        queue.url,
        credential=queue.credential,
        api_version=queue.api_version,
        message_encode_policy=getattr(queue, "_message_encode_policy", None),
        message_decode_policy=getattr(queue, "_message_decode_policy", None),
        **log.hooks,
    )


class Tracer:
    """Records the queue calls of a demo, actor by actor, for tables and timelines.

    ``client(queue, actor)`` returns a real ``QueueClient`` for ``actor``; use it exactly
    as ``queue``::

        tracer = Tracer()
        producer = tracer.client(queue, "producer")
        consumer = tracer.client(queue, "consumer-1")
        producer.send_message("A")
        for message in consumer.receive_messages(max_messages=1, messages_per_page=1):
            consumer.delete_message(message)
        tracer.table()      # who did what, without times, ids or pop receipts

    Messages are labelled by their text (or by ``labeler(text)``). Thread-safe:
    competing consumers may share one tracer.
    """

    def __init__(self, labeler=None, clock=time.monotonic) -> None:
        self._clock = clock
        self._start = clock()
        self._labeler = labeler or str
        self._labels: dict[str, str] = {}
        self._expiry: dict[str, float] = {}
        self._lock = threading.Lock()
        self._logs: list[WireLog] = []
        self.events: list[Event] = []

    # -- recording ---------------------------------------------------------------------
    def now(self) -> float:
        """Seconds since the tracer started."""
        return self._clock() - self._start

    def log(self, actor: str, *, queue: str | None = None, send_as: str = "send") -> WireLog:
        """A :class:`WireLog` whose exchanges become ``actor``'s events in this tracer.

        ``send_as`` names what a send means in the story, e.g. ``"copy to poison"`` for a
        send to a poison queue.
        """
        log = WireLog(actor, queue=queue, clock=self.now,
                      on_exchange=lambda exchange: self._observe(exchange, send_as))
        with self._lock:
            self._logs.append(log)
        return log

    def hooks(self, actor: str, *, queue: str | None = None, send_as: str = "send") -> dict:
        """The SDK hooks for a client you build yourself: ``QueueClient(..., **hooks)``."""
        return self.log(actor, queue=queue, send_as=send_as).hooks

    def client(self, queue, actor: str, *, send_as: str = "send"):
        """A new ``QueueClient`` (same class as ``queue``) whose calls ``actor`` makes."""
        return traced_client(queue, self.log(actor, queue=queue.queue_name, send_as=send_as))

    @property
    def exchanges(self) -> list[Exchange]:
        """Every request the traced clients sent, in the order they were sent."""
        with self._lock:
            logs = list(self._logs)
        return sorted((e for log in logs for e in log.snapshot()), key=lambda e: e.sent)

    def requests(self) -> RequestCounter:
        """The traced clients' requests, counted by method (a snapshot)."""
        counter = RequestCounter()
        counter.exchanges.extend(self.exchanges)
        return counter

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
        with self._lock:
            if message_id in self._labels:
                return self._labels[message_id]
        content = getattr(message, "content", None)
        return self._label_text(content) if content is not None else "?"

    def _label_text(self, text: str | None) -> str:
        if text is None:
            return "?"
        try:
            return str(self._labeler(text))
        except Exception:  # a message the labeler cannot read is labelled by its text
            return text if len(text) <= 24 else text[:23] + "…"

    def _remember(self, message_id: str, label: str, expires_at: float | None) -> None:
        with self._lock:
            self._labels.setdefault(message_id, label)
            if expires_at is not None:
                self._expiry.setdefault(message_id, expires_at)

    def _known(self, message_id: str | None) -> str:
        with self._lock:
            return self._labels.get(message_id, "?")

    def _expired(self, message_id: str | None, t: float) -> bool:
        with self._lock:
            expires_at = self._expiry.get(message_id)
        return expires_at is not None and t >= expires_at

    def _observe(self, exchange: Exchange, send_as: str) -> None:
        """Turn one exchange into events (only message operations make events)."""
        op, t, actor = exchange.operation, exchange.sent, exchange.actor
        if op == "send":
            self._observe_send(exchange, send_as)
        elif op == "receive" and exchange.ok:
            lease = _seconds(exchange.query.get("visibilitytimeout"), DEFAULT_LEASE)
            for message in exchange.messages:
                label = self._label_text(message.text)
                self._remember(message.id, label, _local_expiry(exchange, message))
                self.record(actor, "receive", self._known(message.id), t=t,
                            dequeue_count=message.dequeue_count, lease=lease,
                            visible_at=t + lease, message_id=message.id,
                            next_visible_on=message.next_visible_on)
        elif op in ("update", "delete"):
            label = self._known(exchange.message_id)
            if not exchange.ok:
                outcome = describe_failure(exchange.status, exchange.error_code,
                                           expired=self._expired(exchange.message_id, t))
                self.record(actor, op, label, t=t, outcome=outcome,
                            message_id=exchange.message_id,
                            lease=(_seconds(exchange.query.get("visibilitytimeout"), 0)
                                   if op == "update" else None))
            elif op == "update":
                lease = _seconds(exchange.query.get("visibilitytimeout"), 0)
                self.record(actor, "update", label, t=t, lease=lease, visible_at=t + lease,
                            message_id=exchange.message_id,
                            next_visible_on=exchange.next_visible_on)
            else:
                self.record(actor, "delete", label, t=t, message_id=exchange.message_id)

    def _observe_send(self, exchange: Exchange, send_as: str) -> None:
        t, actor = exchange.sent, exchange.actor
        label = self._label_text(exchange.request_text)
        if not exchange.ok:
            self.record(actor, send_as, label, t=t,
                        outcome=describe_failure(exchange.status, exchange.error_code))
            return
        if send_as != "send":  # a copy to another queue: a noted event on this message's row
            self.record(actor, send_as, label, t=t)
            return
        delay = _seconds(exchange.query.get("visibilitytimeout"), 0)
        ttl = _seconds(exchange.query.get("messagettl"), SEVEN_DAYS)
        expires_at = None if ttl == -1 else t + ttl
        sent = exchange.messages[0] if exchange.messages else None
        if sent is not None:
            self._remember(sent.id, label, expires_at)
        self.record(actor, "send", label, t=t, lease=delay or None, visible_at=t + delay,
                    expires_at=expires_at, message_id=sent.id if sent else None,
                    next_visible_on=sent.next_visible_on if sent else None)

    # -- reading -----------------------------------------------------------------------
    def _sorted(self) -> list[Event]:
        with self._lock:
            return sorted(self.events, key=lambda e: e.t)

    def frame(self):
        """Every event as a pandas DataFrame, with times (for plots and analysis)."""
        import pandas as pd

        rows = [{k: v for k, v in asdict(e).items() if k in FRAME_COLUMNS}
                for e in self._sorted()]
        frame = pd.DataFrame(rows, columns=FRAME_COLUMNS)
        frame["dequeue_count"] = frame["dequeue_count"].astype("Int64")
        return frame

    def table(self):
        """Who did what, in order, without times, ids or pop receipts (stable output)."""
        import pandas as pd

        rows = [{
            "actor": e.actor,
            "operation": e.operation,
            "message": e.message,
            "dequeue count": "" if e.dequeue_count is None else e.dequeue_count,
            "visible from": _visible_from(e),
            "outcome": e.outcome,
        } for e in self._sorted()]
        table = pd.DataFrame(rows, columns=["actor", "operation", "message", "dequeue count",
                                            "visible from", "outcome"])
        table.index = range(1, len(table) + 1)
        return table

    def messages(self) -> list[str]:
        """Message labels in the order they first appear."""
        return list(dict.fromkeys(e.message for e in self._sorted()))

    def processed(self) -> list[str]:
        """Labels in the order their messages were deleted successfully (processing order)."""
        return [e.message for e in self._sorted() if e.operation == "delete" and e.outcome == "ok"]

    def story(self) -> list[str]:
        """One line per message: what happened to it, in order (no times).

        Includes "expired" where a message's time to live ran out (by now) before anyone
        deleted it.
        """
        now = self.now()
        events = self._sorted()
        deleted: dict[str, float] = {}
        for e in events:
            if e.operation == "delete" and e.outcome == "ok":
                deleted.setdefault(e.message, e.t)
        events += [Event(t=e.expires_at, actor="", operation="expired", message=e.message)
                   for e in events
                   if e.operation == "send" and e.outcome == "ok" and e.expires_at is not None
                   and e.expires_at <= min(now, deleted.get(e.message, now))]
        events.sort(key=lambda e: e.t)
        return [f"{label}: " + " → ".join(_step(e) for e in events if e.message == label)
                for label in self.messages()]

    def print_story(self) -> None:
        for line in self.story():
            print(line)


def _seconds(value: str | None, default: int) -> int:
    try:
        return int(value) if value not in (None, "") else default
    except ValueError:
        return default


def _local_expiry(exchange: Exchange, message) -> float | None:
    """When ``message`` expires on the tracer's clock, from the service's own times.

    The service's ``Date`` header and the message's expiry are on the same clock, so
    their difference holds whatever the skew between this machine and the service.
    """
    if message.expires_on is None or exchange.service_time is None:
        return None
    if message.expires_on.year >= 9999:
        return None
    return exchange.answered + (message.expires_on - exchange.service_time).total_seconds()


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


__all__ = ["Event", "Tracer", "describe_error", "describe_failure",
           "traced_client"]
