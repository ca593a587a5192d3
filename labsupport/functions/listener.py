"""A MODEL of the Azure Functions host's queue listener, written with the Python SDK.

**This is not the Functions host.** It is a small model of the host's *documented*
behaviour for a queue-triggered function, so that a notebook can run the rules against a
real queue (the local cloud or Azure) and show them on the wire. Each rule names its
source: ``LEARN_*`` pages on learn.microsoft.com, and where Learn only summarises, the
queue extension's source code (``SOURCE_*``, Azure/azure-sdk-for-net).

1. **Batches.** One poll is one receive of up to ``batchSize`` messages (default 16, at
   most 32), leased for 10 minutes while the function runs. [LEARN_HOST_JSON,
   LEARN_PEEK_LOCK, SOURCE_LISTENER]
2. **newBatchThreshold.** Each message runs at once, in parallel. After a poll that found
   messages the host polls again when no more than ``newBatchThreshold`` are still running
   (and not before the wait of rule 3): "When the number being processed gets down to the
   newBatchThreshold, the runtime gets another batch". So one instance runs at most
   ``batchSize + newBatchThreshold`` at a time (default threshold ``N*batchSize/2``, N =
   vCPUs; 1 on Consumption). [LEARN_CONCURRENCY, LEARN_HOST_JSON, SOURCE_LISTENER]
3. **Polling.** Learn: "When a message is found, the runtime waits 100 milliseconds and
   then checks for another message"; after an empty poll it waits about 200 ms, and longer
   after each further empty poll (a randomized exponential back-off) up to
   ``maxPollingInterval`` (default 1 minute, 2 s in local development). [LEARN_POLLING,
   ``backoff.SOURCE``] The model does this by default (``after_message="learn"``). The
   extension's source differs in one step (SOURCE_LISTENER, ``CreateSucceededResult``): after
   a poll that found messages it waits only for ``newBatchThreshold`` and polls again; the
   100 ms comes after the next poll if that one is empty. ``after_message="source"`` models
   that.
4. **Retries.** A function that raises gets its message back on the queue: the host
   updates the message's visibility to ``visibilityTimeout`` (default 0: at once).
   [LEARN_PEEK_LOCK, SOURCE_PROCESSOR]
5. **Poison.** A message whose function fails on its ``maxDequeueCount``-th try (default
   5, the first try included) is copied to ``<queue>-poison`` — created if missing, with
   the service's default time to live (7 days) — and deleted; one that arrives with a
   higher dequeue count goes there without a try. [LEARN_POISON, SOURCE_PROCESSOR,
   SOURCE_SEND]
6. **Encoding.** The trigger decodes the text as ``messageEncoding`` says (base64 by
   default); a message that does not decode is moved to the poison queue at once, without
   a try; output bindings are encoded the same way. [LEARN_USAGE, LEARN_HOST_JSON,
   SOURCE_DECODING]

Left out: dynamic concurrency, scaling out to more instances, renewing the 10-minute lease
of a long-running function, the shared watcher that wakes a listener when a function of
the same app writes to its queue, the Python worker's own thread pool for synchronous
functions (``PYTHON_THREADPOOL_THREAD_COUNT``), and the host's logs.

The clients passed in are ordinary ``QueueClient`` objects *without* encode or decode
policies (use ``Tracer.client`` to record what they send); the model encodes and decodes
like the host does, so that it sees the text as stored.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError

from ..patterns.leases import is_stale_lease
from ..patterns.poison import poison_queue_name
from ..waits import WaitTimeout
from .backoff import Backoff
from .bindings import OutputBinding, UndecodableMessage, encode_text, trigger_message
from .hostjson import QueueSettings

_LEARN = "https://learn.microsoft.com/azure/azure-functions/"
LEARN_HOST_JSON = _LEARN + "functions-bindings-storage-queue#host-json"
LEARN_USAGE = _LEARN + "functions-bindings-storage-queue-trigger#usage"
LEARN_POISON = _LEARN + "functions-bindings-storage-queue-trigger#poison-messages"
LEARN_PEEK_LOCK = _LEARN + "functions-bindings-storage-queue-trigger#peek-lock"
LEARN_POLLING = _LEARN + "functions-bindings-storage-queue-trigger#polling-algorithm"
LEARN_CONCURRENCY = _LEARN + "functions-bindings-storage-queue-trigger#concurrency"
_SOURCE = "https://github.com/Azure/azure-sdk-for-net/blob/main/sdk/storage/"
#: QueueListener.cs at the commit read for rule 3 (ExecuteAsync, CreateSucceededResult).
SOURCE_LISTENER = ("https://github.com/Azure/azure-sdk-for-net/blob/"
                   "22354f3845a6454b0b784ea023a0d892180b12f0/sdk/storage/"
                   "Microsoft.Azure.WebJobs.Extensions.Storage.Common/src/Shared/"
                   "Queues/QueueListener.cs")
SOURCE_PROCESSOR = (_SOURCE + "Microsoft.Azure.WebJobs.Extensions.Storage.Common/src/Shared/"
                    "Queues/QueueProcessor.cs")
SOURCE_SEND = (_SOURCE + "Microsoft.Azure.WebJobs.Extensions.Storage.Common/src/Shared/"
               "StorageQueueExtensions.cs")
SOURCE_DECODING = (_SOURCE + "Microsoft.Azure.WebJobs.Extensions.Storage.Queues/src/"
                   "QueueServiceClientProvider.cs")

LEASE_SECONDS = 600  # "the default 10 minute timeout" while a function runs
RECHECK = 0.05       # how often a waiting model looks at run(until=...) between notifications

# What the host does after a poll that found messages (rule 3): "learn", the default, waits
# 100 ms and polls (LEARN_POLLING); "source" polls again as soon as newBatchThreshold allows
# (SOURCE_LISTENER).
AFTER_MESSAGE = ("learn", "source")

# What happened to a message in one invocation.
SUCCEEDED = "succeeded"
RETRY = "failed, released for a retry"
POISONED = "failed, moved to the poison queue"
UNDECODABLE = "not decodable, moved to the poison queue"
OVER_LIMIT = "over maxDequeueCount, moved to the poison queue"
LEASE_LOST = "lease lost"
HOST_ERROR = "model error"
TO_POISON = (POISONED, UNDECODABLE, OVER_LIMIT)


@dataclass(frozen=True)
class Poll:
    """One receive: how many messages it brought and how long the host waits after it."""

    number: int
    received: int
    wait: float  # seconds the host waits before its next poll (unscaled by speed)


@dataclass(frozen=True)
class Invocation:
    """What the host did with one delivery of a message."""

    message_id: str
    dequeue_count: int
    outcome: str
    error: str = ""


def _bindings(function):
    """(trigger argument, output argument names, user function) of a decorated function."""
    built = function.build() if hasattr(function, "build") else function
    if not hasattr(built, "get_bindings"):
        raise TypeError("function must be a function decorated with @app.queue_trigger "
                        "(azure.functions, Python v2 programming model)")
    trigger, outputs = None, []
    for binding in built.get_bindings():
        if binding.type == "queueTrigger":
            trigger = binding.name
        elif binding.type == "queue":
            outputs.append(binding.name)
    if trigger is None:
        raise ValueError(f"{built.get_function_name()} has no @app.queue_trigger binding")
    return trigger, outputs, built.get_user_function()


def _plain(client, role: str) -> None:
    for attribute in ("_message_encode_policy", "_message_decode_policy"):
        policy = getattr(client, attribute, None)
        if policy is not None and not type(policy).__name__.startswith("No"):
            raise ValueError(f"the {role} client has a {type(policy).__name__}: give the model "
                             f"a QueueClient without encode or decode policies (it encodes like "
                             f"the host, as host.json's messageEncoding says)")


class QueueTriggerModel:
    """A model of the host's listener for one queue-triggered ``function`` (see the module).

    ``queue`` is the trigger's queue, ``poison_queue`` its ``<queue>-poison`` and
    ``outputs`` maps each output binding's argument name to its queue. ``speed`` > 1 makes
    the model wait that many times less between polls (the documented intervals are
    recorded in :attr:`polls` unscaled); ``seed`` makes its random back-off repeatable.
    ``after_message`` is ``"learn"`` (wait 100 ms after a poll that found messages, as
    Learn documents) or ``"source"`` (poll again at once, as the extension's code does).

    :attr:`phase` says what the listener is doing: ``polling``, ``pause`` (the 100 ms after
    a message), ``threshold`` (waiting until no more than newBatchThreshold run), ``delay``
    (backing off after an empty poll) or ``stopped``.
    """

    def __init__(self, function, queue, *, poison_queue, outputs: dict | None = None,
                 settings: QueueSettings | None = None, speed: float = 1.0,
                 seed: int | None = 0, after_message: str = "learn") -> None:
        if after_message not in AFTER_MESSAGE:
            raise ValueError(f"after_message must be 'learn' (wait 100 ms, as Learn documents) "
                             f"or 'source' (as the extension's code does), not "
                             f"{after_message!r}")
        self.after_message = after_message
        self.trigger_arg, output_args, self._user_function = _bindings(function)
        self.settings = settings or QueueSettings()
        outputs = dict(outputs or {})
        missing = [name for name in output_args if name not in outputs]
        if missing:
            raise ValueError(f"give the model a queue for each output binding: outputs="
                             f"{{{', '.join(repr(m) + ': <QueueClient>' for m in missing)}}}")
        if poison_queue.queue_name != poison_queue_name(queue.queue_name):
            raise ValueError(f"the host's poison queue for {queue.queue_name!r} is "
                             f"{poison_queue_name(queue.queue_name)!r}, not "
                             f"{poison_queue.queue_name!r}")
        for client, role in [(queue, "trigger"), (poison_queue, "poison queue"),
                             *[(c, f"output {n!r}") for n, c in outputs.items()]]:
            _plain(client, role)
        if speed <= 0:
            raise ValueError(f"speed must be positive, got {speed}")
        self.queue, self.poison_queue, self.outputs = queue, poison_queue, outputs
        self.speed = speed
        self._backoff = Backoff(self.settings.max_polling_interval,
                                rng=random.Random(seed) if seed is not None else None)
        self._pool = ThreadPoolExecutor(max_workers=max(self.settings.max_concurrent, 1),
                                        thread_name_prefix="function")
        self.condition = threading.Condition(threading.RLock())
        self.phase = "stopped"     # polling, pause, threshold, delay, stopped
        self.in_flight = 0
        self.peak_in_flight = 0
        self.polls: list[Poll] = []
        self.invocations: list[Invocation] = []
        self._errors: list[BaseException] = []
        self._queue_exists = False
        self._found_since_wait = False
        self._pending_wait = 0.0

    # -- reading -----------------------------------------------------------------------
    def count(self, *outcomes: str) -> int:
        """How many invocations ended in one of ``outcomes`` (all when none is given)."""
        with self.condition:
            return sum(1 for i in self.invocations if not outcomes or i.outcome in outcomes)

    def poisoned(self) -> int:
        """How many messages the model moved to the poison queue."""
        return self.count(*TO_POISON)

    # -- the listener loop ---------------------------------------------------------------
    def run(self, *, until=None, polls: int | None = None, timeout: float = 30.0) -> None:
        """Poll like the host until ``until()`` is true, or for ``polls`` more polls.

        Waits between polls are the host's own (scaled by ``speed``), never guesses; gives
        up with :class:`~labsupport.waits.WaitTimeout` after ``timeout`` seconds.
        """
        if (until is None) == (polls is None):
            raise ValueError("pass until=<a condition> or polls=<a number>")
        deadline = time.monotonic() + timeout
        target = None if polls is None else len(self.polls) + polls

        done = False

        def finished() -> bool:  # once true, stays true: the run ends where it noticed
            nonlocal done
            done = done or (until() if until is not None else len(self.polls) >= target)
            return done

        with self.condition:
            self.phase = "polling"
        try:
            while not finished():
                phase = "pause" if self.polls and self.polls[-1].received else "delay"
                self._sleep(self._pending_wait / self.speed, finished, deadline, phase)
                self._wait_for_threshold(finished, deadline)      # rule 2
                if finished():
                    break
                self._check(deadline, until, polls, timeout)
                found = self._poll()
                if found and self.after_message == "learn":   # rule 3: 100 ms, then poll
                    self._pending_wait = self._backoff.next_wait(True)
                elif found:                         # the source: poll once below the threshold
                    self._found_since_wait = True
                    self._pending_wait = 0.0
                else:                               # rule 3: back off
                    self._pending_wait = self._backoff.next_wait(self._found_since_wait)
                    self._found_since_wait = False
                with self.condition:
                    self.polls.append(Poll(len(self.polls) + 1, found, self._pending_wait))
                self._check(deadline, until, polls, timeout)
        finally:
            with self.condition:
                self.phase = "stopped"
        self._raise_errors()

    def settle(self, timeout: float = 30.0) -> None:
        """Wait until every message the model received has been deleted or released."""
        with self.condition:
            if not self.condition.wait_for(lambda: self.in_flight == 0, timeout):
                raise WaitTimeout(f"{self.in_flight} invocation(s) still running after "
                                  f"{timeout:g} s")
        self._raise_errors()

    def close(self) -> None:
        """Wait for running invocations, then stop the model's threads."""
        self._pool.shutdown(wait=True)

    def __enter__(self) -> QueueTriggerModel:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _check(self, deadline: float, until, polls, timeout: float) -> None:
        if time.monotonic() > deadline:
            what = f"{polls} polls" if polls is not None else "the condition to hold"
            raise WaitTimeout(f"The model of the Functions host ran {timeout:g} s without "
                              f"{what} ({len(self.polls)} polls, {self.count()} invocations); "
                              f"pass a larger timeout if the machine is very busy.")

    def _sleep(self, seconds: float, finished, deadline: float, phase: str) -> None:
        if seconds <= 0:
            return
        end = min(time.monotonic() + seconds, deadline)
        with self.condition:
            self.phase = phase
            self.condition.notify_all()
            while (remaining := end - time.monotonic()) > 0 and not finished():
                self.condition.wait(min(remaining, RECHECK))
            self.phase = "polling"

    def _wait_for_threshold(self, finished, deadline: float) -> None:
        with self.condition:
            if self.in_flight > self.settings.new_batch_threshold:
                self.phase = "threshold"
                self.condition.notify_all()
            while (self.in_flight > self.settings.new_batch_threshold and not finished()
                   and time.monotonic() < deadline):
                self.condition.wait(RECHECK)
            self.phase = "polling"

    def _poll(self) -> int:
        """Rule 1: receive one batch and start each message's invocation. Returns the count."""
        if not self._queue_exists:  # the host checks once that the queue exists
            try:
                self.queue.get_queue_properties()
            except ResourceNotFoundError:
                return 0
            self._queue_exists = True
        size = self.settings.batch_size
        # One request: the pager would ask again for the rest of max_messages; the host does not.
        pages = self.queue.receive_messages(max_messages=size, messages_per_page=size,
                                            visibility_timeout=LEASE_SECONDS).by_page()
        messages = list(next(pages, []))
        with self.condition:
            self.in_flight += len(messages)
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        for message in messages:
            self._pool.submit(self._process, message)
        return len(messages)

    # -- one message ---------------------------------------------------------------------
    def _process(self, message) -> None:
        error = ""
        try:
            outcome, error = self._handle(message)
        except Exception as unexpected:  # a failed request of the model itself
            outcome, error = HOST_ERROR, f"{type(unexpected).__name__}: {unexpected}"
            with self.condition:
                self._errors.append(unexpected)
        with self.condition:
            self.invocations.append(Invocation(message.id, message.dequeue_count, outcome, error))
            self.in_flight -= 1
            if self.phase == "threshold" and self.in_flight <= self.settings.new_batch_threshold:
                self.phase = "polling"  # the listener polls next: nothing may change in between
            self.condition.notify_all()

    def _handle(self, message) -> tuple[str, str]:
        settings = self.settings
        if message.dequeue_count > settings.max_dequeue_count:        # rule 5
            return self._to_poison(message, OVER_LIMIT), ""
        try:
            trigger = trigger_message(message, settings.message_encoding)   # rule 6
        except UndecodableMessage as undecodable:
            return self._to_poison(message, UNDECODABLE), str(undecodable)
        outputs = {name: OutputBinding() for name in self.outputs}
        try:
            self._invoke(trigger, outputs)
        except Exception as failure:  # the function failed: retry or poison (rules 4, 5)
            error = f"{type(failure).__name__}: {failure}"
            if message.dequeue_count >= settings.max_dequeue_count:
                return self._to_poison(message, POISONED), error
            try:
                self.queue.update_message(message.id, message.pop_receipt,
                                          visibility_timeout=round(settings.visibility_timeout))
            except HttpResponseError as lost:
                if not is_stale_lease(lost):
                    raise
                return LEASE_LOST, error
            return RETRY, error
        for name, binding in outputs.items():                           # rule 6: outputs
            for value in binding.messages():
                self.outputs[name].send_message(encode_text(value, settings.message_encoding))
        return (SUCCEEDED if self._delete(message) else LEASE_LOST), ""

    def _invoke(self, trigger, outputs: dict) -> None:
        result = self._user_function(**{self.trigger_arg: trigger}, **outputs)
        if inspect.isawaitable(result):
            asyncio.run(result)

    def _to_poison(self, message, outcome: str) -> str:
        """Copy the text as stored to ``<queue>-poison`` (creating it on first use), delete."""
        try:
            self.poison_queue.send_message(message.content)
        except ResourceNotFoundError:
            with contextlib.suppress(ResourceExistsError):  # another instance made it
                self.poison_queue.create_queue()
            self.poison_queue.send_message(message.content)
        return outcome if self._delete(message) else LEASE_LOST

    def _delete(self, message) -> bool:
        try:
            self.queue.delete_message(message.id, message.pop_receipt)
        except HttpResponseError as lost:
            if not is_stale_lease(lost):
                raise
            return False
        return True

    def _raise_errors(self) -> None:
        with self.condition:
            errors, self._errors = self._errors, []
        if errors:
            raise errors[0]


__all__ = ["AFTER_MESSAGE", "HOST_ERROR", "Invocation", "LEASE_LOST", "OVER_LIMIT", "POISONED",
           "Poll", "QueueTriggerModel", "RETRY", "SUCCEEDED", "TO_POISON", "UNDECODABLE"]
