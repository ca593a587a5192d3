"""Where a parallel test run spends its wall time, from the items' recorded start and end.

    LAB_TEST_TIMELINE=/tmp/tl make test          # conftest.py writes one line per item
    python tools/suite_timeline.py /tmp/tl       # per worker: busy, idle, last end; per file

Prints, for each worker, when its first item started, when its last ended and how long it
was busy; then the files in the order of their total time, with the worker that ran them and
when they started and ended (seconds from the run's first item). A worker that ends long after
the others drew a long file late; a file that starts late and runs long sets the wall time.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path


def load(folder: Path) -> list[dict]:
    rows = []
    for path in sorted(folder.glob("*.jsonl")):
        rows += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return rows


def file_of(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]


def report(rows: list[dict], top: int = 25) -> str:
    origin = min(row["start"] for row in rows)
    lines = [f"{len(rows)} items, wall {max(r['end'] for r in rows) - origin:.1f} s"]
    workers: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        workers[row["worker"]].append(row)
    lines.append(f"cpu of the workers and the children they waited for: "
                 f"{sum(r.get('cpu', 0.0) for r in rows):.1f} s")
    lines.append("worker  first   last    busy   items")
    for name in sorted(workers):
        mine = workers[name]
        busy = sum(r["end"] - r["start"] for r in mine)
        lines.append(f"{name:6} {min(r['start'] for r in mine) - origin:6.1f} "
                     f"{max(r['end'] for r in mine) - origin:6.1f} {busy:7.1f} {len(mine):6}")
    files: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for row in rows:
        files[(file_of(row["item"]), row["worker"])].append(row)
    ranked = sorted(files.items(), key=lambda kv: -sum(r["end"] - r["start"] for r in kv[1]))
    lines.append("\nfile (worker)                                 total    cpu  start    end")
    for (path, worker), mine in ranked[:top]:
        total = sum(r["end"] - r["start"] for r in mine)
        cpu = sum(r.get("cpu", 0.0) for r in mine)
        lines.append(f"{path[:42]:42} {worker:5} {total:6.1f} {cpu:6.1f} "
                     f"{min(r['start'] for r in mine) - origin:6.1f} "
                     f"{max(r['end'] for r in mine) - origin:6.1f}")
    return "\n".join(lines)


if __name__ == "__main__":
    print(report(load(Path(sys.argv[1]))))
