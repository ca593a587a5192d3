"""Progress records: every exercise check's verdict, kept in the learner's lab state.

Each check ends in :func:`labsupport.checks.report`, which calls :func:`record`: one JSON
line appended to ``<state folder>/progress.jsonl`` (0600, in the 0700 state folder) with
the lesson, the exercise (the check's name), whether it passed, what is still wrong (the
same sentences the learner saw, redacted and shortened) and the time. Never the learner's
code, never a key, SAS or token.

:func:`progress_table` is the learner's own table (``python -m labsupport progress``);
:func:`class_table` gathers several learners' records into one table, lessons × learners
(``python -m labsupport class progress``), and :func:`class_picture` draws it. They work
for one learner without a hub too.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import pwd
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ..errors import ConfigError
from ..lessons import LESSONS
from ..redact import redact

FILE_NAME = "progress.jsonl"
MAX_PROBLEM = 300  # characters kept of each "still to fix" sentence
#: Every exercise check: its function -> (lesson number, what the exercise asks).
EXERCISES: dict[str, tuple[str, str]] = {
    "check_management_queue": ("01", "Create a queue through the management plane"),
    "check_worker_sas": ("02", "A least-privilege SAS for a worker"),
    "check_receive_batch": ("03", "Receive a batch in one request"),
    "check_queue_names": ("03", "Which names the service takes for a queue"),
    "check_heartbeat": ("04", "Keep a long job's lease alive"),
    "check_time_to_live": ("05", "Time to live for a price and an audit record"),
    "check_resequencer": ("06", "Put out-of-order events back in order"),
    "check_idempotent_consumer": ("07", "An idempotent consumer"),
    "check_functions_claim_check": ("08", "A claim check through Blob storage"),
    "check_safe_consumer": ("09", "Consume safely through the API"),
    "check_fast_consumer": ("10", "A fast consumer"),
    "check_slow_downstream": ("11", "Protect a slow downstream service"),
    "check_lab_groups": ("12", "Find the lab's resource groups"),
}
CHECKS_PACKAGE = "labsupport.checks"
LESSON_LABELS = {lesson.number: lesson.label for lesson in LESSONS}


@dataclass(frozen=True)
class Verdict:
    """One check run: which exercise, whether it passed, what was still wrong, when."""

    lesson: str
    exercise: str
    passed: bool
    problems: tuple[str, ...]
    time: str  # ISO 8601, UTC

    def as_json(self) -> str:
        return json.dumps({"lesson": self.lesson, "exercise": self.exercise,
                           "passed": self.passed, "problems": list(self.problems),
                           "time": self.time}, ensure_ascii=False)


def records_path(state: Path | None = None) -> Path:
    """The records file of ``state``, by default the lab's state folder (``LAB_STATE_DIR``,
    from the environment or lab.env, as :func:`labsupport.connect` finds it)."""
    if state is None:
        from ..config import load_config

        state = load_config().state_dir
    return Path(state) / FILE_NAME


def calling_check(depth: int = 1) -> str | None:
    """The exercise check running now (a function of :data:`EXERCISES` in
    ``labsupport.checks``), found on the call stack, or None."""
    frame = sys._getframe(depth)
    while frame is not None:
        name = frame.f_code.co_name
        if name in EXERCISES and frame.f_globals.get("__name__", "").startswith(CHECKS_PACKAGE):
            return name
        frame = frame.f_back
    return None


def verdict(exercise: str, problems: list[str], now: datetime | None = None) -> Verdict:
    lesson, _ = EXERCISES[exercise]
    kept = tuple(_short(redact(str(p))) for p in problems)
    return Verdict(lesson, exercise, not problems, kept,
                   (now or datetime.now(UTC)).isoformat(timespec="seconds"))


def _short(text: str) -> str:
    return text if len(text) <= MAX_PROBLEM else text[:MAX_PROBLEM - 1] + "…"


def record(exercise: str, problems: list[str], state: Path | None = None) -> Verdict:
    """Append the verdict of ``exercise`` (a key of :data:`EXERCISES`) to the records."""
    found = verdict(exercise, problems)
    path = records_path(state)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # two kernels checking at once: whole lines
        handle.write(found.as_json() + "\n")
    return found


def read_records(path: Path) -> list[Verdict]:
    """The verdicts in one records file, oldest first; a ConfigError names a bad line."""
    found = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    except OSError as error:
        raise ConfigError(f"Cannot read the progress records {path} ({error.strerror}): "
                          f"run as the learner who owns them, or as root.") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            found.append(Verdict(str(data["lesson"]), str(data["exercise"]),
                                 bool(data["passed"]), tuple(data["problems"]),
                                 str(data["time"])))
        except (ValueError, KeyError, TypeError):
            raise ConfigError(f"Line {number} of {path} is not a progress record (JSON with "
                              f"lesson, exercise, passed, problems, time): remove that "
                              f"line.") from None
    return found


def latest(verdicts: list[Verdict]) -> dict[str, tuple[Verdict, int]]:
    """Per exercise: its last verdict and how many times it was checked."""
    last: dict[str, tuple[Verdict, int]] = {}
    for item in verdicts:
        count = last.get(item.exercise, (item, 0))[1]
        last[item.exercise] = (item, count + 1)
    return last


def progress_table(state: Path | None = None):
    """One learner's table: every exercise in lesson order, its last verdict, what is
    still wrong, how many checks, when (a pandas DataFrame)."""
    import pandas as pd

    last = latest(read_records(records_path(state)))
    rows = []
    for exercise, (lesson, title) in EXERCISES.items():
        item, count = last.get(exercise, (None, 0))
        rows.append({
            "lesson": LESSON_LABELS.get(lesson, lesson),
            "exercise": title,
            "verdict": "not tried" if item is None else "passed" if item.passed else "not yet",
            "still to fix": "" if item is None or item.passed else item.problems[0],
            "checks": count,
            "last check (UTC)": "" if item is None else item.time.replace("T", " ")[:16],
        })
    return pd.DataFrame(rows)


def as_text(table, widest: int = 60) -> str:
    """A DataFrame as left-aligned text columns, each cell at most ``widest`` characters."""
    def cell(value) -> str:
        text = str(value)
        return text if len(text) <= widest else text[:widest - 1] + "…"

    rows = [[str(c) for c in table.columns]] + [[cell(v) for v in row]
                                                 for row in table.itertuples(index=False)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip()
                     for row in rows)


def owner(path: Path) -> str:
    try:
        return pwd.getpwuid(path.stat().st_uid).pw_name
    except (KeyError, OSError):
        return str(path)


def find_records(where: Path) -> Path:
    """The records file of a state folder, a home folder (its lab's ``.lab``, up to three
    levels down) or the file itself; ConfigError if there is none."""
    if where.is_file():
        return where
    if (where / FILE_NAME).is_file() or (where / "localcloud.json").is_file():
        return where / FILE_NAME
    if where.is_dir():
        for pattern in (f".lab/{FILE_NAME}", f"*/.lab/{FILE_NAME}", f"*/*/.lab/{FILE_NAME}"):
            with contextlib.suppress(OSError):
                found = sorted(where.glob(pattern))
                if found:
                    return found[0]
        return where / FILE_NAME  # a learner with no check yet: an empty column
    raise ConfigError(f"{where} does not exist: give a learner's lab state folder, their "
                      f"home folder or a {FILE_NAME} file.")


def learners(sources: list[str]) -> dict[str, Path]:
    """``NAME=PATH`` or ``PATH`` arguments -> learner name -> records file. A bare path is
    named after the owner of its folder, or the path itself if two share an owner."""
    found: dict[str, Path] = {}
    if not sources:
        raise ConfigError("Name at least one learner: a state folder, a home folder or a "
                          f"{FILE_NAME} file (NAME=PATH names the column).")
    for source in sources:
        name, equals, path = source.partition("=")
        if not equals or "/" in name:  # a bare path (which may hold an "=" of its own)
            name, path = "", source
        records = find_records(Path(path).expanduser())
        if not name:
            name = owner(records.parent if records.parent.exists() else Path(path))
            if name in found:
                name = path
        if name in found:
            raise ConfigError(f"Two learners are named {name!r}: give each a NAME=PATH.")
        found[name] = records
    return found


def class_table(sources: list[str]):
    """Lessons × learners: the share of each lesson's exercises whose last check passed
    (NaN: never checked), as a pandas DataFrame."""
    import pandas as pd

    columns = {}
    for name, path in learners(sources).items():
        last = latest(read_records(path))
        shares = {}
        for lesson in sorted({lesson for lesson, _ in EXERCISES.values()}):
            mine = [e for e, (n, _) in EXERCISES.items() if n == lesson]
            tried = [last[e][0] for e in mine if e in last]
            shares[LESSON_LABELS.get(lesson, lesson)] = (
                sum(v.passed for v in tried) / len(mine) if tried else float("nan"))
        columns[name] = shares
    return pd.DataFrame(columns)


def class_picture(table, path: Path) -> Path:
    """Draw the class table as a PNG: one row per lesson, one column per learner."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(4 + 0.9 * len(table.columns), 1 + 0.45 * len(table)))
    image = axes.imshow(table.to_numpy(dtype=float), cmap="RdYlGn", vmin=0, vmax=1,
                        aspect="auto")
    axes.set_xticks(range(len(table.columns)), table.columns, rotation=30, ha="right")
    axes.set_yticks(range(len(table.index)), table.index)
    for row, lesson in enumerate(table.index):
        for column, learner in enumerate(table.columns):
            share = table.loc[lesson, learner]
            axes.text(column, row, "–" if share != share else f"{share:.0%}",
                      ha="center", va="center", fontsize=8)
    figure.colorbar(image, ax=axes, label="share of exercises passed (last check)")
    axes.set_title("Lessons × learners")
    figure.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(figure)
    return path
