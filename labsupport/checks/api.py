"""Checks for 09 · a REST API over the queue."""

from __future__ import annotations

import json

from . import Result, report

POP = "/queue/messages/pop"
ONE_MESSAGE = "/queue/messages/{message_id}"


def _key(content) -> str:
    return json.dumps(content, sort_keys=True)


def check_safe_consumer(processed, api, log, *, expected: list) -> Result:
    """09: consume every waiting message through the API without risking its loss.

    ``processed`` is the list of message contents the learner handled, ``api`` the httpx
    client on the service and ``log`` its :class:`~labsupport.api.tracing.HttpLog`.
    Safe means: receive (a lease), process, then DELETE with the pop receipt — never /pop.
    """
    problems = []
    handled = list(processed or [])
    if not handled:
        problems.append("nothing processed yet: receive with GET /queue/messages and append "
                        "each message's `content` to `processed`")
    elif sorted(map(_key, handled)) != sorted(map(_key, expected)):
        missing = len({_key(c) for c in expected} - {_key(c) for c in handled})
        if missing:
            problems.append(f"processed {len(handled)} message(s), {missing} of the "
                            f"{len(expected)} orders missing; receive until the answer is an "
                            f"empty list")
        else:
            problems.append(f"processed {len(handled)} message(s) for {len(expected)} orders: "
                            f"some twice; append each message's content to `processed` once")
    if log.count("GET", POP):
        problems.append("you used /queue/messages/pop: it deletes before you process, so a crash "
                        "would lose the message — receive, process, THEN delete")
    deleted = log.count("DELETE", ONE_MESSAGE, status=204)
    if handled and deleted < len(expected):
        problems.append(f"{deleted} message(s) deleted with DELETE /queue/messages/{{id}}"
                        f"?pop_receipt=…; delete each one after processing it")
    left = api.get("/queue").json().get("approximate_message_count", 0)
    if left:
        problems.append(f"{left} message(s) still in the queue")
    return report(problems, f"{len(expected)} orders processed, then each deleted with its pop "
                            f"receipt: none can be lost.")
