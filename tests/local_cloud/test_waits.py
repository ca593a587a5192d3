"""The local cloud's one waiting loop (localcloud/waits.py)."""

from __future__ import annotations

import pytest

from localcloud.waits import wait_for


def test_it_returns_the_first_true_answer():
    answers = iter([None, False, 0, "ready", "later"])
    assert wait_for(lambda: next(answers), timeout=60, interval=0) == "ready"
    assert next(answers) == "later", "it stopped asking once answered"


def test_with_no_time_left_it_asks_once_and_gives_up():
    asked = []
    assert wait_for(lambda: asked.append(1), timeout=0) is None
    assert asked == [1]


def test_what_the_question_raises_ends_the_wait():
    def broken():
        raise LookupError("gone")

    with pytest.raises(LookupError):
        wait_for(broken, timeout=60)
