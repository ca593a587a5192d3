"""The ways of sending and consuming that lesson 10 compares, as its cells write them.

Lesson 10 writes each of these functions in a cell the learner reads and runs; this module
is their tested copy, for the benchmark and the lesson's check. The two must stay the same
text: ``tests/throughput/test_notebook_modes.py`` compares every function here with its
cell, statement by statement (docstrings included).

Each takes the SDK's own ``QueueClient`` (sync, or ``azure.storage.queue.aio`` for the
``async`` ones). A consumer returns the contents of the messages it deleted, so a caller
can check that every message was deleted exactly once.
"""

from __future__ import annotations

import asyncio

MESSAGE_BYTES = 1024


def payloads(count: int, tag: str = "m") -> list[str]:
    """``count`` distinct messages of exactly 1 KiB (ASCII): ``<tag>-000001-xxx…``."""
    return [f"{tag}-{n:06d}-".ljust(MESSAGE_BYTES, "x") for n in range(count)]


def send_one_at_a_time(queue, messages):
    """Send each message and wait for its answer before sending the next."""
    for message in messages:
        queue.send_message(message)


async def send_all(queue, messages, concurrency=64):
    """Send every message, with at most `concurrency` requests in flight."""
    in_flight = asyncio.Semaphore(concurrency)

    async def send(message):
        async with in_flight:
            await queue.send_message(message)

    await asyncio.gather(*(send(message) for message in messages))


def consume_one_by_one(queue):
    """Receive one message, delete it, repeat until the queue is empty."""
    done = []
    while (message := queue.receive_message()) is not None:
        queue.delete_message(message)
        done.append(message.content)
    return done


def consume_pages(queue):
    """Receive pages of 32 (one request each) and delete each message, until a page is
    empty."""
    done = []
    while page := list(queue.receive_messages(max_messages=32, messages_per_page=32)):
        for message in page:
            queue.delete_message(message)
            done.append(message.content)
    return done


async def consume_concurrently(queue, receivers=4, deletes_in_flight=16):
    """`receivers` loops take pages of 32; each deletes its page concurrently, with at most
    `deletes_in_flight` deletes in flight across all of them."""
    done = []
    in_flight = asyncio.Semaphore(deletes_in_flight)

    async def delete(message):
        async with in_flight:
            await queue.delete_message(message)
        done.append(message.content)

    async def receiver():
        while page := [message async for message in queue.receive_messages(
                max_messages=32, messages_per_page=32)]:
            await asyncio.gather(*(delete(message) for message in page))

    await asyncio.gather(*(receiver() for _ in range(receivers)))
    return done


#: The functions lesson 10 writes in its cells (name -> function), for the agreement test.
LESSON_FUNCTIONS = {function.__name__: function for function in (
    send_one_at_a_time, send_all, consume_one_by_one, consume_pages, consume_concurrently)}
