"""Azure Functions' queue trigger, for lesson 11: host.json settings and a MODEL of the host.

* :mod:`.hostjson` — ``queue_settings(host_json)``: the queue extension's settings with the
  documented defaults, or one sentence naming a bad setting and its allowed range.
* :mod:`.bindings` — the ``azure.functions.QueueMessage`` the Python worker builds from a
  queue message, and an ``azure.functions.Out`` for output bindings.
* :mod:`.backoff` — the randomized exponential back-off between polls of an empty queue.
* :mod:`.listener` — ``QueueTriggerModel``: a model of the host's queue listener, written
  with the SDK. It is **not** the Functions host: it follows the documented rules (each
  cites its Microsoft source) so that a lesson can watch them on the wire.
* :mod:`.downstream` — ``SlowDownstream``: a partner API whose calls end one at a time while
  the host waits, so a run shows the host's rules whatever the machine's speed.
* :mod:`.figures` — the lesson's figures, drawn from the recorded requests (imported on
  its own: it loads matplotlib).
"""

from .backoff import Backoff
from .bindings import OutputBinding, UndecodableMessage, decode_body, encode_text, trigger_message
from .hostjson import HostJsonError, QueueSettings, format_timespan, parse_timespan, queue_settings
from .listener import (
    OVER_LIMIT,
    POISONED,
    RETRY,
    SUCCEEDED,
    TO_POISON,
    UNDECODABLE,
    Invocation,
    Poll,
    QueueTriggerModel,
)

__all__ = ["OVER_LIMIT", "POISONED", "RETRY", "SUCCEEDED", "TO_POISON", "UNDECODABLE", "Backoff",
           "HostJsonError", "Invocation", "OutputBinding", "Poll", "QueueSettings",
           "QueueTriggerModel", "UndecodableMessage", "decode_body", "encode_text",
           "format_timespan", "parse_timespan", "queue_settings", "trigger_message"]
