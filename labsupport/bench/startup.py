"""Start-up figures: local cloud cold start to the first queue call, and the nbval run.

    python -m labsupport.bench startup            # cold/warm start, median of 3
    python -m labsupport.bench startup --nbval    # also time strict nbval per notebook

Targets (issue: foundation): cold start ≤ 3 s; the whole lab under strict nbval ≤ 60 s
on 2 cores. Prints figures; it asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from xml.etree import ElementTree

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


def measure_nbval() -> None:
    """One strict nbval run over every notebook, as ``make test`` does; time per notebook."""
    root = project_root()
    notebooks = sorted((root / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    with tempfile.TemporaryDirectory(prefix="queuelab-bench-") as state:
        env = {**os.environ, "LAB_STATE_DIR": state, "LAB_PROGRESS": "0"}
        report = Path(state) / "junit.xml"
        started = time.perf_counter()
        try:
            result = subprocess.run(
                [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval",
                 "--nbval-current-env", "--nbval-sanitize-with",
                 str(root / "tests" / "nbval_sanitize.cfg"), f"--junitxml={report}",
                 *map(str, notebooks)],
                cwd=root, env=env, capture_output=True, text=True,
            )
            wall = time.perf_counter() - started
            per_notebook: dict[str, float] = {}
            for case in ElementTree.parse(report).iter("testcase"):
                name = case.get("classname", "")  # e.g. notebooks.03_send_peek_receive.ipynb
                per_notebook[name] = per_notebook.get(name, 0.0) + float(case.get("time", 0))
        finally:
            localcloud.stop(Path(state))
    print("\nStrict nbval over every notebook in one run (fresh kernel each, one local cloud)")
    for path in notebooks:
        seconds = next((v for k, v in per_notebook.items() if k.endswith(path.name)), 0.0)
        print(f"{path.name:<45}{seconds:>7.1f} s")
    outcome = "passed" if result.returncode == 0 else "FAILED"
    print(f"{'whole lab (wall time, pytest included)':<45}{wall:>7.1f} s  {outcome} "
          f"(target ≤ 60 s: {'met' if wall <= 60 else 'NOT met'})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m labsupport.bench startup",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="cold starts to measure")
    parser.add_argument("--nbval", action="store_true", help="also time strict nbval")
    args = parser.parse_args(argv)
    os.environ["LAB_PROGRESS"] = "0"  # figures only, no progress bars in between
    measure_starts(args.runs)
    if args.nbval:
        measure_nbval()
    return 0
