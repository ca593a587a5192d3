"""Check for 03 · the queue naming rules, judged by the service itself.

The learner writes ``is_valid_queue_name(name)``. The check asks the queue service to
create a queue under each of a set of names — valid ones (made unique for this run) and
invalid ones (uppercase, two hyphens in a row, a leading or trailing hyphen, an underscore,
a dot, a non-ASCII letter, too short, too long) — and compares each of the learner's
verdicts with the service's answer: created (201), or already there (204/409) means the
name is taken; 400 means refused. The truth is what the service answered, not the lab's
own copy of the rule (:mod:`labsupport.queue_names`). Every queue the check created is
deleted again; a queue that was already there and is not the check's is left alone.
"""

from __future__ import annotations

import random
import secrets
import string
from dataclasses import dataclass

from azure.core.exceptions import HttpResponseError, ResourceExistsError

from ..patterns.error_codes import error_code
from ..queue_names import MAX_LENGTH
from . import Result, report

#: The metadata the check's queues carry: a queue with it left by an interrupted check is
#: recognised (the service answers 204 to a create with the same metadata) and deleted.
CHECK_METADATA = {"created_by": "labsupport_check"}


@dataclass(frozen=True)
class Case:
    """One name the check asks the service about, and what it shows."""

    name: str
    what: str


def cases(token: str | None = None, rng: random.Random | None = None) -> list[Case]:
    """The names the check sends, in the order it reports them: valid ones first (unique
    for this run through ``token``), then invalid ones (fixed, so that a problem reads the
    same every run). No name has a ``|``: Azurite 3.35 takes one, Azure does not
    (docs/AZURE_DIFFERENCES.md#queue-name-characters), and the check must judge a rule the
    same way on both."""
    rng = rng or secrets.SystemRandom()
    token = token or secrets.token_hex(3)
    short = "".join(rng.choice(string.ascii_lowercase + string.digits) for _ in range(3))
    digits = "".join(rng.choice(string.digits) for _ in range(8))
    longest = f"names-{token}-".ljust(MAX_LENGTH, "n")
    return [
        Case(f"names-{token}", "lowercase letters, digits and single hyphens"),
        Case(f"0{token}-names", "starts with a digit"),
        Case(digits, "digits only"),
        Case(short, "3 characters, the fewest allowed"),
        Case(longest, f"{MAX_LENGTH} characters, the most allowed"),
        Case("ab", "2 characters"),
        Case("n" * (MAX_LENGTH + 1), f"{MAX_LENGTH + 1} characters"),
        Case("Orders-names", "an uppercase letter"),
        Case("orders--names", "two hyphens in a row"),
        Case("-orders-names", "starts with a hyphen"),
        Case("orders-names-", "ends with a hyphen"),
        Case("orders_names", "an underscore"),
        Case("orders.names", "a dot"),
        Case("ordérs-names", "a non-ASCII letter"),
    ]


@dataclass(frozen=True)
class Answer:
    """What the service answered to a create under one name."""

    taken: bool
    detail: str  # e.g. "201", "400 InvalidResourceName"


def ask_service(service, name: str) -> Answer:
    """Create a queue named ``name`` through ``service`` and delete it again if the check
    made it: whether the service takes the name, and its answer."""
    queue = service.get_queue_client(name)
    try:
        queue.create_queue(metadata=CHECK_METADATA)
    except ResourceExistsError as error:  # 204: there, with our metadata; 409: someone's
        if error.status_code == 204:
            queue.delete_queue()
        return Answer(True, f"{error.status_code} {error_code(error)}".strip())
    except HttpResponseError as error:
        if error.status_code == 400:
            return Answer(False, f"400 {error_code(error)}".strip())
        raise
    queue.delete_queue()
    return Answer(True, "201")


def check_queue_names(is_valid_queue_name, service) -> Result:
    """03: ``is_valid_queue_name(name)`` says True exactly for the names the service takes.

    ``service`` is a ``QueueServiceClient`` of the account the names are tried in. The
    check calls the function for every name of :func:`cases`, then asks the service
    (:func:`ask_service`); it passes when every verdict matches the service's answer.
    """
    if not callable(is_valid_queue_name):
        return report(["`is_valid_queue_name` should be a function that takes a name and "
                       "returns True or False"], "")
    checked = cases()
    verdicts = {}
    for case in checked:
        try:
            verdicts[case.name] = bool(is_valid_queue_name(case.name))
        except Exception as error:  # the learner's code: report, do not crash the check
            return report([f"your function raised {type(error).__name__} for {case.name!r} "
                           f"({case.what}): {error} — return False for a name it cannot "
                           f"take"], "")
    problems = []
    taken = 0
    for case in checked:
        try:
            answer = ask_service(service, case.name)
        except HttpResponseError as error:
            return report([f"the service could not be asked about {case.name!r}: "
                           f"{error.status_code} {error_code(error)} — run the Setup cell "
                           f"again, then this check"], "")
        taken += answer.taken
        said = verdicts[case.name]
        if said and not answer.taken:
            problems.append(f"{case.name!r} ({case.what}): your function says valid, the "
                            f"service refused it ({answer.detail})")
        elif answer.taken and not said:
            problems.append(f"{case.name!r} ({case.what}): your function says invalid, the "
                            f"service took it")
    return report(problems, f"your rule agrees with the service on all {len(checked)} names: "
                            f"{taken} taken, {len(checked) - taken} refused.")
