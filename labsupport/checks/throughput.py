"""Checks for 10 · throughput and scale."""

from __future__ import annotations

import asyncio
import inspect
import time

from azure.storage.queue import QueueClient
from azure.storage.queue.aio import QueueClient as AsyncQueueClient

from ..bench.throughput import consume_one_by_one, payloads, send_async
from . import Result, report

CHECK_MESSAGES = 100
CHECK_MULTIPLE = 1.5  # a good consumer reaches 2-4x here; 1.5 leaves room for a busy machine
WARM = 20  # keep-alive connections opened before the learner's consumer is timed


class _DeleteCounter:
    """Counts the per-message Delete Message requests a client sends (not clear_messages)."""

    def __init__(self) -> None:
        self.deletes = 0

    def __call__(self, request) -> None:
        http = request.http_request
        if http.method == "DELETE" and "/messages/" in http.url:
            self.deletes += 1


async def _filled_queue(lab, credential, messages: int) -> AsyncQueueClient:
    name = lab.new_queue_name("check-throughput")
    queue = AsyncQueueClient(lab.account_url, name, credential=credential)
    await queue.create_queue()
    await send_async(queue, payloads(messages, "job"))
    return queue


async def _run(consume, queue) -> tuple[float, BaseException | None]:
    started = time.perf_counter()
    try:
        outcome = consume(queue)
        if inspect.isawaitable(outcome):
            await outcome
    except Exception as error:  # the learner's code: report it, do not crash the check
        return time.perf_counter() - started, error
    return time.perf_counter() - started, None


async def _naive_seconds(lab, credential, messages: int) -> float:
    filled = await _filled_queue(lab, credential, messages)
    try:
        with QueueClient(lab.account_url, filled.queue_name, credential=lab.credential) as queue:
            queue.get_queue_properties()  # open the connection before timing
            started = time.perf_counter()
            consume_one_by_one(queue)
            return time.perf_counter() - started
    finally:
        await filled.delete_queue()
        await filled.close()


async def check_fast_consumer(consume, lab, *, messages: int = CHECK_MESSAGES,
                              multiple: float = CHECK_MULTIPLE, attempts: int = 2) -> Result:
    """10: ``consume(queue)`` must delete every message, ``multiple`` × as fast as one by one.

    ``consume`` is an ``async def`` (or plain) function taking an async ``QueueClient``
    (``azure.storage.queue.aio``) whose queue holds ``messages`` messages of 1 KiB. The
    check times it against the naive consumer (``receive_message`` + ``delete_message``,
    one by one) on an identical queue, up to ``attempts`` times, since a busy machine can
    slow one run. Use it with ``await``. The result's ``speedup`` holds the best ratio.
    """
    async with lab.async_credential() as credential:
        return await _check_fast_consumer(consume, lab, credential, messages=messages,
                                          multiple=multiple, attempts=attempts)


async def _check_fast_consumer(consume, lab, credential, *, messages: int, multiple: float,
                               attempts: int) -> Result:
    problems: list[str] = []
    best = 0.0
    for _ in range(attempts):
        counter = _DeleteCounter()
        queue = await _filled_queue(lab, credential, messages)
        try:
            async with AsyncQueueClient(lab.account_url, queue.queue_name,
                                        credential=credential,
                                        raw_response_hook=counter) as watched:
                # open the connections a long-lived client would have, before timing
                await asyncio.gather(*(watched.get_queue_properties() for _ in range(WARM)))
                seconds, error = await _run(consume, watched)
            left = 0
            if await queue.peek_messages(max_messages=1):
                left = (await queue.get_queue_properties()).approximate_message_count
        finally:
            await queue.delete_queue()
            await queue.close()
        problems = _correctness(error, left, counter.deletes, messages)
        if problems:
            break
        best = max(best, await _naive_seconds(lab, credential, messages) / seconds)
        if best >= multiple:
            break
    else:
        problems.append(
            f"every message was deleted, but not yet {multiple:g}× as fast as one by one: "
            f"take pages of 32 (max_messages=32, messages_per_page=32) and delete each "
            f"page concurrently with asyncio.gather (several receivers help too)")
    result = report(problems, f"all {messages} messages deleted, at least {multiple:g}× as "
                              f"fast as the one-by-one consumer.")
    result.speedup = best
    return result


def _correctness(error: BaseException | None, left: int, deletes: int,
                 messages: int) -> list[str]:
    problems = []
    if error is not None:
        problems.append(f"your consumer raised {type(error).__name__}: {error}".splitlines()[0])
    if left:
        problems.append(f"{left} message(s) still in the queue: "
                        f"receive every message and delete each one you received")
    elif deletes < messages:
        problems.append(f"only {deletes} of {messages} messages were deleted one by one: "
                        f"delete each message you received (clear_messages would also "
                        f"delete messages nobody processed)")
    return problems
