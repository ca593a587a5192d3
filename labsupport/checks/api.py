"""Check for 09 · a REST API over the queue: consume safely — process, THEN delete.

Order is judged from what the learner's code did, in one sequence: a :class:`ConsumerLog`
is the ``httpx`` client's event hook (it notes every request to the queue API as it is
sent, its answer, and the messages each receive answered), and ``log.processed`` is the
list the learner appends each message's content to — "processing" — which notes each
append in the same sequence. A message is handled safely when its content was processed
before the DELETE that removed it was sent.

    log = ConsumerLog()
    api = httpx.Client(base_url=url, event_hooks=log.hooks)
    processed = log.processed
    ...                                   # the learner's loop
    check_safe_consumer(processed, api, log, expected=orders)
"""

from __future__ import annotations

import itertools
import json
import re
import threading
from dataclasses import dataclass

from . import Result, report

POP = "/queue/messages/pop"
RECEIVE = "/queue/messages"
_ONE_MESSAGE = re.compile(r"^/queue/messages/(?!peek$|pop$)([^/]+)$")


def _key(content) -> str:
    return json.dumps(content, sort_keys=True)


@dataclass
class ConsumerStep:
    """One thing the consumer did: a request it sent (with its answer) or a processed item."""

    seq: int
    kind: str                      # "request" or "processed"
    method: str = ""
    route: str = ""                # /queue/messages/{message_id} for one message
    message_id: str | None = None
    status: int | None = None      # None until the answer arrives
    content: str | None = None     # the processed content's key


class Processed(list):
    """A list whose appends the :class:`ConsumerLog` notes, in order with the requests."""

    def __init__(self, note) -> None:
        super().__init__()
        self._note = note

    def append(self, item) -> None:
        self._note([item])
        super().append(item)

    def extend(self, items) -> None:
        items = list(items)
        self._note(items)
        super().extend(items)

    def insert(self, index, item) -> None:
        self._note([item])
        super().insert(index, item)

    def __iadd__(self, items):
        self.extend(items)
        return self


class ConsumerLog:
    """What a consumer of the queue API did, in order: requests, answers, processing."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seq = itertools.count()
        self._steps: list[ConsumerStep] = []
        self._pending: dict[int, ConsumerStep] = {}
        self.received: dict[str, str] = {}   # message id -> content key, from receive answers
        self.processed = Processed(self._note_processed)

    @property
    def hooks(self) -> dict[str, list]:
        """``httpx.Client(..., event_hooks=log.hooks)``."""
        return {"request": [self._on_request], "response": [self._on_response]}

    def _on_request(self, request) -> None:
        path = request.url.path
        one = _ONE_MESSAGE.match(path)
        with self._lock:
            step = ConsumerStep(next(self._seq), "request", request.method,
                        "/queue/messages/{message_id}" if one else path,
                        one.group(1) if one else None)
            self._steps.append(step)
            self._pending[id(request)] = step

    def _on_response(self, response) -> None:
        request = response.request
        with self._lock:
            step = self._pending.pop(id(request), None)
        if step is None:
            return
        step.status = response.status_code
        if step.method == "GET" and step.route in (RECEIVE, POP) and response.status_code == 200:
            response.read()
            answer = response.json()
            for message in answer if isinstance(answer, list) else [answer]:
                if isinstance(message, dict) and "id" in message:
                    with self._lock:
                        self.received[message["id"]] = _key(message.get("content"))

    def _note_processed(self, items) -> None:
        with self._lock:
            self._steps.extend(ConsumerStep(next(self._seq), "processed", content=_key(item))
                               for item in items)

    def steps(self) -> list[ConsumerStep]:
        with self._lock:
            return sorted(self._steps, key=lambda step: step.seq)

    def count(self, method: str, route: str, status: int | None = None) -> int:
        return sum(1 for s in self.steps() if s.kind == "request" and s.method == method
                   and s.route == route and (status is None or s.status == status))

    def clear(self) -> None:
        """Forget everything so far (the processed list is emptied too)."""
        with self._lock:
            self._steps.clear()
            self._pending.clear()
            self.received.clear()
            list.clear(self.processed)


def _unsafe_deletes(log: ConsumerLog) -> tuple[list[str], list[str]]:
    """Contents deleted before they were processed; ids deleted that were never received."""
    processed_so_far: set[str] = set()
    early, unknown = [], []
    for step in log.steps():
        if step.kind == "processed":
            processed_so_far.add(step.content)
        elif (step.method == "DELETE" and step.message_id is not None
              and step.status == 204):
            content = log.received.get(step.message_id)
            if content is None:
                unknown.append(step.message_id)
            elif content not in processed_so_far:
                early.append(content)
    return early, unknown


def check_safe_consumer(processed, api, log: ConsumerLog, *, expected: list) -> Result:
    """09: consume every waiting message through the API without risking its loss.

    ``processed`` is ``log.processed`` (the learner appends each message's content to it),
    ``api`` the httpx client on the service, carrying ``log.hooks``. Safe means: receive
    (a lease), process, then DELETE with the pop receipt — never /pop, never delete first.
    """
    problems = []
    if processed is not log.processed:
        problems.append("`processed` is not the list the setup cell made: keep "
                        "`processed = log.processed` and append to it, so the check sees "
                        "when each message was processed")
    handled = list(log.processed)
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
    early, unknown = _unsafe_deletes(log)
    if early:
        problems.append(f"{len(early)} message(s) deleted before you processed them: a crash "
                        f"in between would lose them — append the content to `processed` "
                        f"first, then send the DELETE")
    if unknown:
        problems.append(f"{len(unknown)} message(s) deleted that no GET /queue/messages in "
                        f"this exercise returned: receive the messages you delete")
    deleted = log.count("DELETE", "/queue/messages/{message_id}", status=204)
    if handled and deleted < len(expected):
        problems.append(f"{deleted} message(s) deleted with DELETE /queue/messages/{{id}}"
                        f"?pop_receipt=…; delete each one after processing it")
    left = api.get("/queue").json().get("approximate_message_count", 0)
    if left:
        problems.append(f"{left} message(s) still in the queue")
    return report(problems, f"{len(expected)} orders processed, then each deleted with its pop "
                            f"receipt: none can be lost.")


__all__ = ["ConsumerLog", "check_safe_consumer"]
