"""Automatic checks for the notebooks' "Your turn" exercises, one module per topic.

Each check looks at real state (the queue, the messages) and prints either a success
line or the list of what is still wrong, so a learner knows what to change. It returns
a :class:`Result`, truthy when passed, so tests can assert on it.
"""

from __future__ import annotations

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
    """Print ``success`` or every problem as a bullet; the result is truthy when none."""
    problems = [p for p in problems if p]
    if problems:
        print("Not yet — still to fix:")
        for problem in problems:
            print(f"  • {problem}")
    else:
        print(f"✅ {success}")
    return Result(problems)
