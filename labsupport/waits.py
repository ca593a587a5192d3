"""Wait for the queue to reach a state by polling a condition, with a timeout.

Leases and time-to-live are measured by the service's clock, and a loaded machine makes
every call slower, so a demo must never guess with ``time.sleep(2)``. These helpers ask
"is it true yet?" every few milliseconds and give up with a clear error after
``timeout`` seconds (generous by default: the outputs never depend on how long it took).

Every helper takes a ``clock`` (:class:`SystemClock` unless a test passes its own), so
what a wait does — how often it asks, until when — can be tested without waiting.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from .errors import LabError

T = TypeVar("T")

DEFAULT_TIMEOUT = 15.0
POLL_INTERVAL = 0.05


class WaitTimeout(LabError):
    """A condition did not become true in time."""


class SystemClock:
    """The clocks a wait reads: monotonic seconds for timeouts, UTC for message times."""

    @staticmethod
    def monotonic() -> float:
        return time.monotonic()

    @staticmethod
    def sleep(seconds: float) -> None:
        time.sleep(seconds)

    @staticmethod
    def utcnow() -> datetime:
        return datetime.now(UTC)


SYSTEM_CLOCK = SystemClock()


def wait_for(
    condition: Callable[[], T],
    *,
    what: str,
    timeout: float = DEFAULT_TIMEOUT,
    interval: float = POLL_INTERVAL,
    clock=SYSTEM_CLOCK,
) -> T:
    """Call ``condition()`` until it returns something truthy, and return that.

    Raises :class:`WaitTimeout` naming ``what`` after ``timeout`` seconds.
    """
    if timeout <= 0 or interval <= 0:
        raise ValueError(f"timeout and interval must be positive, got {timeout} and {interval}")
    deadline = clock.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if clock.monotonic() >= deadline:
            raise WaitTimeout(
                f"Gave up after {timeout:g} s waiting for {what}. If the machine is very busy, "
                f"pass a larger timeout; otherwise check that the scenario can reach that state."
            )
        clock.sleep(interval)


def _matcher(target) -> Callable[[object], bool]:
    """A predicate for a peeked message: by content (str), by id (a message), or a callable."""
    if callable(target):
        return target
    if isinstance(target, str):
        return lambda message: message.content == target
    message_id = getattr(target, "id", None)
    if message_id is None:
        raise TypeError(
            f"target must be the message's content (str), a message or receipt with an .id, "
            f"or a predicate; got {type(target).__name__}"
        )
    return lambda message: message.id == message_id


def _describe(target) -> str:
    if isinstance(target, str):
        return f"message {target!r}"
    if callable(target):
        return "a matching message"
    return "the message"


def _visible(queue, target):
    match = _matcher(target)
    return next((m for m in queue.peek_messages(max_messages=32) if match(m)), None)


def wait_until_visible(queue, target, *, timeout: float = DEFAULT_TIMEOUT, clock=SYSTEM_CLOCK):
    """Wait until ``target`` is visible (its lease or delay is over); return the peeked message.

    Peeking does not lease, so waiting does not change the message's dequeue count. Looks at
    the first 32 visible messages (a peek's maximum).
    """
    return wait_for(lambda: _visible(queue, target), what=f"{_describe(target)} to become visible",
                    timeout=timeout, clock=clock)


def wait_until_gone(queue, target, *, timeout: float = DEFAULT_TIMEOUT,
                    clock=SYSTEM_CLOCK) -> None:
    """Wait until no visible message matches ``target`` (it expired, was deleted or leased)."""
    wait_for(lambda: _visible(queue, target) is None,
             what=f"{_describe(target)} to disappear", timeout=timeout, clock=clock)


def wait_until_empty(queue, *, timeout: float = DEFAULT_TIMEOUT, clock=SYSTEM_CLOCK) -> None:
    """Wait until a peek finds no visible message at all."""
    wait_for(lambda: not queue.peek_messages(max_messages=1), what="the queue to look empty",
             timeout=timeout, clock=clock)


def wait_until_expired(sent, *, timeout: float = DEFAULT_TIMEOUT, clock=SYSTEM_CLOCK) -> None:
    """Wait, without touching the queue, until ``sent`` (a message or receipt) has expired.

    Use it when peeking would disturb what you measure (or the message is leased, so a
    peek cannot see it); otherwise prefer :func:`wait_until_gone`. The service reports
    times in whole seconds, rounded down, so the real expiry lies within a second after
    ``expires_on``. The message was inserted before this call, so it also expires at most
    its time to live (``expires_on - inserted_on``) from now. This waits, by the local
    clock, until the earlier of the two.
    """
    expires_on = getattr(sent, "expires_on", None)
    inserted_on = getattr(sent, "inserted_on", None)
    if expires_on is None or inserted_on is None:
        raise TypeError("sent must be a message or receipt with inserted_on and expires_on times")
    now = clock.utcnow()
    moment = min(expires_on + timedelta(seconds=1), now + (expires_on - inserted_on))
    wait_for(lambda: clock.utcnow() >= moment, what="the message's time to live to run out",
             timeout=timeout, clock=clock)
