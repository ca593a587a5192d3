"""Check for 10: judged from the wire (deleted exactly once, pages, concurrent deletes, requests
per message), never from speed. Wrong consumers are rejected for what they did; two different
right ones (a semaphore-bounded gather, a TaskGroup worker pool) pass.

Runs against the local cloud; no assertion depends on how fast this machine is.
"""

from __future__ import annotations

import asyncio
import itertools

from azure.storage.queue import QueueClient, QueueServiceClient

from labsupport.checks import throughput as check_module
from labsupport.checks.throughput import check_fast_consumer
from labsupport.throughput.modes import consume_concurrently

MESSAGES = 40
PAGES = "ask for pages — receive_messages(max_messages=32, messages_per_page=32)"
SEQUENTIAL = ("your deletes went one after another, never two in flight at once: delete a "
              "page's messages concurrently (asyncio.gather bounded by a semaphore, or several "
              "workers)")


def run_check(consume, lab):
    return asyncio.run(check_fast_consumer(consume, lab, messages=MESSAGES))


# --- right solutions ------------------------------------------------------------------------

def test_the_lessons_consumer_passes_and_its_speed_is_information(lab, capsys):
    result = run_check(consume_concurrently, lab)  # 4 receivers, gathered deletes
    out = capsys.readouterr().out
    assert result, result.problems
    assert out.startswith(f"✅ all {MESSAGES} messages deleted exactly once; every receive "
                          f"asked for a page (up to 32); deletes were in flight concurrently.\n"
                          f"   For information, not judged: {MESSAGES} messages in ≈ ")
    assert result.deletes_in_flight > 1
    assert result.requests <= 1.5 * MESSAGES


async def worker_pool(queue, workers=8):
    """A different right consumer: one receiver feeds an asyncio.Queue, a TaskGroup of
    workers deletes (no semaphore, no gather)."""
    work: asyncio.Queue = asyncio.Queue()

    async def worker():
        while (message := await work.get()) is not None:
            await queue.delete_message(message)

    async with asyncio.TaskGroup() as group:
        for _ in range(workers):
            group.create_task(worker())
        while True:
            page = [m async for m in queue.receive_messages(max_messages=16,
                                                             messages_per_page=16)]
            if not page:
                break
            for message in page:
                work.put_nowait(message)
        for _ in range(workers):
            work.put_nowait(None)


def test_a_taskgroup_worker_pool_passes_too(lab):
    result = run_check(worker_pool, lab)
    assert result, result.problems


def test_a_correct_consumer_passes_however_slow_the_clock_says_it_was(lab, monkeypatch):
    hours = itertools.count(0, 3600.0)  # every reading of the clock an hour later
    monkeypatch.setattr(check_module.time, "perf_counter", lambda: next(hours))
    result = run_check(consume_concurrently, lab)
    assert result, result.problems
    assert result.seconds == 3600.0


# --- wrong solutions ------------------------------------------------------------------------

async def one_by_one(queue):
    while (message := await queue.receive_message()) is not None:
        await queue.delete_message(message)


def test_the_one_by_one_consumer_is_rejected_for_what_it_did(lab, capsys):
    result = run_check(one_by_one, lab)
    assert not result
    assert result.problems == [
        f"{MESSAGES + 1} of {MESSAGES + 1} receive request(s) asked for one message: {PAGES}",
        SEQUENTIAL,
        f"{2 * MESSAGES + 1} requests for {MESSAGES} messages (2.02 per message): a message "
        f"needs one delete and a share of a receive (a page of 32 serves 32), so aim for at "
        f"most 1.5"]
    assert "For information" not in capsys.readouterr().out


async def paged_but_sequential(queue):
    while page := [m async for m in queue.receive_messages(max_messages=32,
                                                           messages_per_page=32)]:
        for message in page:
            await queue.delete_message(message)


def test_pages_with_deletes_one_after_another_are_rejected(lab):
    assert run_check(paged_but_sequential, lab).problems == [SEQUENTIAL]


async def pages_without_messages_per_page(queue):
    while page := [m async for m in queue.receive_messages(max_messages=32)]:
        await asyncio.gather(*(queue.delete_message(m) for m in page))


def test_max_messages_without_messages_per_page_is_named(lab):
    problems = run_check(pages_without_messages_per_page, lab).problems
    assert problems[0].endswith(f"receive request(s) asked for one message: {PAGES}")


def test_a_consumer_that_does_nothing_is_told_to_use_the_client_it_was_given(lab):
    async def nothing(queue):
        pass

    assert run_check(nothing, lab).problems == [
        f"no request went through the client the check gave you: receive and delete the "
        f"{MESSAGES} messages through `queue`, the QueueClient passed to consume(queue)"]


def test_a_consumer_with_a_client_of_its_own_is_not_judged_blind(lab):
    def own_client(queue):
        with QueueClient(lab.account_url, queue.queue_name, credential=lab.credential) as mine:
            for message in mine.receive_messages(max_messages=32, messages_per_page=32):
                mine.delete_message(message)

    assert run_check(own_client, lab).problems[0].startswith(
        "no request went through the client the check gave you")


def test_a_consumer_that_raises_is_reported(lab):
    async def broken(queue):
        raise ValueError("boom")

    assert run_check(broken, lab).problems[0] == "your consumer raised ValueError: boom"


def test_clearing_the_queue_is_not_consuming(lab):
    async def clear(queue):
        await queue.clear_messages()

    assert run_check(clear, lab).problems == [
        "clear_messages() deletes every message, processed or not: delete each message you "
        "received, one by one, after its work is done"]


def test_a_consumer_that_skips_messages_is_told_how_many(lab):
    async def first_page_only(queue):
        page = [m async for m in queue.receive_messages(max_messages=32, messages_per_page=32)]
        await asyncio.gather(*(queue.delete_message(m) for m in page))

    assert run_check(first_page_only, lab).problems == [
        f"{MESSAGES - 32} of {MESSAGES} messages were never deleted: receive every message and "
        f"delete each one you received"]


def test_deleting_a_message_twice_shows_as_refused_deletes(lab):
    async def twice(queue):
        while page := [m async for m in queue.receive_messages(max_messages=32,
                                                               messages_per_page=32)]:
            await asyncio.gather(*(queue.delete_message(m) for m in page))
            await asyncio.gather(*(queue.delete_message(m) for m in page),
                                 return_exceptions=True)

    problems = run_check(twice, lab).problems
    # Azure answers 404 MessageNotFound for a deleted message; Azurite says the same here
    assert problems[0] == (f"{MESSAGES} delete(s) failed (404 MessageNotFound): delete each "
                           f"message once, with the pop receipt of the receive that returned it")
    # 80 deletes; receives: a page of 32, a page of 8 and the pager's request for the rest,
    # the empty page that ends the loop
    assert problems[1].startswith("84 requests for 40 messages (2.10 per message)")
    assert len(problems) == 2


def test_a_plain_function_gets_the_async_client_too(lab):
    seen = []

    def sync_consumer(queue):
        seen.append(type(queue).__module__)

    run_check(sync_consumer, lab)
    assert seen == ["azure.storage.queue.aio._queue_client_async"]


def test_the_check_leaves_no_queue_behind(lab):
    service = QueueServiceClient(lab.account_url, credential=lab.credential)
    run_check(consume_concurrently, lab)
    run_check(one_by_one, lab)
    assert list(service.list_queues(name_starts_with="check-throughput-")) == []
