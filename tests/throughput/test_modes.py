"""Lesson 10's modes (labsupport.throughput.modes): the request counts it teaches, pinned
against Azurite, and every message sent received and deleted exactly once.

A message costs one send, one delete and a share of a receive (up to 32 per request); no
batch send, no batch delete. These counts do not depend on speed, only on the SDK's calls.
"""

from __future__ import annotations

import asyncio

import pytest
from azure.storage.queue import QueueClient
from azure.storage.queue.aio import QueueClient as AsyncQueueClient

from labsupport.throughput.modes import (
    consume_concurrently,
    consume_one_by_one,
    consume_pages,
    payloads,
    send_all,
    send_one_at_a_time,
)
from labsupport.wire import RequestCounter


@pytest.fixture
def counted(lab):
    counter = RequestCounter()
    queue = QueueClient(lab.account_url, lab.new_queue_name("fidelity-requests"),
                        credential=lab.credential, raw_response_hook=counter)
    queue.create_queue()
    counter.reset()
    yield queue, counter
    queue.delete_queue()


def fill(queue, count):
    for message in payloads(count):
        queue.send_message(message)


def test_each_send_is_one_post(counted):
    queue, counter = counted
    send_one_at_a_time(queue, payloads(64))
    assert dict(counter.by_method) == {"POST": 64}


def test_one_by_one_costs_a_get_and_a_delete_per_message_plus_the_empty_get(counted):
    queue, counter = counted
    fill(queue, 64)
    counter.reset()
    assert len(consume_one_by_one(queue)) == 64
    assert dict(counter.by_method) == {"GET": 65, "DELETE": 64}


def test_pages_of_32_cost_one_get_per_page_but_still_a_delete_per_message(counted):
    queue, counter = counted
    fill(queue, 64)
    counter.reset()
    assert len(consume_pages(queue)) == 64
    assert dict(counter.by_method) == {"GET": 3, "DELETE": 64}


def test_max_messages_without_messages_per_page_is_one_get_per_message(counted):
    queue, counter = counted
    fill(queue, 32)
    counter.reset()
    assert len(list(queue.receive_messages(max_messages=32))) == 32
    assert dict(counter.by_method) == {"GET": 32}


def test_async_modes_make_the_same_requests(lab, counted):
    queue, _ = counted
    counter = RequestCounter()

    async def scenario():
        async with lab.async_credential() as credential, AsyncQueueClient(
                lab.account_url, queue.queue_name, credential=credential,
                raw_response_hook=counter) as client:
            await send_all(client, payloads(64))
            sent = dict(counter.by_method)
            counter.reset()
            done = await consume_concurrently(client)
            return sent, len(done), counter.by_method["DELETE"]

    sent, consumed, deletes = asyncio.run(scenario())
    assert (sent, consumed, deletes) == ({"POST": 64}, 64, 64)


def test_payloads_are_distinct_and_exactly_one_kib():
    messages = payloads(300, "t")
    assert len(set(messages)) == 300
    assert {len(m.encode()) for m in messages} == {1024}


def test_each_consumer_returns_every_message_once_and_empties_the_queue(lab, counted):
    queue, _ = counted
    for consume in (consume_one_by_one, consume_pages):
        sent = payloads(70, consume.__name__)   # two full pages and a partial one
        fill_with(queue, sent)
        assert sorted(consume(queue)) == sorted(sent)
        assert queue.peek_messages(max_messages=32) == []

    async def concurrently():
        async with lab.async_credential() as credential, AsyncQueueClient(
                lab.account_url, queue.queue_name, credential=credential) as client:
            return await consume_concurrently(client, receivers=3, deletes_in_flight=5)

    sent = payloads(70, "concurrently")
    fill_with(queue, sent)
    assert sorted(asyncio.run(concurrently())) == sorted(sent)
    assert queue.peek_messages(max_messages=32) == []


def fill_with(queue, messages):
    for message in messages:
        queue.send_message(message)
