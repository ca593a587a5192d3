"""Poison handling: retry, then move to <queue>-poison with the content intact."""

from __future__ import annotations

import pytest
from azure.storage.queue import QueueClient, TextBase64DecodePolicy, TextBase64EncodePolicy

from labsupport.patterns.poison import (
    DONE,
    LEASE_LOST,
    MAX_DEQUEUE_COUNT,
    POISONED,
    RETRY,
    poison_queue_name,
    process_or_poison,
)
from labsupport.waits import wait_until_visible


def fail(message):
    raise ValueError("cannot process")


def drain(queue, handler, poison, **options) -> list[tuple[int, str]]:
    """Receive one message at a time until the queue is empty: (dequeue count, outcome)."""
    outcomes = []
    while (message := queue.receive_message(visibility_timeout=10)) is not None:
        outcomes.append((message.dequeue_count,
                         process_or_poison(queue, message, handler, poison_queue=poison,
                                           **options)))
    return outcomes


def test_a_message_that_always_fails_is_tried_five_times_then_poisoned_intact(queues):
    queue, poison = queues
    queue.send_message('{"order_id": "order-13", "amount": "lots"}')
    outcomes = drain(queue, fail, poison)
    assert MAX_DEQUEUE_COUNT == 5
    assert outcomes == [(1, RETRY), (2, RETRY), (3, RETRY), (4, RETRY), (5, POISONED)]
    assert [m.content for m in poison.peek_messages(max_messages=32)] == [
        '{"order_id": "order-13", "amount": "lots"}']
    assert queue.get_queue_properties().approximate_message_count == 0


def test_a_good_message_is_handled_and_deleted(queues):
    queue, poison = queues
    queue.send_message("fine")
    handled = []
    assert drain(queue, lambda m: handled.append(m.content), poison) == [(1, DONE)]
    assert handled == ["fine"]
    assert poison.peek_messages(max_messages=32) == []


def test_a_message_already_past_the_threshold_is_poisoned_without_another_attempt(queues):
    queue, poison = queues
    queue.send_message("crashes its consumers")
    for _ in range(2):  # two consumers that died: the leases were given back, no failure noted
        queue.update_message(queue.receive_message(visibility_timeout=10), visibility_timeout=0)
    calls = []
    assert drain(queue, calls.append, poison, max_dequeue_count=2) == [(3, POISONED)]
    assert calls == []
    assert [m.content for m in poison.peek_messages()] == ["crashes its consumers"]


def test_a_lost_lease_is_reported_not_raised(queues):
    queue, poison = queues
    queue.send_message("slow")
    message = queue.receive_message(visibility_timeout=1)

    def too_slow(message):
        wait_until_visible(queue, "slow")
        queue.receive_message(visibility_timeout=10)  # another consumer takes it

    assert process_or_poison(queue, message, too_slow, poison_queue=poison) == LEASE_LOST


def test_poison_queue_name_follows_azure_functions_and_respects_the_length_limit():
    assert poison_queue_name("orders") == "orders-poison"
    with pytest.raises(ValueError, match="63 characters"):
        poison_queue_name("q" * 57)


def test_max_dequeue_count_must_be_positive(queues):
    queue, poison = queues
    with pytest.raises(ValueError, match="at least 1"):
        process_or_poison(queue, object(), fail, poison_queue=poison, max_dequeue_count=0)


def test_a_retry_leaves_the_message_as_the_producer_sent_it(lab, queues):
    """A consumer that only decodes (base64 from a Functions-style producer) must not
    rewrite the message: giving the lease back changes its visibility, not its text."""
    queue, poison = queues
    producer = QueueClient(lab.account_url, queue.queue_name, credential=lab.credential,
                           message_encode_policy=TextBase64EncodePolicy())
    consumer = QueueClient(lab.account_url, queue.queue_name, credential=lab.credential,
                           message_decode_policy=TextBase64DecodePolicy())
    producer.send_message("order-1")
    [sent] = queue.peek_messages()
    message = consumer.receive_message(visibility_timeout=10)
    assert process_or_poison(consumer, message, fail, poison_queue=poison) == RETRY
    [after] = queue.peek_messages()
    assert after.content == sent.content, "the retry re-sent the decoded text"
    assert consumer.receive_message().content == "order-1"
