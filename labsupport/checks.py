"""Automatic checks for the notebooks' "Your turn" exercises.

Each check looks at real state (the queue, the messages) and prints either a success
line or the list of what is still wrong, so a learner knows what to change. It returns
True or False so tests can assert on it.
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


def check_receive_batch(result, queue, *, expected: int, requests: int) -> Result:
    """03: receive ``expected`` messages in one request and delete them all.

    ``result`` is the list of messages the learner received, ``queue`` the QueueClient,
    ``requests`` how many HTTP requests the learner's receive made.
    """
    problems = []
    received = list(result or [])
    if not received:
        problems.append("nothing received yet: call receive_messages on the `counted` client "
                        "and keep the messages in `received`")
    elif len(received) != expected:
        problems.append(f"received {len(received)} message(s); expected {expected} "
                        f"(pass max_messages={expected})")
    if received and requests != 1:
        problems.append(f"the receive made {requests} requests; one is enough "
                        f"(pass messages_per_page={expected} as well)")
    left = queue.get_queue_properties().approximate_message_count
    if left:
        problems.append(f"{left} message(s) still in the queue: delete each message you "
                        f"received with queue.delete_message(message)")
    return report(problems, f"{expected} messages received in 1 request and deleted.")
