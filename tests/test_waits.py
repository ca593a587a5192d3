"""Waiting helpers: poll a condition, give up with a clear error, never guess with sleep.

No test here measures elapsed time. A fake clock (which moves only when the wait sleeps)
shows how often a wait asks and until when it waits; against the service, the wire log
shows what a wait sends.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from azure.storage.queue import QueueClient

from labsupport.waits import (
    POLL_INTERVAL,
    WaitTimeout,
    wait_for,
    wait_until_empty,
    wait_until_expired,
    wait_until_gone,
    wait_until_visible,
)
from labsupport.wire import WireLog

INTERVAL_MS = round(POLL_INTERVAL * 1000)


class FakeClock:
    """Time passes only when the code under test sleeps (kept in whole milliseconds)."""

    def __init__(self):
        self.ms = 0
        self.naps = 0
        self.start = datetime(2026, 1, 1, tzinfo=UTC)

    def monotonic(self) -> float:
        return self.ms / 1000

    def sleep(self, seconds: float) -> None:
        self.naps += 1
        self.ms += round(seconds * 1000)

    def utcnow(self) -> datetime:
        return self.start + timedelta(milliseconds=self.ms)


class ChangingQueue:
    """A stand-in whose peek returns one snapshot per call (the last one repeats)."""

    def __init__(self, *snapshots):
        self.snapshots = list(snapshots)
        self.peeks = 0

    def peek_messages(self, max_messages=1):
        self.peeks += 1
        snapshot = self.snapshots.pop(0) if len(self.snapshots) > 1 else self.snapshots[0]
        return [SimpleNamespace(id=f"id-{c}", content=c) for c in snapshot][:max_messages]


@pytest.fixture
def clock():
    return FakeClock()


# --- wait_for ------------------------------------------------------------------------------

def test_wait_for_returns_the_first_truthy_value_after_one_nap_per_falsy_answer(clock):
    answers = iter([None, 0, "ready"])
    assert wait_for(lambda: next(answers), what="it", clock=clock) == "ready"
    assert clock.naps == 2
    assert clock.ms == 2 * INTERVAL_MS


def test_wait_for_asks_until_the_timeout_then_names_what_it_waited_for(clock):
    asked = []
    with pytest.raises(WaitTimeout, match=r"Gave up after 1 s waiting for the moon"):
        wait_for(lambda: asked.append(clock.ms), what="the moon", timeout=1, interval=0.25,
                 clock=clock)
    assert asked == [0, 250, 500, 750, 1000]  # asks once more at the deadline, then gives up


def test_wait_for_refuses_a_non_positive_timeout_or_interval():
    with pytest.raises(ValueError, match="must be positive"):
        wait_for(lambda: True, what="x", timeout=0)
    with pytest.raises(ValueError, match="must be positive"):
        wait_for(lambda: True, what="x", interval=-1)


# --- waiting on what a peek sees -------------------------------------------------------------

def test_wait_until_visible_returns_the_peeked_message_once_it_appears(clock):
    queue = ChangingQueue([], ["B"], ["B", "A"])
    assert wait_until_visible(queue, "A", clock=clock).content == "A"
    assert (queue.peeks, clock.naps) == (3, 2)


def test_wait_until_visible_matches_by_id_when_given_a_message(clock):
    queue = ChangingQueue(["A"])
    assert wait_until_visible(queue, SimpleNamespace(id="id-A"), clock=clock).content == "A"
    assert (queue.peeks, clock.naps) == (1, 0)


def test_wait_until_visible_rejects_a_target_it_cannot_match():
    with pytest.raises(TypeError, match="content"):
        wait_until_visible(ChangingQueue([]), 42)


def test_wait_until_visible_times_out_naming_the_message(clock):
    queue = ChangingQueue(["B"])
    with pytest.raises(WaitTimeout, match="message 'A' to become visible"):
        wait_until_visible(queue, "A", timeout=1, clock=clock)
    assert queue.peeks == 1000 // INTERVAL_MS + 1


def test_wait_until_gone_and_empty_wait_for_the_message_to_disappear(clock):
    queue = ChangingQueue(["A", "B"], ["B"], [])
    wait_until_gone(queue, "A", clock=clock)
    assert queue.peeks == 2
    wait_until_empty(queue, clock=clock)
    assert queue.peeks == 3


def test_waiting_on_the_service_only_peeks_so_the_dequeue_count_stays(lab, queue):
    queue.send_message("A")
    queue.receive_message(visibility_timeout=1)
    log = WireLog()
    watcher = QueueClient(lab.account_url, queue.queue_name, credential=lab.credential,
                          raw_response_hook=log)
    assert wait_until_visible(watcher, "A").dequeue_count == 1
    sent = {(e.method, e.operation, e.query.get("peekonly"), e.query.get("numofmessages"),
             e.status) for e in log.snapshot()}
    assert sent == {("GET", "peek", "true", "32", 200)}, "a wait must never receive (lease)"
    assert queue.receive_message(visibility_timeout=10).dequeue_count == 2


# --- waiting for a time to live, by the clock ------------------------------------------------

def sent(clock, *, inserted_ago: float, ttl: float):
    """A send receipt as the service reports it: times in whole seconds, rounded down."""
    inserted = clock.utcnow() - timedelta(seconds=inserted_ago)
    return SimpleNamespace(inserted_on=inserted, expires_on=inserted + timedelta(seconds=ttl))


def test_wait_until_expired_returns_at_once_when_the_second_for_rounding_is_over(clock):
    wait_until_expired(sent(clock, inserted_ago=11.1, ttl=10), clock=clock)
    assert clock.naps == 0


def test_wait_until_expired_allows_a_second_for_rounding(clock):
    wait_until_expired(sent(clock, inserted_ago=10, ttl=10), clock=clock)
    assert clock.ms == 1000  # expires_on (now) + 1 s, not a poll more


def test_wait_until_expired_waits_at_most_the_time_to_live_from_now(clock):
    # expires_on + 1 s is 1.1 s away, but a message inserted before now expires in 0.1 s
    wait_until_expired(sent(clock, inserted_ago=0, ttl=0.1), clock=clock)
    assert clock.ms == 100


def test_wait_until_expired_gives_up_after_its_timeout(clock):
    with pytest.raises(WaitTimeout, match="time to live"):
        wait_until_expired(sent(clock, inserted_ago=0, ttl=60), timeout=1, clock=clock)
    assert clock.ms == 1000


def test_wait_until_expired_needs_the_times_of_a_message():
    with pytest.raises(TypeError, match="expires_on"):
        wait_until_expired(object())
