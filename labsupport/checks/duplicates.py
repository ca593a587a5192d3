"""Check for 07 · duplicates: an idempotent consumer packs each order once, and completely.

The learner writes ``handle(message)``: it packs the order in the message into the
warehouse's SQLite database (``pack(db, order)`` writes one ``parcels`` row per item) and
must remember the orders it has done in that database's ``processed`` table. The check
replays, on a queue of its own (``<queue>-check``, created and deleted here, so the
notebook's queue and its inspector stay as the lesson left them), the ways a queue
delivers one order more than once:

* a **producer retry**: the same order in a second message, with a new message id and a
  different text (the producer numbers its attempts) — only the *order id* tells them apart;
* a **crash before the delete**: the message is handled, its lease is given back instead of
  deleting it, and it is delivered again — same message id, same text;
* a **failure halfway**: the warehouse fails while the order is being packed, after its
  first item (the check injects this once, into the database itself: a temporary trigger
  on ``parcels`` calls a function that raises). The error propagates out of ``handle``, so
  the check gives the lease back, as a consumer whose processing failed does, and the
  message comes back.

Then it judges what was packed: every item of every order exactly once. Remembering
message ids, texts or dequeue counts leaves a duplicate; recording the order before the
packing has committed ("record, then ship outside the transaction") loses the rest of the
half-packed order; packing, then recording in a separate step, packs the first item twice.
Only the record and the packing in one transaction pass. The success line is printed from
what the check's wire log and the database saw.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import sqlite3
from collections import Counter

from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

from ..trace import describe_error
from ..wire import WireLog
from . import Result, report
from .delivery import check_queue as scratch_queue

ITEMS = ("box", "label")   # every order of the check has these two items
JAM = "the label printer jammed"
FAULT_FUNCTION = "lab_check_label_printer"
FAULT_TRIGGER = "lab_check_fault"


class _Fault:
    """Makes the packing of one order fail once, after its first item is written."""

    def __init__(self, order_id: str) -> None:
        self.order_id = order_id
        self.armed = True
        self.fired = False

    def __call__(self, order_id: str, item: str) -> int:
        if self.armed and order_id == self.order_id and item == ITEMS[-1]:
            self.armed, self.fired = False, True
            raise RuntimeError(JAM)
        return 0


def _failure(error: Exception) -> str:
    detail = describe_error(error) if isinstance(error, HttpResponseError) else str(error)
    return f"your code raised {type(error).__name__}: {detail}"


def _order_id(text: str | None) -> str | None:
    try:
        return json.loads(text)["order_id"]
    except (TypeError, ValueError, KeyError):
        return None


def _install(db: sqlite3.Connection, fault: _Fault) -> None:
    db.create_function(FAULT_FUNCTION, 2, fault)
    db.execute(f"CREATE TEMP TRIGGER IF NOT EXISTS {FAULT_TRIGGER} AFTER INSERT ON parcels "
               f"BEGIN SELECT {FAULT_FUNCTION}(NEW.order_id, NEW.item); END")


def _remove(db: sqlite3.Connection) -> None:
    if db.in_transaction:   # left open by the learner's code: said below, undone here
        db.execute("ROLLBACK")
    db.execute(f"DROP TRIGGER IF EXISTS temp.{FAULT_TRIGGER}")
    db.create_function(FAULT_FUNCTION, 2, None)


def check_idempotent_consumer(handle, db: sqlite3.Connection, queue) -> Result:
    """07: ``handle(message)`` packs each order once and completely, into ``db``.

    ``db`` is the warehouse's SQLite connection (tables ``parcels(order_id, item)`` and
    ``processed``); ``queue`` the notebook's ``QueueClient`` (the check works on a queue of
    its own beside it).
    """
    try:
        db.execute("SELECT order_id, item FROM parcels LIMIT 0")
    except sqlite3.Error as error:
        return report([f"the warehouse database has no table parcels(order_id, item) "
                       f"({error}): run the cell that creates it"], "")
    run = secrets.token_hex(4)
    retried, crashed, jammed = (f"order-{run}-{n}" for n in (1, 2, 3))
    fault = _Fault(jammed)
    check_queue = scratch_queue(queue)
    log = WireLog("check", queue=check_queue.queue_name)
    client = type(check_queue).from_queue_url(check_queue.url, credential=queue.credential,
                                              **log.hooks)
    problems: list[str] = []
    left_open = False
    _install(db, fault)
    try:
        for order_id, attempt in ((retried, 1), (crashed, 1), (jammed, 1), (retried, 2)):
            client.send_message(json.dumps({"order_id": order_id, "items": list(ITEMS),
                                            "attempt": attempt}))
        crash_pending = True
        for _ in range(8):   # 4 messages, 2 of them delivered twice: a few rounds at most
            batch = list(client.receive_messages(max_messages=32, messages_per_page=32,
                                                 visibility_timeout=30))
            if not batch:
                break
            for message in batch:
                failed_halfway = fault.fired
                try:
                    handle(message)
                except Exception as error:  # the learner's code: judge it, never crash here
                    if fault.fired and not failed_halfway:   # the failure we injected
                        client.update_message(message.id, message.pop_receipt,
                                              visibility_timeout=0)
                        continue
                    raise _LearnerError(error) from error
                left_open = left_open or db.in_transaction
                if crash_pending and _order_id(message.content) == crashed:
                    crash_pending = False  # "crash": handled, never deleted, delivered again
                    client.update_message(message.id, message.pop_receipt, visibility_timeout=0)
                else:
                    client.delete_message(message)
    except _LearnerError as error:
        problems.append(_failure(error.error))
    finally:
        left_open = left_open or db.in_transaction
        _remove(db)
        with contextlib.suppress(ResourceNotFoundError):
            check_queue.delete_queue()

    if left_open:
        problems.append("your code left a transaction open: end every path through handle "
                        "with COMMIT (or ROLLBACK), also when an order is skipped")
    packed = Counter(db.execute(
        "SELECT order_id, item FROM parcels WHERE order_id IN (?, ?, ?)",
        (retried, crashed, jammed)).fetchall())
    delivered = [m for e in log.of("receive") if e.ok for m in e.messages]
    if not fault.fired and not problems and any(order == jammed for order, _ in packed):
        problems.append("the check's failure halfway never happened: pack each order with "
                        "pack(warehouse, order), which writes its items to `parcels`")
    cases = (
        (retried, "sent twice by the producer",
         "its two messages have different ids and different texts (attempt 1 and 2), so "
         "remember the order id, not the message id or text"),
        (crashed, "redelivered after a crash",
         "remember each order id in `processed` and skip the ones you have seen"),
        (jammed, "that failed halfway",
         "its first try packed one item, then failed; the redelivery packed it again — "
         "pack and record in one transaction (BEGIN … COMMIT, ROLLBACK on failure), so "
         "that a failure undoes the half-packed order"),
    )
    crashed_code = any(p.startswith("your code") for p in problems)
    for order_id, what, advice in cases:
        counts = [packed[(order_id, item)] for item in ITEMS]
        if max(counts) > 1:
            problems.append(f"the order {what} was packed {max(counts)} times: {advice}")
        elif crashed_code:
            continue
        elif counts == [0] * len(ITEMS) and order_id == jammed and fault.fired:
            problems.append(f"the order {what} was never packed: when packing fails, let the "
                            f"error out of handle (after ROLLBACK), so that the message comes "
                            f"back and is tried again")
        elif counts == [0] * len(ITEMS):
            problems.append(f"the order {what} was never packed: call pack(warehouse, order) "
                            f"the first time you see an order")
        elif 0 in counts:
            problems.append(
                f"the order {what} is incomplete ({sum(counts)} of its {len(ITEMS)} items "
                f"packed): it was recorded as processed although its packing failed, so "
                f"the redelivery skipped it — record it in the same transaction as the "
                f"packing, and roll both back when the packing fails")
    return report(problems, f"each order packed exactly once and completely, despite "
                            f"{len(delivered) - len(cases)} repeated deliveries and a failure "
                            f"halfway ({len(delivered)} deliveries of {len(cases)} orders).")


class _LearnerError(Exception):
    """An exception from the learner's ``handle`` that the check did not inject."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error
