"""Check for 10: a consumer must delete every message, a multiple of the naive rate.

The speed part is tested with a fixed naive time (no assertion depends on this machine's
speed); the correctness part runs for real against the local cloud.
"""

from __future__ import annotations

import asyncio

import pytest
from azure.storage.queue import QueueServiceClient
from azure.storage.queue.aio import QueueClient as AsyncQueueClient

from labsupport.bench.throughput import consume_async
from labsupport.checks import throughput as check_module
from labsupport.checks.throughput import check_fast_consumer


def run_check(consume, lab, **options):
    return asyncio.run(check_fast_consumer(consume, lab, messages=40, **options))


@pytest.fixture
def naive_takes(monkeypatch):
    """Pretend the naive consumer took this many seconds (and count how often it ran)."""
    calls = []

    def set_seconds(seconds: float):
        async def fake(lab, credential, messages):
            calls.append(messages)
            return seconds
        monkeypatch.setattr(check_module, "_naive_seconds", fake)
        return calls
    return set_seconds


def test_a_consumer_faster_than_the_multiple_passes(lab, naive_takes, capsys):
    naive_takes(3600.0)
    result = run_check(consume_async, lab)
    assert result
    assert capsys.readouterr().out == (
        "✅ all 40 messages deleted, at least 1.5× as fast as the one-by-one consumer.\n")


def test_a_correct_but_slow_consumer_is_told_how_to_speed_up_after_two_attempts(
        lab, naive_takes, capsys):
    calls = naive_takes(0.0001)
    result = run_check(consume_async, lab)
    assert not result
    assert calls == [40, 40]
    assert result.problems == [
        "every message was deleted, but not yet 1.5× as fast as one by one: take pages of 32 "
        "(max_messages=32, messages_per_page=32) and delete each page concurrently with "
        "asyncio.gather (several receivers help too)"]


def test_a_consumer_that_does_nothing_is_told_what_is_left_without_timing(lab, naive_takes):
    calls = naive_takes(3600.0)

    async def nothing(queue):
        pass

    result = run_check(nothing, lab)
    assert result.problems == ["40 message(s) still in the queue: receive every message and "
                               "delete each one you received"]
    assert calls == []


def test_a_consumer_that_raises_is_reported(lab, naive_takes):
    naive_takes(3600.0)

    async def broken(queue):
        raise ValueError("boom")

    assert run_check(broken, lab).problems[0] == "your consumer raised ValueError: boom"


def test_clearing_the_queue_is_not_consuming(lab, naive_takes):
    naive_takes(3600.0)

    async def clear(queue):
        await queue.clear_messages()

    assert run_check(clear, lab).problems == [
        "only 0 of 40 messages were deleted one by one: delete each message you received "
        "(clear_messages would also delete messages nobody processed)"]


def test_a_plain_function_is_accepted_too(lab, naive_takes):
    naive_takes(3600.0)
    seen = []

    def sync_consumer(queue):
        seen.append(isinstance(queue, AsyncQueueClient))

    result = run_check(sync_consumer, lab)
    assert seen == [True]
    assert result.problems[0].startswith("40 message(s) still in the queue")


def test_the_check_leaves_no_queue_behind(lab, naive_takes):
    service = QueueServiceClient(lab.account_url, credential=lab.credential)
    naive_takes(3600.0)
    run_check(consume_async, lab)
    asyncio.run(check_module._naive_seconds(lab, None, 5))
    assert list(service.list_queues(name_starts_with="check-throughput-")) == []


def test_the_naive_consumer_closes_its_client(lab, monkeypatch):
    closed = []

    class Recording(check_module.QueueClient):
        def close(self):
            closed.append(self.queue_name)
            super().close()

        def __exit__(self, *exc_info):
            closed.append(self.queue_name)
            super().__exit__(*exc_info)

    monkeypatch.setattr(check_module, "QueueClient", Recording)
    async def naive():
        async with lab.async_credential() as credential:
            await check_module._naive_seconds(lab, credential, 3)

    asyncio.run(naive())
    assert len(closed) == 1, "the one-by-one consumer's client (a connection pool) was left open"
