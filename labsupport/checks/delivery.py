"""Checks for 04–07 · visibility timeout, time to live, out-of-order and duplicate delivery.

Each check replays a small scenario against the learner's code on a real queue (which
it uses as scratch space: it clears it first and leaves it empty) and prints what is
still wrong.
"""

from __future__ import annotations

import json
import secrets
from collections import Counter
from datetime import timedelta

from azure.core.exceptions import HttpResponseError

from ..trace import Tracer, describe_error
from . import Result, report


def _failure(error: Exception) -> str:
    detail = describe_error(error) if isinstance(error, HttpResponseError) else str(error)
    return f"your code raised {type(error).__name__}: {detail}"


def check_heartbeat(process, queue, *, lease: int = 1) -> Result:
    """04: ``process(queue, message)`` keeps its lease until it has deleted the message.

    The check sends one job, receives it with a ``lease``-second visibility timeout and
    calls ``process`` with a traced client. It passes when the message was deleted, and the
    lease never ran out in between (each heartbeat came before the previous lease ended).
    """
    queue.clear_messages()
    tracer = Tracer()
    worker = tracer.client(queue, "worker")
    queue.send_message("job-1")
    message = worker.receive_message(visibility_timeout=lease)
    problems = []
    try:
        process(worker, message)
    except Exception as error:  # the learner's code: report, do not crash the check
        problems.append(_failure(error))
    finished = tracer.now()
    holds = [e for e in tracer.events
             if e.operation in ("receive", "update") and e.outcome == "ok"]
    deleted = next((e for e in tracer.events if e.operation == "delete" and e.outcome == "ok"),
                   None)
    if deleted is None:
        problems.append("the message was not deleted: when all steps are done, call "
                        "queue.delete_message(message) with the message returned by your "
                        "last update_message")
    if len(holds) == 1:
        problems.append("no heartbeat: before each step, extend the lease with "
                        "message = queue.update_message(message, visibility_timeout=2)")
    end = deleted.t if deleted else finished
    ran_out = any(later > hold.visible_at for hold, later in
                  zip(holds, [h.t for h in holds[1:]] + [end], strict=True))
    if ran_out:
        problems.append("the lease ran out while you were still working (other consumers "
                        "could have received the job): extend it before each step, for "
                        "longer than a step takes")
    queue.clear_messages()
    return report(problems, "job done and deleted; the lease never ran out.")


def check_time_to_live(price, audit, queue) -> Result:
    """05: ``price`` lives exactly 3 seconds, ``audit`` never expires and is in the queue.

    ``price`` and ``audit`` are what ``send_message`` returned for each message.
    """
    problems = []
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
        if audit.id not in {m.id for m in queue.peek_messages(max_messages=32)}:
            problems.append("the audit record is not visible in the queue: send it without a "
                            "visibility timeout, and do not receive it")
    return report(problems, "the price update expires after 3 s; the audit record never expires.")


def check_resequencer(resequencer_class, queue) -> Result:
    """06: a resequencer applies events in the producer's order, each once.

    The check delivers sequence numbers 2, 3, 1, 2 (a duplicate) and 4 through ``queue``
    and feeds each to ``resequencer_class().accept(seq, event)``, which returns the events
    that may be applied now.
    """
    expected = ["A", "B", "C", "D"]
    queue.clear_messages()
    for seq, event in [(2, "B"), (3, "C"), (1, "A"), (2, "B"), (4, "D")]:
        queue.send_message(json.dumps({"seq": seq, "event": event}))
    problems, applied = [], []
    try:
        resequencer = resequencer_class()
        for message in list(queue.receive_messages(max_messages=32, messages_per_page=32)):
            body = json.loads(message.content)
            applied.extend(resequencer.accept(body["seq"], body["event"]) or [])
            queue.delete_message(message)
    except Exception as error:
        problems.append(_failure(error))
    queue.clear_messages()
    twice = sorted(e for e, n in Counter(applied).items() if n > 1)
    if twice:
        problems.append(f"applied {', '.join(twice)} more than once: ignore a sequence number "
                        f"that was already applied")
    firsts = list(dict.fromkeys(applied))
    if firsts != [e for e in expected if e in firsts]:
        problems.append(f"applied in the order {', '.join(firsts)}; the producer's order is "
                        f"{', '.join(expected)}: hold an event back until every earlier "
                        f"sequence number has been applied")
    missing = [e for e in expected if e not in applied]
    if missing and not problems:
        problems.append(f"never applied {', '.join(missing)}: when the missing sequence number "
                        f"arrives, release every waiting event that can follow it")
    return report(problems, "delivered B, C, A, B, D — applied A, B, C, D, each once.")


def check_idempotent_consumer(handle, shipments: list, queue) -> Result:
    """07: ``handle(message)`` ships each order once, however often it is delivered.

    The check sends two orders, the first one twice (a producer that retried its send),
    and redelivers the second once (a consumer that crashed after handling it but before
    deleting it). ``shipments`` is the list the learner's ``ship`` appends order ids to.
    """
    run = secrets.token_hex(4)
    retried, crashed = f"order-{run}-1", f"order-{run}-2"
    queue.clear_messages()
    before = len(shipments)
    for order_id in (retried, crashed, retried):
        queue.send_message(json.dumps({"order_id": order_id, "item": "book"}))
    problems = []
    try:
        for message in list(queue.receive_messages(max_messages=32, messages_per_page=32)):
            handle(message)
            if json.loads(message.content)["order_id"] == crashed:
                queue.update_message(message, visibility_timeout=0)  # "crash": never deleted
            else:
                queue.delete_message(message)
        for message in list(queue.receive_messages(max_messages=32, messages_per_page=32)):
            handle(message)  # the redelivery of the "crashed" order
            queue.delete_message(message)
    except Exception as error:
        problems.append(_failure(error))
    queue.clear_messages()
    shipped = Counter(shipments[before:])
    cases = (
        (retried, "sent twice by the producer", "the two messages have different ids, so "
                                                "remember the order id, not the message id"),
        (crashed, "redelivered after a crash", "remember each order id in `store` and skip "
                                               "the ones you have seen"),
    )
    for order_id, what, advice in cases:
        if shipped[order_id] > 1:
            problems.append(f"the order {what} was shipped {shipped[order_id]} times: {advice}")
        elif shipped[order_id] == 0 and not any(p.startswith("your code") for p in problems):
            problems.append(f"the order {what} was never shipped: call ship(order_id) the "
                            f"first time you see an order")
    return report(problems, "each order shipped exactly once, despite 2 duplicate deliveries.")
