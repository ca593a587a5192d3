"""Fidelity: the request counts lesson 10 teaches, pinned against Azurite.

A message costs one send, one delete and a share of a receive (up to 32 per request); no
batch send, no batch delete. These counts do not depend on speed, only on the SDK's calls.
"""

from __future__ import annotations

import asyncio

import pytest
from azure.storage.queue import QueueClient
from azure.storage.queue.aio import QueueClient as AsyncQueueClient

from labsupport.bench.throughput import (
    consume_async,
    consume_batched,
    consume_one_by_one,
    payloads,
    send_async,
    send_sync,
)
from labsupport.trace import RequestCounter


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
    send_sync(queue, payloads(64))
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
    assert len(consume_batched(queue)) == 64
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
            await send_async(client, payloads(64))
            sent = dict(counter.by_method)
            counter.reset()
            done = await consume_async(client)
            return sent, len(done), counter.by_method["DELETE"]

    sent, consumed, deletes = asyncio.run(scenario())
    assert (sent, consumed, deletes) == ({"POST": 64}, 64, 64)
