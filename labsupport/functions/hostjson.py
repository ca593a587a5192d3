"""The queue extension's settings in host.json, read and checked as the docs state them.

``queue_settings(host_json)`` takes a host.json (a dict, JSON text or a path) and returns
:class:`QueueSettings` with every documented default filled in, or raises
:class:`HostJsonError` with one sentence that names the setting and its allowed range.

Sources (each rule below cites one):

* ``HOST_JSON`` — Learn, "Azure Queue storage trigger and bindings for Azure Functions
  overview", section host.json settings: the six settings, their defaults, "The maximum
  batchSize is 32", ``maxPollingInterval`` "must not be less than 00:00:00.100",
  ``newBatchThreshold`` default ``N*batchSize/2`` (N = vCPUs on App Service and Premium
  plans, 1 on Consumption), ``messageEncoding`` "Valid values are base64 and none".
* ``QUEUES_OPTIONS`` — the extension's ``QueuesOptions`` (what the host enforces where Learn
  names no range): batchSize "in range within 1 and 32", newBatchThreshold "zero or positive
  integer", maxDequeueCount "must not be less than 1".
* ``UPDATE_MESSAGE`` — the Update Message REST reference: a visibility timeout "must be
  larger than or equal to 0, and cannot be larger than 7 days".

The host binds host.json through .NET configuration, which ignores the case of names, so
``BatchSize`` works as well as ``batchSize``; this reader does the same.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass, replace
from pathlib import Path

from ..errors import LabError

HOST_JSON = ("https://learn.microsoft.com/azure/azure-functions/"
             "functions-bindings-storage-queue#host-json")
QUEUES_OPTIONS = ("https://github.com/Azure/azure-sdk-for-net/blob/main/sdk/storage/"
                  "Microsoft.Azure.WebJobs.Extensions.Storage.Common/src/Shared/Queues/"
                  "QueuesOptions.cs")
UPDATE_MESSAGE = "https://learn.microsoft.com/rest/api/storageservices/update-message"

#: The documented defaults (HOST_JSON). ``newBatchThreshold``'s depends on the plan.
DEFAULT_BATCH_SIZE = 16
DEFAULT_MAX_POLLING_INTERVAL = 60.0      # 00:01:00
LOCAL_MAX_POLLING_INTERVAL = 2.0         # "During local development ... defaults to two seconds"
MIN_POLLING_INTERVAL = 0.1               # 00:00:00.100
DEFAULT_VISIBILITY_TIMEOUT = 0.0         # 00:00:00
DEFAULT_MAX_DEQUEUE_COUNT = 5
DEFAULT_MESSAGE_ENCODING = "base64"
MAX_BATCH_SIZE = 32
MAX_VISIBILITY_TIMEOUT = 7 * 24 * 3600.0  # UPDATE_MESSAGE

SETTINGS = ("batchSize", "newBatchThreshold", "maxPollingInterval", "visibilityTimeout",
            "maxDequeueCount", "messageEncoding")
ENCODINGS = ("base64", "none")


class HostJsonError(LabError):
    """host.json is not valid for the queue extension (one sentence: what and the range)."""


@dataclass(frozen=True)
class QueueSettings:
    """``extensions.queues`` of host.json, in seconds and plain values, defaults filled in.

    ``new_batch_threshold`` is what the host uses: the configured value, or the documented
    default ``vcpus * batch_size // 2`` (``vcpus`` is 1 on the Consumption plan).
    """

    batch_size: int = DEFAULT_BATCH_SIZE
    new_batch_threshold: int = DEFAULT_BATCH_SIZE // 2
    max_polling_interval: float = DEFAULT_MAX_POLLING_INTERVAL
    visibility_timeout: float = DEFAULT_VISIBILITY_TIMEOUT
    max_dequeue_count: int = DEFAULT_MAX_DEQUEUE_COUNT
    message_encoding: str = DEFAULT_MESSAGE_ENCODING
    threshold_is_default: bool = True

    @property
    def max_concurrent(self) -> int:
        """The most messages one instance processes at once: batchSize + newBatchThreshold."""
        return self.batch_size + self.new_batch_threshold

    def replace(self, **changes) -> QueueSettings:
        """A copy with some fields changed (e.g. ``max_polling_interval=2.0`` for local runs)."""
        return replace(self, **changes)

    def as_host_json(self) -> dict:
        """These settings as host.json's ``extensions.queues`` section."""
        queues = {
            "batchSize": self.batch_size,
            "newBatchThreshold": self.new_batch_threshold,
            "maxPollingInterval": format_timespan(self.max_polling_interval),
            "visibilityTimeout": format_timespan(self.visibility_timeout),
            "maxDequeueCount": self.max_dequeue_count,
            "messageEncoding": self.message_encoding,
        }
        if self.threshold_is_default:
            del queues["newBatchThreshold"]
        return {"version": "2.0", "extensions": {"queues": queues}}


# --- time spans ---------------------------------------------------------------------------

_TIMESPAN = re.compile(r"^(?:(\d+)\.)?(\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.(\d{1,7}))?$")


def parse_timespan(text: str) -> float:
    """Seconds in a .NET TimeSpan such as ``"00:00:02"``, ``"00:00:00.100"``, ``"1.00:00:00"``.

    Raises ValueError for anything else — a bare number, too: in Functions 1.x
    ``maxPollingInterval`` was milliseconds, and .NET would read ``"2000"`` as 2000 days.
    """
    found = _TIMESPAN.match(text.strip()) if isinstance(text, str) else None
    if not found:
        raise ValueError(text)
    days, hours, minutes, seconds, fraction = found.groups()
    if int(hours) > 23 or int(minutes) > 59 or int(seconds) > 59:
        raise ValueError(text)
    return (int(days or 0) * 86400 + int(hours) * 3600 + int(minutes) * 60 + int(seconds)
            + (int(fraction) / 10 ** len(fraction) if fraction else 0.0))


def format_timespan(seconds: float) -> str:
    """``2.0`` -> ``"00:00:02"``, ``0.1`` -> ``"00:00:00.100"`` (days as ``d.hh:mm:ss``)."""
    millis = round(seconds * 1000)
    days, rest = divmod(millis, 86_400_000)
    hours, rest = divmod(rest, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    whole, millis = divmod(rest, 1000)
    text = f"{hours:02d}:{minutes:02d}:{whole:02d}" + (f".{millis:03d}" if millis else "")
    return f"{days}.{text}" if days else text


# --- reading host.json ----------------------------------------------------------------------

def _load(host_json) -> dict:
    if isinstance(host_json, dict):
        return host_json
    if isinstance(host_json, Path) or (isinstance(host_json, str)
                                       and not host_json.lstrip().startswith("{")):
        path = Path(host_json)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as error:
            raise HostJsonError(f"Cannot read {path}: {error.strerror or error}.") from None
    else:
        text = host_json
    try:
        loaded = json.loads(text)
    except json.JSONDecodeError as error:
        raise HostJsonError(f"host.json is not valid JSON: {error.msg} at line {error.lineno}, "
                            f"column {error.colno}.") from None
    if not isinstance(loaded, dict):
        raise HostJsonError("host.json must be a JSON object, like "
                            "{\"version\": \"2.0\", \"extensions\": {\"queues\": {...}}}.")
    return loaded


def _find(mapping: dict, name: str):
    """The value of ``name`` in ``mapping``, ignoring case as .NET configuration does."""
    for key, value in mapping.items():
        if key.lower() == name.lower():
            return key, value
    return None, None


def _section(parent: dict, name: str, where: str, example: str) -> dict:
    """``parent``'s object ``name`` (any case); {} if it is unset."""
    _, value = _find(parent, name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise HostJsonError(f"host.json: {where} must be an object, like {example}.")
    return value


def _whole(name: str, value, low: int, high: int | None, source: str) -> int:
    allowed = f"from {low} to {high}" if high is not None else f"of at least {low}"
    number = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
        number = int(value)  # .NET configuration binds "16" as well as 16
    if number is None or number < low or (high is not None and number > high):
        raise HostJsonError(
            f"host.json: extensions.queues.{name} must be a whole number {allowed}, "
            f"not {json.dumps(value)} (see {source}).")
    return number


def _span(name: str, value, low: float, high: float | None, example: str, source: str) -> float:
    allowed = (f"from {format_timespan(low)} to {format_timespan(high)}" if high is not None
               else f"of at least {format_timespan(low)}")
    try:
        seconds = parse_timespan(value)
    except ValueError:
        seconds = None
    if seconds is None or seconds < low or (high is not None and seconds > high):
        raise HostJsonError(
            f"host.json: extensions.queues.{name} must be a time span (hh:mm:ss, e.g. "
            f"\"{example}\") {allowed}, not {json.dumps(value)} (see {source}).")
    return seconds


def queue_settings(host_json=None, *, vcpus: int = 1) -> QueueSettings:
    """Read ``extensions.queues`` from host.json and check it; defaults for what is unset.

    ``vcpus`` is N in the documented default ``newBatchThreshold = N*batchSize/2``: 1 on
    the Consumption plan, the instance's vCPU count on App Service and Premium plans.
    """
    if not isinstance(vcpus, int) or vcpus < 1:
        raise ValueError(f"vcpus must be a whole number of at least 1, got {vcpus!r}")
    document = _load(host_json) if host_json is not None else {"version": "2.0"}
    _, version = _find(document, "version")
    if version != "2.0":
        raise HostJsonError(f"host.json: \"version\" must be \"2.0\" (Functions 2.x and later), "
                            f"not {json.dumps(version)} (see {HOST_JSON}).")
    top_queues, _ = _find(document, "queues")
    if top_queues is not None:
        raise HostJsonError(f"host.json: \"{top_queues}\" at the top level is the Functions 1.x "
                            f"layout; in 2.x and later the queue settings go under "
                            f"\"extensions\": {{\"queues\": {{...}}}} (see {HOST_JSON}).")
    extensions = _section(document, "extensions", '"extensions"',
                          '{"queues": {"batchSize": 16}}')
    queues = _section(extensions, "queues", "extensions.queues",
                      '{"batchSize": 16, "maxDequeueCount": 5}')
    known = {name.lower(): name for name in SETTINGS}
    for key in queues:
        if key.lower() not in known:
            close = difflib.get_close_matches(key.lower(), list(known), n=1)
            hint = f" (did you mean {known[close[0]]}?)" if close else ""
            raise HostJsonError(
                f"host.json: extensions.queues has no setting \"{key}\"{hint}; the queue "
                f"extension's settings are {', '.join(SETTINGS[:-1])} and {SETTINGS[-1]} "
                f"(see {HOST_JSON}).")

    def given(name: str):
        return _find(queues, name)[1]

    batch_size = DEFAULT_BATCH_SIZE
    if given("batchSize") is not None:
        batch_size = _whole("batchSize", given("batchSize"), 1, MAX_BATCH_SIZE, HOST_JSON)
    threshold, threshold_is_default = vcpus * batch_size // 2, True
    if given("newBatchThreshold") is not None:
        threshold = _whole("newBatchThreshold", given("newBatchThreshold"), 0, None,
                           QUEUES_OPTIONS)
        threshold_is_default = False
    max_polling = DEFAULT_MAX_POLLING_INTERVAL
    if given("maxPollingInterval") is not None:
        max_polling = _span("maxPollingInterval", given("maxPollingInterval"),
                            MIN_POLLING_INTERVAL, None, "00:00:02", HOST_JSON)
    visibility = DEFAULT_VISIBILITY_TIMEOUT
    if given("visibilityTimeout") is not None:
        visibility = _span("visibilityTimeout", given("visibilityTimeout"), 0.0,
                           MAX_VISIBILITY_TIMEOUT, "00:00:30", UPDATE_MESSAGE)
    max_dequeue = DEFAULT_MAX_DEQUEUE_COUNT
    if given("maxDequeueCount") is not None:
        max_dequeue = _whole("maxDequeueCount", given("maxDequeueCount"), 1, None, QUEUES_OPTIONS)
    encoding = DEFAULT_MESSAGE_ENCODING
    if given("messageEncoding") is not None:
        value = given("messageEncoding")
        if not isinstance(value, str) or value.lower() not in ENCODINGS:
            raise HostJsonError(
                f"host.json: extensions.queues.messageEncoding must be \"base64\" or \"none\", "
                f"not {json.dumps(value)} (see {HOST_JSON}).")
        encoding = value.lower()
    return QueueSettings(batch_size=batch_size, new_batch_threshold=threshold,
                         max_polling_interval=max_polling, visibility_timeout=visibility,
                         max_dequeue_count=max_dequeue, message_encoding=encoding,
                         threshold_is_default=threshold_is_default)


__all__ = ["HOST_JSON", "HostJsonError", "QueueSettings", "format_timespan", "parse_timespan",
           "queue_settings"]
