"""What state each message is in, from what the service showed and what the lab's clients did.

The queue inspector (:mod:`labsupport.inspector.live`) feeds this model two kinds of facts, in
the order they arrive, and asks for rows at any moment:

* an :class:`~labsupport.wire.Exchange` recorded by a traced client (a ``Tracer`` client, a
  ``RequestCounter``) — a send, receive, peek, update, delete, clear or queue delete, with
  the actor who made it;
* a :class:`Refresh` — the inspector's own properties call and peek of up to 32 messages.

Pure: no widgets, no network, no clock of its own. Times are the caller's monotonic
seconds (``at``, ``now``). A time the service gives (a lease's end, an expiry) becomes a
local time with that response's own ``Date`` header — ``at + (until − Date)`` — so the
model never assumes that this machine's clock agrees with the service's.

It never claims more than the lab can know. A message that leaves the peek without a
traced receive is *hidden* (someone the lab does not trace may hold it, or have deleted
it), not *leased*; a lease or a delay that ran out by the clock shows as over only after a
peek shows the message again. Each row says where its state comes from
(:data:`SOURCES`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from ..patterns.poison import POISON_SUFFIX
from ..wire import Exchange, WireMessage

#: How many messages one peek may return: a full peek says nothing about the messages after.
PEEK_LIMIT = 32
#: Service times come in whole seconds: a lease may end up to a second after our estimate.
GRACE = 1.0

VISIBLE, LEASED, DELAYED, HIDDEN, UNSEEN = "visible", "leased", "delayed", "hidden", "unseen"
DELETED, POISONED, EXPIRED, GONE = "deleted", "moved to poison", "expired", "gone"
#: States a message never leaves.
FINAL = frozenset({DELETED, POISONED, EXPIRED, GONE})

SERVICE, WIRE, CLOCK = "service", "wire", "clock"
#: Where a row's state comes from (the inspector's legend says the same).
SOURCES = {
    SERVICE: "the service said so: the inspector's peek or count, or 404 for the queue",
    WIRE: "the lab's recorded traffic: a send, receive, update or delete by a traced client",
    CLOCK: "a time the service gave (a lease's end, an expiry) has passed on its clock",
}


@dataclass(frozen=True)
class Refresh:
    """One refresh of one queue: a properties call, then a peek of up to 32 messages.

    ``started`` is when the properties request left and ``answered`` when the peek's
    response arrived (the caller's monotonic seconds); ``service_time`` is the peek
    response's ``Date``. ``missing`` means the queue was not found (404 QueueNotFound);
    ``error`` describes a refresh that failed otherwise (nothing is concluded from it).
    """

    queue: str
    started: float
    answered: float
    approximate_count: int | None = None
    peeked: tuple[WireMessage, ...] = ()
    service_time: datetime | None = None
    missing: bool = False
    error: str = ""
    #: A traced receive on this queue was still unanswered when the peek's answer came:
    #: a message missing from the peek may be its, so the receive will say (not *hidden*).
    receiving: bool = False

    @property
    def full(self) -> bool:
        return len(self.peeked) >= PEEK_LIMIT


@dataclass(frozen=True)
class Row:
    """One message as the inspector shows it."""

    queue: str
    message_id: str
    label: str
    state: str                       # visible, leased, delayed, hidden, unseen, deleted, …
    source: str                      # service, wire or clock (see SOURCES)
    actor: str | None = None         # who leased, deleted or moved it
    dequeue_count: int | None = None
    until: float | None = None       # when the lease or delay ends (caller's clock)
    expires_at: float | None = None  # when the time to live runs out (None: never or unknown)
    left: float | None = None        # seconds left on the lease/delay (or else the TTL)
    span: float | None = None        # the full length of that lease/delay/TTL, for a bar
    note: str = ""                   # e.g. "the queue was deleted"


@dataclass(frozen=True)
class Counts:
    """A queue's counts from its latest refresh (None: not refreshed yet)."""

    queue: str
    visible: int | None = None       # messages the peek returned (at most 32)
    more_visible: bool = False       # the peek was full: there may be more
    total: int | None = None         # approximate_message_count
    refreshed: float | None = None   # when (caller's clock)
    missing: bool = False            # the queue was not found
    error: str = ""

    @property
    def hidden(self) -> int | None:
        """Leased or delayed (or expired, not yet cleared): total − visible, when known."""
        if self.total is None or self.visible is None or self.more_visible:
            return None
        return max(self.total - self.visible, 0)


@dataclass
class _Message:
    queue: str
    id: str
    label: str
    seen: float                      # when the lab first knew of it
    text: str | None = None
    state: str = VISIBLE
    source: str = WIRE
    actor: str | None = None
    dequeue_count: int | None = None
    until: float | None = None
    lease: float | None = None       # length of the lease or delay
    expires_at: float | None = None
    ttl: float | None = None
    exact_expiry: bool = False       # from the send itself (no whole-second doubt)
    changed: float = 0.0             # when a traced exchange last set its state
    received: float = float("-inf")  # its latest traced receive
    note: str = ""


def _local(at: float, when: datetime | None, service_time: datetime | None) -> float | None:
    """``when`` (a service time) on the caller's clock, through the same response's Date."""
    if when is None or service_time is None:
        return None
    return at + (when - service_time).total_seconds()


def _never(when: datetime | None) -> bool:
    return when is not None and when.year >= 9999


def default_label(text: str | None) -> str:
    if text is None:
        return "?"
    return text if len(text) <= 28 else text[:27].rstrip() + "…"


class QueueStates:
    """The rows of the watched queues, updated fact by fact (not thread-safe: one feeder).

    ``queues`` are the names watched. Sends to ``<queue>-poison`` are noted even when that
    queue is not watched, so a delete after such a copy reads "moved to poison".
    ``label(text)`` names a message (default: its text, shortened).
    """

    def __init__(self, queues: Sequence[str],
                 label: Callable[[str], object] | None = None) -> None:
        self.queues = list(dict.fromkeys(queues))
        self._label = label
        self._messages: dict[tuple[str, str], _Message] = {}
        self._counts = {name: Counts(name) for name in self.queues}
        self._copies: list[tuple[float, str, str | None]] = []   # (at, source queue, text)

    # -- naming ----------------------------------------------------------------------------
    def label_of(self, text: str | None) -> str:
        if text is None or self._label is None:
            return default_label(text)
        try:
            return default_label(str(self._label(text)))
        except Exception:  # a message the labeler cannot read is named by its text
            return default_label(text)

    def _message(self, queue: str, message_id: str, at: float, text: str | None) -> _Message:
        key = (queue, message_id)
        if key not in self._messages:
            self._messages[key] = _Message(queue=queue, id=message_id, seen=at, text=text,
                                           label=self.label_of(text) if text is not None
                                           else "id " + message_id[:8])
        message = self._messages[key]
        if text is not None and text != message.text:
            message.text, message.label = text, self.label_of(text)
        return message

    def _expiry(self, message: _Message, at: float, item: WireMessage,
                service_time: datetime | None, *, exact: bool) -> None:
        """Take the expiry from a response, unless a better estimate is already known."""
        if _never(item.expires_on):
            message.expires_at, message.ttl, message.exact_expiry = None, None, True
            return
        if message.exact_expiry:
            return
        if exact and item.inserted_on is not None and item.expires_on is not None:
            # A send: expiry and insertion share their fraction of a second, so their
            # difference is the time to live exactly, counted from this response.
            message.ttl = (item.expires_on - item.inserted_on).total_seconds()
            message.expires_at = at + message.ttl
            message.exact_expiry = True
            return
        local = _local(at, item.expires_on, service_time)
        if local is not None:
            # Two whole-second times: the real expiry may be up to a second later.
            message.expires_at = local + GRACE
            if item.inserted_on is not None and item.expires_on is not None:
                message.ttl = (item.expires_on - item.inserted_on).total_seconds()

    # -- facts -----------------------------------------------------------------------------
    def exchange(self, exchange: Exchange, at: float) -> bool:
        """Apply one recorded exchange that arrived at ``at``; True if a row changed."""
        queue, op = exchange.queue, exchange.operation
        if not exchange.ok:
            return False   # a refused update or delete (a stale receipt) changes nothing
        if op == "send" and queue and queue.endswith(POISON_SUFFIX):
            self._copies.append((at, queue[: -len(POISON_SUFFIX)], exchange.request_text))
        if queue not in self._counts:
            return False
        if op == "send":
            return self._sent(exchange, at)
        if op in ("receive", "peek"):
            return self._listed(exchange, at)
        if op == "update":
            return self._updated(exchange, at)
        if op == "delete":
            return self._deleted(exchange, at)
        if op == "clear":
            return self._end_all(queue, DELETED, WIRE, at, actor=exchange.actor,
                                 note="cleared", before=at)
        if op == "delete queue":
            self._counts[queue] = replace(self._counts[queue], missing=True, refreshed=at)
            return self._end_all(queue, GONE, WIRE, at, note="the queue was deleted")
        return False

    def _set(self, message: _Message, state: str, source: str, at: float, *,
             actor: str | None = None, until: float | None = None,
             lease: float | None = None, note: str = "") -> None:
        message.state, message.source, message.actor = state, source, actor
        message.until, message.lease, message.note = until, lease, note
        if source == WIRE:
            message.changed = at

    def _sent(self, exchange: Exchange, at: float) -> bool:
        if not exchange.messages:
            return False
        item = exchange.messages[0]
        message = self._message(exchange.queue, item.id, at, exchange.request_text)
        self._expiry(message, at, item, exchange.service_time, exact=True)
        delay = 0.0
        if item.next_visible_on is not None and item.inserted_on is not None:
            delay = (item.next_visible_on - item.inserted_on).total_seconds()
        if delay > 0:
            self._set(message, DELAYED, WIRE, at, actor=exchange.actor, until=at + delay,
                      lease=delay)
        else:
            self._set(message, VISIBLE, WIRE, at, actor=exchange.actor)
        message.dequeue_count = item.dequeue_count or 0
        return True

    def _listed(self, exchange: Exchange, at: float) -> bool:
        for item in exchange.messages:
            message = self._message(exchange.queue, item.id, at, item.text)
            if message.state in FINAL:
                continue
            self._expiry(message, at, item, exchange.service_time, exact=False)
            message.dequeue_count = item.dequeue_count
            if exchange.operation == "peek":
                self._set(message, VISIBLE, SERVICE, at)
                message.changed = at
                continue
            until = _local(at, item.next_visible_on, exchange.service_time)
            lease = None if until is None else until - at
            message.received = at
            self._set(message, LEASED, WIRE, at, actor=exchange.actor, until=until, lease=lease)
        return bool(exchange.messages)

    def _updated(self, exchange: Exchange, at: float) -> bool:
        if not exchange.message_id:
            return False
        message = self._message(exchange.queue, exchange.message_id, at, exchange.request_text)
        if message.state in FINAL:
            return False
        until = _local(at, exchange.next_visible_on, exchange.service_time)
        if until is not None and until > at:
            self._set(message, LEASED, WIRE, at, actor=exchange.actor, until=until,
                      lease=until - at)
        else:
            self._set(message, VISIBLE, WIRE, at, actor=exchange.actor, note="lease given back")
        return True

    def _deleted(self, exchange: Exchange, at: float) -> bool:
        if not exchange.message_id:
            return False
        message = self._message(exchange.queue, exchange.message_id, at, None)
        if message.state in FINAL and not (message.state == GONE and message.source == SERVICE):
            return False   # a refresh's "gone" (count 0) is refined by the delete that did it
        copied = any(queue == exchange.queue and text == message.text
                     and message.received <= when <= at
                     for when, queue, text in self._copies)
        self._set(message, POISONED if copied else DELETED, WIRE, at, actor=exchange.actor)
        return True

    def _end_all(self, queue: str, state: str, source: str, at: float, *,
                 actor: str | None = None, note: str = "", before: float | None = None) -> bool:
        changed = False
        for message in self._messages.values():
            if message.queue != queue or message.state in FINAL:
                continue
            if before is not None and message.seen > before:
                continue
            if state == GONE and message.expires_at is not None and message.expires_at <= at:
                self._set(message, EXPIRED, CLOCK, at)
            else:
                self._set(message, state, source, at, actor=actor, note=note)
            changed = True
        return changed

    def poll(self, poll: Refresh) -> bool:
        """Apply one refresh; True if a count or a row changed."""
        if poll.queue not in self._counts:
            return False
        before = self._counts[poll.queue]
        if poll.error:
            self._counts[poll.queue] = replace(before, error=poll.error, refreshed=poll.answered)
            return before.error != poll.error
        if poll.missing:
            self._counts[poll.queue] = Counts(poll.queue, missing=True, refreshed=poll.answered)
            ended = self._end_all(poll.queue, GONE, SERVICE, poll.started,
                                  note="the queue was deleted")
            return ended or not before.missing
        counts = Counts(poll.queue, visible=len(poll.peeked), more_visible=poll.full,
                        total=poll.approximate_count, refreshed=poll.answered)
        self._counts[poll.queue] = counts
        changed = (before.visible, before.more_visible, before.total, before.error) != (
            counts.visible, counts.more_visible, counts.total, counts.error)
        shown = {item.id: item for item in poll.peeked}
        for item in poll.peeked:
            if (poll.queue, item.id) not in self._messages:
                self._message(poll.queue, item.id, poll.answered, item.text)
        for message in self._messages.values():
            if message.queue == poll.queue and message.state not in FINAL:
                changed |= self._peeked(message, shown.get(message.id), poll)
        return changed

    def _peeked(self, message: _Message, item: WireMessage | None, poll: Refresh) -> bool:
        """What one refresh says about one message the lab knows."""
        if message.changed > poll.started:
            return False        # a traced exchange after this refresh began is newer news
        old = (message.state, message.source, message.dequeue_count, message.label)
        if item is not None:
            if item.text is not None and item.text != message.text:
                message.text, message.label = item.text, self.label_of(item.text)
            message.dequeue_count = item.dequeue_count
            self._expiry(message, poll.answered, item, poll.service_time, exact=False)
            if message.expires_at is not None and message.expires_at < poll.answered:
                message.expires_at = poll.answered + GRACE   # the service still has it
            self._set(message, VISIBLE, SERVICE, poll.answered)
        elif poll.approximate_count == 0 and message.seen < poll.started:
            # The count is never lower than the real number of messages: none were left.
            if message.expires_at is not None and message.expires_at <= poll.started:
                self._set(message, EXPIRED, CLOCK, poll.answered)
            else:
                self._set(message, GONE, SERVICE, poll.answered,
                          note="no longer in the queue (count 0)")
        elif message.expires_at is not None and message.expires_at <= poll.started:
            self._set(message, EXPIRED, CLOCK, poll.answered)
        elif message.state in (LEASED, DELAYED) and (
                message.until is None or poll.started < message.until + GRACE):
            return False        # still under its lease or delay, as far as the lab knows
        elif message.state == HIDDEN or (message.state == UNSEEN and poll.full):
            return False
        elif poll.receiving:
            return False        # a traced receive in flight may have it: it will tell
        elif poll.full:
            self._set(message, UNSEEN, SERVICE, poll.answered)
        else:
            self._set(message, HIDDEN, SERVICE, poll.answered)
        return old != (message.state, message.source, message.dequeue_count, message.label)

    # -- reading ---------------------------------------------------------------------------
    def counts(self, queue: str) -> Counts:
        return self._counts[queue]

    def missing(self, queue: str) -> bool:
        return self._counts[queue].missing

    def rows(self, queue: str, now: float) -> list[Row]:
        """The rows of ``queue`` at ``now``, in the order the lab first knew the messages."""
        return [self._row(m, now) for m in sorted(self._messages.values(), key=lambda m: m.seen)
                if m.queue == queue]

    def _row(self, message: _Message, now: float) -> Row:
        state, source, note = message.state, message.source, message.note
        if state not in FINAL and message.expires_at is not None and now >= message.expires_at:
            state, source, note = EXPIRED, CLOCK, ""   # no peek or lease outlives its TTL
        left = span = None
        if state in (LEASED, DELAYED) and message.until is not None:
            left, span = max(message.until - now, 0.0), message.lease
        elif state not in FINAL and message.expires_at is not None:
            left, span = max(message.expires_at - now, 0.0), message.ttl
        return Row(queue=message.queue, message_id=message.id, label=message.label,
                   state=state, source=source,
                   actor=message.actor if state in (LEASED, DELETED, POISONED) else None,
                   dequeue_count=message.dequeue_count,
                   until=message.until if state in (LEASED, DELAYED) else None,
                   expires_at=message.expires_at, left=left, span=span, note=note)

    def next_deadline(self, now: float) -> float | None:
        """The next moment a refresh could tell something new: a lease, delay or TTL ends."""
        moments = []
        for message in self._messages.values():
            if message.state in FINAL:
                continue
            if message.state in (LEASED, DELAYED) and message.until is not None:
                moments += [message.until, message.until + GRACE]
            if message.expires_at is not None:
                moments.append(message.expires_at)
        upcoming = [t for t in moments if t > now]
        return min(upcoming) if upcoming else None


def replay(facts: Iterable[tuple[float, Exchange] | Refresh], queues: Sequence[str], now: float,
           label: Callable[[str], object] | None = None) -> dict[str, list[Row]]:
    """Rows by queue after ``facts`` — ``(at, exchange)`` pairs and polls, in arrival order."""
    model = QueueStates(queues, label=label)
    for fact in facts:
        if isinstance(fact, Refresh):
            model.poll(fact)
        else:
            at, exchange = fact
            model.exchange(exchange, at)
    return {queue: model.rows(queue, now) for queue in model.queues}


__all__ = ["CLOCK", "FINAL", "GRACE", "PEEK_LIMIT", "SERVICE", "SOURCES", "WIRE", "Counts",
           "Refresh", "QueueStates", "Row", "default_label", "replay"]
