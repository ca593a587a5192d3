"""Tracing: the Tracer hands out real QueueClients and records what crossed the wire."""

from __future__ import annotations

import asyncio

import pytest
from azure.core.exceptions import HttpResponseError
from azure.core.paging import ItemPaged
from azure.storage.queue import (
    QueueClient,
    QueueSasPermissions,
    TextBase64DecodePolicy,
    TextBase64EncodePolicy,
    generate_queue_sas,
)
from azure.storage.queue.aio import QueueClient as AsyncQueueClient

from labsupport.trace import Tracer, describe_error, describe_failure
from labsupport.waits import wait_until_expired


def http_error(status, code):
    error = HttpResponseError(message="boom")
    error.status_code, error.error_code = status, code
    return error


def test_describe_error_names_stale_receipts_expiry_and_other_errors():
    assert describe_error(http_error(400, "PopReceiptMismatch")) == (
        "stale pop receipt (400 PopReceiptMismatch)")
    assert describe_error(http_error(404, "MessageNotFound")) == (
        "stale pop receipt (404 MessageNotFound)")
    assert describe_error(http_error(404, "MessageNotFound"), expired=True) == (
        "expired (404 MessageNotFound)")
    assert describe_error(http_error(409, "QueueBeingDeleted")) == "error (409 QueueBeingDeleted)"
    assert describe_error(ValueError("x")) == "error (ValueError)"
    assert describe_failure(None, "") == "error (no answer)"


def test_a_traced_client_is_the_sdks_own_client_and_pager(queue):
    tracer = Tracer()
    consumer = tracer.client(queue, "consumer")
    assert type(consumer) is QueueClient
    assert (consumer.queue_name, consumer.url) == (queue.queue_name, queue.url)
    pager = consumer.receive_messages(max_messages=1, messages_per_page=1)
    assert isinstance(pager, ItemPaged)
    assert not hasattr(pager, "__len__")     # what the SDK returns, lazy: no len(), no [0]


def test_a_traced_scenario_gives_a_table_without_times_ids_or_pop_receipts(queue):
    tracer = Tracer()
    producer, consumer = tracer.client(queue, "producer"), tracer.client(queue, "consumer-1")
    sent = producer.send_message("A")
    producer.send_message("B", visibility_timeout=5)
    first = consumer.receive_message(visibility_timeout=10)
    consumer.update_message(first, visibility_timeout=0)      # give the lease back
    for again in consumer.receive_messages(max_messages=1, messages_per_page=1,
                                           visibility_timeout=10):
        consumer.delete_message(again)
    table = tracer.table()
    assert list(table.columns) == ["actor", "operation", "message", "dequeue count",
                                   "visible from", "outcome"]
    assert table.values.tolist() == [
        ["producer", "send", "A", "", "now", "ok"],
        ["producer", "send", "B", "", "+5 s", "ok"],
        ["consumer-1", "receive", "A", 1, "+10 s", "ok"],
        ["consumer-1", "update", "A", "", "now", "ok"],
        ["consumer-1", "receive", "A", 2, "+10 s", "ok"],
        ["consumer-1", "delete", "A", "", "", "ok"],
    ]
    text = table.to_string() + table.to_html()
    assert sent.id not in text and first.pop_receipt not in text
    assert list(tracer.frame().columns) == ["t", "actor", "operation", "message", "dequeue_count",
                                            "lease", "visible_at", "expires_at", "outcome"]
    assert {e.message_id for e in tracer.events if e.message == "A"} == {sent.id}


def test_events_come_from_the_wire_with_the_services_ids_and_times(queue):
    tracer = Tracer()
    producer, consumer = tracer.client(queue, "producer"), tracer.client(queue, "consumer")
    sent = producer.send_message("A", time_to_live=60)
    received = consumer.receive_message(visibility_timeout=10)
    send, receive = tracer.events
    assert (send.message_id, receive.message_id) == (sent.id, sent.id)
    assert receive.next_visible_on == received.next_visible_on
    assert send.expires_at == pytest.approx(send.t + 60)
    operations = [(e.actor, e.operation, e.status) for e in tracer.exchanges]
    assert operations == [("producer", "send", 201), ("consumer", "receive", 200)]
    assert tracer.exchanges[1].query == {"numofmessages": "1", "visibilitytimeout": "10"}


def test_peeks_and_queue_calls_are_requests_but_not_message_events(queue):
    tracer = Tracer()
    watcher = tracer.client(queue, "watcher")
    watcher.send_message("A")
    list(watcher.peek_messages(max_messages=32))
    watcher.get_queue_properties()
    assert [e.operation for e in tracer.events] == ["send"]
    assert [e.operation for e in tracer.exchanges] == ["send", "peek", "properties"]
    assert repr(tracer.requests()) == "3 request(s) (GET 2, POST 1)"


def test_story_and_processing_order_describe_each_message(queue):
    tracer = Tracer()
    producer, c1, c2 = (tracer.client(queue, a) for a in ("producer", "consumer-1", "consumer-2"))
    for label in "AB":
        producer.send_message(label)
    a = c1.receive_message(visibility_timeout=10)
    b = c2.receive_message(visibility_timeout=10)
    c2.delete_message(b)
    c1.update_message(a, visibility_timeout=0)
    a2 = c2.receive_message(visibility_timeout=10)
    with pytest.raises(HttpResponseError):
        c1.delete_message(a)
    c2.delete_message(a2)
    assert tracer.processed() == ["B", "A"]
    assert tracer.story() == [
        "A: sent by producer → received by consumer-1 (dequeue 1) → lease given back by "
        "consumer-1 → redelivered to consumer-2 (dequeue 2) → delete by consumer-1 failed: "
        "stale pop receipt (400 PopReceiptMismatch) → deleted by consumer-2",
        "B: sent by producer → received by consumer-2 (dequeue 1) → deleted by consumer-2",
    ]


def test_a_delete_after_the_time_to_live_is_recorded_as_expired(queue):
    tracer = Tracer()
    consumer = tracer.client(queue, "consumer")
    sent = consumer.send_message("report", time_to_live=2)
    message = consumer.receive_message(visibility_timeout=10)
    wait_until_expired(sent)
    with pytest.raises(HttpResponseError):
        consumer.delete_message(message)
    assert tracer.events[-1].outcome == "expired (404 MessageNotFound)"


def test_expiry_of_a_message_sent_untraced_comes_from_the_services_clock(queue):
    tracer = Tracer()
    consumer = tracer.client(queue, "consumer")
    sent = queue.send_message("report", time_to_live=2)   # not traced
    message = consumer.receive_message(visibility_timeout=10)
    wait_until_expired(sent)
    with pytest.raises(HttpResponseError):
        consumer.delete_message(message)
    assert tracer.events[-1].outcome == "expired (404 MessageNotFound)"


def test_labels_come_from_the_labeler_and_survive_a_labeler_that_fails(queue):
    tracer = Tracer(labeler=lambda content: content.split(":")[1].upper())
    client = tracer.client(queue, "p")
    client.send_message("order:x1")
    queue.send_message("no colon here")     # not traced: labelled by its text on receive
    received = list(client.receive_messages(max_messages=2, messages_per_page=2,
                                            visibility_timeout=10))
    assert [tracer.label(m) for m in received] == ["X1", "no colon here"]
    tracer.record("p", "crash", "X1")
    assert tracer.messages() == ["X1", "no colon here"]
    assert tracer.events[-1].operation == "crash"


def test_a_failed_send_is_recorded_and_raised(queue):
    tracer = Tracer()
    client = tracer.client(queue, "producer")
    with pytest.raises(HttpResponseError):
        client.send_message("x", visibility_timeout=10, time_to_live=5)
    assert tracer.table().values.tolist() == [
        ["producer", "send", "x", "", "", "error (400 InvalidQueryParameterValue)"]]


def test_the_story_says_when_a_time_to_live_ran_out_before_a_delete():
    tracer = Tracer(clock=iter([0.0, 100.0]).__next__)  # started at 0, the story is told at 100
    r = tracer.record
    r("producer", "send", "gone", t=0.0, expires_at=0.5)
    r("producer", "send", "kept", t=0.1, expires_at=9999.0)
    r("producer", "send", "done", t=0.2, expires_at=0.6)
    r("consumer", "receive", "gone", t=0.3, dequeue_count=1, lease=10, visible_at=10.3)
    r("consumer", "delete", "gone", t=0.7, outcome="expired (404 MessageNotFound)")
    r("consumer", "delete", "done", t=0.4)
    assert tracer.story() == [
        "gone: sent by producer → received by consumer (dequeue 1) → expired (time to live) → "
        "delete by consumer failed: expired (404 MessageNotFound)",
        "kept: sent by producer",
        "done: sent by producer → deleted by consumer",
    ]


def test_a_send_to_another_queue_can_be_named_for_the_story(queue, lab):
    tracer = Tracer()
    worker = tracer.client(queue, "worker")
    other = QueueClient(lab.account_url, lab.new_queue_name("trace-copy"),
                        credential=lab.credential)
    other.create_queue()
    try:
        copier = tracer.client(other, "worker", send_as="copy to poison")
        worker.send_message("bad")
        message = worker.receive_message(visibility_timeout=10)
        copier.send_message(message.content, time_to_live=-1)
        worker.delete_message(message)
    finally:
        other.delete_queue()
    assert tracer.story() == [
        "bad: sent by worker → received by worker (dequeue 1) → copy to poison (worker) → "
        "deleted by worker"]


def test_a_traced_client_keeps_the_queues_encoding(queue, lab):
    encoded = QueueClient(lab.account_url, queue.queue_name, credential=lab.credential,
                          message_encode_policy=TextBase64EncodePolicy(),
                          message_decode_policy=TextBase64DecodePolicy())
    tracer = Tracer()
    client = tracer.client(encoded, "producer")
    client.send_message("héllo")
    assert [m.content for m in queue.peek_messages()] == ["aMOpbGxv"]   # base64 on the wire
    assert client.receive_message().content == "héllo"


def test_a_sas_client_stays_a_sas_client(queue, lab):
    sas = generate_queue_sas(lab.account_name, queue.queue_name, lab.account_key(),
                             permission=QueueSasPermissions(add=True), expiry=_soon())
    producer = QueueClient(lab.account_url, queue.queue_name, credential=sas)
    tracer = Tracer()
    traced = tracer.client(producer, "producer")
    traced.send_message("with a SAS")
    with pytest.raises(HttpResponseError):
        traced.peek_messages()          # the SAS allows add only
    assert [(e.operation, e.status) for e in tracer.exchanges] == [("send", 201), ("peek", 403)]
    assert all("sig" not in e.query for e in tracer.exchanges)


def test_an_async_client_is_traced_as_an_async_client(queue, lab):
    tracer = Tracer()

    async def scenario():
        async with lab.async_credential() as credential:
            plain = AsyncQueueClient(lab.account_url, queue.queue_name, credential=credential)
            async with tracer.client(plain, "async-producer") as producer:
                assert type(producer) is AsyncQueueClient
                await asyncio.gather(*(producer.send_message(f"m{n}") for n in range(4)))
            await plain.close()

    asyncio.run(scenario())
    assert sorted(tracer.messages()) == ["m0", "m1", "m2", "m3"]


def _soon():
    from datetime import UTC, datetime, timedelta

    return datetime.now(UTC) + timedelta(minutes=5)
