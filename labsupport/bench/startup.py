"""Start-up figures: local cloud cold start to the first queue call, the lab and the suite.

    python -m labsupport.bench startup                  # cold/warm start, median of 3
    python -m labsupport.bench startup --nbval          # also the whole lab and make test
    python -m labsupport.bench startup --nbval --workers 4   # another worker count

``--nbval`` times two runs, each as ``make test`` runs it (pytest-xdist, ``--dist
loadscope``, a local cloud per worker): strict nbval over every notebook, then ``make test``
itself after installation (ruff, every test, every notebook) on a temporary state folder.
Each figure comes with the load average before and after it (the machine may be shared) and
the CPU seconds it cost: machine-wide, which counts the local clouds a run leaves running,
and in the run's own processes. On 2 cores, a run cannot be shorter than its CPU seconds
over 2. CPU seconds alone do not tell a slower machine from a heavier suite: on a shared
virtual machine the same suite cost 463 CPU s one half-hour and 667 the next. So each figure
also gives the machine's speed just before and just after it, as the CPU time of a fixed
piece of work (:func:`reference_seconds`), and the run's machine-wide CPU in units of the
faster of the two (a moment's noise only slows a measurement): a heavier suite costs more
units; a slower machine, more CPU seconds for the same units.

Targets: cold start ≤ 3 s (issue: foundation); on 2 cores, the whole lab under strict
nbval ≤ 30 s and ``make test`` ≤ 120 s (issue 17). Prints figures; it asserts nothing.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from xml.etree import ElementTree

import psutil
from azure.storage.queue import QueueClient

import localcloud

from .. import connect, local
from ..config import load_config
from ..paths import project_root


def first_queue_call(state_dir: Path) -> dict[str, float]:
    """Seconds from nothing to: cloud up, lab provisioned, one message round-tripped."""
    config = load_config({"LAB_STATE_DIR": str(state_dir)}, env_file=False)
    started = time.perf_counter()
    local.up(config)
    up = time.perf_counter()
    lab = connect("bench-startup", quiet=True, config=config)
    provisioned = time.perf_counter()
    queue = QueueClient(lab.account_url, lab.queue_name, credential=lab.credential)
    queue.create_queue()
    queue.send_message("hello")
    next(queue.receive_messages(max_messages=1, messages_per_page=1))
    queue.delete_queue()
    done = time.perf_counter()
    return {"cloud up": up - started, "provisioned": provisioned - started,
            "first queue call": done - started}


def measure_starts(runs: int) -> None:
    cold: list[dict[str, float]] = []
    warm: list[dict[str, float]] = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory(prefix="queuelab-bench-") as state:
            folder = localcloud.StateFolder(Path(state))
            try:
                cold.append(first_queue_call(Path(state)))
                warm.append(first_queue_call(Path(state)))
            finally:
                localcloud.stop(folder)
    print(f"Local cloud start-up, median of {runs} runs (fresh state folder each run)")
    print(f"{'step':<20}{'cold (s)':>10}{'warm (s)':>10}")
    for step in cold[0]:
        print(f"{step:<20}{statistics.median(r[step] for r in cold):>10.2f}"
              f"{statistics.median(r[step] for r in warm):>10.2f}")
    verdict = statistics.median(r["first queue call"] for r in cold)
    print(f"target: cold start to first queue call ≤ 3 s → {verdict:.2f} s "
          f"({'met' if verdict <= 3 else 'NOT met'})")


#: pytest-xdist workers, as in the Makefile (TEST_WORKERS).
WORKERS = 5
NBVAL_TARGET, SUITE_TARGET = 30.0, 120.0


def nbval_command(notebooks: list[Path], workers: int, report: Path) -> list[str]:
    """Strict nbval over ``notebooks`` in parallel, as ``make test`` runs them."""
    root = project_root()
    return [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
            "-n", str(workers), "--dist", "loadscope", "--no-loadscope-reorder",
            "--nbval", "--nbval-current-env", "--nbval-sanitize-with",
            str(root / "tests" / "nbval_sanitize.cfg"), f"--junitxml={report}",
            *map(str, notebooks)]


def suite_command(workers: int, state: Path) -> list[str]:
    """``make test`` on a state folder of its own (the learner's and .lab/test untouched)."""
    return ["make", "--no-print-directory", "test", f"TEST_STATE={state}",
            f"TEST_WORKERS={workers}"]


def load_line(before: tuple[float, ...], after: tuple[float, ...]) -> str:
    """The 1-minute load average around a run, against the machine's cores."""
    return f"load average {before[0]:.2f} → {after[0]:.2f} on {os.cpu_count()} cores"


#: The machine's CPU times that count as busy (psutil names; idle and iowait do not).
BUSY_TIMES = ("user", "nice", "system", "irq", "softirq", "steal")


def cpu_counters() -> tuple[float, float]:
    """(CPU seconds the whole machine has spent busy, CPU seconds of this process's waited-for
    children): the first counts the local clouds and kernels a run starts and leaves behind,
    the second what ``/usr/bin/time`` would show."""
    busy = psutil.cpu_times()  # the machine's, as /proc/stat has them on Linux
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (sum(getattr(busy, name, 0.0) for name in BUSY_TIMES),
            children.ru_utime + children.ru_stime)


def reference_seconds(rounds: int = 9) -> float:
    """CPU seconds this machine takes now for a fixed piece of single-threaded work (integer
    arithmetic in Python, then SHA-256 over 4 MB), the best of ``rounds``: lower is faster."""
    data = bytes(4_000_000)  # allocated once: page faults are not the work
    best = float("inf")
    for _ in range(rounds):
        started = time.process_time()
        total = 0
        for number in range(200_000):
            total += number * number % 7
        hashlib.sha256(data).digest()
        best = min(best, time.process_time() - started)
    return best


def speed_line(before: float, after: float) -> str:
    return (f"machine speed: the reference work took {1000 * before:.1f} ms of CPU before, "
            f"{1000 * after:.1f} ms after (best of 9 each; lower is faster)")


def cpu_line(before: tuple[float, float], after: tuple[float, float], wall: float,
             reference: float | None = None) -> str:
    """CPU seconds a run cost: machine-wide and attached, how many cores that kept busy and,
    given the machine's :func:`reference_seconds`, the machine-wide CPU in those units."""
    machine, attached = after[0] - before[0], after[1] - before[1]
    units = f" = {machine / reference:,.0f} × the reference work" if reference else ""
    return (f"CPU {machine:.0f} s machine-wide ({machine / wall:.2f} cores busy on average)"
            f"{units}, {attached:.0f} s in the run's own processes")


def verdict(seconds: float, target: float, passed: bool) -> str:
    outcome = "passed" if passed else "FAILED"
    return f"{seconds:>7.1f} s  {outcome} (target ≤ {target:g} s: " \
           f"{'met' if seconds <= target else 'NOT met'})"


class Around:
    """The machine around one timed run: its speed, load and CPU counters just before (when
    made) and just after (:meth:`stop`), and the figure's lines from them."""

    def __init__(self) -> None:
        self.reference = reference_seconds()
        self.load, self.cpu = os.getloadavg(), cpu_counters()
        self.started = time.perf_counter()

    def stop(self) -> None:
        self.wall = time.perf_counter() - self.started
        self.load_after, self.cpu_after = os.getloadavg(), cpu_counters()
        self.reference_after = reference_seconds()

    def lines(self, label: str, target: float, passed: bool) -> list[str]:
        """The wall time against its target with the load, then the CPU and machine speed."""
        fastest = min(self.reference, self.reference_after)
        return [f"{label:<45}{verdict(self.wall, target, passed)}  "
                f"{load_line(self.load, self.load_after)}",
                f"{'':<45}{cpu_line(self.cpu, self.cpu_after, self.wall, fastest)}",
                f"{'':<45}{speed_line(self.reference, self.reference_after)}"]


def _stop_clouds(state: Path) -> None:
    """Stop every local cloud under ``state`` (a worker stops its own; this is the backstop)."""
    for folder in [state, *sorted(p for p in state.glob("*") if p.is_dir())]:
        if localcloud.StateFolder(folder).record.exists():
            localcloud.stop(folder)


def measure_nbval(workers: int, environment: dict[str, str]) -> None:
    """One strict nbval run over every notebook, in parallel; time per notebook and in all."""
    root = project_root()
    notebooks = sorted((root / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    with tempfile.TemporaryDirectory(prefix="queuelab-bench-") as state:
        env = {**environment, "LAB_STATE_DIR": state, "LAB_PROGRESS": "0"}
        report = Path(state) / "junit.xml"
        around = Around()
        try:
            result = subprocess.run(nbval_command(notebooks, workers, report),
                                    cwd=root, env=env, capture_output=True, text=True)
            around.stop()
            per_notebook: dict[str, float] = {}
            if report.exists():
                for case in ElementTree.parse(report).iter("testcase"):
                    name = case.get("classname", "")  # notebooks.03_send_peek_receive.ipynb
                    per_notebook[name] = per_notebook.get(name, 0.0) + float(case.get("time", 0))
        finally:
            _stop_clouds(Path(state))
    print(f"\nStrict nbval over every notebook: {workers} workers in parallel, a local cloud "
          f"each, a fresh kernel per notebook")
    for path in notebooks:
        seconds = next((v for k, v in per_notebook.items() if k.endswith(path.name)), 0.0)
        print(f"{path.name:<45}{seconds:>7.1f} s")
    print("\n".join(around.lines("whole lab (wall time, pytest included)", NBVAL_TARGET,
                                  result.returncode == 0)))
    if result.returncode:
        print(result.stdout[-3000:])


def measure_suite(workers: int, environment: dict[str, str]) -> None:
    """``make test`` after installation (``make install`` first, not timed): ruff, every
    test and every notebook."""
    root = project_root()
    if shutil.which("make") is None or not (root / "Makefile").exists():
        print("\nmake test: not measured (needs make and the project's Makefile)")
        return
    installed = subprocess.run(["make", "--no-print-directory", "install"], cwd=root,
                               env=environment, capture_output=True, text=True)
    if installed.returncode:
        print(f"\nmake test: not measured, make install failed:\n{installed.stderr[-2000:]}")
        return
    with tempfile.TemporaryDirectory(prefix="queuelab-bench-") as owned:
        state = Path(owned) / "test"  # make test removes it first
        around = Around()
        try:
            result = subprocess.run(suite_command(workers, state), cwd=root, env=environment,
                                    capture_output=True, text=True)
            around.stop()
        finally:
            _stop_clouds(state)
    summary = next((line.strip("= ") for line in reversed(result.stdout.splitlines())
                    if " passed" in line or " failed" in line), "no pytest summary")
    print(f"\nmake test after installation ({workers} workers): {summary}")
    print("\n".join(around.lines("make test (wall time)", SUITE_TARGET,
                                  result.returncode == 0)))
    if result.returncode:
        print((result.stdout + result.stderr)[-3000:])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m labsupport.bench startup",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="cold starts to measure")
    parser.add_argument("--nbval", action="store_true",
                        help="also time the whole lab under strict nbval, and make test")
    parser.add_argument("--workers", type=int, default=WORKERS,
                        help=f"pytest-xdist workers for --nbval (default {WORKERS})")
    args = parser.parse_args(argv)
    if args.runs < 1 or args.workers < 1:
        parser.error("--runs and --workers must be at least 1")
    # The runs below get the environment as it was: connect() points this process at the
    # start-up benchmark's clouds (identity endpoint, CA bundle), which are gone by then.
    environment = dict(os.environ)
    os.environ["LAB_PROGRESS"] = "0"  # figures only, no progress bars in between
    measure_starts(args.runs)
    if args.nbval:
        measure_nbval(args.workers, environment)
        measure_suite(args.workers, environment)
    return 0
