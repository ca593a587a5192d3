"""Checks for 10 · throughput and scale.

``check_fast_consumer`` judges what the learner's consumer did, from the requests recorded
on the wire (a :class:`~labsupport.wire.WireLog` in the hooks of the async ``QueueClient``
it hands over), never from how fast it ran: speed depends on the machine and its load, so
it is printed for information only.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections import Counter

from azure.storage.queue.aio import QueueClient as AsyncQueueClient

from ..throughput.modes import payloads, send_all
from ..wire import WireLog
from . import Result, report

CHECK_MESSAGES = 100
WARM = 20  # keep-alive connections opened before the learner's consumer runs
MAX_REQUESTS_PER_MESSAGE = 1.5
"""A delete per message and a share of a receive: pages of 32 cost about 1.03 (one by one:
2). The margin leaves room for several receivers, each ending on an empty page."""


async def _filled_queue(lab, credential, messages: int) -> tuple[AsyncQueueClient, list[str]]:
    """A fresh queue holding ``messages`` messages of 1 KiB, and their ids (from the wire)."""
    filling = WireLog("check")
    queue = AsyncQueueClient(lab.account_url, lab.new_queue_name("check-throughput"),
                             credential=credential, raw_response_hook=filling)
    await queue.create_queue()
    await send_all(queue, payloads(messages, "job"))
    ids = [m.id for e in filling.of("send") if e.ok for m in e.messages]
    return queue, ids


async def _run(consume, queue) -> tuple[float, BaseException | None]:
    started = time.perf_counter()
    try:
        outcome = consume(queue)
        if inspect.isawaitable(outcome):
            await outcome
    except Exception as error:  # the learner's code: report it, do not crash the check
        return time.perf_counter() - started, error
    return time.perf_counter() - started, None


async def check_fast_consumer(consume, lab, *, messages: int = CHECK_MESSAGES) -> Result:
    """10: ``consume(queue)`` empties a queue with few requests and concurrent deletes.

    ``consume`` is an ``async def`` (or plain) function taking an async ``QueueClient``
    (``azure.storage.queue.aio``) whose queue holds ``messages`` messages of 1 KiB. The
    client records every request (:class:`~labsupport.wire.WireLog`); the check passes when
    every message was deleted exactly once (one by one, not with ``clear_messages``), every
    receive asked for a page (``numofmessages`` > 1), more than one delete was in flight at
    some moment, and the consumer sent at most 1.5 requests per message. How long it took
    is printed for information; it is never judged. Use it with ``await``. The result
    carries ``seconds``, ``requests`` and ``deletes_in_flight`` (the most at once).
    """
    async with lab.async_credential() as credential:
        queue, ids = await _filled_queue(lab, credential, messages)
        log = WireLog("consumer")
        try:
            async with AsyncQueueClient(lab.account_url, queue.queue_name,
                                        credential=credential, **log.hooks) as watched:
                # open the connections a long-lived client would have
                await asyncio.gather(*(watched.get_queue_properties() for _ in range(WARM)))
                log.reset()
                seconds, error = await _run(consume, watched)
        finally:
            await queue.delete_queue()
            await queue.close()
    problems = judge(log, ids, error)
    result = report(problems, _success(log, ids, seconds))
    result.seconds = seconds
    result.requests = len(log.snapshot())
    result.deletes_in_flight = log.max_in_flight("delete")
    return result


def judge(log: WireLog, ids: list[str], error: BaseException | None = None) -> list[str]:
    """What is still wrong with a consumer, from the requests in ``log``; ``ids`` are the
    messages the queue held. Nothing here depends on how fast the requests went."""
    problems = []
    if error is not None:
        problems.append(f"your consumer raised {type(error).__name__}: {error}".splitlines()[0])
    exchanges = log.snapshot()
    if not exchanges:
        return problems + [
            f"no request went through the client the check gave you: receive and delete the "
            f"{len(ids)} messages through `queue`, the QueueClient passed to consume(queue)"]
    if log.of("clear"):
        problems.append("clear_messages() deletes every message, processed or not: delete "
                        "each message you received, one by one, after its work is done")
    deletes = log.of("delete")
    deleted = Counter(e.message_id for e in deletes if e.ok)
    never = sum(1 for message_id in ids if not deleted[message_id])
    if never and not log.of("clear"):
        problems.append(f"{never} of {len(ids)} messages were never deleted: receive every "
                        f"message and delete each one you received")
    # a refused delete (4xx): a second delete, or a stale pop receipt; a 5xx was retried
    failed = [e for e in deletes if e.status is not None and 400 <= e.status < 500]
    if failed:
        codes = ", ".join(f"{status} {code}".strip() for (status, code), n in sorted(
            Counter((e.status, e.error_code) for e in failed).items()))
        problems.append(f"{len(failed)} delete(s) failed ({codes}): delete each message once, "
                        f"with the pop receipt of the receive that returned it")
    receives = log.of("receive")
    singles = [e for e in receives if _asked_for(e) <= 1]
    if singles:
        problems.append(f"{len(singles)} of {len(receives)} receive request(s) asked for one "
                        f"message: ask for pages — receive_messages(max_messages=32, "
                        f"messages_per_page=32)")
    if len(deletes) > 1 and log.max_in_flight("delete") < 2:
        problems.append("your deletes went one after another, never two in flight at once: "
                        "delete a page's messages concurrently (asyncio.gather bounded by a "
                        "semaphore, or several workers)")
    per_message = len(exchanges) / max(len(ids), 1)
    if per_message > MAX_REQUESTS_PER_MESSAGE:
        problems.append(f"{len(exchanges)} requests for {len(ids)} messages ({per_message:.2f} "
                        f"per message): a message needs one delete and a share of a receive "
                        f"(a page of 32 serves 32), so aim for at most "
                        f"{MAX_REQUESTS_PER_MESSAGE:g}")
    return problems


def _asked_for(exchange) -> int:
    """How many messages a receive asked for (the service's default, 1, if it did not say)."""
    try:
        return int(exchange.query.get("numofmessages") or 1)
    except ValueError:
        return 1


def _success(log: WireLog, ids: list[str], seconds: float) -> str:
    page = max((_asked_for(e) for e in log.of("receive")), default=0)
    rate = len(ids) / seconds if seconds > 0 else float("inf")
    return (f"all {len(ids)} messages deleted exactly once; every receive asked for a page "
            f"(up to {page}); deletes were in flight concurrently.\n"
            f"   For information, not judged: {len(ids)} messages in ≈ {seconds:.2f} s, "
            f"≈ {rate:,.0f} messages/s (it depends on the machine and its load).")
