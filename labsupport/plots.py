"""Timelines of a traced demo: one row per message, leases as bars, events as markers.

``timeline(tracer)`` shows the picture in a notebook as a bare PNG (no figure repr text,
so strict output comparison only sees the printed story) and then prints each message's
story, which depends only on the scenario, never on timing.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass

from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from .trace import Tracer

ACTOR_COLOURS = ["tab:blue", "tab:orange", "tab:green", "tab:purple", "tab:brown", "tab:cyan"]

# operation -> (marker, colour, legend label); colour None = the actor's colour
MARKERS = {
    "send": ("o", "black", "send"),
    "receive": (">", None, "receive"),
    "redelivery": ("D", "tab:red", "redelivery (dequeue count > 1)"),
    "update": ("^", None, "update (lease extended or given back)"),
    "delete": ("X", "tab:green", "delete"),
    "failed": ("x", "tab:red", "rejected (stale pop receipt / gone)"),
    "expiry": ("|", "tab:red", "expired (time to live)"),
    "lease expired": ("|", "grey", "lease ran out"),
    "other": ("*", "tab:purple", "noted event"),
}


@dataclass
class Lease:
    """A stretch of time during which ``actor`` held ``message`` invisible to others."""

    message: str
    actor: str
    start: float
    end: float
    ended: str  # "deleted", "given back" or "ran out"


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


def leases(frame) -> list[Lease]:
    """The leases in a tracer's frame, extended by updates and cut short by deletes."""
    found: list[Lease] = []
    current: dict[str, Lease] = {}
    for e in _rows(frame):
        if e.outcome != "ok":
            continue
        lease = current.get(e.message)
        if e.operation == "receive":
            current[e.message] = Lease(e.message, e.actor, e.t, e.visible_at, "ran out")
            found.append(current[e.message])
        elif lease and e.operation == "update":
            lease.end = e.visible_at
            lease.ended = "given back" if not e.lease else "ran out"
        elif lease and e.operation == "delete":
            if e.t <= lease.end:  # deleted while still leased (a late delete can still work)
                lease.end, lease.ended = e.t, "deleted"
            del current[e.message]
    return found


def timeline_figure(tracer_or_frame, title: str | None = None) -> Figure:
    """Draw the timeline and return the matplotlib Figure (no display)."""
    frame = tracer_or_frame.frame() if isinstance(tracer_or_frame, Tracer) else tracer_or_frame
    labels = list(dict.fromkeys(frame["message"]))
    rows = {label: i for i, label in enumerate(labels)}
    actors = [a for a in dict.fromkeys(frame["actor"])]
    colour = {a: ACTOR_COLOURS[i % len(ACTOR_COLOURS)] for i, a in enumerate(actors)}
    end = float(frame["t"].max()) if len(frame) else 0.0
    expiries = {m: t for m, t in _expiries(frame).items() if t <= end + 5.0}
    span = max([end, 0.05, *expiries.values()])  # fast scenarios get a fine time axis

    figure = Figure(figsize=(9, 1.2 + 0.55 * max(len(labels), 1)))
    ax = figure.subplots()
    used_markers: dict[str, Line2D] = {}
    used_actors: dict[str, Patch] = {}

    def mark(kind: str, x: float, y: int, actor_colour: str) -> None:
        marker, fixed, text = MARKERS[kind]
        c = fixed or actor_colour
        size = 16 if marker == "|" else 8
        ax.plot([x], [y], marker=marker, color=c, markersize=size, linestyle="none", zorder=3)
        used_markers.setdefault(kind, Line2D([], [], marker=marker, color=fixed or "dimgrey",
                                             linestyle="none", markersize=7, label=text))

    for lease in leases(frame):
        y = rows[lease.message]
        stop = min(lease.end, span * 1.08)
        ax.barh(y, max(stop - lease.start, span * 0.004), left=lease.start, height=0.5,
                color=colour[lease.actor], alpha=0.35, zorder=1)
        used_actors.setdefault(lease.actor, Patch(color=colour[lease.actor], alpha=0.35,
                                                  label=f"invisible (leased by {lease.actor})"))
        if lease.ended == "ran out" and lease.end <= span:
            mark("lease expired", lease.end, y, "grey")

    for message, expires_at in expiries.items():
        mark("expiry", expires_at, rows[message], "tab:red")

    for e in _rows(frame):
        y, c = rows[e.message], colour[e.actor]
        if e.outcome != "ok":
            mark("failed", e.t, y, c)
        elif e.operation == "send":
            mark("send", e.t, y, c)
            if e.lease:
                ax.barh(y, e.lease, left=e.t, height=0.5, color="lightgrey", hatch="//",
                        edgecolor="grey", zorder=1)
                used_actors.setdefault("delayed", Patch(facecolor="lightgrey", hatch="//",
                                                        edgecolor="grey",
                                                        label="invisible (delayed on send)"))
        elif e.operation == "receive":
            mark("redelivery" if (e.dequeue_count or 1) > 1 else "receive", e.t, y, c)
        elif e.operation in ("update", "delete"):
            mark(e.operation, e.t, y, c)
        else:
            mark("other", e.t, y, c)
            used_markers["other"].set_label("noted: " + ", ".join(sorted(
                set(frame.loc[~frame["operation"].isin(
                    ["send", "receive", "update", "delete"]), "operation"]))))

    ax.set_yticks(range(len(labels)), labels)
    ax.set_ylim(len(labels) - 0.5, -0.5)
    ax.set_xlim(-0.02 * span, span * 1.08)
    ax.set_xlabel("seconds since the demo started")
    ax.grid(axis="x", alpha=0.3)
    if title:
        ax.set_title(title)
    handles = list(used_actors.values()) + list(used_markers.values())
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8,
              frameon=False)
    figure.tight_layout()
    return figure


def png_bytes(figure: Figure) -> bytes:
    """Render a Figure to PNG bytes."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    return buffer.getvalue()


def show_png(data: bytes) -> bool:
    """Display PNG bytes in a notebook as an image only (no text/plain); False outside one."""
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:  # pragma: no cover - IPython is installed with JupyterLab
        return False
    if get_ipython() is None:
        return False
    display({"image/png": base64.b64encode(data).decode("ascii")}, raw=True)
    return True


def timeline(tracer: Tracer, title: str | None = None, *, story: bool = True) -> None:
    """Show the tracer's timeline, then print each message's story (stable text).

    Returns nothing, so a notebook cell shows the picture and the story only.
    """
    show_png(png_bytes(timeline_figure(tracer, title)))
    if story:
        tracer.print_story()
