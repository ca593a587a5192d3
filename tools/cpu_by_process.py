"""CPU seconds by kind of process while a command runs: which part of a test run costs what.

    python tools/cpu_by_process.py -- make test
    python tools/cpu_by_process.py --exclude .lab/floor -- .venv/bin/python -m pytest ...

Samples every process's CPU times twice a second and keeps each one's last value, so a
process counts even when it is not the command's child (the local clouds run detached);
one that lives less than a sample apart is missed (a few short ones at most). Kinds are
told from the command line. Prints the kinds by CPU seconds, the machine's busy CPU
seconds from /proc/stat over the same time, and the load average before and after.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import psutil

from labsupport.bench.startup import cpu_counters

KINDS = (  # first match wins: (kind, words of the command line)
    ("Azurite (node)", ("azurite",)),
    ("local cloud daemon", ("localcloud.daemon",)),
    ("Azure CLI", ("azure.cli", "az_forkserver", "/.venv-az/")),
    ("Chromium", ("chrom",)),
    ("kernel", ("ipykernel", "ipykernel_launcher")),
    ("Jupyter / hub server", ("jupyter", "configurable-http-proxy", "singleuser")),
    ("pytest worker", ("pytest", "xdist", "exec(eval(sys.stdin.readline()))")),
    ("lab CLI / API (python -m labsupport)", ("labsupport",)),
    ("functions host", ("func", "Microsoft.Azure.WebJobs")),
)


def kind(command: str) -> str:
    return next((name for name, words in KINDS if any(w in command for w in words)),
                f"other: {Path(command.split(' ', 1)[0]).name or '?'}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--exclude", action="append", default=[],
                        help="leave out processes whose command line holds this")
    parser.add_argument("command", nargs="+")
    args = parser.parse_args()
    before = {p.pid for p in psutil.process_iter()}
    seen: dict[int, tuple[str, float]] = {}
    load_before, busy_before, started = os.getloadavg(), cpu_counters()[0], time.monotonic()
    child = subprocess.Popen(args.command)
    while child.poll() is None:
        for process in psutil.process_iter(["cmdline", "cpu_times"]):
            if process.pid in before or process.pid == os.getpid():
                continue
            command = " ".join(process.info["cmdline"] or [])
            times = process.info["cpu_times"]
            if times is None or any(word in command for word in args.exclude):
                continue
            # A process that has ended (a zombie) shows no command line: keep its first kind.
            known = seen.get(process.pid, ("", 0.0))[0]
            seen[process.pid] = (known or kind(command), times.user + times.system)
        time.sleep(0.5)
    wall, busy = time.monotonic() - started, cpu_counters()[0] - busy_before
    by_kind: dict[str, float] = defaultdict(float)
    count: dict[str, int] = defaultdict(int)
    for name, seconds in seen.values():
        by_kind[name] += seconds
        count[name] += 1
    print(f"\n{'kind':<42}{'CPU s':>8}{'processes':>11}", file=sys.stderr)
    for name, seconds in sorted(by_kind.items(), key=lambda kv: -kv[1]):
        print(f"{name[:41]:<42}{seconds:>8.1f}{count[name]:>11}", file=sys.stderr)
    print(f"{'sampled, all kinds':<42}{sum(by_kind.values()):>8.1f}{len(seen):>11}",
          file=sys.stderr)
    print(f"machine busy {busy:.0f} CPU s in {wall:.0f} s ({busy / wall:.2f} of "
          f"{os.cpu_count()} cores); load {load_before[0]:.2f} → {os.getloadavg()[0]:.2f}",
          file=sys.stderr)
    return child.returncode


if __name__ == "__main__":
    sys.exit(main())
