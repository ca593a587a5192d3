"""How long the host waits between polls of an empty queue: randomized exponential back-off.

Learn ("Azure Queue storage trigger for Azure Functions", Polling algorithm, ``LEARN``):
the trigger "implements a random exponential back-off algorithm"; "when a message is found,
the runtime waits 100 milliseconds and then checks for another message", it waits about
200 ms after an empty poll, and the wait keeps growing until it reaches
``maxPollingInterval`` (default one minute; two seconds in local development). The exact
rule is the extension's ``RandomizedExponentialBackoffStrategy`` (``SOURCE``), with
``minimum = delta = 100 ms``::

    found (a message since the last wait):  wait = minimum                  (and reset k = 1)
    otherwise:                              wait = minimum + r * 2**(k-1) * delta,  k += 1
                                            r drawn from [0.8, 1.2), capped at the maximum

so after a message the waits are 0.1 s, then about 0.2, 0.3, 0.5, 0.9, 1.7, 3.3 … seconds
while the queue stays empty. (Who asks for a wait, and when, is the listener's business:
see :mod:`.listener`, rule 3.)
"""

from __future__ import annotations

import random as _random

LEARN = ("https://learn.microsoft.com/azure/azure-functions/"
         "functions-bindings-storage-queue-trigger#polling-algorithm")
SOURCE = ("https://github.com/Azure/azure-sdk-for-net/blob/"
          "a256d07e7edbfbbd31bcfa3b1d5266907bb30397/sdk/storage/"
          "Microsoft.Azure.WebJobs.Extensions.Storage.Common/src/Shared/Timers/"
          "RandomizedExponentialBackoffStrategy.cs")

MINIMUM = 0.1             # QueuePollingIntervals.Minimum: 100 ms
RANDOMIZATION = 0.2       # RandomizationFactor: the increment varies by ±20 %


class Backoff:
    """The host's polling back-off for one queue listener (seconds).

    ``next_wait(found)`` is called after each empty poll; ``found`` tells whether a
    message was found since the last wait. ``rng`` makes the waits repeatable.
    """

    def __init__(self, maximum: float, *, minimum: float = MINIMUM,
                 rng: _random.Random | None = None) -> None:
        if minimum < 0 or maximum < minimum:
            raise ValueError(f"need 0 <= minimum <= maximum, got {minimum} and {maximum}")
        self.minimum = minimum
        self.maximum = maximum
        self.delta = minimum
        self._rng = rng or _random.Random()
        self._exponent = 0
        self._current = 0.0

    def next_wait(self, found: bool) -> float:
        if found:
            self._current, self._exponent = self.minimum, 1
        elif self._current != self.maximum:
            wait = self.minimum
            if self._exponent > 0:
                factor = self._rng.uniform(1 - RANDOMIZATION, 1 + RANDOMIZATION)
                wait += factor * 2 ** (self._exponent - 1) * self.delta
            if wait < self.maximum:
                self._current, self._exponent = wait, self._exponent + 1
            else:
                self._current = self.maximum
        return self._current
