"""A live view of queues beside the cells: ``labsupport.inspect(queue, poison)``.

The inspector shows, for each queue, how many messages are visible now (a peek of up to
32), the approximate total and the difference (hidden: leased or delayed), and one row
per message the lab's clients sent or saw since it started: its state, dequeue count and
the time left on its lease or time to live. The states come from :mod:`labsupport.inspector.model`,
fed with the inspector's own refreshes and with every exchange a traced client records
(:func:`labsupport.wire.add_listener`); :mod:`labsupport.inspector.view` draws them.

It refreshes about every half second — one properties call and one peek per queue — and
more slowly while nothing changes; traffic on a watched queue wakes it at once. It polls
with its **own** client, built from the given client's URL and credential without any
hook, so it never appears in a lesson's request counts or timelines. It stops when the
queue is deleted, when you press Stop, when the kernel restarts, or after 30 minutes
without a change.

Non-interactive runs (``make test``, ``make notebooks``, nbval: ``LAB_PROGRESS=0``) get one
fixed line instead and send no request at all; ``LAB_INSPECTOR=live`` or ``static``
overrides. A kernel cannot see whether a widget frontend is attached, so the runs that
must stay deterministic say so.
"""

from __future__ import annotations

import contextlib
import inspect as pyinspect
import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import replace

from azure.core.exceptions import HttpResponseError

from ..errors import ConfigError, LabError, first_line
from ..patterns.leases import error_code
from ..patterns.poison import POISON_SUFFIX
from ..wire import Exchange, add_listener, exchange_from, receiving, remove_listener
from .model import PEEK_LIMIT, Counts, QueueStates, Refresh, Row
from .view import render

log = logging.getLogger(__name__)

#: What a non-interactive run shows instead of the widget (the same every time).
STATIC_LINE = ("Queue inspector: off in non-interactive runs — run this cell in JupyterLab "
               "to watch the queue live.")
INTERVAL = 0.5          # seconds between refreshes while things change
SLOWEST = 4.0           # … and at most this while nothing does
IDLE_STOP = 30 * 60     # stop after this long without any change
TICK = 0.25             # redraw countdown bars this often
MIN_GAP = 0.2           # never refresh more often than this

_running: list[Inspector] = []
_running_lock = threading.Lock()


def live_mode(environ=None) -> bool:
    """True if inspectors run live here: an interactive kernel, not a test or build run."""
    environ = os.environ if environ is None else environ
    setting = environ.get("LAB_INSPECTOR", "").strip().lower()
    if setting in ("live", "static"):
        return setting == "live"
    if setting:
        raise ConfigError(f"LAB_INSPECTOR={setting!r} is not a choice: set it to live or "
                          f"static, or leave it unset (live in JupyterLab, static in tests)")
    if environ.get("LAB_PROGRESS", "1") == "0":
        return False
    return _in_kernel()


def _in_kernel() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def _check(client) -> None:
    if not all(hasattr(client, name) for name in ("queue_name", "url", "peek_messages")):
        raise TypeError(f"labsupport.inspect() watches queues: pass QueueClients (for example "
                        f"the queue returned by service.create_queue(name), or "
                        f"service.get_queue_client(name)), not a {type(client).__name__}")


def polling_client(client):
    """A new client of ``client``'s queue — same URL (with its SAS) and credential, no hooks.

    The inspector polls with it, so its requests never reach a lesson's wire logs. An
    ``aio`` client gets a sync twin (the inspector polls from a thread); that needs a sync
    credential, since an async one belongs to the lesson's event loop.
    """
    _check(client)
    cls = type(client)
    if pyinspect.iscoroutinefunction(cls.peek_messages):
        if pyinspect.iscoroutinefunction(getattr(client.credential, "get_token", None)):
            raise LabError(
                f"The inspector polls from a thread and cannot share the async credential of "
                f"this aio client of {client.queue_name!r}: pass a sync QueueClient of the same "
                f"queue, e.g. QueueClient.from_queue_url(queue.url, credential=lab.credential)")
        from azure.storage.queue import QueueClient as cls
    return cls.from_queue_url(client.url, credential=client.credential,
                              api_version=client.api_version, retry_total=0,
                              connection_timeout=10, read_timeout=10)


def inspect(queue_client, *more_clients, label: Callable[[str], object] | None = None):
    """Show a live view of one or more queues; returns its :class:`Inspector` (``.stop()``).

    ``label(text)`` names the rows (default: the message text, shortened), e.g.
    ``label=lambda text: json.loads(text)["order_id"]``.
    """
    inspector = Inspector([queue_client, *more_clients], label=label)
    inspector.show()
    return inspector


class Inspector:
    """Watches queues and draws them in an ipywidgets view, from a background thread."""

    def __init__(self, clients, *, label: Callable[[str], object] | None = None,
                 live: bool | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        for client in clients:
            _check(client)
        unique = {client.queue_name: client for client in clients}
        self.queues = list(unique)
        self.live = live_mode() if live is None else live
        self.status = "not started"
        self._clients = unique
        self._clock = clock
        self._model = QueueStates(self.queues, label=label)
        self._lock = threading.Lock()
        self._pending: deque[tuple[float, Exchange]] = deque()
        self._watch = set(self.queues) | {name + POISON_SUFFIX for name in self.queues}
        self._wake, self._stopped = threading.Event(), threading.Event()
        self._pollers: dict = {}
        self._thread: threading.Thread | None = None
        self._widget = self._html = self._button = None
        self._shown_in: int | None = None
        self._interval = INTERVAL
        self._last_poll = self._next_poll = clock()
        self._last_change = clock()
        self._last_html = ""
        self._counting_down = False

    # -- starting and stopping -------------------------------------------------------------
    def start(self) -> Inspector:
        """Build the polling clients, refresh once (errors raise here), start the thread."""
        if not self.live or self._thread is not None:
            return self
        self._pollers = {name: polling_client(client) for name, client in self._clients.items()}
        for name in self.queues:
            first = self._poll(name)
            if first.missing:
                self._close()
                raise LabError(f"The queue {name!r} does not exist (404 QueueNotFound): create "
                               f"it first, then call labsupport.inspect()")
            if first.error:
                self._close()
                raise LabError(f"The inspector could not read the queue {name!r} ({first.error}):"
                               f" it needs to peek at it and read its properties with the "
                               f"client's credential")
            self._model.poll(first)
        self._build_widget()
        with _running_lock:
            older = [i for i in _running if set(i.queues) & set(self.queues)]
            _running.append(self)
        for other in older:
            other.stop("a newer inspector watches this queue")
        add_listener(self._on_exchange)
        self.status = "running"
        self._last_poll = self._clock()
        self._next_poll = self._last_poll + INTERVAL
        self._render(force=True)
        self._thread = threading.Thread(target=self._run, name="queue-inspector", daemon=True)
        self._thread.start()
        return self

    def show(self) -> Inspector:
        """Display the inspector (live: the widget; otherwise the fixed line)."""
        if not self.live:
            print(STATIC_LINE)
            return self
        self.start()
        from IPython.display import display

        bundle = self._widget._repr_mimebundle_()
        bundle["text/plain"] = (f"Queue inspector of {', '.join(self.queues)}: live while its "
                                f"kernel runs; run the cell again to watch")
        display(bundle, raw=True)
        self._shown_in = _execution_count()
        return self

    def _ipython_display_(self) -> None:
        # `labsupport.inspect(q)` as a cell's last line has shown it already; a later cell
        # that names the inspector shows it again.
        if self.live and self._widget is not None and self._shown_in != _execution_count():
            self.show()

    def stop(self, reason: str = "stopped") -> None:
        """Stop refreshing (the view keeps its last state and says why it stopped)."""
        if self._stopped.is_set():
            return
        self._stopped.set()
        self._wake.set()
        remove_listener(self._on_exchange)
        with _running_lock:
            if self in _running:
                _running.remove(self)
        self.status = reason
        if self._thread is None or threading.current_thread() is self._thread:
            self._finish()

    def _finish(self) -> None:
        self._close()
        if self._button is not None:
            self._button.disabled = True
            self._button.description = "Stopped"
        self._render(force=True)

    def _close(self) -> None:
        for client in self._pollers.values():
            with contextlib.suppress(Exception):
                client.close()

    @property
    def running(self) -> bool:
        return self._thread is not None and not self._stopped.is_set()

    def wait_stopped(self, timeout: float) -> bool:
        """Wait until the inspector's thread has ended; True if it has."""
        if self._thread is not None:
            self._thread.join(timeout)
            return not self._thread.is_alive()
        return True

    # -- what it knows --------------------------------------------------------------------
    def rows(self, queue: str | None = None) -> list[Row]:
        with self._lock:
            return self._model.rows(queue or self.queues[0], self._clock())

    def counts(self, queue: str | None = None) -> Counts:
        with self._lock:
            return self._model.counts(queue or self.queues[0])

    @property
    def html(self) -> str:
        """The HTML the view shows now."""
        return self._last_html

    def __repr__(self) -> str:
        mode = "live" if self.live else "off (non-interactive run)"
        return f"<queue inspector of {', '.join(self.queues)}: {mode}, {self.status}>"

    # -- the work --------------------------------------------------------------------------
    def _on_exchange(self, exchange: Exchange) -> None:
        """A wire listener: runs in the lesson's thread, so it only queues and wakes."""
        if exchange.queue in self._watch:
            with self._lock:
                self._pending.append((self._clock(), exchange))
            self._wake.set()

    def _poll(self, name: str) -> Refresh:
        """One properties call, then one peek of up to 32 messages (nothing else)."""
        client, seen = self._pollers[name], {}

        def keep(response):
            seen["peek"] = exchange_from(response, actor="inspector", queue=name,
                                         clock=self._clock)

        started = self._clock()
        try:
            count = client.get_queue_properties().approximate_message_count
            client.peek_messages(max_messages=PEEK_LIMIT, raw_response_hook=keep)
        except HttpResponseError as error:
            code = error_code(error)
            if error.status_code == 404 and code in ("QueueNotFound", ""):
                return Refresh(queue=name, started=started, answered=self._clock(), missing=True)
            return Refresh(queue=name, started=started, answered=self._clock(),
                        error=f"{error.status_code} {code}".strip())
        except Exception as error:  # no answer: say so, try again later
            return Refresh(queue=name, started=started, answered=self._clock(),
                        error=first_line(error)[:80])
        peek = seen.get("peek")
        return Refresh(queue=name, started=started, answered=self._clock(), approximate_count=count,
                    peeked=peek.messages if peek else (),
                    service_time=peek.service_time if peek else None)

    def _drain(self) -> bool:
        changed = False
        while True:
            with self._lock:
                if not self._pending:
                    return changed
                at, exchange = self._pending.popleft()
                changed |= self._model.exchange(exchange, at)

    def _run(self) -> None:
        try:
            while not self._stopped.is_set():
                changed = self._drain()
                if changed:   # traffic on a watched queue: back to the fast pace
                    self._interval = INTERVAL
                    self._next_poll = min(self._next_poll, self._last_poll + INTERVAL)
                if self._clock() >= self._next_poll:
                    changed |= self._refresh()
                now = self._clock()
                if changed:
                    self._last_change = now
                if all(self._model.missing(name) for name in self.queues):
                    self.status = "stopped: the queue was deleted"
                    break
                if now - self._last_change > IDLE_STOP:
                    self.status = ("stopped after 30 minutes without a change: run the cell "
                                   "again to watch")
                    break
                self._render()
                self._sleep(now)
        except Exception as error:  # a broken view must never break the lesson
            log.exception("queue inspector stopped")
            self.status = f"stopped after an error: {first_line(error)}"
        self._stopped.set()
        remove_listener(self._on_exchange)
        with _running_lock:
            if self in _running:
                _running.remove(self)
        self._finish()

    def _refresh(self) -> bool:
        changed = False
        for name in self.queues:
            if self._model.missing(name):
                continue
            result = replace(self._poll(name), receiving=receiving(name))
            changed |= self._drain()   # what a receive told before that, first
            with self._lock:
                changed |= self._model.poll(result)
        self._interval = INTERVAL if changed else min(self._interval * 2, SLOWEST)
        now = self._last_poll = self._clock()
        self._next_poll = now + self._interval
        with self._lock:
            deadline = self._model.next_deadline(now)
        if deadline is not None:   # a lease, delay or TTL ends: look right after it
            self._next_poll = max(min(self._next_poll, deadline + 0.05), now + MIN_GAP)
        return changed

    def _sleep(self, now: float) -> None:
        until = self._next_poll
        if self._counting_down:
            until = min(until, now + TICK)     # keep the countdown bars moving
        self._wake.wait(max(until - self._clock(), 0.02))
        self._wake.clear()

    # -- the view -------------------------------------------------------------------------
    def _build_widget(self) -> None:
        import ipywidgets as widgets

        self._html = widgets.HTML()
        self._button = widgets.Button(description="Stop", icon="stop",
                                      tooltip="Stop refreshing this inspector",
                                      layout=widgets.Layout(width="auto"))
        self._button.on_click(lambda _: self.stop("stopped by you"))
        self._widget = widgets.VBox([self._html, self._button],
                                    layout=widgets.Layout(align_items="flex-start"))

    def _render(self, force: bool = False) -> None:
        now, wall = self._clock(), time.time()
        with self._lock:
            panels = [(self._model.counts(name), self._model.rows(name, now))
                      for name in self.queues]
        self._counting_down = any(row.left is not None and row.left < 120
                                  for _, rows in panels for row in rows)
        text = render(panels, now=now, wall=wall, status=self.status, interval=self._interval,
                      running=not self._stopped.is_set(), fastest=INTERVAL)
        if text != self._last_html or force:
            self._last_html = text
            if self._html is not None:
                self._html.value = text


def _execution_count() -> int | None:
    with contextlib.suppress(Exception):
        from IPython import get_ipython

        return get_ipython().execution_count
    return None


__all__ = ["STATIC_LINE", "Inspector", "inspect", "live_mode", "polling_client"]
