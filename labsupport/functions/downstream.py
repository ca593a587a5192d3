"""A slow partner API for runs of the host model whose outcome must not depend on speed.

Every invocation of a function built with :func:`calling_downstream` first calls
:meth:`SlowDownstream.call`, which returns only when the downstream lets it go. While
:meth:`SlowDownstream.run` drives the model, the downstream lets **one** call go at a time,
and only while the host cannot start more work — it waits for ``newBatchThreshold``
(phase ``threshold``) or backs off after an empty poll (``delay``) — and only once every
running invocation is waiting at the downstream (none is between its call and its delete).

So the invocations end one by one, as if each took a different time, and the host's rules
decide the rest: it polls again the moment no more than ``newBatchThreshold`` are running,
and a run reaches the most invocations at once that the settings allow, on a fast machine
or a slow one. The lesson's batch demo and the lesson's check use it.
"""

from __future__ import annotations

import threading
import time
from collections import deque

import azure.functions as func

from ..waits import WaitTimeout

#: The listener phases in which the downstream lets a call go (see QueueTriggerModel.phase).
RELEASE_IN = ("threshold", "delay")
RECHECK = 0.05  # seconds between looks when nothing notifies


class SlowDownstream:
    """A partner API whose calls wait until the driver lets the oldest go.

    ``peak`` is the most calls it had at once; ``timeout`` bounds how long one call waits.
    """

    def __init__(self, *, timeout: float = 60.0) -> None:
        self._condition: threading.Condition = threading.Condition(threading.RLock())
        self._timeout = timeout
        self._calls: deque[object] = deque()
        self._released: set[object] = set()
        self._open = False
        self.waiting = 0
        self.peak = 0

    def bind(self, model) -> None:
        """Share the model's condition, so that releases and the host's phases are ordered."""
        self._condition = model.condition

    def call(self) -> None:
        """One call of the partner API: returns when it is let go (or the downstream opens)."""
        ticket = object()
        deadline = time.monotonic() + self._timeout
        with self._condition:
            self._calls.append(ticket)
            self.waiting += 1
            self.peak = max(self.peak, self.waiting)
            self._condition.notify_all()
            while (ticket not in self._released and not self._open
                   and time.monotonic() < deadline):
                self._condition.wait(deadline - time.monotonic())
            self._released.discard(ticket)
            if ticket in self._calls:
                self._calls.remove(ticket)
            self.waiting -= 1
            self._condition.notify_all()

    def release_oldest(self) -> None:
        with self._condition:
            if self._calls:
                self._released.add(self._calls.popleft())
                self._condition.notify_all()

    def open(self) -> None:
        """Answer every call at once from now on (used to shut down)."""
        with self._condition:
            self._open = True
            self._condition.notify_all()

    def _drive(self, model, finished, stop: threading.Event, deadline: float) -> None:
        with model.condition:
            while not stop.is_set() and not finished() and time.monotonic() < deadline:
                if (model.phase in RELEASE_IN and self.waiting > 0
                        and self.waiting == model.in_flight):
                    self.release_oldest()
                model.condition.wait(RECHECK)

    def run(self, model, *, until, timeout: float = 60.0) -> None:
        """Run ``model`` until ``until()`` holds and every invocation is settled.

        Raises :class:`~labsupport.waits.WaitTimeout` if that takes over ``timeout`` seconds.
        """
        self.bind(model)
        stop = threading.Event()
        driver = threading.Thread(target=self._drive, name="slow-downstream", daemon=True,
                                  args=(model, until, stop, time.monotonic() + timeout))
        driver.start()
        try:
            model.run(until=until, timeout=timeout)
            model.settle(timeout)
        finally:
            stop.set()
            self.open()
            driver.join(timeout=5)
            if driver.is_alive():  # pragma: no cover - the driver waits at most RECHECK
                raise WaitTimeout("the slow downstream's driver did not stop")


def calling_downstream(process_order, downstream: SlowDownstream, *, queue_name: str,
                       output_name: str):
    """A queue-triggered function that calls ``downstream``, then ``process_order``.

    ``process_order`` is a function of the Python v2 model with one queue trigger and one
    queue output binding; the new function has the same bindings, on ``queue_name`` and
    ``output_name``.
    """
    built = process_order.build() if hasattr(process_order, "build") else process_order
    user = built.get_user_function()
    names = {b.type: b.name for b in built.get_bindings()}
    trigger_arg, output_arg = names.get("queueTrigger"), names.get("queue")
    if trigger_arg is None or output_arg is None:
        raise TypeError("process_order must have a queue trigger and a queue output binding")
    app = func.FunctionApp()

    @app.function_name(name="slow_partner_order")
    @app.queue_trigger(arg_name="msg", queue_name=queue_name, connection="QueueStorage")
    @app.queue_output(arg_name="shipments", queue_name=output_name, connection="QueueStorage")
    def slow_partner_order(msg: func.QueueMessage, shipments: func.Out[str]) -> None:
        downstream.call()
        user(**{trigger_arg: msg, output_arg: shipments})

    return slow_partner_order


__all__ = ["RELEASE_IN", "SlowDownstream", "calling_downstream"]
