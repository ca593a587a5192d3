"""Checks for 04–07 · visibility timeout, time to live, out-of-order and duplicate delivery.

Each check replays a small scenario against the learner's code and prints what is still
wrong. The heartbeat check runs on a queue of its own beside the notebook's (created for
the check and deleted after it, so the notebook's queue and its inspector never see the
check's job) and judges from what crossed the wire; the time-to-live check reads what the
learner sent; the resequencer check feeds delivery orders that a queue may produce but
never promises.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit, urlunsplit

from azure.core.exceptions import HttpResponseError, ResourceExistsError

from ..queue_names import MAX_LENGTH
from ..trace import Tracer, describe_error
from . import Result, report


def _failure(error: Exception) -> str:
    detail = describe_error(error) if isinstance(error, HttpResponseError) else str(error)
    return f"your code raised {type(error).__name__}: {detail}"


#: The job of the 04 exercise: three steps, each about ``HEARTBEAT_STEP_SECONDS`` of work.
HEARTBEAT_STEPS = ("reserve stock", "charge card", "book courier")
HEARTBEAT_STEP_SECONDS = 0.4


@dataclass(frozen=True)
class Lease:
    """A lease the service granted (a receive or an update), on the tracer's clock.

    The service counts ``seconds`` from a moment between ``sent`` and ``answered``, so the
    lease surely holds from ``answered`` until ``sent + seconds``.
    """

    sent: float
    answered: float
    seconds: float

    @property
    def ends(self) -> float:
        return self.sent + self.seconds


def held_until(leases: list[Lease], t: float) -> float:
    """Until when the message is surely leased, as known at time ``t`` (-inf: not leased).

    The lease in force is the one the service applied last: any granted lease that no other
    granted lease was sent after, or one still in flight. When it cannot be known which,
    the earliest end counts.
    """
    granted = [lease for lease in leases if lease.answered <= t]
    if not granted:
        return float("-inf")
    last = [lease for lease in granted if not any(o.sent > lease.answered for o in granted)]
    in_flight = [lease for lease in leases if lease.sent <= t < lease.answered]
    return min(lease.ends for lease in last + in_flight)


def held_throughout(start: float, end: float, leases: list[Lease]) -> bool:
    """True when a lease surely held the message from ``start`` to ``end``."""
    moments = sorted({start} | {m for lease in leases for m in (lease.sent, lease.answered)
                                if start < m < end})
    return all(held_until(leases, a) >= b
               for a, b in zip(moments, [*moments[1:], end], strict=True))


CHECK_QUEUE_SUFFIX = "-check"


def check_queue(queue, suffix: str = CHECK_QUEUE_SUFFIX):
    """A client of a new, empty queue beside ``queue``: same account, credential and API
    version, named ``<queue name><suffix>`` (cut to the 63 characters a name may have)."""
    name = queue.queue_name[:MAX_LENGTH - len(suffix)].rstrip("-") + suffix
    scheme, netloc, path, query, fragment = urlsplit(queue.url)
    url = urlunsplit((scheme, netloc, path.rstrip("/").rsplit("/", 1)[0] + "/" + name,
                      query, fragment))
    scratch = type(queue).from_queue_url(url, credential=queue.credential,
                                         api_version=queue.api_version)
    try:
        scratch.create_queue(metadata={"created-by": "labsupport check"})
    except ResourceExistsError:  # left by a check that was interrupted
        scratch.clear_messages()
    return scratch


def check_heartbeat(process, queue, *, steps=HEARTBEAT_STEPS, lease: int = 1,
                    step_seconds: float = HEARTBEAT_STEP_SECONDS) -> Result:
    """04: ``process(queue, message, do_step)`` does every step while it holds the lease.

    The check sends one job to a queue of its own (:func:`check_queue`, deleted afterwards:
    ``queue`` itself is not touched), receives it with a ``lease``-second visibility
    timeout and calls ``process`` with a traced client and a ``do_step(step)`` that does
    one step of work (``step_seconds`` long) and notes when it started and ended. From the
    wire it takes when each lease (the receive, every update) surely held the message. It
    passes when every step of ``steps`` was done, each from start to end under a lease,
    and the job was deleted (204) only after the last step.
    """
    scratch = check_queue(queue)
    try:
        tracer, done, problems = _run_heartbeat(process, scratch, lease, step_seconds)
    finally:
        scratch.delete_queue()
    exchanges = tracer.exchanges
    leases = [Lease(e.sent, e.answered, float(e.query.get("visibilitytimeout", 30)))
              for e in exchanges if e.operation in ("receive", "update") and e.ok]
    heartbeats = sum(e.operation == "update" and e.ok for e in exchanges)
    deleted = next((e for e in exchanges if e.operation == "delete" and e.status == 204), None)
    missing = [s for s in steps if s not in {name for name, _, _ in done}]
    if len(missing) == len(steps):
        problems.append("no work done: call do_step(step) for each step of the job, then "
                        "delete it")
    elif missing:
        problems.append(f"never did {_quoted(missing)}: call do_step(step) for each step")
    if deleted is None:
        problems.append("the message was not deleted: when all steps are done, call "
                        "queue.delete_message(message) with the message returned by your "
                        "last update_message")
    early = [name for name, _, ended in done if deleted is not None and ended > deleted.sent]
    if early:
        problems.append(f"the job was deleted before {_quoted(early)} "
                        f"{'was' if len(early) == 1 else 'were'} done: delete it only after "
                        f"the last step (a worker that crashes after an early delete loses "
                        f"the job)")
    exposed = [name for name, started, ended in done
               if name not in early and not held_throughout(started, ended, leases)]
    if exposed and not heartbeats:
        problems.append(f"no heartbeat: the {lease:g}-second lease from the receive ran out "
                        f"during {_quoted(exposed)} (other consumers could have received the "
                        f"job): before each step, extend it with "
                        f"message = queue.update_message(message, visibility_timeout=2)")
    elif exposed:
        problems.append(f"the lease ran out during {_quoted(exposed)} (other consumers could "
                        f"have received the job): extend it before each step, for longer "
                        f"than a step takes")
    return report(problems, f"all {len(steps)} steps done while the lease was held; the job "
                            f"deleted after the last one.")


def _run_heartbeat(process, scratch, lease: int, step_seconds: float):
    """Send a job to ``scratch``, lease it and hand it to ``process``: (tracer, done, problems)."""
    tracer = Tracer()
    worker = tracer.client(scratch, "worker")
    scratch.send_message("job-1")
    message = worker.receive_message(visibility_timeout=lease)
    done: list[tuple[str, float, float]] = []

    def do_step(step):
        started = tracer.now()
        time.sleep(step_seconds)  # stands for the step's work
        done.append((step, started, tracer.now()))

    problems = []
    try:
        process(worker, message, do_step)
    except Exception as error:  # the learner's code: report, do not crash the check
        problems.append(_failure(error))
    return tracer, done, problems


def _quoted(names) -> str:
    return ", ".join(f"'{n}'" for n in dict.fromkeys(names))


#: The 05 exercise's messages: variable name -> the content it must hold.
TTL_CONTENTS = {"price": "price-update", "audit": "audit-record"}


def _content(message, visible: dict) -> str | None:
    """The message's content as the queue holds it (peeked by id), else as it was sent."""
    peeked = visible.get(message.id)
    return peeked.content if peeked is not None else getattr(message, "content", None)


def check_time_to_live(price, audit, queue) -> Result:
    """05: ``price`` is 'price-update' and lives exactly 3 seconds; ``audit`` is
    'audit-record', never expires and is visible in the queue.

    ``price`` and ``audit`` are what ``send_message`` returned for each message. The
    lifetimes come from the service's answer (``expires_on - inserted_on``); the contents
    from a peek of ``queue`` (or, once the price update has expired, from what was sent).
    """
    problems = []
    visible = {m.id: m for m in queue.peek_messages(max_messages=32)}
    for name, message in (("price", price), ("audit", audit)):
        content = None if message is None else _content(message, visible)
        if message is not None and content != TTL_CONTENTS[name]:
            problems.append(f"`{name}` holds the message {content!r}: keep what "
                            f"send_message({TTL_CONTENTS[name]!r}, ...) returns in `{name}`")
    if price is None:
        problems.append("send the price update and keep what send_message returns in `price`")
    else:
        lives = price.expires_on - price.inserted_on
        if lives != timedelta(seconds=3):
            problems.append(f"the price update lives {lives}; it should expire 3 seconds after "
                            f"it was sent (time_to_live=3)")
    if audit is None:
        problems.append("send the audit record and keep what send_message returns in `audit`")
    else:
        if audit.expires_on.year != 9999:
            problems.append(f"the audit record expires after {audit.expires_on - audit.inserted_on}"
                            f"; pass time_to_live=-1 so that it never expires")
        if audit.id not in visible:
            problems.append("the audit record is not visible in the queue: send it without a "
                            "visibility timeout, and do not receive it")
    return report(problems, "the price update expires after 3 s; the audit record never expires.")


#: The 06 exercise's events of one order, by the producer's sequence number.
RESEQUENCER_EVENTS = {1: "A", 2: "B", 3: "C", 4: "D"}


def delivery_orders(*, shuffled: int = 4, seed: int = 6) -> list[list[int]]:
    """Orders in which a queue may deliver the events 1–4, none of them first-in, first-out:
    redeliveries behind later events, duplicates, the first event last.

    Four hand-picked orders, then ``shuffled`` seeded shuffles with two duplicates each.
    """
    orders = [
        [2, 3, 1, 2, 4],        # the lesson's: B, C, A, B again, D
        [4, 3, 2, 1],           # reversed: the first one arrives last
        [1, 3, 3, 4, 2],        # a gap, a duplicate while waiting, the gap filled last
        [1, 2, 1, 3, 2, 4, 4],  # duplicates of events already applied
    ]
    rng = random.Random(seed)
    for _ in range(shuffled):
        order = [1, 2, 3, 4, *rng.sample([1, 2, 3, 4], 2)]
        rng.shuffle(order)
        orders.append(order)
    return orders


def _letters(seqs, events) -> str:
    return ", ".join(events[s] for s in seqs)


def _replay(resequencer_class, order, events) -> tuple[str, str] | None:
    """Feed ``order`` to a new resequencer; (kind, problem) at the first wrong release."""
    resequencer = resequencer_class()
    applied: list[str] = []
    arrived: set[int] = set()
    shown = f"delivered {_letters(order, events)}"
    for n, seq in enumerate(order, start=1):
        arrived.add(seq)
        applied.extend(resequencer.accept(seq, events[seq]) or [])
        ready = 0
        while ready + 1 in arrived:
            ready += 1
        expected = [events[s] for s in range(1, ready + 1)]
        if applied == expected:
            continue
        twice = sorted(e for e, k in Counter(applied).items() if k > 1)
        if twice:
            return "twice", (f"applied {', '.join(twice)} more than once ({shown}): ignore a "
                             f"sequence number that was already applied")
        if applied != expected[:len(applied)]:
            at = next(i for i, e in enumerate(applied) if i >= len(expected) or e != expected[i])
            return "order", (f"applied {applied[at]} before {events[at + 1]} ({shown}): hold an "
                             f"event back until every earlier sequence number has been applied")
        held = [e for e in expected if e not in applied]
        return "held", (f"held back {', '.join(held)} after {_letters(order[:n], events)} had "
                        f"been delivered: when the missing sequence number arrives, release "
                        f"every waiting event that can follow it")
    return None


def check_resequencer(resequencer_class, *, orders=None) -> Result:
    """06: a resequencer applies events in the producer's order, each once, as soon as it can.

    The check feeds each delivery order (by default :func:`delivery_orders`, none of them
    FIFO: redeliveries behind later events, duplicates, the first event last) to a new
    ``resequencer_class()``, calling ``accept(seq, event)`` for each delivery. After each
    delivery, the events released so far must be exactly the producer's events up to the
    last one whose predecessors have all arrived: nothing early, nothing twice, nothing
    held back.
    """
    orders = delivery_orders() if orders is None else orders
    events = RESEQUENCER_EVENTS
    found: dict[str, str] = {}
    try:
        for order in orders:
            failure = _replay(resequencer_class, order, events)
            if failure:
                found.setdefault(*failure)
    except Exception as error:  # the learner's code: report, do not crash the check
        found["raised"] = _failure(error)
    return report(found.values(),
                  f"{len(orders)} delivery orders (out of order, duplicated, the first event "
                  f"last): each applied {', '.join(events.values())} once, in order.")
