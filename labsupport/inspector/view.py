"""What the queue inspector draws: HTML from counts and rows (no widgets, no network).

One panel per queue, side by side: its counts, then one row per message — its state in
words, dequeue count, a bar of the time left on its lease, delay or time to live, and a
mark for where the state comes from (the legend spells out
:data:`~labsupport.inspector.model.SOURCES`).
Rows carry ``data-message``, ``data-state`` and ``data-actor`` so a browser test can read them.
Times are shown on this machine's clock, converted from the caller's monotonic seconds.
"""

from __future__ import annotations

import html
from datetime import datetime

from ..durations import duration_text
from .model import CLOCK, DELAYED, FINAL, LEASED, PEEK_LIMIT, SERVICE, SOURCES, WIRE, Counts, Row

MAX_ROWS = 16           # rows shown per queue (the newest)

_COLOURS = {"visible": "#2e7d32", "leased": "#e65100", "delayed": "#1565c0",
            "hidden": "#616161", "unseen": "#616161", "moved to poison": "#6a1b9a"}
_MARKS = {SERVICE: "●", WIRE: "◆", CLOCK: "◷"}


def _wall_time(t: float, now: float, wall: float) -> str:
    return datetime.fromtimestamp(wall + (t - now)).strftime("%H:%M:%S")


def describe(row: Row, now: float, wall: float) -> str:
    """A row's state in words, e.g. ``leased by consumer-1 until 14:03:07``."""
    actor = row.actor or "a traced client"
    if row.state == LEASED:
        until = f" until {_wall_time(row.until, now, wall)}" if row.until is not None else ""
        return f"leased by {actor}{until}"
    if row.state == DELAYED:
        return f"delayed until {_wall_time(row.until, now, wall)}"
    if row.state in ("deleted", "moved to poison"):
        text = f"{row.state} by {actor}"
        return f"{text} ({row.note})" if row.note else text
    if row.state == "hidden":
        return "hidden (no traced client holds it)"
    if row.state == "unseen":
        return f"not among the first {PEEK_LIMIT} peeked"
    if row.state == "expired":
        return "expired (time to live)"
    return f"{row.state} ({row.note})" if row.note else row.state


def _bar(row: Row) -> str:
    if row.state in FINAL:
        return ""
    if row.left is None:
        return "never expires" if row.state not in (LEASED, DELAYED) else ""
    what = "lease" if row.state == LEASED else "delay" if row.state == DELAYED else "time to live"
    share = 0.0 if not row.span else min(max(row.left / row.span, 0.0), 1.0)
    colour = _COLOURS.get(row.state, "#616161")
    return (f'<span title="time left on its {what}" style="display:inline-block;width:70px;'
            f'height:8px;background:var(--jp-layout-color3,#ddd);border-radius:2px;'
            f'vertical-align:middle"><span style="display:block;height:8px;width:{share:.0%};'
            f'background:{colour};border-radius:2px"></span></span> {duration_text(row.left)}')


def _panel(counts: Counts, rows: list[Row], now: float, wall: float) -> str:
    name = html.escape(counts.queue)
    if counts.missing:
        summary = "the queue was deleted"
    elif counts.visible is None:
        summary = "not refreshed yet"
    else:
        visible = f"{counts.visible}+" if counts.more_visible else str(counts.visible)
        hidden = "?" if counts.hidden is None else str(counts.hidden)
        summary = (f"visible now <b>{visible}</b> · hidden <b>{hidden}</b> · "
                   f"approximate total <b>{counts.total}</b>")
    if counts.error:
        summary += f' · <span style="color:#c62828">last refresh failed: ' \
                   f'{html.escape(counts.error)}</span>'
    shown = rows[-MAX_ROWS:]
    body = "".join(
        f'<tr data-message="{html.escape(r.label)}" data-state="{html.escape(r.state)}" '
        f'data-actor="{html.escape(r.actor or "")}">'
        f'<td style="padding:1px 6px">{html.escape(r.label)}</td>'
        f'<td style="padding:1px 6px;color:{_COLOURS.get(r.state, "#9e9e9e")}">'
        f'{html.escape(describe(r, now, wall))}</td>'
        f'<td style="padding:1px 6px;text-align:right">'
        f'{"" if r.dequeue_count is None else r.dequeue_count}</td>'
        f'<td style="padding:1px 6px;white-space:nowrap">{_bar(r)}</td>'
        f'<td style="padding:1px 6px" title="{html.escape(SOURCES[r.source])}">'
        f'{_MARKS[r.source]}</td></tr>'
        for r in shown)
    if len(rows) > len(shown):
        body = (f'<tr><td colspan="5" style="padding:1px 6px;color:#9e9e9e">'
                f'{len(rows) - len(shown)} earlier message(s) not shown</td></tr>') + body
    if not rows:
        body = ('<tr><td colspan="5" style="padding:1px 6px;color:#9e9e9e">no message seen '
                'yet</td></tr>')
    head = "".join(f'<th style="padding:1px 6px;text-align:left;font-weight:600">{h}</th>'
                   for h in ("message", "state", "dequeues", "time left", "from"))
    return (f'<div class="qlab-queue" data-queue="{name}" style="flex:0 1 auto;min-width:300px;'
            f'border:1px solid var(--jp-border-color2,#ccc);border-radius:4px;padding:6px">'
            f'<div><b>{name}</b></div><div style="margin:2px 0 4px">{summary}</div>'
            f'<table style="border-collapse:collapse"><thead><tr>{head}</tr></thead>'
            f'<tbody>{body}</tbody></table></div>')


def render(panels: list[tuple[Counts, list[Row]]], *, now: float, wall: float, status: str,
           interval: float, running: bool, fastest: float = 0.5) -> str:
    """The inspector's HTML: a header, one panel per queue side by side, the legend."""
    refreshed = [c.refreshed for c, _ in panels if c.refreshed is not None]
    header = "<b>Queue inspector</b>"
    if refreshed:
        header += f" · last refresh {_wall_time(max(refreshed), now, wall)}"
    if running:
        header += f" · every {interval:g} s" + (" (nothing changing)" if interval > fastest
                                                else "")
    else:
        header += f" · {html.escape(status)}"
    legend = " · ".join(f"{_MARKS[source]} {html.escape(meaning)}"
                        for source, meaning in SOURCES.items())
    legend += (" — <i>hidden</i>: not visible, and no traced client leased it (a client the lab "
               "does not trace may hold it, or may have deleted it).")
    return (f'<div class="qlab-inspector" data-status="{"running" if running else "stopped"}" '
            f'style="font-size:12px;line-height:1.4">'
            f'<div style="margin-bottom:4px">{header}</div>'
            f'<div style="display:flex;flex-wrap:wrap;gap:8px">'
            + "".join(_panel(c, rows, now, wall) for c, rows in panels)
            + f'</div><div style="margin-top:4px;color:var(--jp-ui-font-color2,#666)">'
              f'{legend}</div></div>')


__all__ = ["MAX_ROWS", "describe", "render"]
