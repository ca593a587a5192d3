"""Timelines: leases computed from a trace, a figure with one row per message, bare PNG."""

from __future__ import annotations

from matplotlib.figure import Figure

from labsupport import plots
from labsupport.plots import leases, png_bytes, show_png, timeline, timeline_figure
from labsupport.trace import Tracer


def scripted() -> Tracer:
    """A B, C, A scenario recorded by hand (no queue), with fixed times."""
    tracer = Tracer()
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
    assert plots.show_png(b"\x89PNG") is True
    assert shown == [({"image/png": "iVBORw=="}, True)]
