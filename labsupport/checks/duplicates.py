"""Check for 07 · duplicates: an idempotent consumer ships each order once.

The check replays the two ways a queue delivers the same order twice, on the learner's
queue (it clears it first and leaves it empty), and counts the parcels the learner's
``handle(message)`` shipped:

* a **producer retry**: the same order in a second message, with a new message id and a
  different text (the producer numbers its attempts) — only the *order id* tells them apart;
* a **crash before the delete**: the message is handled, its lease is given back instead of
  deleting it, and it is delivered again — same message id, same text, higher dequeue count.

So remembering message ids, message texts or dequeue counts does not pass; remembering
the order id does. What was delivered is read from the wire (the check's client carries a
:class:`~labsupport.wire.WireLog` in the SDK's hooks), and the success line is printed from
those counts.
"""

from __future__ import annotations

import json
import secrets
from collections import Counter

from azure.core.exceptions import HttpResponseError

from ..trace import describe_error, traced_client
from ..wire import WireLog
from . import Result, report


def _failure(error: Exception) -> str:
    detail = describe_error(error) if isinstance(error, HttpResponseError) else str(error)
    return f"your code raised {type(error).__name__}: {detail}"


def _order_id(text: str | None) -> str | None:
    try:
        return json.loads(text)["order_id"]
    except (TypeError, ValueError, KeyError):
        return None


def check_idempotent_consumer(handle, shipments: list, queue) -> Result:
    """07: ``handle(message)`` ships each order once, however often it is delivered.

    ``shipments`` is the list the learner's ``ship_parcel`` appends order ids to; ``queue``
    the notebook's ``QueueClient`` (used as scratch space).
    """
    run = secrets.token_hex(4)
    retried, crashed = f"order-{run}-1", f"order-{run}-2"
    log = WireLog("check", queue=queue.queue_name)
    client = traced_client(queue, log)
    client.clear_messages()
    before = len(shipments)
    client.send_message(json.dumps({"order_id": retried, "item": "book", "attempt": 1}))
    client.send_message(json.dumps({"order_id": crashed, "item": "lamp", "attempt": 1}))
    client.send_message(json.dumps({"order_id": retried, "item": "book", "attempt": 2}))
    problems = []
    crash_pending = True
    try:
        while batch := list(client.receive_messages(max_messages=32, messages_per_page=32,
                                                    visibility_timeout=30)):
            for message in batch:
                handle(message)
                if crash_pending and _order_id(message.content) == crashed:
                    crash_pending = False  # "crash": handled, never deleted, delivered again
                    client.update_message(message.id, message.pop_receipt, visibility_timeout=0)
                else:
                    client.delete_message(message)
    except Exception as error:  # the learner's code: report, do not crash the check
        problems.append(_failure(error))
    client.clear_messages()

    delivered = [m for e in log.of("receive") if e.ok for m in e.messages]
    shipped = Counter(shipments[before:])
    cases = (
        (retried, "sent twice by the producer",
         "its two messages have different ids and different texts (attempt 1 and 2), so "
         "remember the order id, not the message id or text"),
        (crashed, "redelivered after a crash",
         "remember each order id in `store` and skip the ones you have seen"),
    )
    for order_id, what, advice in cases:
        if shipped[order_id] > 1:
            problems.append(f"the order {what} was shipped {shipped[order_id]} times: {advice}")
        elif shipped[order_id] == 0 and not any(p.startswith("your code") for p in problems):
            problems.append(f"the order {what} was never shipped: call ship_parcel(order_id) "
                            f"the first time you see an order")
    return report(problems, f"each order shipped exactly once, despite "
                            f"{len(delivered) - len(cases)} duplicate deliveries "
                            f"({len(delivered)} deliveries of {len(cases)} orders).")
