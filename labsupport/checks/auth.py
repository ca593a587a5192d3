"""Checks for 02 · authenticate like production."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from urllib.parse import urlsplit

from azure.core.exceptions import HttpResponseError
from azure.storage.queue import QueueClient, QueueServiceClient

from ..auth import AuthError, probe_queue_access, sas_info
from ..auth.sas import TIMING, Problem
from ..patterns.error_codes import error_code
from . import Result, report

EXTRAS = {
    "send": "it can also send messages (a): a worker only consumes them — drop a",
    "peek": "it can also peek at messages and read the queue's properties (r): not needed to "
            "process messages — drop r",
    "update": "it can also update messages (u): only a worker that extends its leases needs "
              "it — drop u",
}
NEEDED = {
    "receive": "the worker cannot receive messages",
    "delete": "the worker cannot delete the messages it processed",
}
MARGIN_SECONDS = 60
# Define a stored access policy (Microsoft Learn): a policy change may take this long on Azure.
POLICY_DELAY = ("; on Azure a new or changed stored access policy can take up to 30 seconds "
                "to apply (https://learn.microsoft.com/rest/api/storageservices/"
                "define-stored-access-policy)")


def check_worker_sas(sas, service: QueueServiceClient, queue_name: str, *,
                     minutes: int = 5) -> Result:
    """02: ``sas`` lets a worker process (receive + delete) messages of ``queue_name`` for
    ``minutes`` minutes, and nothing else.

    The SAS is tested for real: the check sends messages with ``service`` (the owner's
    client) and tries every message operation with the SAS, on ``queue_name`` and on a
    scratch queue. The queue is emptied afterwards.
    """
    if not sas:
        return report(["no SAS yet: mint one with generate_queue_sas(...) and keep the token "
                       "in `worker_sas`"], "")
    if not isinstance(sas, str):
        return report([f"`worker_sas` should be the string generate_queue_sas returns, not a "
                       f"{type(sas).__name__}"], "")
    try:
        info = sas_info(sas)
    except AuthError as error:
        return report([str(error)], "")
    owner = service.get_queue_client(queue_name)
    problems, usable = _time_problems(info, owner, minutes)
    if info.kind == "account":
        problems.append("it is an account SAS: it reaches every queue in the account. Mint a "
                        "queue SAS for this queue only with generate_queue_sas")
    if not usable:
        return report(problems, "")  # the service would refuse every probe: fix this first

    token = urlsplit(sas).query if "://" in sas else sas.lstrip("?")
    worker = QueueClient.from_queue_url(owner.url, credential=token)
    results = probe_queue_access(worker, owner)
    refused = [code for op, code in results.items() if op in NEEDED and code]
    if "AuthenticationFailed" in refused:
        problems.append(f"the service refused the SAS (AuthenticationFailed): mint it for queue "
                        f"{queue_name!r} with the account key from list_keys"
                        + (POLICY_DELAY if info.policy_id else ""))
    else:
        problems += [f"{message} ({results[op]}): the worker needs p (process)"
                     for op, message in NEEDED.items() if results[op]]
    problems += [message for op, message in EXTRAS.items() if results[op] is None]
    if info.kind != "account" and _works_elsewhere(service, queue_name, token):
        problems.append("it also works on another queue: mint it for this queue only")
    return report(problems, f"A worker holding this SAS can receive and delete this queue's "
                            f"messages for {minutes} minutes, and do nothing else.")


def _time_problems(info, owner: QueueClient, minutes: int) -> tuple[list[str], bool]:
    """Problems with the SAS's validity window, and whether the service could accept it now."""
    now = datetime.now(UTC)
    findings = info.findings(now)
    usable = not any(p.kind in (*TIMING, Problem.UNSIGNED) for p in findings)
    expiry = info.expiry
    found: list[str] = []
    if info.policy_id:
        policy = owner.get_queue_access_policy().get(info.policy_id)
        if policy is None:
            return [f"the SAS refers to stored access policy {info.policy_id!r}, which the "
                    f"queue does not have: create it with set_queue_access_policy"], False
        found = _policy_problems(info, policy, now)
        usable = usable and not found
        expiry = expiry or _as_time(policy.expiry)
        findings = [p for p in findings if p.kind != Problem.NO_EXPIRY]
    found += [f"the SAS {problem.text}" for problem in findings]
    valid_from = max(now, info.start or now)
    if expiry and (expiry - valid_from).total_seconds() > minutes * 60 + MARGIN_SECONDS:
        left = round((expiry - valid_from).total_seconds() / 60)
        where = "" if info.expiry else f" in policy {info.policy_id!r}"
        found.append(f"the SAS stays valid for about {left} minutes; the worker needs "
                     f"{minutes}: use expiry=datetime.now(UTC) + timedelta(minutes={minutes})"
                     f"{where}")
    return found, usable


def _policy_problems(info, policy, now: datetime) -> list[str]:
    """Why the service would refuse this SAS with its stored access policy ``policy``.

    Azure's rule: each of start, expiry and permissions may be in the SAS or in the policy,
    never in both, and expiry and permissions must be in one of them (Define a stored
    access policy, Microsoft Learn). The policy's own times apply as the SAS's would.
    """
    fields = {"start (st)": (info.start, policy.start),
              "expiry (se)": (info.expiry, policy.expiry),
              "permissions (sp)": (info.permissions, policy.permission)}
    both = [name for name, (token, stored) in fields.items() if token and stored]
    neither = [name for name, (token, stored) in fields.items()
               if not token and not stored and not name.startswith("start")]
    problems = []
    if both:
        problems.append(f"the SAS and policy {info.policy_id!r} both set {_listed(both)}: "
                        f"Azure refuses a field given in both. Keep each in one place — "
                        f"leave it out of generate_queue_sas, or out of the AccessPolicy")
    if neither:
        problems.append(f"neither the SAS nor policy {info.policy_id!r} sets "
                        f"{_listed(neither)}: put it in one of them")
    start, expiry = _as_time(policy.start), _as_time(policy.expiry)
    if expiry and expiry <= now:
        problems.append(f"policy {info.policy_id!r} expired at {expiry:%Y-%m-%dT%H:%M:%SZ}: "
                        f"give it a new expiry with set_queue_access_policy")
    if start and start > now:
        problems.append(f"policy {info.policy_id!r} starts at {start:%Y-%m-%dT%H:%M:%SZ}, "
                        f"in the future: leave its start out")
    return problems


def _listed(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _as_time(value) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def _works_elsewhere(service: QueueServiceClient, queue_name: str, token: str) -> bool:
    """Does the SAS also receive from another queue? (A queue SAS must not.)"""
    scratch = service.create_queue(f"{queue_name[:48]}-scope-{secrets.token_hex(3)}")
    try:
        scratch.send_message("scope probe")
        other = QueueClient.from_queue_url(scratch.url, credential=token)
        try:
            return bool(list(other.receive_messages(max_messages=1)))
        except HttpResponseError as error:
            return error_code(error) not in ("AuthenticationFailed",
                                             "AuthorizationPermissionMismatch",
                                             "AuthorizationResourceTypeMismatch")
    finally:
        scratch.delete_queue()
