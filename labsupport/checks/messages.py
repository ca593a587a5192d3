"""Checks for 03 · send, peek, receive, update, delete."""

from __future__ import annotations

from ..trace import RequestCounter
from . import Result, report


def check_receive_batch(result, queue, *, expected: int, requests: RequestCounter) -> Result:
    """03: receive ``expected`` messages in one request and delete them all.

    ``result`` is the list of messages the learner received, ``queue`` the QueueClient,
    ``requests`` the :class:`~labsupport.trace.RequestCounter` of the client the learner
    received with. Only its receives (GET) count: deleting through it is fine too.
    """
    problems = []
    received = list(result or [])
    receives = requests.by_method["GET"]
    if not received:
        problems.append("nothing received yet: call receive_messages on the `counted` client "
                        "and keep the messages in `received`")
    elif len(received) != expected:
        problems.append(f"received {len(received)} message(s); expected {expected} "
                        f"(pass max_messages={expected})")
    if received and receives != 1:
        problems.append(f"the receive made {receives} requests; one is enough "
                        f"(pass messages_per_page={expected} as well)")
    left = queue.get_queue_properties().approximate_message_count
    if left:
        problems.append(f"{left} message(s) still in the queue: delete each message you "
                        f"received with queue.delete_message(message)")
    return report(problems, f"{expected} messages received in 1 request and deleted.")
