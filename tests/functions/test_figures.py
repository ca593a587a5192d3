"""Lesson 11's figures: what they compute from the wire, and what they draw.

The traffic is written by hand (exchanges and events with fixed times), so each test
knows the answer; the drawn figure is read back from its artists, never from pixels.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from matplotlib.lines import Line2D

from labsupport.functions.figures import (
    batch_figure,
    polling_figure,
    receives,
    running_curve,
    story_figure,
)
from labsupport.functions.listener import Poll
from labsupport.trace import Event
from labsupport.wire import Exchange, WireMessage


def exchange(operation, sent, *, status=200, messages=(), message_id=None, actor="host",
             code="", queue="orders"):
    return Exchange(actor=actor, sent=sent, answered=sent + 0.01, method="", path="",
                    query={}, queue=queue, operation=operation, status=status,
                    error_code=code, message_id=message_id,
                    messages=tuple(WireMessage(id=m) for m in messages))


def batch_traffic(batch: int, threshold: int):
    """A receive of ``batch``; the host polls again when ``threshold`` still run; then 2."""
    first = [f"m{i}" for i in range(batch)]
    exchanges = [exchange("receive", 0.0, messages=first)]
    t = 0.1
    for message in first[:batch - threshold]:
        exchanges.append(exchange("delete", t, status=204, message_id=message))
        t += 0.05
    exchanges.append(exchange("receive", t, messages=["late-1", "late-2"]))
    for message in [*first[batch - threshold:], "late-1", "late-2"]:
        t += 0.05
        exchanges.append(exchange("delete", t, status=204, message_id=message))
    exchanges.append(exchange("receive", t + 0.05))
    events = [Event(t=e.sent, actor="host", operation=e.operation, message=m.id,
                    dequeue_count=1, lease=600)
              for e in exchanges if e.operation == "receive" for m in e.messages]
    events += [Event(t=e.sent, actor="host", operation="delete", message=e.message_id)
               for e in exchanges if e.operation == "delete"]
    return SimpleNamespace(exchanges=exchanges, events=sorted(events, key=lambda e: e.t))


def test_receives_count_what_still_ran_when_each_left():
    traffic = batch_traffic(16, 8)
    found = [(r.received, r.running) for r in receives(traffic)]
    assert found == [(16, 0), (2, 8), (0, 0)]


def test_a_failed_delete_does_not_settle_and_a_give_back_does():
    traffic = SimpleNamespace(events=[], exchanges=[
        exchange("receive", 0.0, messages=["a", "b"]),
        exchange("delete", 0.1, status=404, code="MessageNotFound", message_id="a"),
        exchange("update", 0.2, status=204, message_id="b"),
        exchange("receive", 0.3),
        exchange("receive", 0.31, actor="someone else", messages=["c"]),
    ])
    assert [r.running for r in receives(traffic)] == [0, 1]


def test_the_batch_figure_draws_the_count_the_threshold_and_the_receives():
    traffic = batch_traffic(16, 8)
    figure = batch_figure(traffic, 8, "a batch")
    top, bottom = figure.axes
    assert top.get_title() == "a batch"
    step = next(line for line in bottom.lines if line.get_label() == "invocations running")
    times, counts = running_curve(traffic)
    second = receives(traffic)[1]
    xs, ys = step.get_xdata(), step.get_ydata()
    at_second = max(i for i, x in enumerate(xs) if x <= second.sent)
    assert ys[at_second] == 8 == second.running
    assert max(ys) == 16
    threshold = next(line for line in bottom.lines if line.get_label() == "newBatchThreshold = 8")
    assert set(threshold.get_ydata()) == {8}
    notes = [t.get_text() for t in bottom.texts]
    assert "receive 2: 8 running,\ngot 2" in notes
    assert times == sorted(times) and counts[-1] == 0


@pytest.fixture
def poison_story():
    r = [
        Event(0.0, "producer", "send", "order-42"),
        Event(0.1, "host", "receive", "order-42", dequeue_count=1, lease=600),
        Event(0.2, "host", "copy to poison", "order-42", outcome="error (404 QueueNotFound)"),
        Event(0.4, "host", "copy to poison", "order-42"),
        Event(0.5, "host", "delete", "order-42"),
        Event(0.6, "host", "receive", "order-7", dequeue_count=2, lease=600),
        Event(0.7, "host", "delete", "order-7",
              outcome="stale pop receipt (404 MessageNotFound)"),
    ]
    created = exchange("create queue", 0.3, status=201, queue="orders-poison")
    return SimpleNamespace(events=r, exchanges=[created])


def legend_labels(ax) -> list[str]:
    return [text.get_text() for text in ax.get_legend().get_texts()]


def test_each_kind_of_event_has_its_own_legend_entry(poison_story):
    labels = legend_labels(story_figure(poison_story, "poison").axes[0])
    assert len(labels) == len(set(labels))
    assert "copy to poison failed: error (404 QueueNotFound)" in labels
    assert "delete failed: stale pop receipt (404 MessageNotFound)" in labels
    assert "poison queue created" in labels
    assert not [label for label in labels if "/" in label], "no entry covers two kinds"


def test_the_story_figure_puts_each_event_in_its_own_place(poison_story):
    ax = story_figure(poison_story, "poison").axes[0]
    points = [(x, y) for line in ax.lines if isinstance(line, Line2D)
              for x, y in zip(line.get_xdata(), line.get_ydata(), strict=True)]
    assert sorted(x for x, _ in points) == list(range(8)), "send … create … delete: 8 events"
    created = next(line for line in ax.lines if line.get_marker() == "s")
    assert list(created.get_xdata()) == [3.0], "the create comes between the two copies"


def test_the_polling_figure_shows_the_chosen_waits():
    polls = [Poll(1, 0, 0.1), Poll(2, 0, 0.21), Poll(3, 1, 0.1), Poll(4, 0, 0.2)]
    figure = polling_figure(polls, [0.02, 0.03, 0.02], 2.0, 8, "waits")
    ax = figure.axes[0]
    assert [bar.get_height() for bar in ax.patches] == [0.1, 0.21, 0.1, 0.2]
    assert [t.get_text() for t in ax.texts] == ["0.10", "0.21", "0.10", "0.20"]
    assert "maxPollingInterval = 2 s" in legend_labels(ax)
