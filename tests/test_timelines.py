"""Timelines: leases computed from a trace, a figure with one row per message, bare PNG.

Geometry is checked on the drawn figure (display coordinates and marker extents), never
by comparing pixels.
"""

from __future__ import annotations

import itertools

import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from labsupport import png, timelines
from labsupport.png import png_bytes, show_png
from labsupport.timelines import (
    ACTOR_COLOURS,
    MARKERS,
    TimeAxis,
    leases,
    timeline,
    timeline_figure,
)
from labsupport.trace import Tracer


def scripted() -> Tracer:
    """A B, C, A scenario recorded by hand (no queue), with fixed times: the story is told
    at 0.6 s (D delayed and leased, not yet expired), whatever the machine's speed."""
    tracer = Tracer(clock=Clock(0.6))
    r = tracer.record
    for t, label in ((0.0, "A"), (0.1, "B"), (0.2, "C")):
        r("producer", "send", label, t=t, visible_at=t, expires_at=t + 3.0)
    r("producer", "send", "D", t=0.25, lease=0.5, visible_at=0.75, expires_at=1.0)
    r("consumer-1", "receive", "A", t=0.3, dequeue_count=1, lease=1, visible_at=1.3)
    r("consumer-2", "receive", "B", t=0.4, dequeue_count=1, lease=5, visible_at=5.4)
    r("consumer-2", "delete", "B", t=0.5)
    r("consumer-2", "receive", "C", t=0.6, dequeue_count=1, lease=5, visible_at=5.6)
    r("consumer-2", "update", "C", t=0.7, lease=5, visible_at=5.7)
    r("consumer-2", "delete", "C", t=0.8)
    r("consumer-2", "receive", "A", t=1.4, dequeue_count=2, lease=5, visible_at=6.4)
    r("consumer-1", "delete", "A", t=1.5, outcome="stale pop receipt (400 PopReceiptMismatch)")
    r("consumer-2", "delete", "A", t=1.6)
    r("consumer-1", "crash", "A", t=0.35)
    return tracer


def test_leases_follow_receives_updates_and_deletes():
    found = [(lease.message, lease.actor, lease.start, lease.end, lease.ended)
             for lease in leases(scripted().frame())]
    assert found == [
        ("A", "consumer-1", 0.3, 1.3, "ran out"),
        ("B", "consumer-2", 0.4, 0.5, "deleted"),
        ("C", "consumer-2", 0.6, 0.8, "deleted"),
        ("A", "consumer-2", 1.4, 1.6, "deleted"),
    ]


def test_a_lease_given_back_ends_at_the_update_and_a_late_delete_does_not_shorten_it():
    tracer = Tracer()
    tracer.record("c", "receive", "X", t=0.0, dequeue_count=1, lease=1, visible_at=1.0)
    tracer.record("c", "update", "X", t=0.2, lease=0, visible_at=0.2)
    tracer.record("d", "receive", "Y", t=0.0, dequeue_count=1, lease=1, visible_at=1.0)
    tracer.record("d", "delete", "Y", t=2.0)   # after the lease ran out: still "ran out"
    assert [(lease.end, lease.ended) for lease in leases(tracer.frame())] == [
        (0.2, "given back"), (1.0, "ran out")]


def test_the_figure_has_one_row_per_message_and_a_legend_for_leases_and_markers():
    figure = timeline_figure(scripted(), "B, C, A")
    assert isinstance(figure, Figure)
    ax = figure.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["A", "B", "C", "D"]
    assert ax.get_title() == "B, C, A"
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    for expected in ("invisible (leased by consumer-1)", "invisible (leased by consumer-2)",
                     "send", "redelivery (dequeue count > 1)", "delete",
                     "rejected (stale pop receipt / gone)", "lease ran out", "noted: crash",
                     "expired (time to live)", "invisible (delayed on send)"):
        assert expected in legend, expected
    expiry_x = [line.get_xdata()[0] for line in ax.lines
                if line.get_marker() == "|" and line.get_color() == "tab:red"]
    assert expiry_x == [1.0]  # only D expired; A, B and C were deleted before their expiry


def test_png_bytes_is_a_png():
    assert png_bytes(timeline_figure(scripted())).startswith(b"\x89PNG\r\n\x1a\n")


def test_outside_a_notebook_nothing_is_displayed_and_only_the_story_is_printed(capsys):
    assert show_png(b"\x89PNG") is False
    timeline(scripted(), "B, C, A")
    out = capsys.readouterr().out
    assert out.splitlines() == scripted().story()
    assert "Figure" not in out


def test_in_a_notebook_the_image_is_displayed_as_bare_png(monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.get_ipython", lambda: object())
    monkeypatch.setattr("IPython.display.display", lambda data, raw: shown.append((data, raw)))
    assert png.show_png(b"\x89PNG") is True
    assert shown == [({"image/png": "iVBORw=="}, True)]


class Clock:
    """A tracer clock that starts at 0 and then says it is ``now``."""

    def __init__(self, now: float) -> None:
        self.started, self.now = False, now

    def __call__(self) -> float:
        if not self.started:
            self.started = True
            return 0.0
        return self.now


def burst(now: float = 2.01) -> Tracer:
    """A lease runs out after 2 s; then a redelivery, a rejected delete and a delete, 1 ms apart."""
    tracer = Tracer(clock=Clock(now))
    r = tracer.record
    r("producer", "send", "A", t=0.0, visible_at=0.0)
    r("consumer-1", "receive", "A", t=0.005, dequeue_count=1, lease=2, visible_at=2.005)
    r("consumer-2", "receive", "A", t=2.007, dequeue_count=2, lease=30, visible_at=32.007)
    r("consumer-1", "delete", "A", t=2.008, outcome="stale pop receipt (400 PopReceiptMismatch)")
    r("consumer-2", "delete", "A", t=2.009)
    return tracer


def drawn(figure: Figure):
    """The figure laid out and drawn (off screen), and its renderer."""
    FigureCanvasAgg(figure)
    renderer = figure.canvas.get_renderer()
    figure.draw(renderer)
    return figure.axes[0], renderer


def markers(ax):
    """Event markers (one point each) as (x seconds, row, marker, line)."""
    return [(line.get_xdata()[0], line.get_ydata()[0], line.get_marker(), line)
            for line in ax.lines if len(line.get_xdata()) == 1]


def test_events_one_millisecond_apart_have_markers_that_do_not_touch():
    ax, renderer = drawn(timeline_figure(burst(), "burst"))
    found = {(x, m) for x, _, m, _ in markers(ax)}
    assert {(2.007, "D"), (2.008, "x"), (2.009, "X")} <= found
    boxes = {x: line.get_window_extent(renderer) for x, _, _, line in markers(ax)}
    for a, b in ((2.007, 2.008), (2.008, 2.009)):
        assert boxes[a].x1 < boxes[b].x0, f"the markers at {a} s and {b} s overlap"
    # control: on an even time axis, 1 ms of these 2 s is far less than one marker wide
    width = ax.get_window_extent(renderer).width
    assert width * 0.001 / 2.009 < boxes[2.008].width / 4


def test_every_marker_of_a_message_stands_apart_and_inside_the_axes():
    for tracer in (scripted(), burst()):
        ax, renderer = drawn(timeline_figure(tracer))
        inside = ax.get_window_extent(renderer)
        by_row: dict[float, list] = {}
        for x, y, _, line in markers(ax):
            box = line.get_window_extent(renderer)
            assert inside.x0 <= box.x0 and box.x1 <= inside.x1 + box.width / 2, (x, y)
            by_row.setdefault(y, []).append((x, box))
        for row in by_row.values():
            for (xa, a), (xb, b) in itertools.combinations(sorted(row, key=lambda p: p[0]), 2):
                if xa != xb:
                    assert not a.overlaps(b), f"markers at {xa} s and {xb} s overlap"


def test_stretched_time_is_shaded_and_labelled_with_its_real_length():
    ax, _ = drawn(timeline_figure(burst()))
    shade = to_rgb(timelines.STRETCH_SHADE)
    shaded = [p for p in ax.patches if to_rgb(p.get_facecolor()) == shade]
    edges = [x for p in shaded for x in (p.get_x(), p.get_x() + p.get_width())]
    assert edges == pytest.approx([0.0, 0.005, 2.005, 2.009])  # send–receive, ran out–delete
    assert [t.get_text() for t in ax.texts] == ["5 ms", "4 ms"]
    assert "time stretched (real length above)" in [
        t.get_text() for t in ax.get_legend().get_texts()]
    # evenly spaced events need no stretch, and the legend says nothing about one
    ax, _ = drawn(timeline_figure(scripted()))
    assert not [t for t in ax.texts if t.get_text().endswith(" ms")]
    assert "time stretched (real length above)" not in [
        t.get_text() for t in ax.get_legend().get_texts()]


def bars(ax):
    return [p for p in ax.patches if isinstance(p, Rectangle) and p.get_height() == 0.5]


def running(now: float) -> Tracer:
    """consumer-1 takes a 30-second lease on B one second in; nothing happens after that."""
    tracer = Tracer(clock=Clock(now))
    tracer.record("producer", "send", "B", t=0.0, visible_at=0.0)
    tracer.record("consumer-1", "receive", "B", t=1.0, dequeue_count=1, lease=30, visible_at=31.0)
    return tracer


def test_a_bar_past_the_last_event_ends_in_an_arrow_labelled_with_its_true_end():
    ax, renderer = drawn(timeline_figure(running(now=1.5)))
    right = ax.get_xlim()[1]
    (lease,) = bars(ax)
    assert lease.get_x() == 1.0
    assert lease.get_x() + lease.get_width() == pytest.approx(right)  # to the edge, no further
    assert "lease until 31 s" in [t.get_text() for t in ax.texts]
    arrows = [line for x, _, m, line in markers(ax) if m == ">" and x == right]
    assert len(arrows) == 1 and not arrows[0].get_clip_on()
    assert ax.get_window_extent(renderer).x1 >= arrows[0].get_window_extent(renderer).x0
    assert "runs on after the last event" in [
        t.get_text() for t in ax.get_legend().get_texts()]


def test_a_delay_past_the_last_event_is_labelled_and_one_that_ended_is_drawn_whole():
    tracer = Tracer(clock=Clock(0.6))
    tracer.record("producer", "send", "D", t=0.5, lease=1, visible_at=1.5)
    ax, _ = drawn(timeline_figure(tracer))
    assert "hidden until 1.5 s" in [t.get_text() for t in ax.texts]
    # the notebook draws it after the delay is over: the bar ends inside the axes, no arrow
    tracer = Tracer(clock=Clock(1.6))
    tracer.record("producer", "send", "D", t=0.5, lease=1, visible_at=1.5)
    ax, _ = drawn(timeline_figure(tracer))
    (bar,) = bars(ax)
    assert bar.get_x() + bar.get_width() == pytest.approx(1.5)
    assert ax.get_xlim()[1] > 1.5
    assert not ax.texts


def test_a_lease_that_ran_out_after_the_last_event_is_marked_when_the_story_says_so():
    ax, _ = drawn(timeline_figure(running(now=40.0)))  # drawn after the lease ran out
    ran_out = [x for x, _, m, line in markers(ax) if m == "|"]
    assert ran_out == [31.0]
    assert ax.get_xlim()[1] > 31.0
    assert not [t for t in ax.texts if "until" in t.get_text()]


def test_marker_colours_and_actor_colours_are_disjoint():
    actor_rgb = {to_rgb(c) for c in ACTOR_COLOURS}
    marker_rgb = {to_rgb(colour) for _, colour, _ in MARKERS.values()}
    assert not actor_rgb & marker_rgb
    # and in a drawn figure with more actors than colours
    tracer = Tracer()
    for n in range(len(ACTOR_COLOURS) + 2):
        tracer.record("producer", "send", f"m{n}", t=n / 10, visible_at=n / 10)
        tracer.record(f"consumer-{n}", "receive", f"m{n}", t=n / 10 + 0.05, dequeue_count=1,
                      lease=1, visible_at=n / 10 + 1.05)
        tracer.record(f"consumer-{n}", "delete", f"m{n}", t=n / 10 + 0.06)
        tracer.record(f"consumer-{n}", "ship", f"m{n}", t=n / 10 + 0.061)
    ax, _ = drawn(timeline_figure(tracer))
    bar_rgb = {to_rgb(b.get_facecolor()) for b in bars(ax)}
    line_rgb = {to_rgb(line.get_color()) for *_, line in markers(ax)}
    assert bar_rgb and line_rgb
    assert not bar_rgb & line_rgb


def test_rendering_is_deterministic():
    assert png_bytes(timeline_figure(burst(), "burst")) == png_bytes(
        timeline_figure(burst(), "burst"))


def test_a_notebook_gets_the_png_alone_and_the_story_as_text(monkeypatch, capsys):
    shown = []
    monkeypatch.setattr("IPython.get_ipython", lambda: object())
    monkeypatch.setattr("IPython.display.display", lambda data, raw: shown.append((data, raw)))
    assert timeline(burst(), "burst") is None
    assert [sorted(data) for data, _ in shown] == [["image/png"]]
    assert shown[0][1] is True
    assert capsys.readouterr().out.splitlines() == burst().story()


def test_a_frame_draws_like_its_tracer_and_an_empty_trace_still_draws():
    tracer = scripted()
    ax, _ = drawn(timeline_figure(tracer.frame()))
    assert [t.get_text() for t in ax.get_yticklabels()] == ["A", "B", "C", "D"]
    assert png_bytes(timeline_figure(Tracer())).startswith(b"\x89PNG")


def test_the_time_axis_runs_evenly_unless_a_message_needs_room():
    even = TimeAxis([(0.0, 0), (1.0, 1), (2.0, 0), (4.0, 1)], width=400, min_gap=16)
    assert even.xs == pytest.approx([0, 100, 200, 400])
    assert even.stretches() == []
    crowded = TimeAxis([(0.0, 0), (2.0, 0), (2.001, 0), (2.002, 0), (2.002, 1)], width=400,
                       min_gap=16)
    assert crowded.xs[-1] == pytest.approx(400, abs=0.01)
    assert [b - a for a, b in zip(crowded.xs[1:], crowded.xs[2:], strict=False)] == (
        pytest.approx([16, 16], abs=0.01))
    assert crowded.stretches() == [(2.0, 2.002)]
    assert crowded.inverse(crowded.forward(2.0015)) == pytest.approx(2.0015)
    assert crowded.forward(5.0) > crowded.forward(2.002)  # beyond the moments: even again
    # other rows' moments do not push a row's markers apart
    rows = TimeAxis([(0.0, 0), (1.0, 1), (1.0001, 2), (2.0, 0)], width=200, min_gap=16)
    assert rows.xs[1] == pytest.approx(100, abs=0.5)
    assert rows.xs[2] - rows.xs[1] == pytest.approx(0.5)  # distinct times never coincide


def test_a_message_with_more_events_than_room_is_squeezed_into_the_width_in_order():
    moments = [(n / 1000, 0) for n in range(100)]  # 100 events 1 ms apart on one row
    axis = TimeAxis(moments, width=400, min_gap=16)
    assert axis.xs[-1] <= 400
    assert all(b > a for a, b in zip(axis.xs, axis.xs[1:], strict=False))
    one = TimeAxis([(3.0, 0)], width=400)
    assert one.xs == [0.0] and one.inverse(one.forward(3.5)) == pytest.approx(3.5)


def expired_while_leased(now: float = 2.1) -> Tracer:
    """05's nightly report: it lives 2 s, a consumer leases it for 10 s at 0.1 s, and its
    delete after the expiry fails; the export job's 1 s lease is extended to 10 s first."""
    tracer = Tracer(clock=Clock(now))
    r = tracer.record
    r("producer", "send", "report", t=0.0, visible_at=0.0, expires_at=2.0)
    r("consumer", "receive", "report", t=0.1, dequeue_count=1, lease=10, visible_at=10.1)
    r("consumer", "delete", "report", t=2.05, outcome="expired (404 MessageNotFound)")
    r("producer", "send", "job", t=0.0, visible_at=0.0, expires_at=2.0)
    r("consumer", "receive", "job", t=0.2, dequeue_count=1, lease=1, visible_at=1.2)
    r("consumer", "update", "job", t=0.3, lease=10, visible_at=10.3)
    r("consumer", "delete", "job", t=2.06, outcome="expired (404 MessageNotFound)")
    r("producer", "send", "kept", t=0.0, visible_at=0.0, expires_at=60.0)
    r("consumer", "receive", "kept", t=0.4, dequeue_count=1, lease=1, visible_at=1.4)
    return tracer


def test_a_lease_bar_ends_where_its_message_expired():
    ax, _ = drawn(timeline_figure(expired_while_leased()))
    rows = {t.get_text(): n for n, t in enumerate(ax.get_yticklabels())}
    ends = {round(b.get_y() + b.get_height() / 2): b.get_x() + b.get_width() for b in bars(ax)}
    assert ends[rows["report"]] == pytest.approx(2.0)  # not 10.1: the service deleted it
    assert ends[rows["job"]] == pytest.approx(2.0)     # not 10.3, heartbeat or not
    assert ends[rows["kept"]] == pytest.approx(1.4)    # control: a lease inside the life
    assert not [t for t in ax.texts if "until" in t.get_text()]  # no bar runs on
    assert not [x for x, _, m, _ in markers(ax) if m == ">" and x == ax.get_xlim()[1]]
    expiry_x = [x for x, _, m, line in markers(ax) if m == "|" and line.get_color() == "tab:red"]
    assert expiry_x == [2.0, 2.0]


def test_leases_from_the_frame_still_say_what_the_consumer_asked_for():
    found = {(lease.message, lease.end, lease.ended)
             for lease in leases(expired_while_leased().frame())}
    assert ("report", 10.1, "ran out") in found
    cut = timelines.cut_at_expiry(leases(expired_while_leased().frame()), {"report": 2.0})
    assert [(lease.message, lease.end, lease.ended) for lease in cut
            if lease.message == "report"] == [("report", 2.0, "expired")]
