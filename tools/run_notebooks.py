"""Re-execute notebooks in place, each in a fresh kernel (``make notebooks``).

Maintainers run this after editing a notebook; CI then compares the stored outputs
strictly (nbval). Prints each notebook's wall time. Stored outputs are those of a
non-interactive run: LAB_PROGRESS=0 (no progress bars, queue inspectors as one fixed
line) unless the caller says otherwise.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient


def run(path: Path, timeout: int = 180) -> float:
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook, timeout=timeout, kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    started = time.perf_counter()
    client.execute()
    elapsed = time.perf_counter() - started
    nbformat.write(notebook, path)
    return elapsed


def main(paths: list[str]) -> int:
    os.environ.setdefault("LAB_PROGRESS", "0")   # the kernels inherit it
    total = 0.0
    for name in paths:
        elapsed = run(Path(name))
        total += elapsed
        print(f"{name:<55} {elapsed:6.1f} s", flush=True)
    print(f"{'total':<55} {total:6.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
