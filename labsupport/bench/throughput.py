"""Throughput: messages/s for each way of calling the SDK, side by side, against a raw floor.

    python -m labsupport.bench throughput [--messages 2000] [--runs 3] [--no-csv]

Every mode moves the same N messages of 1 KiB through the same local cloud (or Azure) in one
process; each figure is the median of ``--runs`` rounds, and the modes take turns within a
round (order reversed every other round) so a change in machine load hits all of them alike.
Compare modes within one run only: absolute numbers depend on the machine and its load.

* send: a sync ``send_message`` loop; async ``send_message`` with ``asyncio.gather`` at 1,
  16 and 64 requests in flight (a semaphore bounds them);
* receive + delete: sync one by one (``receive_message``); sync pages of 32
  (``receive_messages(max_messages=32, messages_per_page=32)``) and a delete per message;
  4 async receivers taking pages of 32 and deleting them concurrently (16 deletes in flight);
* the floor: the same Put/Get/Delete Message requests from a minimal raw HTTP client
  (aiohttp keep-alive, a bearer token from the lab's Entra ID credential:
  :mod:`labsupport.bench.rawqueue`), with the recommended modes' concurrency. What this
  service, on this machine, can take.

Besides the time, every sample records what the client did, counted on the wire by a
:class:`Meter` in the SDK's own hooks (``raw_request_hook`` / ``raw_response_hook``; the raw
client calls it around each request): the requests it sent and the most it had in flight
at once. Those do not depend on speed. It also records the CPU time this process spent
(``time.process_time``), to give the client's CPU per request.

Each client opens as many keep-alive connections as it will use before the clock starts, as
a long-lived client would have: the figures are steady-state rates, not TLS handshakes.

Each consume mode must delete every message that was sent, exactly once, and leave its queue
empty, or the run stops with :class:`MessagesLost`. Each queue is drained right after it is
filled: Azurite's receive and delete get slower the more messages it stores (measured here:
a delete 0.8 ms with 100 waiting, 8 ms with 3,000; Azure's targets do not depend on queue
length), so with the default N the consume figures include that; the notebook's small N
hardly does.

Prints a table and the ratios, and saves the samples and the table as CSV under
``bench-results/``. It asserts no speed.
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import os
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from azure.storage.queue import QueueClient
from azure.storage.queue.aio import QueueClient as AsyncQueueClient

from ..errors import LabError
from ..progress import progress
from . import results_folder
from .rawqueue import BearerAuthorization, RawQueue

MESSAGE_BYTES = 1024
VISIBILITY_TIMEOUT = 300   # long enough that no lease runs out during a run: no redelivery
PAGE = 32                  # the most one receive request returns
RECEIVERS = 4
DELETES_IN_FLIGHT = 16     # Azurite is one thread: more in flight only adds connections
SEND_CONCURRENCY = 64
FLOOR_METHOD = ("raw HTTP: aiohttp with keep-alive and a bearer token from the same Entra ID "
                "credential (labsupport.bench.rawqueue), no SDK pipeline")
TARGET_SEND_VS_FLOOR = 0.8
TARGET_CONSUME_VS_NAIVE = 3.0


class MessagesLost(LabError):
    """A consume mode did not delete exactly the messages that were sent."""


def payloads(count: int, tag: str = "m") -> list[str]:
    """``count`` distinct messages of exactly 1 KiB (ASCII): ``<tag>-000001-xxx…``."""
    return [f"{tag}-{n:06d}-".ljust(MESSAGE_BYTES, "x") for n in range(count)]


# --- the modes: the SDK calls being measured ----------------------------------------------

def send_sync(queue: QueueClient, messages: Iterable[str]) -> None:
    """One request per message, one after the other."""
    for message in messages:
        queue.send_message(message)


async def send_async(queue: AsyncQueueClient, messages: Iterable[str],
                     concurrency: int = SEND_CONCURRENCY) -> None:
    """One request per message, ``concurrency`` of them in flight at once."""
    in_flight = asyncio.Semaphore(concurrency)

    async def send(message: str) -> None:
        async with in_flight:
            await queue.send_message(message)

    await asyncio.gather(*(send(message) for message in messages))


def consume_one_by_one(queue: QueueClient) -> list[str]:
    """The naive consumer: receive one message, delete it, repeat until the queue is empty."""
    done = []
    while (message := queue.receive_message(visibility_timeout=VISIBILITY_TIMEOUT)) is not None:
        queue.delete_message(message)
        done.append(message.content)
    return done


def consume_batched(queue: QueueClient) -> list[str]:
    """Receive pages of 32 (one request each), delete each message, until a page is empty."""
    done = []
    while True:
        page = list(queue.receive_messages(max_messages=PAGE, messages_per_page=PAGE,
                                           visibility_timeout=VISIBILITY_TIMEOUT))
        if not page:
            return done
        for message in page:
            queue.delete_message(message)
            done.append(message.content)


async def consume_async(queue: AsyncQueueClient, receivers: int = RECEIVERS,
                        deletes: int = DELETES_IN_FLIGHT) -> list[str]:
    """``receivers`` loops, each taking pages of 32 and deleting them concurrently, with at
    most ``deletes`` deletes in flight across all of them."""
    done: list[str] = []
    in_flight = asyncio.Semaphore(deletes)

    async def delete(message) -> None:
        async with in_flight:
            await queue.delete_message(message)
        done.append(message.content)

    async def receiver() -> None:
        while True:
            page = [message async for message in queue.receive_messages(
                max_messages=PAGE, messages_per_page=PAGE, visibility_timeout=VISIBILITY_TIMEOUT)]
            if not page:
                return
            await asyncio.gather(*(delete(message) for message in page))

    await asyncio.gather(*(receiver() for _ in range(receivers)))
    return done


async def send_raw(queue: RawQueue, messages: Iterable[str],
                   concurrency: int = SEND_CONCURRENCY) -> None:
    """The floor for sending: the same requests as :func:`send_async`, without the SDK."""
    in_flight = asyncio.Semaphore(concurrency)

    async def send(message: str) -> None:
        async with in_flight:
            await queue.put(message)

    await asyncio.gather(*(send(message) for message in messages))


async def consume_raw(queue: RawQueue, receivers: int = RECEIVERS,
                      deletes: int = DELETES_IN_FLIGHT) -> list[str]:
    """The floor for consuming: the same requests as :func:`consume_async`, without the SDK."""
    done: list[str] = []
    in_flight = asyncio.Semaphore(deletes)

    async def delete(message) -> None:
        async with in_flight:
            await queue.delete(message)
        done.append(message.content)

    async def receiver() -> None:
        while page := await queue.get(PAGE, VISIBILITY_TIMEOUT):
            await asyncio.gather(*(delete(message) for message in page))

    await asyncio.gather(*(receiver() for _ in range(receivers)))
    return done


@dataclass(frozen=True)
class Mode:
    """One way of moving messages: ``run(client, messages)`` (send) or ``run(client)``."""

    key: str
    label: str
    kind: str          # "send" or "consume"
    client: str        # "sync", "async" or "raw"
    run: Callable
    role: str = ""     # "floor", "recommended", "naive" or ""
    connections: int = 1  # opened before timing: a long-lived client's pool is warm


def _send_at(concurrency: int) -> Callable:
    async def run(queue, messages):
        await send_async(queue, messages, concurrency)
    return run


_CONSUMERS = RECEIVERS + DELETES_IN_FLIGHT
MODES: tuple[Mode, ...] = (
    Mode("send-sync", "sync send_message loop", "send", "sync", send_sync),
    Mode("send-async-1", "async send_message, 1 in flight", "send", "async", _send_at(1)),
    Mode("send-async-16", "async send_message, 16 in flight", "send", "async", _send_at(16),
         connections=16),
    Mode("send-async-64", "async send_message, 64 in flight", "send", "async", _send_at(64),
         "recommended", 64),
    Mode("send-raw", "raw HTTP, 64 in flight", "send", "raw", send_raw, "floor", 64),
    Mode("consume-one-by-one", "sync receive_message + delete, one by one", "consume", "sync",
         consume_one_by_one, "naive"),
    Mode("consume-batched", "sync pages of 32 + delete each", "consume", "sync",
         consume_batched),
    Mode("consume-async", f"async, {RECEIVERS} receivers x 32, {DELETES_IN_FLIGHT} deletes "
         f"in flight", "consume", "async", consume_async, "recommended", _CONSUMERS),
    Mode("consume-raw", f"raw HTTP, {RECEIVERS} receivers x 32, {DELETES_IN_FLIGHT} deletes",
         "consume", "raw", consume_raw, "floor", _CONSUMERS),
)
MODES_BY_KEY = {mode.key: mode for mode in MODES}


# --- running them -------------------------------------------------------------------------

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

    @property
    def rate(self) -> float:
        return self.messages / self.seconds


def _where(lab) -> str:
    return "Azurite on this machine" if lab.config.is_local else "Azure, from this machine"


def cpu_count() -> int:
    """The CPUs this process may run on (what a container or taskset allows)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


@dataclass
class Results:
    """Every timed sample of a run, and the medians, ratios and table derived from them.

    ``where`` says what served the requests ("Azurite on this machine" or "Azure, from
    this machine"), ``cpus`` how many CPUs this process may use.
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

    def __getitem__(self, key: str) -> float:
        return self.rate(key)

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

    def _role(self, kind: str, role: str) -> Mode | None:
        return next((m for m in self.modes if m.kind == kind and m.role == role), None)

    def table(self):
        """A pandas DataFrame, one row per mode: median, min and max msg/s, × floor, requests
        per message, the most requests in flight and this process's CPU ms per request."""
        import pandas as pd

        rows = []
        for mode in self.modes:
            floor = self._role(mode.kind, "floor")
            rates = self.rates(mode.key)
            rows.append({
                "kind": mode.kind, "mode": mode.label, "role": mode.role,
                "msg/s": statistics.median(rates), "min": min(rates), "max": max(rates),
                "x floor": statistics.median(rates) / self.rate(floor.key) if floor else None,
                "requests/msg": self.requests_per_message(mode.key),
                "max in flight": self.max_in_flight(mode.key),
                "cpu ms/request": 1000 * self.cpu_per_request(mode.key),
            })
        return pd.DataFrame(rows, index=[m.key for m in self.modes])

    def ratios(self) -> list[tuple[str, float, float | None]]:
        """(what, ratio, target or None) for the comparisons the issue asks about."""
        have = {m.key for m in self.modes}
        wanted = [
            ("async send, 64 in flight / sync send", "send-async-64", "send-sync", None),
            ("async send, 16 in flight / sync send", "send-async-16", "send-sync", None),
            ("recommended send (async, 64) / floor", "send-async-64", "send-raw",
             TARGET_SEND_VS_FLOOR),
            ("sync pages of 32 / one by one", "consume-batched", "consume-one-by-one", None),
            ("async consume / sync pages of 32", "consume-async", "consume-batched", None),
            ("async consume / floor", "consume-async", "consume-raw", None),
            ("recommended consume (async) / naive (one by one)", "consume-async",
             "consume-one-by-one", TARGET_CONSUME_VS_NAIVE),
        ]
        return [(what, self.rate(a) / self.rate(b), target)
                for what, a, b, target in wanted if a in have and b in have]

    def report(self) -> str:
        """The table and the ratios as text (figures vary run to run: never compare runs)."""
        import pandas as pd

        lines = [f"Queue Storage throughput: {self.messages} messages of 1 KiB per mode, "
                 f"median of {self.runs} run(s); {self.setting}",
                 f"floor = {FLOOR_METHOD}", ""]
        table = self.table()
        width = 64
        lines.append(f"{'mode':<{width}}{'msg/s':>7}{'min-max':>13}{'x floor':>9}"
                     f"{'req/msg':>9}{'in flight':>11}{'CPU ms/req':>12}")
        for kind, title in (("send", "send"), ("consume", "receive + delete")):
            part = table[table["kind"] == kind]
            if part.empty:
                continue
            lines.append(title)
            for _, row in part.iterrows():
                label = f"  {row['mode']}" + (f"  [{row['role']}]" if row["role"] else "")
                spread = f"{row['min']:.0f}-{row['max']:.0f}"
                ratio = "" if pd.isna(row["x floor"]) else f"{row['x floor']:.2f}"
                lines.append(f"{label:<{width}}{row['msg/s']:>7.0f}{spread:>13}{ratio:>9}"
                             f"{row['requests/msg']:>9.2f}{row['max in flight']:>11}"
                             f"{row['cpu ms/request']:>12.2f}")
        lines += ["", "ratios"]
        for what, ratio, target in self.ratios():
            verdict = ""
            if target is not None:
                verdict = f"   target >= {target:g}: {'met' if ratio >= target else 'NOT met'}"
            lines.append(f"  {what:<{width - 2}}{ratio:>6.2f}x{verdict}")
        return "\n".join(lines)

    def save_csv(self, folder: Path | None = None) -> Path:
        """Write the summary table and the raw samples; return the summary's path."""
        import pandas as pd

        folder = folder or results_folder()
        folder.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        summary = folder / f"throughput-{stamp}.csv"
        table = self.table()
        table.insert(0, "messages", self.messages)
        table.insert(1, "runs", self.runs)
        table.to_csv(summary, index_label="key", float_format="%.3f")
        pd.DataFrame([{**vars(s), "msg/s": s.rate} for s in self.samples]).to_csv(
            folder / f"throughput-{stamp}-samples.csv", index=False, float_format="%.4f")
        return summary


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
    ax.legend(handles=[Patch(color=colours["send"], label="send"),
                       Patch(color=colours["consume"], label="receive + delete"),
                       Patch(facecolor="lightgrey", hatch="//", edgecolor="white",
                             label="floor: raw HTTP, no SDK")],
              loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=3, fontsize=8,
              frameon=False)
    ax.set_title(title or f"Measured now: {results.setting}", fontsize=10)
    figure.tight_layout()
    return figure


def plot(results: Results, title: str | None = None) -> None:
    """Show :func:`rate_figure` in a notebook as an image only (no text to compare)."""
    from ..plots import png_bytes, show_png

    show_png(png_bytes(rate_figure(results, title)))


def _check_consumed(mode: Mode, expected: Sequence[str], done: Sequence[str],
                    queue: QueueClient) -> None:
    """Every message sent was deleted exactly once and the queue is empty, or raise."""
    got, want = Counter(done), Counter(expected)
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
                           f"consumer must delete every message it receives, exactly once.")


class _Clients:
    """The three kinds of client for one queue, opened (and warmed) before timing.

    Every client carries :attr:`meter`; it is reset when the client is ready, so it counts
    only the timed requests.
    """

    def __init__(self, lab, queue_name: str):
        self.lab, self.name = lab, queue_name
        self.meter = Meter()
        self.sync = QueueClient(lab.account_url, queue_name, credential=lab.credential,
                                **self.meter.hooks)
        self._credential = None  # the async client's credential, closed with it

    async def open(self, kind: str, connections: int = 1):
        """A client of ``kind`` with ``connections`` keep-alive connections already open, as
        a long-lived client would have: TLS handshakes are not what we measure."""
        if kind == "sync":
            self.sync.get_queue_properties()
            client = self.sync
        elif kind == "async":
            self._credential = self.lab.async_credential()
            client = AsyncQueueClient(self.lab.account_url, self.name,
                                      credential=self._credential, **self.meter.hooks)
            await client.__aenter__()
            await asyncio.gather(*(client.get_queue_properties() for _ in range(connections)))
        else:
            client = await RawQueue(self.lab.account_url, self.name,
                                    BearerAuthorization(self.lab.credential),
                                    meter=self.meter).__aenter__()
            await asyncio.gather(*(client.peek(1) for _ in range(connections)))
        self.meter.reset()
        return client

    async def close(self, client) -> None:
        if isinstance(client, AsyncQueueClient | RawQueue):
            await client.__aexit__(None, None, None)
        if self._credential is not None:
            await self._credential.close()
            self._credential = None


@dataclass(frozen=True)
class _Timing:
    seconds: float
    cpu_seconds: float
    outcome: object


async def _timed(mode: Mode, client, *args) -> _Timing:
    cpu, started = time.process_time(), time.perf_counter()
    outcome = mode.run(client, *args)
    if inspect.isawaitable(outcome):
        outcome = await outcome
    return _Timing(time.perf_counter() - started, time.process_time() - cpu, outcome)


def _sample(round_: int, mode: Mode, messages: int, timing: _Timing, meter: Meter) -> Sample:
    return Sample(round_, mode.key, mode.kind, messages, timing.seconds, meter.requests,
                  meter.max_in_flight, timing.cpu_seconds)


async def measure(lab, messages: int = 2000, runs: int = 3,
                  modes: Sequence[str] | None = None) -> Results:
    """Measure ``modes`` (keys of :data:`MODES`, default all) ``runs`` times each.

    Each send mode fills a fresh queue and a consume mode drains it right after (filled
    untimed by the raw client when there are more consume modes than send modes); every
    queue is deleted as soon as it is done with. Shows a progress bar when it takes more
    than a second (unless ``LAB_PROGRESS=0``).
    """
    if messages < 1 or runs < 1:
        raise ValueError(f"messages and runs must be at least 1, got {messages} and {runs}")
    chosen = tuple(MODES) if modes is None else tuple(_mode(key) for key in modes)
    results = Results(messages, runs, chosen, where=_where(lab))
    created: list[QueueClient] = []
    with progress(runs * len(chosen), "Measuring throughput") as bar:
        try:
            for round_ in range(runs):
                order = chosen if round_ % 2 == 0 else tuple(reversed(chosen))
                sends = [m for m in order if m.kind == "send"]
                consumes = [m for m in order if m.kind == "consume"]
                # A send fills a queue, a consume drains it at once: Azurite slows down as
                # the messages it stores pile up, so no more than N wait at any time.
                for step in range(max(len(sends), len(consumes))):
                    filled = None
                    if step < len(sends):
                        filled = await _measure_send(lab, sends[step], messages, round_,
                                                     results, created, bar)
                    if step < len(consumes):
                        await _measure_consume(lab, consumes[step], messages, round_,
                                               results, created, bar, filled)
                    elif filled:
                        _delete(created, filled[0])
        finally:
            for queue in created:
                queue.delete_queue()
    return results


async def _measure_send(lab, mode: Mode, messages: int, round_: int, results: Results,
                        created: list[QueueClient], bar) -> tuple[str, list[str]]:
    bar.set_postfix_str(mode.label)
    name, sent = await _fresh_queue(lab, created), payloads(messages, mode.key)
    clients = _Clients(lab, name)
    client = await clients.open(mode.client, mode.connections)
    try:
        timing = await _timed(mode, client, sent)
    finally:
        await clients.close(client)
    results.samples.append(_sample(round_, mode, messages, timing, clients.meter))
    bar.update()
    return name, sent


async def _measure_consume(lab, mode: Mode, messages: int, round_: int, results: Results,
                           created: list[QueueClient], bar,
                           filled: tuple[str, list[str]] | None) -> None:
    bar.set_postfix_str(mode.label)
    name, sent = filled or await _prefill(lab, created, messages)
    clients = _Clients(lab, name)
    client = await clients.open(mode.client, mode.connections)
    try:
        timing = await _timed(mode, client)
    finally:
        await clients.close(client)
    sample = _sample(round_, mode, messages, timing, clients.meter)
    _check_consumed(mode, sent, timing.outcome, clients.sync)
    results.samples.append(sample)
    _delete(created, name)
    bar.update()


def _delete(created: list[QueueClient], name: str) -> None:
    queue = next(q for q in created if q.queue_name == name)
    queue.delete_queue()
    created.remove(queue)


def _mode(key: str) -> Mode:
    try:
        return MODES_BY_KEY[key]
    except KeyError:
        raise ValueError(f"{key!r} is not a mode; choose from {', '.join(MODES_BY_KEY)}") from None


async def _fresh_queue(lab, created: list[QueueClient]) -> str:
    queue = QueueClient(lab.account_url, lab.new_queue_name("bench"), credential=lab.credential)
    queue.create_queue()
    created.append(queue)
    return queue.queue_name


async def _prefill(lab, created: list[QueueClient], messages: int) -> tuple[str, list[str]]:
    name = await _fresh_queue(lab, created)
    sent = payloads(messages, "fill")
    async with RawQueue(lab.account_url, name, BearerAuthorization(lab.credential)) as raw:
        await send_raw(raw, sent)
    return name, sent


# --- the command --------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m labsupport.bench throughput",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=2000, help="messages per mode per run")
    parser.add_argument("--runs", type=int, default=3, help="runs per mode (median reported)")
    parser.add_argument("--modes", nargs="+", choices=list(MODES_BY_KEY), metavar="MODE",
                        help=f"a subset of: {', '.join(MODES_BY_KEY)}")
    parser.add_argument("--no-csv", action="store_true", help="do not save bench-results/*.csv")
    args = parser.parse_args(argv)
    if args.messages < 1 or args.runs < 1:
        parser.error("--messages and --runs must be at least 1")

    from .. import connect

    lab = connect("bench", quiet=True)
    results = asyncio.run(measure(lab, args.messages, args.runs, args.modes))
    print(results.report())
    if not args.no_csv:
        print(f"\nsaved {results.save_csv()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
