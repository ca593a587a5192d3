"""Time ways of moving messages side by side: the harness behind lesson 10 and the benchmark.

:func:`measure` runs each :class:`Mode` (a function the lesson writes, with the kind of
client it takes) on the same number of 1 KiB messages, each on a fresh queue, and repeats
the round ``runs`` times (order reversed every other round, so a change in machine load
hits every mode alike). Each client opens the keep-alive connections it will use before
the clock starts, as a long-lived client would: the figures are steady-state rates, not
TLS handshakes.

Besides the time, a :class:`Meter` in the SDK's own hooks (``raw_request_hook`` /
``raw_response_hook``; the raw client calls it itself) counts what each mode did on the
wire: the requests it sent and the most it had in flight at once. Those do not depend on
speed. It also records the CPU time this process spent (``time.process_time``) and, given
a clock of the service's CPU seconds (the benchmark passes the local Azurite's), the
service's: which side's CPU per request sets the pace is what the ratios mean.

Each consume mode must delete every message that was sent, exactly once, and leave its
queue empty, or the run stops with :class:`MessagesLost`. Each queue is drained right
after it is filled: Azurite's receive and delete get slower the more messages it stores
(Azure's targets do not depend on queue length).

Pass a :class:`~labsupport.lab.Network` (``lab.azure_like_network()``) to measure through
a simulated network round trip. Nothing here judges speed: it measures.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import statistics
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from azure.storage.queue import QueueClient
from azure.storage.queue.aio import QueueClient as AsyncQueueClient

from ..errors import LabError
from ..progress import progress
from .modes import payloads
from .rawqueue import BearerAuthorization, RawQueue, consume_raw, send_raw

PAGE = 32
FLOOR_METHOD = ("raw HTTP: aiohttp with keep-alive and a bearer token from the same Entra ID "
                "credential (labsupport.throughput.rawqueue), no SDK pipeline")


class MessagesLost(LabError):
    """A consume mode did not delete exactly the messages that were sent."""


@dataclass(frozen=True)
class Mode:
    """One way of moving messages: ``run(client, messages)`` (send) or ``run(client)``
    (consume, returning the contents it deleted), on a ``client`` of kind "sync",
    "async" or "raw". ``connections`` are opened before timing; ``role`` is "floor",
    "recommended", "naive" or "" (shown in tables); ``options`` are keyword arguments for
    the SDK client (e.g. ``{"use_env_settings": False}``)."""

    key: str
    label: str
    kind: str
    client: str
    run: Callable
    role: str = ""
    connections: int = 1
    options: dict = field(default_factory=dict, hash=False)

    @classmethod
    def of(cls, label: str, run: Callable, *, key: str | None = None, role: str = "",
           connections: int = 1, **options) -> Mode:
        """A mode from a lesson's function: a send if it takes messages, async if it is
        ``async def``; ``key`` defaults to the label; other keywords go to the client."""
        takes = [p for p in inspect.signature(run).parameters.values()
                 if p.default is inspect.Parameter.empty]
        kind = "send" if len(takes) >= 2 else "consume"
        client = "async" if inspect.iscoroutinefunction(run) else "sync"
        return cls(key or label, label, kind, client, run, role, connections, options)


#: The floor: the recommended modes' requests from the raw client (no SDK).
FLOOR_SEND = Mode("floor-send", "raw HTTP, 64 in flight", "send", "raw", send_raw, "floor", 64)
FLOOR_CONSUME = Mode("floor-consume", "raw HTTP, 4 receivers x 32, 16 deletes", "consume",
                     "raw", consume_raw, "floor", 4 + 16)


class Meter:
    """Counts the requests a client sends and the most it has in flight at once.

    For an SDK client pass ``**meter.hooks`` (the SDK's ``raw_request_hook`` and
    ``raw_response_hook``, called once per attempt); :class:`RawQueue` calls
    :meth:`started` and :meth:`finished` itself. Lighter than :class:`labsupport.wire.WireLog`
    (nothing is parsed), because it runs inside the timed loop. One thread or one event loop.
    """

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.requests = 0
        self.max_in_flight = 0
        self._in_flight = 0

    def started(self, *_) -> None:
        self.requests += 1
        self._in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self._in_flight)

    def finished(self, *_) -> None:
        self._in_flight -= 1

    @property
    def hooks(self) -> dict[str, Callable]:
        return {"raw_request_hook": self.started, "raw_response_hook": self.finished}


@dataclass
class Sample:
    round: int
    mode: str
    kind: str
    messages: int
    seconds: float
    requests: int = 0          # requests the client sent while timed (counted on the wire)
    max_in_flight: int = 0     # the most of them in flight at once
    cpu_seconds: float = 0.0   # CPU time this process spent meanwhile
    service_cpu_seconds: float | None = None  # CPU time the service spent, if known

    @property
    def rate(self) -> float:
        return self.messages / self.seconds


def cpu_count() -> int:
    """The CPUs this process may run on (what a container or taskset allows)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


@dataclass
class Results:
    """Every timed sample of a run, and the medians and ratios derived from them.

    ``where`` says what served the requests (e.g. "Azurite on this machine"), ``cpus`` how
    many CPUs this process may use.
    """

    messages: int
    runs: int
    modes: tuple[Mode, ...]
    samples: list[Sample] = field(default_factory=list)
    where: str = "this machine"
    cpus: int = field(default_factory=cpu_count)

    @property
    def setting(self) -> str:
        """What served the requests and the CPUs, e.g. "Azurite on this machine, 2 CPUs
        shared by client and service"."""
        cpus = f"{self.cpus} CPU{'s' if self.cpus != 1 else ''}"
        if self.where.startswith("Azurite"):
            return f"{self.where}, {cpus} shared by client and service"
        return f"{self.where} ({cpus})"

    def _of(self, keys: Iterable[str]) -> list[Sample]:
        keys = set(keys)
        return [s for s in self.samples if s.mode in keys]

    def rates(self, key: str) -> list[float]:
        return [s.rate for s in self._of([key])]

    def rate(self, key: str) -> float:
        """The median messages/s of a mode."""
        return statistics.median(self.rates(key))

    def ratio(self, key: str, other: str) -> float:
        """How many times faster ``key`` moved messages than ``other`` (medians)."""
        return self.rate(key) / self.rate(other)

    def requests_per_message(self, key: str) -> float:
        """The median number of requests a mode sent per message (counted on the wire)."""
        return statistics.median(s.requests / s.messages for s in self._of([key]))

    def max_in_flight(self, key: str) -> int:
        """The most requests a mode had in flight at once, over all its runs."""
        return max(s.max_in_flight for s in self._of([key]))

    def cpu_per_request(self, *keys: str) -> float:
        """Seconds of this process's CPU per request, over every run of the given modes."""
        samples = self._of(keys)
        return sum(s.cpu_seconds for s in samples) / max(sum(s.requests for s in samples), 1)

    def service_cpu_per_request(self, *keys: str) -> float | None:
        """Seconds of the service's CPU per request over every run of the given modes, or
        None if it was not measured (no service clock, e.g. on Azure)."""
        samples = self._of(keys)
        if not samples or any(s.service_cpu_seconds is None for s in samples):
            return None
        return (sum(s.service_cpu_seconds for s in samples)
                / max(sum(s.requests for s in samples), 1))

    def floor(self, kind: str) -> Mode | None:
        """The floor mode of ``kind`` ("send" or "consume"), if it was measured."""
        return next((m for m in self.modes if m.kind == kind and m.role == "floor"), None)

    def table(self):
        """A pandas DataFrame, one row per mode: median, min and max msg/s, × floor, requests
        per message, the most requests in flight, and CPU ms per request of this process
        and of the service (NaN if not measured)."""
        import pandas as pd

        rows = []
        for mode in self.modes:
            floor = self.floor(mode.kind)
            rates = self.rates(mode.key)
            rows.append({
                "kind": mode.kind, "mode": mode.label, "role": mode.role,
                "msg/s": statistics.median(rates), "min": min(rates), "max": max(rates),
                "x floor": statistics.median(rates) / self.rate(floor.key) if floor else None,
                "requests/msg": self.requests_per_message(mode.key),
                "max in flight": self.max_in_flight(mode.key),
                "cpu ms/request": 1000 * self.cpu_per_request(mode.key),
                "service cpu ms/request": _ms(self.service_cpu_per_request(mode.key)),
            })
        return pd.DataFrame(rows, index=[m.key for m in self.modes])


def _ms(seconds: float | None) -> float:
    return float("nan") if seconds is None else 1000 * seconds


def rate_figure(results: Results, title: str | None = None):
    """A horizontal bar per mode: median messages/s, whiskers from the slowest to the fastest
    run; sends in blue, receive + delete in orange, the raw-HTTP floor hatched. The title
    says what served the requests and on how many CPUs (unless ``title`` replaces it)."""
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    table = results.table()
    colours = {"send": "tab:blue", "consume": "tab:orange"}
    figure = Figure(figsize=(9, 1.4 + 0.42 * len(table)))
    ax = figure.subplots()
    rows = range(len(table))
    ax.barh(rows, table["msg/s"], color=[colours[k] for k in table["kind"]],
            hatch=["//" if role == "floor" else "" for role in table["role"]],
            edgecolor="white", xerr=[table["msg/s"] - table["min"],
                                     table["max"] - table["msg/s"]],
            error_kw={"ecolor": "dimgrey", "capsize": 3, "lw": 1})
    for row, (median, top) in enumerate(zip(table["msg/s"], table["max"], strict=True)):
        ax.annotate(f"{median:.0f}", (top, row), xytext=(6, 0), textcoords="offset points",
                    va="center", fontsize=8)
    ax.set_yticks(list(rows), [f"{label}" + (f"  [{role}]" if role else "")
                               for label, role in zip(table["mode"], table["role"],
                                                      strict=True)], fontsize=9)
    ax.invert_yaxis()
    ax.set_xlim(0, table["max"].max() * 1.15)
    ax.set_xlabel(f"messages/s (median of {results.runs} run(s) of {results.messages} × 1 KiB; "
                  f"whiskers: slowest to fastest run)")
    ax.grid(axis="x", alpha=0.3)
    handles = [Patch(color=colours["send"], label="send"),
               Patch(color=colours["consume"], label="receive + delete")]
    if any(m.role == "floor" for m in results.modes):
        handles.append(Patch(facecolor="lightgrey", hatch="//", edgecolor="white",
                             label="floor: raw HTTP, no SDK"))
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.16),
              ncol=len(handles), fontsize=8, frameon=False)
    ax.set_title(title or f"Measured now: {results.setting}", fontsize=10)
    figure.tight_layout()
    return figure


def plot(results: Results, title: str | None = None) -> None:
    """Show :func:`rate_figure` in a notebook as an image only (no text to compare)."""
    from ..png import png_bytes, show_png

    show_png(png_bytes(rate_figure(results, title)))


# --- running them -------------------------------------------------------------------------

def check_consumed(mode: Mode, expected: Sequence[str], done: Sequence[str],
                   queue: QueueClient) -> None:
    """Every message sent was deleted exactly once and the queue is empty, or raise."""
    got, want = Counter(done or ()), Counter(expected)
    problems = []
    if got - want:
        problems.append(f"{sum((got - want).values())} deleted more than once or not sent")
    if want - got:
        problems.append(f"{sum((want - got).values())} never deleted")
    left = queue.peek_messages(max_messages=PAGE)
    if left:
        problems.append(f"{len(left)}{'+' if len(left) == PAGE else ''} still in the queue")
    if problems:
        raise MessagesLost(f"{mode.label}: {', '.join(problems)} (of {len(expected)}). The "
                           f"consumer must delete every message it receives, exactly once, "
                           f"and return their contents.")


class Clients:
    """The three kinds of client for one queue at ``account_url``, opened (and warmed)
    before timing. Every client carries :attr:`meter`, reset when the client is ready."""

    def __init__(self, lab, account_url: str, queue_name: str):
        self.lab, self.url, self.name = lab, account_url, queue_name
        self.meter = Meter()
        self._credential = None  # the async client's credential, closed with it

    async def open(self, kind: str, connections: int = 1, options: dict | None = None):
        """A client of ``kind`` with ``connections`` keep-alive connections already open, as
        a long-lived client would have: TLS handshakes are not what we measure. ``options``
        go to the SDK client's constructor."""
        options = {**(options or {}), **self.meter.hooks}
        if kind == "sync":
            client = QueueClient(self.url, self.name, credential=self.lab.credential,
                                 **options)
            client.get_queue_properties()
        elif kind == "async":
            self._credential = self.lab.async_credential()
            client = AsyncQueueClient(self.url, self.name, credential=self._credential,
                                      **options)
            await client.__aenter__()
            await _open_connections(client.get_queue_properties, connections)
        else:
            client = await RawQueue(self.url, self.name, BearerAuthorization(self.lab.credential),
                                    meter=self.meter).__aenter__()
            await _open_connections(lambda: client.peek(1), connections)
        self.meter.reset()
        return client

    async def close(self, client) -> None:
        if isinstance(client, AsyncQueueClient | RawQueue):
            await client.__aexit__(None, None, None)
        else:
            client.close()
        if self._credential is not None:
            await self._credential.close()
            self._credential = None


async def _open_connections(request: Callable, connections: int) -> None:
    """Open ``connections`` keep-alive connections: one request first (the SDK client
    fetches its token then; requests waiting for it would start one by one and reuse
    connections freed meanwhile), then ``connections`` requests at once, each of which
    opens a connection before any answer frees one."""
    await request()
    await asyncio.gather(*(request() for _ in range(connections)))


@dataclass(frozen=True)
class Timing:
    seconds: float
    cpu_seconds: float
    outcome: object
    service_cpu_seconds: float | None = None


async def timed(mode: Mode, client, *args,
                service_cpu: Callable[[], float] | None = None) -> Timing:
    """Run ``mode`` on ``client`` and time it (wall clock, this process's CPU and, with a
    ``service_cpu`` clock, the service's CPU)."""
    service = service_cpu() if service_cpu else None
    cpu, started = time.process_time(), time.perf_counter()
    outcome = mode.run(client, *args)
    if inspect.isawaitable(outcome):
        outcome = await outcome
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    return Timing(seconds, cpu, outcome, service_cpu() - service if service_cpu else None)


def _where(lab, network) -> str:
    if not lab.config.is_local:
        return "Azure, from this machine"
    if network is not None and network.round_trip_ms:
        return f"Azurite on this machine behind a simulated {network.round_trip_ms} ms round trip"
    return "Azurite on this machine"


async def measure(lab, modes: Sequence[Mode], messages: int = 64, runs: int = 3, *,
                  network=None, service_cpu: Callable[[], float] | None = None) -> Results:
    """Measure each of ``modes`` ``runs`` times on ``messages`` messages of 1 KiB.

    Each send mode fills a fresh queue and a consume mode drains it right after (filled
    untimed by the raw client when there are more consume modes than send modes); every
    queue is deleted as soon as it is done with. ``network`` (from
    ``lab.azure_like_network()``) routes the timed clients through its endpoint;
    ``service_cpu``, a clock of the CPU seconds the service has used, adds the service's
    CPU per request to the results. Shows a progress bar when it takes more than a second
    (unless ``LAB_PROGRESS=0``).
    """
    if messages < 1 or runs < 1:
        raise ValueError(f"messages and runs must be at least 1, got {messages} and {runs}")
    modes = tuple(modes)
    keys = [m.key for m in modes]
    if len(set(keys)) != len(keys):
        raise ValueError(f"each mode needs its own key, got {keys}")
    url = network.account_url if network is not None else lab.account_url
    results = Results(messages, runs, modes, where=_where(lab, network))
    created: list[QueueClient] = []
    with progress(runs * len(modes), "Measuring throughput") as bar:
        try:
            for round_ in range(runs):
                order = modes if round_ % 2 == 0 else tuple(reversed(modes))
                sends = [m for m in order if m.kind == "send"]
                consumes = [m for m in order if m.kind == "consume"]
                for step in range(max(len(sends), len(consumes))):
                    filled = None
                    if step < len(sends):
                        filled = await _measure_send(lab, url, sends[step], messages, round_,
                                                     results, created, bar, service_cpu)
                    if step < len(consumes):
                        await _measure_consume(lab, url, consumes[step], messages, round_,
                                               results, created, bar, filled, service_cpu)
                    elif filled:
                        _delete(created, filled[0])
        finally:
            for queue in created:
                queue.delete_queue()
    return results


def _sample(round_: int, mode: Mode, messages: int, timing: Timing, meter: Meter) -> Sample:
    return Sample(round_, mode.key, mode.kind, messages, timing.seconds, meter.requests,
                  meter.max_in_flight, timing.cpu_seconds, timing.service_cpu_seconds)


async def _measure_send(lab, url: str, mode: Mode, messages: int, round_: int,
                        results: Results, created: list[QueueClient], bar,
                        service_cpu=None) -> tuple[str, list[str]]:
    bar.set_postfix_str(mode.label)
    name, sent = _fresh_queue(lab, created), payloads(messages, f"s{len(created)}")
    clients = Clients(lab, url, name)
    client = await clients.open(mode.client, min(mode.connections, messages), mode.options)
    try:
        timing = await timed(mode, client, sent, service_cpu=service_cpu)
    finally:
        await clients.close(client)
    results.samples.append(_sample(round_, mode, messages, timing, clients.meter))
    bar.update()
    return name, sent


async def _measure_consume(lab, url: str, mode: Mode, messages: int, round_: int,
                           results: Results, created: list[QueueClient], bar,
                           filled: tuple[str, list[str]] | None, service_cpu=None) -> None:
    bar.set_postfix_str(mode.label)
    name, sent = filled or await _prefill(lab, created, messages)
    clients = Clients(lab, url, name)
    client = await clients.open(mode.client, min(mode.connections, messages), mode.options)
    try:
        timing = await timed(mode, client, service_cpu=service_cpu)
    finally:
        await clients.close(client)
    check_consumed(mode, sent, timing.outcome,
                   QueueClient(lab.account_url, name, credential=lab.credential))
    results.samples.append(_sample(round_, mode, messages, timing, clients.meter))
    _delete(created, name)
    bar.update()


def _delete(created: list[QueueClient], name: str) -> None:
    queue = next(q for q in created if q.queue_name == name)
    queue.delete_queue()
    created.remove(queue)


def _fresh_queue(lab, created: list[QueueClient]) -> str:
    queue = QueueClient(lab.account_url, lab.new_queue_name("measure"),
                        credential=lab.credential)
    queue.create_queue()
    created.append(queue)
    return queue.queue_name


async def _prefill(lab, created: list[QueueClient], messages: int) -> tuple[str, list[str]]:
    name = _fresh_queue(lab, created)
    sent = payloads(messages, "fill")
    async with RawQueue(lab.account_url, name, BearerAuthorization(lab.credential)) as raw:
        await send_raw(raw, sent)
    return name, sent
