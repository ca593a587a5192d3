"""Check for 11 · the Azure Functions queue trigger: host.json for a slow downstream.

``check_slow_downstream(host_json, service, process_order)`` reads the learner's
host.json (an invalid one gets the one-sentence error), then runs the model of the host
(:class:`~labsupport.functions.QueueTriggerModel`) with those settings on scratch queues:
12 good orders and one that always fails, sent base64-encoded as a Functions producer
should. Each invocation first calls a *slow downstream*
(:mod:`labsupport.functions.downstream`) — a partner API that answers a call only while
the host cannot start more work (it waits for newBatchThreshold, or between polls of an
empty queue) — so the run reaches the most orders in flight that the
settings allow, every time, whatever the machine's speed. The check then judges what the
run did, from the downstream's count and the recorded wire traffic:

* the downstream never had more than ``limit`` calls at once;
* the failing order was received ``tries`` times (dequeue counts 1…tries), then copied to
  ``<queue>-poison`` and deleted;
* every good order was shipped (one output message) and deleted.

The model waits 10× faster than the host between polls; a ``visibilityTimeout`` over one
second is shortened to one second for this run (the check says so).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json

from azure.core.exceptions import ResourceNotFoundError
from azure.storage.queue import TextBase64EncodePolicy

from ..functions import HostJsonError, QueueTriggerModel, queue_settings
from ..functions.downstream import SlowDownstream, calling_downstream
from ..functions.listener import SUCCEEDED
from ..lab import queue_name_for
from ..patterns.poison import poison_queue_name
from ..trace import Tracer
from ..waits import WaitTimeout
from . import Result, report

GOOD_ORDERS = 12
SPEED = 10.0
MAX_RETRY_WAIT = 1.0


def _order_id(text: str) -> str:
    try:
        return json.loads(base64.b64decode(text, validate=True))["order_id"]
    except (binascii.Error, ValueError, KeyError, TypeError):
        return text


def check_slow_downstream(host_json, service, process_order, *, limit: int = 4, tries: int = 3,
                          timeout: float = 60.0) -> Result:
    """11: host.json lets at most ``limit`` orders reach the downstream at once per instance,
    and moves a failing order to the poison queue after ``tries`` tries.

    ``service`` is the lab's ``QueueServiceClient``; the check makes and deletes its own
    queues. ``process_order`` is the function app's queue-triggered function.
    """
    try:
        settings = queue_settings(host_json)
    except HostJsonError as error:
        return report([str(error)], "")
    retry_wait = settings.visibility_timeout
    if retry_wait > MAX_RETRY_WAIT:
        settings = settings.replace(visibility_timeout=MAX_RETRY_WAIT)

    name = queue_name_for("functions-check")
    queue = service.create_queue(name)
    output = service.create_queue(queue_name_for("functions-check-out"))
    poison = service.get_queue_client(poison_queue_name(name))
    tracer = Tracer(labeler=_order_id)
    problems: list[str] = []
    try:
        producer = tracer.client(
            type(queue).from_queue_url(queue.url, credential=queue.credential,
                                       message_encode_policy=TextBase64EncodePolicy()),
            "producer")
        good = [f"order-{n}" for n in range(1, GOOD_ORDERS + 1)]
        failing = "order-bad"
        for order_id in good[:GOOD_ORDERS // 2] + [failing] + good[GOOD_ORDERS // 2:]:
            quantity = "lots" if order_id == failing else 1
            producer.send_message(json.dumps({"order_id": order_id, "item": "book",
                                              "quantity": quantity}))
        downstream = SlowDownstream(timeout=timeout)
        function = calling_downstream(process_order, downstream, queue_name=queue.queue_name,
                                      output_name=output.queue_name)
        total = GOOD_ORDERS + 1
        model = QueueTriggerModel(
            function, tracer.client(queue, "host"),
            poison_queue=tracer.client(poison, "host", send_as="copy to poison"),
            outputs={"shipments": tracer.client(output, "host", send_as="output binding")},
            settings=settings, speed=SPEED)
        try:
            downstream.run(model, timeout=timeout,
                           until=lambda: model.count(SUCCEEDED) + model.poisoned() >= total)
        except WaitTimeout:
            problems.append(f"the run did not finish in {timeout:g} s "
                            f"({model.count(SUCCEEDED)} orders shipped, {model.poisoned()} "
                            f"moved to the poison queue): check that your settings let the "
                            f"host retry and poison the failing order")
        finally:
            model.close()
        problems += _judge(tracer, downstream.peak, settings, limit, tries, good, failing,
                           poison.queue_name)
    finally:
        for client in (queue, output, poison):
            with contextlib.suppress(ResourceNotFoundError):  # the poison queue may not exist
                client.delete_queue()
    success = (f"the downstream never had more than {downstream.peak} orders at once "
               f"(limit {limit}); the failing order moved to the poison queue after {tries} "
               f"tries; all {GOOD_ORDERS} good orders shipped once.")
    if settings.max_concurrent < limit:
        success += (f" (batchSize + newBatchThreshold = {settings.max_concurrent}: the "
                    f"downstream could take {limit}.)")
    if retry_wait > MAX_RETRY_WAIT:
        success += (f" This run waited {MAX_RETRY_WAIT:g} s between retries instead of your "
                    f"visibilityTimeout of {retry_wait:g} s.")
    return report(problems, success)


def _judge(tracer: Tracer, peak: int, settings, limit: int, tries: int, good: list[str],
           failing: str, poison_name: str) -> list[str]:
    problems = []
    if peak > limit:
        default = (" — newBatchThreshold defaults to batchSize/2 per vCPU"
                   if settings.threshold_is_default else "")
        problems.append(
            f"the downstream got up to {peak} orders at once; it takes at most {limit}: one "
            f"instance runs up to batchSize + newBatchThreshold messages at once (yours: "
            f"{settings.batch_size} + {settings.new_batch_threshold}{default})")
    events = tracer.events
    received = [e.dequeue_count for e in events
                if e.message == failing and e.operation == "receive" and e.outcome == "ok"]
    moved = any(e.message == failing and e.operation == "copy to poison" and e.outcome == "ok"
                for e in events)
    if not moved:
        problems.append(f"the failing order never reached {poison_name} (tried "
                        f"{len(received)} times): set maxDequeueCount to {tries}")
    elif received != list(range(1, tries + 1)):
        problems.append(f"the failing order was tried {len(received)} times before it moved to "
                        f"the poison queue; it should move after {tries} tries: set "
                        f"maxDequeueCount to {tries}")
    shipped = [e.message for e in events if e.operation == "output binding" and e.outcome == "ok"]
    missing = [order for order in good if order not in shipped]
    twice = sorted({order for order in shipped if shipped.count(order) > 1})
    if missing:
        hint = (" — the producer sends base64, so keep messageEncoding \"base64\""
                if settings.message_encoding == "none" else "")
        count = "none" if len(missing) == len(good) else f"{len(good) - len(missing)}"
        problems.append(f"{count} of the {len(good)} good orders shipped (missing: "
                        f"{', '.join(missing[:3])}{'…' if len(missing) > 3 else ''}){hint}")
    if twice:
        problems.append(f"{', '.join(twice)} shipped more than once")
    return problems


__all__ = ["SlowDownstream", "check_slow_downstream"]
