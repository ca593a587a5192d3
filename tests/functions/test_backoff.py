"""The host's randomized exponential back-off between polls of an empty queue."""

from __future__ import annotations

import random

import pytest

from labsupport.functions import Backoff


def waits(backoff: Backoff, found: list[bool]) -> list[float]:
    return [backoff.next_wait(f) for f in found]


def test_waits_grow_from_100_ms_to_the_maximum():
    backoff = Backoff(60.0, rng=random.Random(1))
    got = waits(backoff, [False] * 14)
    assert got[0] == pytest.approx(0.1)
    assert 0.18 <= got[1] <= 0.22, "about 200 ms after an empty poll"
    assert all(later > earlier for earlier, later in zip(got, got[1:11], strict=False))
    assert got[-3:] == [60.0, 60.0, 60.0]


@pytest.mark.parametrize("seed", range(20))
def test_each_step_stays_within_20_percent_of_doubling(seed):
    backoff = Backoff(1000.0, rng=random.Random(seed))
    backoff.next_wait(True)
    for k in range(1, 8):
        increment = backoff.next_wait(False) - 0.1
        assert 0.8 * 2 ** (k - 1) * 0.1 <= increment <= 1.2 * 2 ** (k - 1) * 0.1


def test_a_message_snaps_the_wait_back_to_the_minimum():
    backoff = Backoff(2.0, rng=random.Random(2))
    assert waits(backoff, [False] * 8)[-1] == 2.0
    assert backoff.next_wait(True) == pytest.approx(0.1)
    assert 0.18 <= backoff.next_wait(False) <= 0.22


def test_the_same_seed_gives_the_same_waits():
    assert (waits(Backoff(60, rng=random.Random(7)), [False] * 9)
            == waits(Backoff(60, rng=random.Random(7)), [False] * 9))


def test_the_maximum_may_not_be_below_the_minimum():
    with pytest.raises(ValueError):
        Backoff(0.05)
