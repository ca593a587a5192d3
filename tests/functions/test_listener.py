"""The model of the host's queue listener, run against the local cloud.

Each test checks one documented rule on the wire (the recorded requests), not by timing.
"""

from __future__ import annotations

import base64
import json
import threading
from datetime import timedelta

import azure.functions as func
import pytest
from azure.storage.queue import QueueClient, TextBase64DecodePolicy, TextBase64EncodePolicy

from labsupport.functions import (
    OVER_LIMIT,
    POISONED,
    RETRY,
    SUCCEEDED,
    UNDECODABLE,
    QueueTriggerModel,
    queue_settings,
)
from labsupport.functions.downstream import SlowDownstream, calling_downstream
from labsupport.functions.figures import batch_figure
from labsupport.functions.figures import receives as wire_receives
from labsupport.trace import Tracer
from labsupport.waits import WaitTimeout


def order(order_id: str, quantity=1) -> str:
    return json.dumps({"order_id": order_id, "item": "book", "quantity": quantity})


def label(text: str) -> str:
    return json.loads(base64.b64decode(text, validate=True))["order_id"]


def model(function, trigger_queues, tracer, **kwargs) -> QueueTriggerModel:
    orders, shipments, poison = trigger_queues
    return QueueTriggerModel(
        function, tracer.client(orders, "host"),
        poison_queue=tracer.client(poison, "host", send_as="copy to poison"),
        outputs={"shipments": tracer.client(shipments, "host", send_as="output binding")},
        **kwargs)


def receives(tracer):
    return [e for e in tracer.exchanges if e.operation == "receive" and e.actor == "host"]


def counting_app(calls: list, gate: threading.Event | None = None):
    """A function app whose function records each call (and may wait for ``gate``)."""
    app = func.FunctionApp()

    @app.queue_trigger(arg_name="msg", queue_name="orders", connection="QueueStorage")
    @app.queue_output(arg_name="shipments", queue_name="shipments", connection="QueueStorage")
    def counted(msg: func.QueueMessage, shipments: func.Out[str]) -> None:
        calls.append(msg.get_body())
        if gate is not None:
            assert gate.wait(30), "the test never opened the gate"
        shipments.set(msg.get_body().decode())

    return counted


def test_one_poll_is_one_receive_of_batch_size(function_app, trigger_queues, base64_producer):
    tracer = Tracer(labeler=label)
    for n in range(18):
        base64_producer.send_message(order(f"order-{n}"))
    with model(function_app.process_order, trigger_queues, tracer) as host:
        host.run(until=lambda: host.count(SUCCEEDED) == 18, timeout=60)
    found = [(e.query["numofmessages"], len(e.messages)) for e in receives(tracer)
             if e.messages]
    assert found == [("16", 16), ("16", 2)]
    assert {e.query["visibilitytimeout"] for e in receives(tracer)} == {"600"}
    assert host.peak_in_flight == 16
    shipments = QueueClient.from_queue_url(trigger_queues[1].url,
                                           credential=trigger_queues[1].credential,
                                           message_decode_policy=TextBase64DecodePolicy())
    shipped = [json.loads(m.content)["order_id"]
               for m in shipments.receive_messages(max_messages=32, messages_per_page=32)]
    assert sorted(shipped) == sorted(f"order-{n}" for n in range(18))
    assert trigger_queues[0].get_queue_properties().approximate_message_count == 0


def test_a_failing_message_is_retried_then_poisoned_with_its_text(function_app, trigger_queues,
                                                                   base64_producer):
    tracer = Tracer(labeler=label)
    sent = base64_producer.send_message(order("order-F", "lots"))
    with model(function_app.process_order, trigger_queues, tracer) as host:
        host.run(until=lambda: host.poisoned() == 1, timeout=60)
    assert [(i.dequeue_count, i.outcome) for i in host.invocations] == [
        (1, RETRY), (2, RETRY), (3, RETRY), (4, RETRY), (5, POISONED)]
    assert "ValueError" in host.invocations[-1].error
    releases = [e for e in tracer.exchanges if e.operation == "update"]
    assert [e.query["visibilitytimeout"] for e in releases] == ["0"] * 4
    copy = next(iter(trigger_queues[2].peek_messages()))
    assert copy.content == base64.b64encode(order("order-F", "lots").encode()).decode()
    assert copy.expires_on - copy.inserted_on == timedelta(days=7), "the service's default TTL"
    assert sent.id not in {m.id for m in trigger_queues[0].peek_messages(max_messages=32)}


def test_max_dequeue_count_and_visibility_timeout_come_from_host_json(
        function_app, trigger_queues, base64_producer):
    settings = queue_settings({"version": "2.0", "extensions": {"queues": {
        "maxDequeueCount": 2, "visibilityTimeout": "00:00:01"}}})
    tracer = Tracer(labeler=label)
    base64_producer.send_message(order("order-F", "lots"))
    with model(function_app.process_order, trigger_queues, tracer, settings=settings) as host:
        host.run(until=lambda: host.poisoned() == 1, timeout=60)
    assert [i.outcome for i in host.invocations] == [RETRY, POISONED]
    assert [e.query["visibilitytimeout"] for e in tracer.exchanges
            if e.operation == "update"] == ["1"]


def test_plain_text_goes_to_the_poison_queue_at_once_without_a_call(trigger_queues):
    calls: list = []
    tracer = Tracer()
    trigger_queues[0].send_message("order-42 shipped")  # no encode policy: plain text
    with model(counting_app(calls), trigger_queues, tracer) as host:
        host.run(until=lambda: host.poisoned() == 1, timeout=60)
    assert calls == []
    assert [(i.dequeue_count, i.outcome) for i in host.invocations] == [(1, UNDECODABLE)]
    assert [m.content for m in trigger_queues[2].peek_messages()] == ["order-42 shipped"]
    poison_sends = [(e.operation, e.status, e.error_code) for e in tracer.exchanges
                    if e.queue == trigger_queues[2].queue_name]
    assert poison_sends == [("send", 404, "QueueNotFound"), ("create queue", 201, ""),
                            ("send", 201, "")], "the host creates <queue>-poison on first use"


def test_message_encoding_none_reads_and_writes_plain_text(trigger_queues):
    calls: list = []
    settings = queue_settings({"version": "2.0",
                               "extensions": {"queues": {"messageEncoding": "none"}}})
    trigger_queues[0].send_message(order("order-1"))
    with model(counting_app(calls), trigger_queues, Tracer(), settings=settings) as host:
        host.run(until=lambda: host.count(SUCCEEDED) == 1, timeout=60)
    assert calls == [order("order-1").encode()]
    assert [m.content for m in trigger_queues[1].peek_messages()] == [order("order-1")]


def test_base64_outputs_are_what_a_base64_reader_expects(trigger_queues, base64_producer):
    calls: list = []
    base64_producer.send_message("héllo <&>")
    with model(counting_app(calls), trigger_queues, Tracer()) as host:
        host.run(until=lambda: host.count(SUCCEEDED) == 1, timeout=60)
    assert calls == ["héllo <&>".encode()]
    reader = QueueClient.from_queue_url(trigger_queues[1].url,
                                        credential=trigger_queues[1].credential,
                                        message_decode_policy=TextBase64DecodePolicy())
    assert [m.content for m in reader.peek_messages()] == ["héllo <&>"]


def test_a_message_over_the_limit_is_poisoned_without_a_try(trigger_queues, base64_producer):
    calls: list = []
    base64_producer.send_message(order("order-crashed"))
    for _ in range(2):  # two deliveries whose worker "crashed": never settled
        message = next(iter(trigger_queues[0].receive_messages()))
        trigger_queues[0].update_message(message.id, message.pop_receipt, visibility_timeout=0)
    settings = queue_settings({"version": "2.0", "extensions": {"queues": {
        "maxDequeueCount": 2}}})
    with model(counting_app(calls), trigger_queues, Tracer(), settings=settings) as host:
        host.run(until=lambda: host.poisoned() == 1, timeout=60)
    assert calls == []
    assert [(i.dequeue_count, i.outcome) for i in host.invocations] == [(3, OVER_LIMIT)]


def test_the_host_polls_again_only_below_new_batch_threshold(trigger_queues, base64_producer):
    calls: list = []
    gate = threading.Event()
    settings = queue_settings({"version": "2.0", "extensions": {"queues": {
        "batchSize": 4, "newBatchThreshold": 1}}})
    for n in range(8):
        base64_producer.send_message(order(f"order-{n}"))
    tracer = Tracer(labeler=label)
    with model(counting_app(calls, gate), trigger_queues, tracer, settings=settings) as host:
        try:
            host.run(until=lambda: host.phase == "threshold" and len(calls) == 4, timeout=60)
            assert [len(e.messages) for e in receives(tracer)] == [4]
            assert host.in_flight == 4
        finally:
            gate.set()
        host.run(until=lambda: host.count(SUCCEEDED) == 8, timeout=60)
    assert host.peak_in_flight <= 4 + 1
    assert all(p.running <= 1 for p in wire_receives(tracer)), "never polled above the threshold"


def test_polling_waits_grow_while_empty_and_snap_back_after_a_message(
        trigger_queues, base64_producer):
    calls: list = []
    settings = queue_settings({"version": "2.0", "extensions": {"queues": {
        "maxPollingInterval": "00:00:02"}}})
    tracer = Tracer()
    with model(counting_app(calls), trigger_queues, tracer, settings=settings,
               speed=20) as host:
        host.run(polls=7, timeout=60)
        empty = [p.wait for p in host.polls]
        base64_producer.send_message("a message arrives")
        host.run(until=lambda: host.count(SUCCEEDED) == 1, timeout=60)
        host.run(polls=2, timeout=60)
    assert empty[0] == pytest.approx(0.1)
    assert all(b > a for a, b in zip(empty[:4], empty[1:5], strict=True))
    assert empty[-1] == 2.0, "capped at maxPollingInterval"
    after = [p.wait for p in host.polls[len(empty):]]
    assert after[0] == pytest.approx(0.1), "Learn: after a message the runtime waits 100 ms"
    assert 0.18 <= after[1] <= 0.22, "Learn: about 200 ms after the next, empty poll"
    polled = receives(tracer)
    gaps = [b.sent - a.answered for a, b in zip(polled[:-1], polled[1:], strict=True)]
    waits = [p.wait for p in host.polls]
    assert all(gap >= wait / 20 for gap, wait in zip(gaps, waits, strict=False))


def test_the_extension_s_source_polls_again_at_once_after_a_message(trigger_queues,
                                                                      base64_producer):
    calls: list = []
    base64_producer.send_message("a message")
    with model(counting_app(calls), trigger_queues, Tracer(), speed=20,
               after_message="source") as host:
        host.run(until=lambda: host.count(SUCCEEDED) == 1, timeout=60)
        host.run(polls=2, timeout=60)
    found = next(i for i, p in enumerate(host.polls) if p.received)
    assert host.polls[found].wait == 0.0, "CreateSucceededResult: no delay after a batch"
    assert host.polls[found + 1].wait == pytest.approx(0.1), "the 100 ms comes after it"
    with pytest.raises(ValueError, match="after_message must be 'learn'"):
        model(counting_app(calls), trigger_queues, Tracer(), after_message="at once")


def test_the_host_polls_again_the_moment_new_batch_threshold_is_reached(
        function_app, trigger_queues, base64_producer):
    """Judged from the wire: each receive left with at most newBatchThreshold running, and
    the second left when exactly batchSize - newBatchThreshold had been settled."""
    settings = queue_settings({"version": "2.0", "extensions": {"queues": {
        "batchSize": 6, "newBatchThreshold": 2}}})
    for n in range(8):
        base64_producer.send_message(order(f"order-{n}"))
    tracer = Tracer(labeler=label)
    orders, shipments, _ = trigger_queues
    partner = SlowDownstream()
    slow = calling_downstream(function_app.process_order, partner,
                              queue_name=orders.queue_name, output_name=shipments.queue_name)
    with model(slow, trigger_queues, tracer, settings=settings, speed=5) as host:
        partner.run(host, until=lambda: host.count(SUCCEEDED) == 8)
    polls = wire_receives(tracer)
    assert [(p.received, p.running) for p in polls if p.received] == [(6, 0), (2, 2)]
    assert all(p.running <= 2 for p in polls)
    first, second = [p for p in polls if p.received]
    settled = [e for e in tracer.exchanges if e.operation == "delete" and e.ok]
    assert sum(e.answered < second.sent for e in settled) == 6 - 2
    assert second.sent - first.answered >= 0.1 / 5, "Learn: 100 ms after a poll with messages"
    assert partner.peak == host.peak_in_flight == 6
    lower = batch_figure(tracer, 2, "the lesson's figure").axes[1]
    assert "receive 2: 2 running,\ngot 2" in [text.get_text() for text in lower.texts]


def test_the_model_wants_plain_clients_and_the_host_s_poison_name(function_app, lab,
                                                                     trigger_queues):
    orders, shipments, poison = trigger_queues
    encoded = QueueClient(lab.account_url, orders.queue_name, credential=lab.credential,
                          message_encode_policy=TextBase64EncodePolicy())
    with pytest.raises(ValueError, match="without encode or decode policies"):
        QueueTriggerModel(function_app.process_order, encoded, poison_queue=poison,
                          outputs={"shipments": shipments})
    with pytest.raises(ValueError, match="poison queue for"):
        QueueTriggerModel(function_app.process_order, orders, poison_queue=shipments,
                          outputs={"shipments": shipments})
    with pytest.raises(ValueError, match="outputs=\\{'shipments'"):
        QueueTriggerModel(function_app.process_order, orders, poison_queue=poison)
    with pytest.raises(TypeError, match="queue_trigger"):
        QueueTriggerModel(lambda msg: None, orders, poison_queue=poison)


def test_run_needs_a_condition_or_a_count_and_gives_up_in_time(function_app, trigger_queues):
    with model(function_app.process_order, trigger_queues, Tracer(), speed=50) as host:
        with pytest.raises(ValueError, match="until="):
            host.run()
        with pytest.raises(WaitTimeout, match="ran 0.5 s without the condition"):
            host.run(until=lambda: False, timeout=0.5)
