"""Throughput: messages/s for each way of calling the SDK, side by side, against a raw floor.

    python -m labsupport.bench throughput [--messages 2000] [--runs 3] [--rtt MS] [--no-csv]

The long run of what lesson 10 shows: every mode moves the same N messages of 1 KiB
through the same local cloud (or Azure) in one process; each figure is the median of
``--runs`` rounds (the harness, :func:`labsupport.throughput.measure.measure`, alternates
the order). Compare modes within one run only: absolute numbers depend on the machine and
its load, which the report prints (load average before and after, CPU seconds).

* send: lesson 10's ``send_one_at_a_time`` (sync) and ``send_all`` (async) at 1, 16 and 64
  requests in flight;
* receive + delete: ``consume_one_by_one`` and ``consume_pages`` (sync), and
  ``consume_concurrently`` (4 async receivers taking pages of 32, 16 deletes in flight);
* the floor: the same requests from a minimal raw HTTP client
  (:mod:`labsupport.throughput.rawqueue`) with the recommended modes' concurrency.

The modes are lesson 10's (:mod:`labsupport.throughput.modes`); this module adds the
catalogue of variants, the report with its targets, CSV files under ``bench-results/``
and the command line. ``--rtt MS`` measures behind a simulated network round trip
(``lab.azure_like_network``; the local backend only); the relay runs in a thread of this
process, so its CPU is in the CPU column then. On the local backend (Linux) the report also
gives the CPU the lab's Azurite process spent per request (read from ``/proc``): in this
regime the ratios mean "whose CPU per request is larger", the client's or Azurite's, and
how much other work shares the CPUs. It asserts no speed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ..throughput.measure import FLOOR_CONSUME, FLOOR_METHOD, FLOOR_SEND, Mode, Results, measure
from ..throughput.modes import (
    consume_concurrently,
    consume_one_by_one,
    consume_pages,
    send_all,
    send_one_at_a_time,
)
from . import results_folder

TARGET_SEND_VS_FLOOR = 0.9
TARGET_CONSUME_VS_FLOOR = 0.9
TARGET_CONSUME_VS_NAIVE = 3.0
#: What lesson 10 recommends for an async client that reaches the service without a proxy:
#: azure-core's aiohttp transport otherwise asks aiohttp to trust the environment, and
#: aiohttp then reads ~/.netrc and looks up proxy variables in worker threads on every
#: request (aiohttp.ClientSession._request, trust_env).
FAST_CLIENT = {"use_env_settings": False}


def _send_at(concurrency: int):
    return functools.partial(send_all, concurrency=concurrency)


MODES: tuple[Mode, ...] = (
    Mode("send-sync", "sync send_one_at_a_time", "send", "sync", send_one_at_a_time),
    Mode("send-async-1", "async send_all, 1 in flight", "send", "async", _send_at(1)),
    Mode("send-async-16", "async send_all, 16 in flight", "send", "async", _send_at(16),
         connections=16),
    Mode("send-async-64-env", "async send_all, 64 in flight, default client", "send",
         "async", _send_at(64), connections=64),
    Mode("send-async-64", "async send_all, 64 in flight, use_env_settings=False", "send",
         "async", _send_at(64), "recommended", 64, FAST_CLIENT),
    Mode("send-raw", FLOOR_SEND.label, "send", "raw", FLOOR_SEND.run, "floor",
         FLOOR_SEND.connections),
    Mode("consume-one-by-one", "sync consume_one_by_one", "consume", "sync",
         consume_one_by_one, "naive"),
    Mode("consume-batched", "sync consume_pages (32) + delete each", "consume", "sync",
         consume_pages),
    Mode("consume-async-env", "async consume_concurrently, default client", "consume",
         "async", consume_concurrently, connections=4 + 16),
    Mode("consume-async", "async consume_concurrently, use_env_settings=False", "consume",
         "async", consume_concurrently, "recommended", 4 + 16, FAST_CLIENT),
    Mode("consume-raw", FLOOR_CONSUME.label, "consume", "raw", FLOOR_CONSUME.run, "floor",
         FLOOR_CONSUME.connections),
)
MODES_BY_KEY = {mode.key: mode for mode in MODES}


def mode(key: str) -> Mode:
    try:
        return MODES_BY_KEY[key]
    except KeyError:
        raise ValueError(f"{key!r} is not a mode; choose from {', '.join(MODES_BY_KEY)}") from None


@dataclass(frozen=True)
class Machine:
    """What else the machine was doing: load averages before and after, and the CPU
    seconds this process spent over the whole run."""

    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float]
    cpu_seconds: float

    def describe(self) -> str:
        def load(values):
            return " ".join(f"{v:.2f}" for v in values)
        return (f"load average (1, 5, 15 min) before {load(self.load_before)}, after "
                f"{load(self.load_after)}; this process used {self.cpu_seconds:.1f} CPU s")


def azurite_cpu_clock(lab) -> Callable[[], float] | None:
    """A clock of the CPU seconds (user + system) the lab's local Azurite has used; None on
    Azure or where its process cannot be read."""
    if not lab.config.is_local:
        return None
    import psutil

    from .. import local

    record = local.status(lab.config).record
    if record is None:
        return None

    def seconds() -> float:
        times = azurite.cpu_times()
        return times.user + times.system

    try:
        azurite = psutil.Process(record.azurite_pid)
        seconds()
    except psutil.Error:
        return None
    return seconds


def ratios(results: Results) -> list[tuple[str, float, float | None]]:
    """(what, ratio, target or None) for the comparisons the issues ask about."""
    have = {m.key for m in results.modes}
    wanted = [
        ("async send, 64 in flight / sync send", "send-async-64", "send-sync", None),
        ("async send, 64 in flight / 1 in flight", "send-async-64", "send-async-1", None),
        ("async send, use_env_settings=False / default", "send-async-64", "send-async-64-env",
         None),
        ("recommended send (async, 64) / floor", "send-async-64", "send-raw",
         TARGET_SEND_VS_FLOOR),
        ("sync pages of 32 / one by one", "consume-batched", "consume-one-by-one", None),
        ("async consume / sync pages of 32", "consume-async", "consume-batched", None),
        ("async consume, use_env_settings=False / default", "consume-async",
         "consume-async-env", None),
        ("recommended consume (async) / floor", "consume-async", "consume-raw",
         TARGET_CONSUME_VS_FLOOR),
        ("recommended consume (async) / naive (one by one)", "consume-async",
         "consume-one-by-one", TARGET_CONSUME_VS_NAIVE),
    ]
    return [(what, results.ratio(a, b), target)
            for what, a, b, target in wanted if a in have and b in have]


def report(results: Results, machine: Machine | None = None) -> str:
    """The table and the ratios as text (figures vary run to run: never compare runs)."""
    import pandas as pd

    lines = [f"Queue Storage throughput: {results.messages} messages of 1 KiB per mode, "
             f"median of {results.runs} run(s); {results.setting}",
             f"floor = {FLOOR_METHOD}"]
    if machine is not None:
        lines.append(machine.describe())
    table = results.table()
    service = not table["service cpu ms/request"].isna().all()
    if service:
        lines.append("CPU ms/req: this process (the client); Azurite ms/req: the lab's Azurite "
                     "process (CPU per request, /proc)")
    lines.append("")
    width = 72
    lines.append(f"{'mode':<{width}}{'msg/s':>7}{'min-max':>13}{'x floor':>9}"
                 f"{'req/msg':>9}{'in flight':>11}{'CPU ms/req':>12}"
                 + (f"{'Azurite ms/req':>16}" if service else ""))
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
                         f"{row['cpu ms/request']:>12.2f}"
                         + (f"{row['service cpu ms/request']:>16.2f}" if service else ""))
    lines += ["", "ratios"]
    for what, ratio, target in ratios(results):
        verdict = ""
        if target is not None:
            verdict = f"   target >= {target:g}: {'met' if ratio >= target else 'NOT met'}"
        lines.append(f"  {what:<{width - 2}}{ratio:>6.2f}x{verdict}")
    return "\n".join(lines)


def save_csv(results: Results, folder: Path | None = None) -> Path:
    """Write the summary table and the raw samples; return the summary's path."""
    import pandas as pd

    folder = folder or results_folder()
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    summary = folder / f"throughput-{stamp}.csv"
    table = results.table()
    table.insert(0, "messages", results.messages)
    table.insert(1, "runs", results.runs)
    table.to_csv(summary, index_label="key", float_format="%.3f")
    pd.DataFrame([{**vars(s), "msg/s": s.rate} for s in results.samples]).to_csv(
        folder / f"throughput-{stamp}-samples.csv", index=False, float_format="%.4f")
    return summary


async def run(lab, messages: int, runs: int, keys: list[str] | None = None,
              rtt: int | None = None) -> tuple[Results, Machine]:
    """Measure the chosen modes (all by default), behind ``rtt`` ms if given."""
    import time

    chosen = MODES if keys is None else tuple(mode(key) for key in keys)
    before, cpu = os.getloadavg(), time.process_time()
    network = lab.azure_like_network(rtt) if rtt else contextlib.nullcontext()
    with network as where:
        results = await measure(lab, chosen, messages, runs, network=where,
                                service_cpu=azurite_cpu_clock(lab))
    return results, Machine(before, os.getloadavg(), time.process_time() - cpu)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m labsupport.bench throughput",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=2000, help="messages per mode per run")
    parser.add_argument("--runs", type=int, default=3, help="runs per mode (median reported)")
    parser.add_argument("--modes", nargs="+", choices=list(MODES_BY_KEY), metavar="MODE",
                        help=f"a subset of: {', '.join(MODES_BY_KEY)}")
    parser.add_argument("--rtt", type=int, metavar="MS",
                        help="add a simulated network round trip of MS ms (local backend)")
    parser.add_argument("--no-csv", action="store_true", help="do not save bench-results/*.csv")
    args = parser.parse_args(argv)
    if args.messages < 1 or args.runs < 1:
        parser.error("--messages and --runs must be at least 1")

    from .. import connect

    lab = connect("bench", quiet=True)
    results, machine = asyncio.run(run(lab, args.messages, args.runs, args.modes, args.rtt))
    print(report(results, machine))
    if not args.no_csv:
        print(f"\nsaved {save_csv(results)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
