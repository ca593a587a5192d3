"""Lesson 11's figures, drawn from what crossed the wire (a :class:`~labsupport.trace.Tracer`).

* :func:`receives` — each receive of the host: when it left, what it brought, and how many
  invocations were still running then (received, not yet deleted or given back), all from
  the recorded requests.
* :func:`batch_figure` — one row per message (running from its receive to its delete) over
  a panel with the number running, ``newBatchThreshold`` and the moments the host received.
* :func:`story_figure` — one row per message with one legend entry per *kind* of event:
  a failed request gets an entry naming its status and error code, never a shared one.
* :func:`polling_figure` — the wait the host chose after each poll, next to the gap that the
  wire shows.

:func:`show` displays a figure in a notebook as a bare PNG (strict nbval compares the
printed text only).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from ..png import DPI, png_bytes, show_png

RUNNING = "tab:orange"      # bars and the running count: invocations in progress
EMPTY, FOUND = "lightgrey", "tab:blue"

# kind -> (marker, colour, legend label); a failed request gets its own kind (see _kind)
KINDS = {
    "send": ("o", "black", "sent by the producer"),
    "receive": (">", "black", "received (dequeue count 1)"),
    "redelivery": ("D", "tab:red", "received again (dequeue count > 1)"),
    "given back": ("^", "dimgrey", "lease given back (update, visibility timeout 0)"),
    "extended": ("^", "tab:brown", "lease extended (update)"),
    "output binding": ("P", "tab:blue", "output binding: message sent"),
    "copy to poison": ("*", "tab:purple", "copied to the poison queue"),
    "poison queue created": ("s", "tab:purple", "poison queue created"),
    "delete": ("X", "tab:green", "deleted"),
}


@dataclass(frozen=True)
class Receive:
    """One receive of the host, judged from the wire."""

    number: int
    sent: float       # when the request left (the tracer's clock)
    answered: float
    received: int     # messages in the answer
    running: int      # invocations received earlier and not yet settled when it left


def receives(tracer, actor: str = "host") -> list[Receive]:
    """The host's receives, each with the invocations still running when it left.

    A message runs from the answer of the receive that brought it until the answer of the
    delete or update that settled it (a delete after a copy to the poison queue counts).
    """
    exchanges = tracer.exchanges
    started: dict[str, float] = {}
    settled: dict[str, float] = {}
    for e in exchanges:
        if e.actor != actor or not e.ok:
            continue
        if e.operation == "receive":
            for message in e.messages:
                started.setdefault(message.id, e.answered)
        elif e.operation in ("delete", "update") and e.message_id:
            settled[e.message_id] = e.answered
    found = []
    for e in exchanges:
        if e.actor == actor and e.operation == "receive" and e.ok:
            running = sum(1 for m, t in started.items()
                          if t <= e.sent and settled.get(m, float("inf")) > e.sent)
            found.append(Receive(len(found) + 1, e.sent, e.answered, len(e.messages), running))
    return found


def running_curve(tracer, actor: str = "host") -> tuple[list[float], list[int]]:
    """(times, running) steps: how many invocations ran, from the receives and settlements."""
    steps: list[tuple[float, int]] = []
    for e in tracer.exchanges:
        if e.actor != actor or not e.ok:
            continue
        if e.operation == "receive" and e.messages:
            steps.append((e.answered, len(e.messages)))
        elif e.operation in ("delete", "update") and e.message_id:
            steps.append((e.answered, -1))
    times, counts, running = [], [], 0
    for t, change in sorted(steps):
        running += change
        times.append(t)
        counts.append(running)
    return times, counts


def _kind(event) -> tuple[str, tuple[str, str, str]]:
    """(key, (marker, colour, label)) of an event: one legend entry per kind."""
    if event.outcome != "ok":
        label = f"{event.operation} failed: {event.outcome}"
        return label, ("x", "tab:red", label)
    op = event.operation
    if op == "receive":
        op = "redelivery" if (event.dequeue_count or 1) > 1 else "receive"
    elif op == "update":
        op = "given back" if not event.lease else "extended"
    if op in KINDS:
        return op, KINDS[op]
    return op, ("*", "tab:pink", op)


def _leases(events, actor: str) -> list[tuple[str, float, float]]:
    """(message, start, end) while ``actor`` held a message: receive → delete or update."""
    open_at: dict[str, float] = {}
    found = []
    for e in sorted(events, key=lambda e: e.t):
        if e.actor != actor or e.outcome != "ok":
            continue
        if e.operation == "receive":
            open_at[e.message] = e.t
        elif e.operation in ("delete", "update") and e.message in open_at:
            found.append((e.message, open_at.pop(e.message), e.t))
    return found


def _events_with_creates(tracer, actor: str) -> list:
    """The tracer's events, plus "poison queue created" on the row of the copy that needed it.

    The tracer makes events for message operations only; a create of the poison queue is
    put on the row of the last copy to that queue that failed before it.
    """
    events = list(tracer.events)
    failed_copies = [e for e in events if e.operation == "copy to poison" and e.outcome != "ok"]
    for exchange in tracer.exchanges:
        if exchange.actor == actor and exchange.operation == "create queue" and exchange.ok:
            before = [e for e in failed_copies if e.t <= exchange.sent]
            if before:
                events.append(type(before[-1])(t=exchange.sent, actor=actor,
                                               operation="poison queue created",
                                               message=before[-1].message))
    return sorted(events, key=lambda e: e.t)


def _rows(ax, events, actor: str, labels: list[str]) -> list:
    """Draw lease bars and one marker per event on ``labels`` rows; return legend handles."""
    rows = {label: i for i, label in enumerate(labels)}
    for message, start, end in _leases(events, actor):
        ax.barh(rows[message], end - start, left=start, height=0.5, color=RUNNING, alpha=0.35,
                zorder=1)
    handles = {"lease": Patch(color=RUNNING, alpha=0.35,
                              label=f"running (received by the {actor}, not yet settled)")}
    points: dict[str, tuple[tuple[str, str, str], list, list]] = {}
    for e in events:
        if e.message in rows:
            key, style = _kind(e)
            xs, ys = points.setdefault(key, (style, [], []))[1:]
            xs.append(e.t)
            ys.append(rows[e.message])
    for key, ((marker, colour, label), xs, ys) in points.items():  # one artist per kind
        ax.plot(xs, ys, marker=marker, color=colour, linestyle="none", markersize=8,
                markeredgewidth=2 if marker == "x" else 1, zorder=3)
        handles[key] = Line2D([], [], marker=marker, color=colour, linestyle="none",
                              markersize=7, label=label)
    ax.set_yticks(range(len(labels)), labels)
    ax.set_ylim(len(labels) - 0.5, -0.5)
    return list(handles.values())


def _legend(ax, handles) -> None:
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8,
              frameon=False)


def story_figure(tracer, title: str, actor: str = "host") -> Figure:
    """Every message of the tracer on its own row, one legend entry per kind of event.

    The x axis is the order of the events, not time: requests milliseconds apart (a
    failed copy, the create and the copy again) each get their own place.
    """
    events = [replace(e, t=float(i)) for i, e in enumerate(_events_with_creates(tracer, actor))]
    labels = list(dict.fromkeys(e.message for e in events))
    figure = Figure(figsize=(9, 1.5 + 0.55 * len(labels)), dpi=DPI)
    ax = figure.subplots()
    _legend(ax, _rows(ax, events, actor, labels))
    ax.set_title(title)
    ax.set_xticks([])
    ax.set_xlim(-0.7, len(events) - 0.3)
    ax.set_xlabel("the requests in the order they crossed the wire (not to scale) →")
    figure.tight_layout()
    return figure


def batch_figure(tracer, threshold: int, title: str, actor: str = "host") -> Figure:
    """The host's messages on rows, and below them how many ran and when the host received."""
    host_events = [e for e in tracer.events if e.actor == actor]
    labels = list(dict.fromkeys(e.message for e in host_events))
    figure = Figure(figsize=(9, 2.6 + 0.3 * len(labels)), dpi=DPI)
    top, bottom = figure.subplots(2, 1, sharex=True,
                                  gridspec_kw={"height_ratios": [max(len(labels), 4), 5]})
    _legend(top, _rows(top, host_events, actor, labels))
    top.set_title(title)
    top.tick_params(axis="y", labelsize=8)

    times, counts = running_curve(tracer, actor)
    polls = receives(tracer, actor)
    start = min([p.sent for p in polls] + times)
    end = max([p.answered for p in polls] + times)
    bottom.step([start, *times, end], [0, *counts, counts[-1] if counts else 0], where="post",
                color=RUNNING, linewidth=2, label="invocations running")
    bottom.axhline(threshold, color="black", linestyle="--", linewidth=1,
                   label=f"newBatchThreshold = {threshold}")
    peak = max(counts, default=0)
    for poll in polls:
        colour = FOUND if poll.received else EMPTY
        for ax in (top, bottom):
            ax.axvline(poll.sent, color=colour, linewidth=1.5, zorder=0)
        if poll.received:
            bottom.annotate(f"receive {poll.number}: {poll.running} running,\ngot {poll.received}",
                            (poll.sent, poll.running), xytext=(6, 8), textcoords="offset points",
                            fontsize=8, va="bottom")
    handles = [Line2D([], [], color=RUNNING, linewidth=2, label="invocations running"),
               Line2D([], [], color="black", linestyle="--",
                      label=f"newBatchThreshold = {threshold}"),
               Line2D([], [], color=FOUND, linewidth=1.5,
                      label="the host's receive left (got messages)")]
    if any(not p.received for p in polls):
        handles.append(Line2D([], [], color=EMPTY, linewidth=1.5,
                              label="the host's receive left (queue empty)"))
    _legend(bottom, handles)
    bottom.set_ylim(0, peak * 1.35 + 1)
    margin = 0.04 * (end - start)
    bottom.set_xlim(start - margin, end + margin)
    bottom.set_ylabel("running")
    bottom.set_xlabel("seconds since the demo started")
    figure.tight_layout()
    return figure


def polling_figure(polls, gaps: list[float], maximum: float, speed: float,
                   title: str) -> Figure:
    """Bars: the wait the host chose after each poll; dots: the gap on the wire × ``speed``.

    ``polls`` are the model's :class:`~labsupport.functions.listener.Poll` records and
    ``gaps[i]`` the seconds between the answer of poll i and the request of poll i + 1.
    """
    figure = Figure(figsize=(9, 3.2), dpi=DPI)
    ax = figure.subplots()
    numbers = [p.number for p in polls]
    ax.bar(numbers, [p.wait for p in polls], color=[FOUND if p.received else EMPTY
                                                     for p in polls], edgecolor="grey")
    ax.plot(numbers[:len(gaps)], [g * speed for g in gaps], "o", color="black", markersize=5)
    ax.axhline(maximum, color="black", linestyle="--", linewidth=1)
    for i, poll in enumerate(polls):
        top = max([poll.wait] + ([gaps[i] * speed] if i < len(gaps) else []))
        ax.annotate(f"{poll.wait:.2f}", (poll.number, top), xytext=(0, 5),
                    textcoords="offset points", ha="center", fontsize=7)
    _legend(ax, [
        Patch(facecolor=EMPTY, edgecolor="grey", label="wait after a poll that found nothing"),
        Patch(facecolor=FOUND, edgecolor="grey", label="wait after a poll that found a message"),
        Line2D([], [], marker="o", color="black", linestyle="none", markersize=5,
               label=f"gap on the wire × {speed:g} (the demo ran {speed:g}× fast)"),
        Line2D([], [], color="black", linestyle="--",
               label=f"maxPollingInterval = {maximum:g} s"),
    ])
    ax.set_xticks(numbers)
    ax.set_xlabel("poll")
    ax.set_ylabel("seconds until the next poll")
    ax.set_ylim(0, 1.25 * max([maximum, *(g * speed for g in gaps)]))
    ax.set_title(title)
    figure.tight_layout()
    return figure


def show(figure: Figure) -> None:
    """Show a figure in a notebook as a PNG only (no text output)."""
    show_png(png_bytes(figure))


__all__ = ["Receive", "batch_figure", "polling_figure", "receives", "running_curve", "show",
           "story_figure"]
