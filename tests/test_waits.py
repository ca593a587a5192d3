"""Waiting helpers: poll a condition, give up with a clear error, never guess with sleep."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from labsupport.waits import (
    WaitTimeout,
    wait_for,
    wait_until_empty,
    wait_until_expired,
    wait_until_gone,
    wait_until_visible,
)


class ChangingQueue:
    """A stand-in whose peek returns one snapshot per call (the last one repeats)."""

    def __init__(self, *snapshots):
        self.snapshots = list(snapshots)
        self.peeks = 0

    def peek_messages(self, max_messages=1):
        self.peeks += 1
        snapshot = self.snapshots.pop(0) if len(self.snapshots) > 1 else self.snapshots[0]
        return [SimpleNamespace(id=f"id-{c}", content=c) for c in snapshot][:max_messages]


def test_wait_for_returns_the_first_truthy_value():
    answers = iter([None, 0, "ready"])
    assert wait_for(lambda: next(answers), what="it", interval=0.001) == "ready"


def test_wait_for_names_what_it_waited_for_when_it_gives_up():
    with pytest.raises(WaitTimeout, match=r"Gave up after 0.1 s waiting for the moon"):
        wait_for(lambda: False, what="the moon", timeout=0.1, interval=0.01)


def test_wait_for_refuses_a_non_positive_timeout():
    with pytest.raises(ValueError, match="must be positive"):
        wait_for(lambda: True, what="x", timeout=0)


def test_wait_until_visible_returns_the_peeked_message_once_it_appears():
    queue = ChangingQueue([], ["B"], ["B", "A"])
    assert wait_until_visible(queue, "A").content == "A"
    assert queue.peeks == 3


def test_wait_until_visible_matches_by_id_when_given_a_message():
    queue = ChangingQueue(["A"])
    assert wait_until_visible(queue, SimpleNamespace(id="id-A")).content == "A"


def test_wait_until_visible_rejects_a_target_it_cannot_match():
    with pytest.raises(TypeError, match="content"):
        wait_until_visible(ChangingQueue([]), 42)


def test_wait_until_visible_times_out_naming_the_message():
    with pytest.raises(WaitTimeout, match="message 'A' to become visible"):
        wait_until_visible(ChangingQueue(["B"]), "A", timeout=0.1)


def test_wait_until_gone_and_empty_wait_for_the_message_to_disappear():
    queue = ChangingQueue(["A", "B"], ["B"], [])
    wait_until_gone(queue, "A")
    assert queue.peeks == 2
    wait_until_empty(queue)
    assert queue.peeks == 3


def receipt(inserted_ago: float, ttl: float):
    now = datetime.now(UTC)
    inserted = now - timedelta(seconds=inserted_ago)
    return SimpleNamespace(inserted_on=inserted, expires_on=inserted + timedelta(seconds=ttl))


def test_wait_until_expired_allows_a_second_for_rounding():
    wait_until_expired(receipt(inserted_ago=11.1, ttl=10))  # returns at once
    with pytest.raises(WaitTimeout, match="time to live"):
        wait_until_expired(receipt(inserted_ago=10.0, ttl=10), timeout=0.2)  # up to 1 s more


def test_wait_until_expired_waits_at_most_the_time_to_live_from_now():
    # expires_on + 1 s is 1.1 s away, but a message inserted before now expires in 0.1 s
    wait_until_expired(receipt(inserted_ago=0, ttl=0.1), timeout=0.9)


def test_wait_until_expired_needs_the_times_of_a_message():
    with pytest.raises(TypeError, match="expires_on"):
        wait_until_expired(object())
