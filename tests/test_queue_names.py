"""One queue-name rule for the lessons' side: the lab's fresh names and the queue API's
setting both follow :mod:`labsupport.queue_names`, and nothing else writes the rule."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from labsupport.api.settings import valid_queue_name
from labsupport.errors import ConfigError, LabError
from labsupport.lab import queue_name_for
from labsupport.queue_names import MAX_LENGTH, is_queue_name

LABSUPPORT = Path(__file__).resolve().parents[1] / "labsupport"

NAMES = {
    "abc": True, "orders": True, "send-peek-receive": True, "a1-b2-c3": True, "123": True,
    "a" * MAX_LENGTH: True, "a" * (MAX_LENGTH + 1): False,
    "ab": False, "": False, "Orders": False, "or_ders": False, "or.ders": False,
    "-orders": False, "orders-": False, "or--ders": False, "orders\n": False, " orders": False,
    "ordérs": False,
}


@pytest.mark.parametrize("name, valid", NAMES.items(), ids=repr)
def test_the_rule(name, valid):
    assert is_queue_name(name) is valid


def test_what_is_not_text_is_not_a_name():
    assert not is_queue_name(None) and not is_queue_name(b"orders")


@pytest.mark.parametrize("name, valid", NAMES.items(), ids=repr)
def test_the_queue_api_follows_the_rule(name, valid):
    if valid:
        assert valid_queue_name(name) == name
    else:
        with pytest.raises(ConfigError, match="is not a valid queue name: use 3-63 lowercase"):
            valid_queue_name(name)


@pytest.mark.parametrize("topic", ["a", "send-peek-receive", "x" * 56, "x" * 57, "-a", "a-",
                                   "a--b", "Send", "", "abc\n", "a_b"], ids=repr)
def test_fresh_names_follow_the_rule(topic):
    """A topic is good exactly when ``<topic>-<6 hex digits>`` is a queue name."""
    if is_queue_name(f"{topic}-abc123"):
        name = queue_name_for(topic)
        assert re.fullmatch(re.escape(topic) + r"-[0-9a-f]{6}", name) and is_queue_name(name)
    else:
        with pytest.raises(LabError, match="cannot start a queue name: use up to 56 lowercase "
                                           "letters, digits and single hyphens"):
            queue_name_for(topic)


def test_one_home_for_the_rule():
    """No other module on the lessons' side writes a queue-name pattern of its own (the
    local cloud keeps its own check, as the service it emulates does)."""
    shape = re.compile(r"\((?:\?:)?-\[a-z0-9\]\+\)\*|-\(\?!-\)")  # single hyphens between runs
    home = LABSUPPORT / "queue_names.py"
    found = [p.relative_to(LABSUPPORT).as_posix() for p in sorted(LABSUPPORT.rglob("*.py"))
             if p != home and "localcloud" not in p.parts
             and shape.search(p.read_text(encoding="utf-8"))]
    assert found == []
    assert shape.search(home.read_text(encoding="utf-8"))


def test_the_poison_pattern_keeps_the_same_length():
    """Patterns may import only the standard library, the SDKs, pydantic and each other, so
    the poison pattern writes the length itself: it must be this rule's."""
    from labsupport.patterns.poison import MAX_QUEUE_NAME, poison_queue_name

    assert MAX_QUEUE_NAME == MAX_LENGTH
    assert is_queue_name(poison_queue_name("a" * (MAX_LENGTH - len("-poison"))))
    with pytest.raises(ValueError, match="longer than 63 characters"):
        poison_queue_name("a" * (MAX_LENGTH - len("-poison") + 1))
