"""Child processes of the local cloud: start one with its output in a log, wait until it
is ready (or says why not), and read the end of its log for an error message.

The daemon starts Azurite with these, and the supervisor starts the daemon with them. The
lab's side has its own (for the queue API): the local
cloud imports nothing of the lab.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from .waits import wait_for

T = TypeVar("T")


class ChildExited(Exception):
    """The child ended before it was ready."""

    def __init__(self, code: int):
        super().__init__(f"exited with code {code}")
        self.code = code


def start_logged(command: Sequence[str], log_path: Path, **popen: Any) -> subprocess.Popen:
    """Start ``command`` with its standard output and error appended to ``log_path``."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, **popen)


def wait_started(process: subprocess.Popen, ready: Callable[[], T], timeout: float) -> T | None:
    """The first true answer of ``ready()`` while ``process`` runs; None after ``timeout``
    seconds. :class:`ChildExited` if the process ends first."""

    def answer() -> T:
        result = ready()
        if not result and process.poll() is not None:
            raise ChildExited(process.returncode)
        return result

    return wait_for(answer, timeout)


def log_tail(path: Path, lines: int = 15) -> str:
    """The last lines of a log file, for error messages."""
    try:
        text = path.read_text(errors="replace").splitlines()
    except OSError:
        return "(no log)"
    return "\n".join(text[-lines:]) or "(empty log)"


def keep_previous(log: Path) -> None:
    """Keep the last run's log as ``<name>.1`` (after a crash it tells why)."""
    if log.is_file() and log.stat().st_size:
        log.replace(log.with_name(log.name + ".1"))
