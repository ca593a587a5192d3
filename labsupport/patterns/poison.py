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
original" — in that order, so a crash in between leaves a duplicate, never a loss. The
copy gets the service's default time to live (7 days), as the Functions host's does: it
sends the message body and nothing else (``CopyMessageToPoisonQueueAsync`` in the queue
extension's ``QueueProcessor.cs``, Azure/azure-sdk-for-net). Alert on the poison queue's
length: a copy nobody looks at expires after a week.

    poison = service.get_queue_client(poison_queue_name(queue.queue_name))
    poison.create_queue()   # once (ResourceExistsError if it exists)
    for message, outcome in consume(queue, handle, poison_queue=poison):
        print(message.id, outcome)

Lesson 07 writes this algorithm in its cells; this module is the tested copy the benches
use, and ``tests/patterns/test_poison_notebook.py`` runs both on one scenario and compares
what they sent. Source of the defaults: Microsoft Learn, "Azure Queue storage trigger for
Azure Functions" (poison messages) and the ``host.json`` settings of the queue extension.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from azure.core.exceptions import HttpResponseError

from .leases import is_stale_lease

MAX_DEQUEUE_COUNT = 5   # Functions' maxDequeueCount default
BATCH_SIZE = 16         # Functions' batchSize default: messages per receive
POISON_SUFFIX = "-poison"
MAX_QUEUE_NAME = 63     # Azure: a queue name has 3 to 63 characters

DONE, RETRY, POISONED, LEASE_LOST = "done", "retry", "poisoned", "lease lost"


def poison_queue_name(queue_name: str) -> str:
    """``<queue>-poison``, the name Azure Functions uses (queue names are at most 63 chars)."""
    name = queue_name + POISON_SUFFIX
    if len(name) > MAX_QUEUE_NAME:
        raise ValueError(f"{name!r} is longer than {MAX_QUEUE_NAME} characters: use a queue name "
                         f"of at most {MAX_QUEUE_NAME - len(POISON_SUFFIX)} characters, or choose "
                         f"the poison queue's name yourself")
    return name


def move_to_poison(queue, message, poison_queue) -> bool:
    """Copy ``message``'s content to ``poison_queue``, then delete the original.

    Returns False if the original could not be deleted because the lease was lost (another
    consumer has it now; the poison queue may then receive a second copy).
    """
    poison_queue.send_message(message.content)   # the default time to live, as Functions
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


def consume(
    queue,
    handler: Callable[[object], object],
    *,
    poison_queue,
    batch_size: int = BATCH_SIZE,
    visibility_timeout: int = 30,
    max_dequeue_count: int = MAX_DEQUEUE_COUNT,
    retry_after: int = 0,
) -> Iterator[tuple[object, str]]:
    """Receive batches until none is visible; yield ``(message, outcome)`` for each message.

    ``list()`` reads the SDK's pager to its end: with ``messages_per_page`` equal to
    ``max_messages`` a full batch takes one request, and one more (usually empty) when
    fewer were visible. Then :func:`process_or_poison` handles each message. A message
    given back for a retry comes back in a later batch; the loop ends when a receive
    finds nothing visible, i.e. every message is done, poisoned or leased by someone else.
    """
    while batch := list(queue.receive_messages(max_messages=batch_size,
                                               messages_per_page=batch_size,
                                               visibility_timeout=visibility_timeout)):
        for message in batch:
            yield message, process_or_poison(queue, message, handler, poison_queue=poison_queue,
                                             max_dequeue_count=max_dequeue_count,
                                             retry_after=retry_after)
