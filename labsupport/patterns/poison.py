"""Poison messages: stop retrying a message that keeps failing, and keep it for a human.

Every receive raises a message's ``dequeue_count``. A message whose processing always
fails (bad data, a bug) would otherwise come back forever and waste every consumer's time.
Azure Functions' queue trigger tries a message up to ``maxDequeueCount`` times (default
5), then moves it to a queue named ``<queue>-poison``. This module does the same with the
plain SDK:

* a failed attempt with ``dequeue_count >= max_dequeue_count`` moves the message now;
* an earlier failed attempt gives the lease back after ``retry_after`` seconds (0 = at
  once, like Functions' default ``visibilityTimeout``), so the next receive retries it;
* a message that arrives with ``dequeue_count > max_dequeue_count`` (its consumers
  crashed before they could record a failure) is moved without another attempt.

Moving is "send a copy with the same content to the poison queue, then delete the
original" — in that order, so a crash in between leaves a duplicate, never a loss.

    poison = service.get_queue_client(poison_queue_name(queue.queue_name))
    poison.create_queue()   # once (ResourceExistsError if it exists)
    for message in queue.receive_messages(max_messages=16, messages_per_page=16):
        process_or_poison(queue, message, handle, poison_queue=poison)
"""

from __future__ import annotations

from collections.abc import Callable

from azure.core.exceptions import HttpResponseError

from .leases import is_stale_lease

MAX_DEQUEUE_COUNT = 5
POISON_SUFFIX = "-poison"

DONE, RETRY, POISONED, LEASE_LOST = "done", "retry", "poisoned", "lease lost"


def poison_queue_name(queue_name: str) -> str:
    """``<queue>-poison``, the name Azure Functions uses (queue names are at most 63 chars)."""
    name = queue_name + POISON_SUFFIX
    if len(name) > 63:
        raise ValueError(f"{name!r} is longer than 63 characters: use a queue name of at most "
                         f"{63 - len(POISON_SUFFIX)} characters, or choose the poison queue's "
                         f"name yourself")
    return name


def move_to_poison(queue, message, poison_queue) -> bool:
    """Copy ``message``'s content to ``poison_queue``, then delete the original.

    Returns False if the original could not be deleted because the lease was lost (another
    consumer has it now; the poison queue may then receive a second copy).
    """
    poison_queue.send_message(message.content, time_to_live=-1)
    try:
        queue.delete_message(message)
    except HttpResponseError as error:
        if is_stale_lease(error):
            return False
        raise
    return True


def process_or_poison(
    queue,
    message,
    handler: Callable[[object], object],
    *,
    poison_queue,
    max_dequeue_count: int = MAX_DEQUEUE_COUNT,
    retry_after: int = 0,
) -> str:
    """Run ``handler(message)``; delete on success, retry or poison on failure.

    Returns ``"done"``, ``"retry"``, ``"poisoned"`` or ``"lease lost"`` (the lease ran
    out before we could delete or give it back: another consumer owns the message now).
    """
    if max_dequeue_count < 1:
        raise ValueError(f"max_dequeue_count must be at least 1, got {max_dequeue_count}")
    if message.dequeue_count > max_dequeue_count:
        return POISONED if move_to_poison(queue, message, poison_queue) else LEASE_LOST
    try:
        handler(message)
    except Exception:
        if message.dequeue_count >= max_dequeue_count:
            return POISONED if move_to_poison(queue, message, poison_queue) else LEASE_LOST
        try:
            # By id and receipt, without content: passed the message itself, the SDK would
            # send its decoded content back through this client's encode policy.
            queue.update_message(message.id, message.pop_receipt, visibility_timeout=retry_after)
        except HttpResponseError as error:
            if is_stale_lease(error):
                return LEASE_LOST
            raise
        return RETRY
    try:
        queue.delete_message(message)
    except HttpResponseError as error:
        if is_stale_lease(error):
            return LEASE_LOST
        raise
    return DONE
