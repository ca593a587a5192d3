"""Automatic checks for the notebooks' "Your turn" exercises, one module per topic.

Each check looks at real state (the queue, the messages) and prints either a success
line or the list of what is still wrong, so a learner knows what to change. It returns
a :class:`Result`, truthy when passed, so tests can assert on it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable


class Result:
    """A check's outcome: truthy when passed. Prints itself once, when the check runs."""

    def __init__(self, problems: list[str]):
        self.problems = problems

    def __bool__(self) -> bool:
        return not self.problems

    def _ipython_display_(self) -> None:
        """Already printed: show nothing more as the cell's value."""

    def __repr__(self) -> str:
        return "passed" if self else f"not yet: {'; '.join(self.problems)}"


def report(problems: Iterable[str], success: str) -> Result:
    """Print ``success`` or every problem as a bullet; the result is truthy when none.

    Every exercise check ends here, so this is where its verdict is recorded in the
    learner's lab state (:mod:`labsupport.checks.records`: lesson, exercise, passed or what is
    still wrong, time; never code or secrets)."""
    problems = [p for p in problems if p]
    if problems:
        print("Not yet — still to fix:")
        for problem in problems:
            print(f"  • {problem}")
    else:
        print(f"✅ {success}")
    _record(problems)
    return Result(problems)


def _record(problems: list[str]) -> None:
    """Record the verdict of the exercise check that called :func:`report`, if any. A
    record that cannot be written never fails the check (it is logged)."""
    from ..errors import LabError
    from .records import calling_check, record

    exercise = calling_check()
    if exercise is None:
        return
    try:
        record(exercise, problems)
    except (OSError, LabError) as error:  # e.g. a read-only disk, a broken lab.env
        logging.getLogger("labsupport.checks.records").warning(
            "could not record the verdict of %s: %s", exercise, error)
