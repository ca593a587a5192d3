"""Checks for 03 · send, peek, receive, update, delete.

The check judges what crossed the wire: the :class:`~labsupport.wire.WireLog` (for
example the ``RequestCounter``) in the hooks of the client the learner was told to use.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..wire import WireLog
from . import Result, report


def check_receive_batch(received, *, expected: int, log: WireLog, client: str = "counted"
                        ) -> Result:
    """03: ``expected`` messages received in ONE request, then each one deleted.

    ``received`` is the list of messages the learner received; ``log`` the wire log of
    the client they were told to use for everything (named ``client`` in the hints). It
    passes when that client made exactly one receive request (since ``log`` was reset),
    every received message came in its response, and each was then deleted through it
    (``DELETE …/messages/<id>`` answered 204) — clearing the queue is not deleting what
    you processed.
    """
    if received is not None and not isinstance(received, Sequence):
        return report([f"keep the messages in a list, e.g. received = list({client}."
                       f"receive_messages(...)): the pager that receive_messages returns "
                       f"can be read only once"], "")
    received = list(received or [])
    exchanges = log.snapshot()
    receives = [e for e in exchanges if e.operation == "receive"]
    ids = [getattr(m, "id", None) for m in received]
    problems = []
    if not received:
        problems.append(f"nothing received yet: call {client}.receive_messages(...) and keep "
                        f"the messages in `received`")
    elif len(received) != expected:
        problems.append(f"received {len(received)} message(s); expected {expected} "
                        f"(pass max_messages={expected})")
    if received:
        problems.extend(_one_receive(ids, receives, expected, client))
        problems.extend(_deleted(ids, exchanges, client))
    return report(problems, f"{expected} messages received in 1 request and deleted.")


def _one_receive(ids: list, receives: list, expected: int, client: str) -> list[str]:
    """The received messages came in one receive response of the client."""
    if not receives:
        return [f"`{client}` made no receive request: these messages came through another "
                f"client, so the check cannot see how you received them — receive with "
                f"{client}.receive_messages(...)"]
    found = {wire.id: n for n, e in enumerate(receives) for wire in e.messages}
    foreign = [i for i in ids if i not in found]
    if foreign:
        return [f"{len(foreign)} of the messages in `received` did not come from a receive of "
                f"`{client}`: receive them all with {client}.receive_messages(...)"]
    responses = len({found[i] for i in ids})
    if responses > 1:
        return [f"the messages came in {responses} receive requests; one is enough "
                f"(pass messages_per_page={expected} as well as max_messages)"]
    if len(receives) > 1:
        empty = sum(not e.messages for e in receives)
        return [f"`{client}` made {len(receives)} receive requests ({empty} answered with no "
                f"message); the exercise asks for one: pass max_messages={expected} as well "
                f"as messages_per_page={expected} (without max_messages the pager asks again "
                f"until a page comes back empty), and re-run the cell that sends the messages "
                f"(it resets the count) before yours"]
    return []


def _deleted(ids: list, exchanges: list, client: str) -> list[str]:
    """Each received message was deleted by id through the client, and the service said 204."""
    deleted = {e.message_id for e in exchanges
               if e.operation == "delete" and e.status == 204}
    missing = [i for i in ids if i not in deleted]
    if not missing:
        return []
    cleared = any(e.operation == "clear" for e in exchanges)
    if cleared:
        return [f"clear_messages() deletes the whole queue, not the {len(missing)} message(s) "
                f"you processed: delete each one with {client}.delete_message(message)"]
    return [f"{len(missing)} received message(s) not deleted through `{client}`: delete each "
            f"one with {client}.delete_message(message) (its pop receipt proves your lease)"]
