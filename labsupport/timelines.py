"""Timelines of a traced demo: one row per message, leases as bars, events as markers.

``timeline(tracer)`` shows the picture in a notebook as a bare PNG (no figure repr text,
so strict output comparison only sees the printed story) and then prints each message's
story, which depends only on the scenario, never on timing.

The time axis runs evenly, except where events of one message follow each other within
milliseconds (a redelivery, the rejected delete and the delete that works): there the axis
is stretched just enough that every marker stands apart, and the stretch is shaded. Ticks
give the real times. A bar that runs past the last event ends in an arrow labelled with
its true end. A lease bar ends where the message expired: the service deletes an expired
message whatever lease a consumer holds. Markers never use an actor's colour, so none
disappears on a lease bar.
"""

from __future__ import annotations

from dataclasses import dataclass

from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FixedLocator, NullFormatter

from .durations import duration_text
from .png import DPI, png_bytes, show_png
from .trace import Tracer

#: LeaseBar bars, one colour per actor (drawn pale). Disjoint from :data:`MARKER_COLOURS`.
ACTOR_COLOURS = ["tab:blue", "tab:orange", "tab:cyan", "tab:olive", "tab:pink", "tab:brown"]

#: Colours of event markers: never an actor's colour.
MARKER_COLOURS = {"neutral": "black", "ok": "tab:green", "problem": "tab:red",
                  "noted": "tab:purple", "time": "dimgrey"}

# operation -> (marker, colour, legend label)
MARKERS = {
    "send": ("o", MARKER_COLOURS["neutral"], "send"),
    "receive": (">", MARKER_COLOURS["neutral"], "receive"),
    "redelivery": ("D", MARKER_COLOURS["problem"], "redelivery (dequeue count > 1)"),
    "update": ("^", MARKER_COLOURS["neutral"], "update (lease extended or given back)"),
    "delete": ("X", MARKER_COLOURS["ok"], "delete"),
    "failed": ("x", MARKER_COLOURS["problem"], "rejected (stale pop receipt / gone)"),
    "expiry": ("|", MARKER_COLOURS["problem"], "expired (time to live)"),
    "lease expired": ("|", MARKER_COLOURS["time"], "lease ran out"),
    "other": ("*", MARKER_COLOURS["noted"], "noted event"),
    "continues": (">", MARKER_COLOURS["time"], "runs on after the last event"),
}

MARKER_SIZE = 8          # points
MIN_GAP = 16.0           # pixels between two moments of one message (a marker is ~10 px)
EDGE = 14.0              # pixels of air left and right of the moments
ARROW_ROOM = 130.0       # pixels for a bar that runs past the last event and its label
ARROW_GAP = 10.0         # pixels between the last moment and that label
STRETCH_SHADE = "#ececec"
JOIN = 40.0              # pixels: stretches closer than this are shaded and labelled as one
STRETCH_LABEL = "time stretched (real length above)"


@dataclass
class LeaseBar:
    """A stretch of time during which ``actor`` held ``message`` invisible to others."""

    message: str
    actor: str
    start: float
    end: float
    ended: str  # "deleted", "given back", "ran out" or "expired"


def _rows(frame):
    """The frame's rows as named tuples, with None for missing values (not NaN / NA)."""
    return frame.astype(object).where(frame.notna(), None).itertuples(index=False)


def _expiries(frame) -> dict[str, float]:
    """When each message's time to live ran out, if that happened before it was deleted."""
    rows = list(_rows(frame))
    deleted = {e.message: e.t for e in rows if e.operation == "delete" and e.outcome == "ok"}
    return {e.message: e.expires_at for e in rows
            if e.operation == "send" and e.outcome == "ok" and e.expires_at is not None
            and e.expires_at < deleted.get(e.message, float("inf"))}


def leases(frame) -> list[LeaseBar]:
    """The leases in a tracer's frame, extended by updates and cut short by deletes."""
    found: list[LeaseBar] = []
    current: dict[str, LeaseBar] = {}
    for e in _rows(frame):
        if e.outcome != "ok":
            continue
        lease = current.get(e.message)
        if e.operation == "receive":
            current[e.message] = LeaseBar(e.message, e.actor, e.t, e.visible_at, "ran out")
            found.append(current[e.message])
        elif lease and e.operation == "update":
            lease.end = e.visible_at
            lease.ended = "given back" if not e.lease else "ran out"
        elif lease and e.operation == "delete":
            if e.t <= lease.end:  # deleted while still leased (a late delete can still work)
                lease.end, lease.ended = e.t, "deleted"
            del current[e.message]
    return found


def cut_at_expiry(found: list[LeaseBar], expiries: dict[str, float]) -> list[LeaseBar]:
    """End each lease no later than its message's expiry (``message -> seconds``).

    A lease does not keep a message past its time to live: the service deletes it at its
    expiry, and a delete or update with the lease's pop receipt then answers 404.
    """
    for lease in found:
        expires_at = expiries.get(lease.message)
        if expires_at is not None and lease.end > expires_at:
            lease.end, lease.ended = max(expires_at, lease.start), "expired"
    return found


class TimeAxis:
    """Seconds -> pixels: even time, stretched where a message's moments would touch.

    ``moments`` are ``(seconds, row)`` pairs. Between two consecutive moments the axis
    advances ``scale * gap`` pixels, or more where a row needs ``min_gap`` pixels since its
    previous moment; ``scale`` is the largest that fits the moments into ``width`` pixels.
    Beyond the first and last moment the axis runs on at ``scale``.
    """

    def __init__(self, moments, width: float, min_gap: float = MIN_GAP) -> None:
        self.times = sorted({t for t, _ in moments})
        rows_at: dict[float, set] = {}
        for t, row in moments:
            rows_at.setdefault(t, set()).add(row)
        self._rows_at = [rows_at[t] for t in self.times]
        span = self.times[-1] - self.times[0] if self.times else 0.0
        self.min_gap = min_gap
        if span <= 0:  # one moment: a second across
            self.scale, self.xs = max(width, 1.0), [0.0] * len(self.times)
            return
        for _ in range(20):  # too crowded even in pure event order: markers must touch
            crowded = self._layout(0.0)[-1]
            if crowded <= width or self.min_gap < 0.01:
                break
            self.min_gap *= 0.99 * width / crowded
        low, high = 0.0, width / span
        for _ in range(60):  # the widest scale that still fits (the layout grows with it)
            middle = (low + high) / 2
            low, high = (middle, high) if self._layout(middle)[-1] <= width else (low, middle)
        self.scale = max(low, 1e-9)
        self.xs = self._layout(self.scale)

    def _layout(self, scale: float) -> list[float]:
        xs: list[float] = []
        last_of_row: dict = {}
        for i, (t, rows) in enumerate(zip(self.times, self._rows_at, strict=True)):
            x = 0.0 if not xs else xs[-1] + max(scale * (t - self.times[i - 1]), 0.5)
            x = max([x] + [last_of_row[r] + self.min_gap for r in rows if r in last_of_row])
            xs.append(x)
            last_of_row.update(dict.fromkeys(rows, x))
        return xs

    def forward(self, seconds):
        """Pixels from the first moment (works on scalars and numpy arrays)."""
        import numpy as np

        t = np.asarray(seconds, dtype=float)
        if not self.times:
            return t * self.scale
        inside = np.interp(t, self.times, self.xs)
        before = self.xs[0] + (t - self.times[0]) * self.scale
        after = self.xs[-1] + (t - self.times[-1]) * self.scale
        return np.where(t < self.times[0], before, np.where(t > self.times[-1], after, inside))

    def inverse(self, pixels):
        """Seconds at a pixel position (the inverse of :meth:`forward`)."""
        import numpy as np

        x = np.asarray(pixels, dtype=float)
        if not self.times:
            return x / self.scale
        inside = np.interp(x, self.xs, self.times)
        before = self.times[0] + (x - self.xs[0]) / self.scale
        after = self.times[-1] + (x - self.xs[-1]) / self.scale
        return np.where(x < self.xs[0], before, np.where(x > self.xs[-1], after, inside))

    def stretches(self, factor: float = 1.5, join: float = JOIN) -> list[tuple[float, float]]:
        """Intervals (seconds) drawn wider than even time would draw them.

        Stretches less than ``join`` pixels apart count as one, so that each can carry a
        label of its real length.
        """
        found: list[tuple[float, float]] = []
        for i in range(1, len(self.times)):
            t0, t1 = self.times[i - 1], self.times[i]
            if self.xs[i] - self.xs[i - 1] > factor * self.scale * (t1 - t0) + 1.0:
                if found and self.forward(t0) - self.forward(found[-1][1]) < join:
                    found[-1] = (found[-1][0], t1)
                else:
                    found.append((t0, t1))
        return found


def _horizon(tracer_or_frame, frame) -> float:
    """Until when the story is told: now for a tracer (as its story), else the last event."""
    last = float(frame["t"].max()) if len(frame) else 0.0
    if isinstance(tracer_or_frame, Tracer):
        return max(last, tracer_or_frame.now())
    return last


def _tick_labels(axis: TimeAxis, min_spacing: float = 40.0) -> list[str]:
    """Real times under the moments, leaving out those that would collide."""
    labels, last_x = [], float("-inf")
    decimals = 3 if axis.times and axis.times[-1] < 100 else 1
    for t, x in zip(axis.times, axis.xs, strict=True):
        text = f"{t:.{decimals}f}"
        if x - last_x >= min_spacing and (not labels or text not in labels):
            labels.append(text)
            last_x = x
        else:
            labels.append("")
    return labels


def _marker_kind(e) -> str:
    """Which marker an event gets (a key of :data:`MARKERS`)."""
    if e.outcome != "ok":
        return "failed"
    if e.operation == "receive":
        return "redelivery" if (e.dequeue_count or 1) > 1 else "receive"
    return e.operation if e.operation in ("send", "update", "delete") else "other"


@dataclass
class _Scene:
    """What a timeline shows, in seconds, before anything is drawn."""

    labels: list[str]
    colour: dict[str, str]              # leasing actor -> bar colour
    events: list
    leases: list[LeaseBar]
    expiries: dict[str, float]          # message -> when its time to live ran out
    delays: list[tuple[str, float, float]]  # message, sent, visible from
    horizon: float

    @property
    def rows(self) -> dict[str, int]:
        return {label: i for i, label in enumerate(self.labels)}

    def moments(self) -> list[tuple[float, int]]:
        """Every moment of the story on its row: events, and ends that happened by now."""
        rows = self.rows
        return ([(e.t, rows[e.message]) for e in self.events]
                + [(lease.end, rows[lease.message]) for lease in self.leases
                   if lease.end <= self.horizon]
                + [(end, rows[m]) for m, _, end in self.delays if end <= self.horizon]
                + [(t, rows[m]) for m, t in self.expiries.items()])

    def running(self, last_moment: float) -> list[tuple[str, float, str]]:
        """Bars that end after the last moment: (message, true end, what)."""
        return ([(lease.message, lease.end, "lease") for lease in self.leases
                 if lease.end > last_moment]
                + [(m, end, "hidden") for m, _, end in self.delays if end > last_moment])


def _scene(tracer_or_frame) -> _Scene:
    frame = tracer_or_frame.frame() if isinstance(tracer_or_frame, Tracer) else tracer_or_frame
    events = list(_rows(frame))
    horizon = _horizon(tracer_or_frame, frame)
    expiries = {m: t for m, t in _expiries(frame).items() if t <= horizon}
    found = cut_at_expiry(leases(frame), expiries)
    leasing = list(dict.fromkeys(lease.actor for lease in found))
    return _Scene(
        labels=list(dict.fromkeys(frame["message"])),
        colour={a: ACTOR_COLOURS[i % len(ACTOR_COLOURS)] for i, a in enumerate(leasing)},
        events=events,
        leases=found,
        expiries=expiries,
        delays=[(e.message, e.t, e.t + e.lease) for e in events
                if e.operation == "send" and e.outcome == "ok" and e.lease],
        horizon=horizon,
    )


def _legend(ax, handles) -> None:
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8,
              frameon=False)


def _legend_marker(kind: str, label: str | None = None) -> Line2D:
    marker, colour, text = MARKERS[kind]
    return Line2D([], [], marker=marker, color=colour, linestyle="none", markersize=7,
                  label=label or text)


def _draw_markers(ax, scene: _Scene) -> list[Line2D]:
    """One marker per event, lease that ran out and expiry; returns their legend entries."""
    rows, used = scene.rows, {}

    def mark(kind: str, x: float, y: int) -> None:
        marker, colour, _ = MARKERS[kind]
        ax.plot([x], [y], marker=marker, color=colour, linestyle="none", zorder=3,
                markersize=2 * MARKER_SIZE if marker == "|" else MARKER_SIZE,
                markeredgewidth=2 if marker in "|x" else 1)
        used.setdefault(kind, _legend_marker(kind))

    for e in scene.events:
        mark(_marker_kind(e), e.t, rows[e.message])
    for lease in scene.leases:
        if lease.ended == "ran out" and lease.end <= scene.horizon:
            mark("lease expired", lease.end, rows[lease.message])
    for message, expires_at in scene.expiries.items():
        mark("expiry", expires_at, rows[message])
    if "other" in used:
        noted = sorted({e.operation for e in scene.events if _marker_kind(e) == "other"})
        used["other"].set_label("noted: " + ", ".join(noted))
    return list(used.values())


def _bar_legend(scene: _Scene) -> list[Patch]:
    """Legend entries for the bars: one per leasing actor, and one for delayed sends."""
    patches = [Patch(color=colour, alpha=0.35, label=f"invisible (leased by {actor})")
               for actor, colour in scene.colour.items()]
    if scene.delays:
        patches.append(Patch(facecolor="lightgrey", hatch="//", edgecolor="grey",
                             label="invisible (delayed on send)"))
    return patches


def _draw_bars(ax, scene: _Scene, right: float, last_moment: float) -> None:
    """Leases and delays as bars; one that runs past ``right`` ends in a labelled arrow."""
    rows = scene.rows
    for lease in scene.leases:
        ax.barh(rows[lease.message], min(lease.end, right) - lease.start, left=lease.start,
                height=0.5, color=scene.colour[lease.actor], alpha=0.35, zorder=1)
    for message, start, end in scene.delays:
        ax.barh(rows[message], min(end, right) - start, left=start, height=0.5,
                color="lightgrey", hatch="//", edgecolor="grey", zorder=1)
    for message, end, what in scene.running(last_moment):
        marker, colour, _ = MARKERS["continues"]
        ax.plot([right], [rows[message]], marker=marker, color=colour, markersize=MARKER_SIZE,
                linestyle="none", zorder=3, clip_on=False)
        ax.annotate(f"{what} until {duration_text(end)}", (last_moment, rows[message]),
                    xytext=(ARROW_GAP, 0), textcoords="offset pixels", ha="left",
                    va="center", fontsize=7, zorder=4)


def timeline_figure(tracer_or_frame, title: str | None = None) -> Figure:
    """Draw the timeline and return the matplotlib Figure (no display)."""
    scene = _scene(tracer_or_frame)
    moments = scene.moments() or [(0.0, 0)]
    last_moment = max(t for t, _ in moments)
    running = scene.running(last_moment)

    figure = Figure(figsize=(9, 1.3 + 0.55 * max(len(scene.labels), 1)), dpi=DPI)
    ax = figure.subplots()
    handles = _bar_legend(scene) + _draw_markers(ax, scene)
    if running:
        handles.append(_legend_marker("continues"))
    ax.set_yticks(range(len(scene.labels)), scene.labels)
    ax.set_ylim(max(len(scene.labels), 1) - 0.5, -0.5)
    ax.set_xlabel("seconds since the demo started")
    if title:
        ax.set_title(title, pad=14)

    # lay the figure out once to learn the axes' width in pixels, then fit the time axis
    _legend(ax, handles + [Patch(facecolor=STRETCH_SHADE, label=STRETCH_LABEL)])
    ax.set_xticks([])
    figure.tight_layout()
    width = ax.get_position().width * figure.get_figwidth() * DPI
    room = ARROW_ROOM if running else EDGE
    axis = TimeAxis(moments, width - EDGE - room)
    ax.set_xscale("function", functions=(axis.forward, axis.inverse))
    right = float(axis.inverse(axis.xs[-1] + room))
    ax.set_xlim(float(axis.inverse(-EDGE)), right)

    stretches = axis.stretches()
    for t0, t1 in stretches:
        ax.axvspan(t0, t1, facecolor=STRETCH_SHADE, edgecolor="none", zorder=0)
    if not stretches:  # the same legend without the shade (never wider than before)
        _legend(ax, handles)
    _draw_bars(ax, scene, right, last_moment)

    tick_labels = _tick_labels(axis)
    ax.xaxis.set_major_locator(FixedLocator(
        [t for t, text in zip(axis.times, tick_labels, strict=True) if text]))
    ax.set_xticklabels([text for text in tick_labels if text], fontsize=8)
    ax.xaxis.set_minor_locator(FixedLocator(axis.times))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.grid(axis="x", alpha=0.25)
    _label_stretches(ax, axis, stretches)
    return figure


def _label_stretches(ax, axis: TimeAxis, stretches) -> None:
    """Write over each shaded stretch how much time it really covers.

    Stretches are at least :data:`JOIN` pixels apart, so their labels never collide.
    """
    from matplotlib.transforms import blended_transform_factory

    on_top = blended_transform_factory(ax.transData, ax.transAxes)
    for t0, t1 in stretches:
        middle = axis.inverse((axis.forward(t0) + axis.forward(t1)) / 2)
        ax.text(float(middle), 1.0, duration_text(t1 - t0), transform=on_top, ha="center",
                va="bottom", fontsize=7, color=MARKER_COLOURS["time"])


def timeline(tracer: Tracer, title: str | None = None, *, story: bool = True) -> None:
    """Show the tracer's timeline, then print each message's story (stable text).

    Returns nothing, so a notebook cell shows the picture and the story only.
    """
    show_png(png_bytes(timeline_figure(tracer, title)))
    if story:
        tracer.print_story()
