"""Read a shared access signature (SAS): its fields, what it allows, what makes it unusable.

A SAS is a query string (``sv=…&se=…&sp=…&sig=…``) that carries its own rules; the
signature (``sig``) is an HMAC of the other fields made with the account key, so nothing
here ever shows it. :func:`sas_info` reads the fields into a :class:`SasInfo`, whose
:meth:`~SasInfo.findings` are the reasons the service would refuse it whatever the
request — each a :class:`SasProblem` with a ``kind`` to branch on and a sentence to show.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from urllib.parse import parse_qs, unquote, urlsplit

from ..redact import redact
from .errors import AuthError

QUEUE_SAS_PERMISSIONS = {
    "r": "read: peek at messages, read the queue's properties and metadata",
    "a": "add: send messages",
    "u": "update: change a received message (needs p to receive it first)",
    "p": "process: receive and delete messages",
}
ACCOUNT_SAS_PERMISSIONS = {
    "r": "read", "w": "write", "d": "delete", "l": "list", "a": "add", "c": "create",
    "u": "update", "p": "process",
}
RESOURCE_TYPES = {"s": "service", "c": "container (queue)", "o": "object (message)"}
SAS_FIELDS = {
    "sv": "service version the signature is computed for",
    "ss": "services (b blob, q queue, t table, f file)",
    "srt": "resource types (s service, c container/queue, o object/message)",
    "st": "start: not valid before (UTC)",
    "se": "expiry: not valid after (UTC)",
    "sp": "permissions",
    "si": "stored access policy on the queue",
    "sip": "allowed client IP addresses",
    "spr": "allowed protocols",
    "sig": "HMAC-SHA256 of all these fields, made with the account key",
}
# What each queue operation needs: (queue SAS letter, account SAS letter, account SAS type).
OPERATIONS = {
    "send": ("a", "a", "o"),
    "peek": ("r", "r", "o"),
    "receive": ("p", "p", "o"),
    "update": ("u", "u", "o"),
    "delete": ("p", "p", "o"),
    "clear": (None, "d", "o"),
    "properties": ("r", "r", "c"),
}
SKEW_ADVICE = ("leave `start` out (a SAS is valid as soon as it is made), or set it 15 minutes "
               "in the past to absorb clock differences between machines")


def printable(text: str) -> str:
    """A SAS, SAS URL or connection string made safe to print: URL-decoded, secrets masked."""
    return redact(unquote(text))


def sas_fields(sas: str) -> dict[str, str]:
    """The fields of a SAS token (with or without ``?``) or of a SAS URL's query."""
    sas = sas.strip()
    query = urlsplit(sas).query if "://" in sas else sas.lstrip("?")
    return {name: values[0] for name, values in parse_qs(query, keep_blank_values=True).items()}


def _time(value: str | None) -> datetime | None:
    if not value:
        return None
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class Problem(StrEnum):
    """Why the service would refuse a SAS whatever the request."""

    UNSIGNED = "unsigned"
    NO_EXPIRY = "no expiry"
    EXPIRED = "expired"
    NOT_YET_VALID = "not valid yet"
    STARTS_AFTER_EXPIRY = "starts after expiry"
    NOT_FOR_QUEUES = "not for queues"


#: Problems of time: the SAS would work at another moment.
TIMING = frozenset({Problem.EXPIRED, Problem.NOT_YET_VALID})


@dataclass(frozen=True)
class SasProblem:
    """One problem: its ``kind``, and a ``text`` that reads after "the SAS …"."""

    kind: Problem
    text: str

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class SasInfo:
    """The readable fields of a SAS (never its signature)."""

    kind: str  # "queue" (service SAS) or "account"
    permissions: str
    start: datetime | None
    expiry: datetime | None
    policy_id: str | None
    services: str | None
    resource_types: str | None
    signed: bool

    def findings(self, now: datetime | None = None) -> list[SasProblem]:
        """What would make the service refuse this SAS whatever the request (times, fields)."""
        now = now or datetime.now(UTC)
        found: list[SasProblem] = []

        def add(kind: Problem, text: str) -> None:
            found.append(SasProblem(kind, text))

        if not self.signed:
            add(Problem.UNSIGNED, "has no signature (sig=): it is not a SAS, or it was cut short")
        if self.expiry is None and not self.policy_id:
            add(Problem.NO_EXPIRY, "has no expiry (se=) and no stored access policy (si=)")
        if self.expiry and self.expiry <= now:
            add(Problem.EXPIRED, f"expired at {self.expiry:%Y-%m-%dT%H:%M:%SZ}: mint a new one")
        if self.start and self.start > now:
            ahead = round((self.start - now).total_seconds() / 60)
            add(Problem.NOT_YET_VALID,
                f"is not valid yet: it starts at {self.start:%Y-%m-%dT%H:%M:%SZ}, about "
                f"{ahead} minute(s) from now. The clock of the machine that minted it is "
                f"probably ahead (clock skew), or `start` was set to the future: {SKEW_ADVICE}")
        if self.start and self.expiry and self.start >= self.expiry:
            add(Problem.STARTS_AFTER_EXPIRY,
                "starts after it expires: its start must be before its expiry")
        if self.kind == "account" and self.services is not None and "q" not in self.services:
            add(Problem.NOT_FOR_QUEUES, f"is an account SAS for services {self.services!r}, "
                                        f"without q (queue): mint it with services='q'")
        return found

    def problems(self, now: datetime | None = None) -> list[str]:
        """The sentences of :meth:`findings`, e.g. "expired at 2030-01-01T00:00:00Z: …"."""
        return [problem.text for problem in self.findings(now)]

    def __str__(self) -> str:
        what = f"{self.kind} SAS"
        if self.kind == "account":
            what += f" (services {self.services}, resource types {self.resource_types})"
        perms = self.permissions or ("from the policy" if self.policy_id else "none")
        parts = [what, f"permissions {perms}"]
        if self.policy_id:
            parts.append(f"stored access policy {self.policy_id!r}")
        if self.start:
            parts.append(f"from {self.start:%Y-%m-%dT%H:%M:%SZ}")
        if self.expiry:
            parts.append(f"until {self.expiry:%Y-%m-%dT%H:%M:%SZ}")
        return " · ".join(parts)


def sas_info(sas: str) -> SasInfo:
    """Parse a SAS token (``se=…&sp=…&sig=…``, with or without ``?``) or a SAS URL."""
    if not isinstance(sas, str) or not sas.strip():
        raise AuthError("There is no SAS to read: expected a token such as the string "
                        "generate_queue_sas returns, or a URL ending in ?<token>.")
    fields = sas_fields(sas)
    if not fields.get("sv") and not fields.get("sig"):
        raise AuthError("This is not a SAS: it has neither sv= nor sig=. Pass the string "
                        "generate_queue_sas / generate_account_sas returned, or a SAS URL.")
    try:
        start, expiry = _time(fields.get("st")), _time(fields.get("se"))
    except ValueError:
        raise AuthError("The SAS's st= or se= is not an ISO 8601 UTC time "
                        "(e.g. 2030-01-31T12:00:00Z).") from None
    account = "ss" in fields or "srt" in fields
    return SasInfo(
        kind="account" if account else "queue",
        permissions=fields.get("sp", ""),
        start=start,
        expiry=expiry,
        policy_id=fields.get("si") or None,
        services=fields.get("ss"),
        resource_types=fields.get("srt"),
        signed=bool(fields.get("sig")),
    )


def sas_table(sas: str) -> str:
    """One line per SAS field: name, value (signature masked, times readable), meaning."""
    rows = []
    for name, value in sas_fields(sas).items():
        shown = "***" if name == "sig" else value
        rows.append(f"{name:<4} {shown:<22} {SAS_FIELDS.get(name, '')}".rstrip())
    return "\n".join(rows)
