"""Authentication helpers: read a SAS safely, probe what a credential allows, explain refusals.

Azure Storage answers most authentication problems with one code, ``AuthenticationFailed``
(Azurite adds no detail at all for SAS). :func:`explain` reads what the failed request
carried (the SAS fields in its URL, the claims of its bearer token) and says in a sentence
what is wrong and how to fix it. Nothing here returns or prints a key, a SAS signature or a
token: everything shown passes through :func:`labsupport.redact`.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import parse_qs, unquote, urlsplit

from azure.core.exceptions import HttpResponseError
from azure.storage.queue import QueueClient

from .errors import LabError, first_line
from .patterns.error_codes import error_code
from .redact import redact

STORAGE_AUDIENCE = "https://storage.azure.com"
# Audiences Azure Storage accepts for the queue service (``aud`` claim of a bearer token).
_QUEUE_AUDIENCE = re.compile(
    r"^(https://storage\.azure\.com|https://([a-z0-9]{3,24})\.queue\.core\.windows\.net)/?$"
)

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
CONNECTION_STRING_NAMES = {
    name.lower() for name in (
        "DefaultEndpointsProtocol", "AccountName", "AccountKey", "EndpointSuffix",
        "SharedAccessSignature", "UseDevelopmentStorage", "DevelopmentStorageProxyUri",
        *(f"{service}{kind}" for service in ("Blob", "Queue", "Table", "File")
          for kind in ("Endpoint", "SecondaryEndpoint")),
    )
}
# What the storage SDK says about a connection string it cannot use.
_SDK_CONNECTION_STRING_ERRORS = ("onnection string", "SAS token or an account shared key")
SKEW_ADVICE = ("leave `start` out (a SAS is valid as soon as it is made), or set it 15 minutes "
               "in the past to absorb clock differences between machines")


class AuthError(LabError):
    """A credential was refused or is malformed; the message says why and what to do."""


# ---------------------------------------------------------------------------- printing


def printable(text: str) -> str:
    """A SAS, SAS URL or connection string made safe to print: URL-decoded, secrets masked."""
    return redact(unquote(text))


# ---------------------------------------------------------------------- connection strings


def check_connection_string(text: str) -> None:
    """Raise :class:`AuthError` saying what is wrong with a connection string (never its key).

    The SDK only says "Connection string is either blank or malformed", or fails at the
    first request when the key is damaged; this names the part to fix.
    """
    if not isinstance(text, str) or not text.strip():
        raise AuthError("The connection string is empty. Copy it from the portal (Storage "
                        "account → Access keys) or build it from `list_keys`; in the lab it is "
                        "`lab.connection_string`.")
    text = text.strip()
    if text[0] in "'\"" or text[-1] in "'\"":
        raise AuthError("The connection string starts or ends with a quote: remove the quotes "
                        "you copied with it.")
    settings: dict[str, str] = {}
    for number, part in enumerate((p for p in text.split(";") if p.strip()), start=1):
        name, _, value = part.partition("=")
        if name.strip().lower() not in CONNECTION_STRING_NAMES:
            shown = f" ({name.strip()!r})" if re.fullmatch(r"[A-Za-z]{3,40}", name.strip()) else ""
            raise AuthError(f"Part {number} of the connection string{shown} is not a setting "
                            f"it can have (AccountName, AccountKey, EndpointSuffix, "
                            f"QueueEndpoint, …): every part is Name=value and parts are "
                            f"separated by ';' — did a key lose its name, or a ';' slip into "
                            f"a value?")
        settings[name.strip().lower()] = value.strip()
    if settings.get("usedevelopmentstorage") == "true":
        return
    if "accountname" not in settings and "queueendpoint" not in settings:
        raise AuthError("The connection string has no AccountName (or QueueEndpoint): it should "
                        "look like DefaultEndpointsProtocol=https;AccountName=<account>;"
                        "AccountKey=<key>;EndpointSuffix=core.windows.net.")
    key = settings.get("accountkey")
    if key is None and "sharedaccesssignature" not in settings:
        raise AuthError("The connection string has neither AccountKey nor "
                        "SharedAccessSignature, so requests could not be signed.")
    if key is not None:
        try:
            raw = base64.b64decode(key, validate=True)
        except (binascii.Error, ValueError):
            raise AuthError(f"AccountKey is not valid base64 (it has {len(key)} characters; an "
                            f"account key has 88 and ends with '=='): copy the whole key "
                            f"again.") from None
        if len(raw) != 64:
            raise AuthError(f"AccountKey decodes to {len(raw)} bytes; a storage account key is "
                            f"64 bytes (88 base64 characters): it looks truncated or padded.")


# --------------------------------------------------------------------------------- SAS


def _sas_query(sas: str) -> dict[str, str]:
    sas = sas.strip()
    query = urlsplit(sas).query if "://" in sas else sas.lstrip("?")
    return {name: values[0] for name, values in parse_qs(query, keep_blank_values=True).items()}


def _time(value: str | None) -> datetime | None:
    if not value:
        return None
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


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

    def problems(self, now: datetime | None = None) -> list[str]:
        """What would make the service refuse this SAS whatever the request (times, fields).

        Each problem reads after "the SAS …", e.g. "expired at 2030-01-01T00:00:00Z: …".
        """
        now = now or datetime.now(UTC)
        found = []
        if not self.signed:
            found.append("has no signature (sig=): it is not a SAS, or it was cut short")
        if self.expiry is None and not self.policy_id:
            found.append("has no expiry (se=) and no stored access policy (si=)")
        if self.expiry and self.expiry <= now:
            found.append(f"expired at {self.expiry:%Y-%m-%dT%H:%M:%SZ}: mint a new one")
        if self.start and self.start > now:
            ahead = round((self.start - now).total_seconds() / 60)
            found.append(
                f"is not valid yet: it starts at {self.start:%Y-%m-%dT%H:%M:%SZ}, about "
                f"{ahead} minute(s) from now. The clock of the machine that minted it is "
                f"probably ahead (clock skew), or `start` was set to the future: {SKEW_ADVICE}"
            )
        if self.start and self.expiry and self.start >= self.expiry:
            found.append("starts after it expires: its start must be before its expiry")
        if self.kind == "account" and self.services is not None and "q" not in self.services:
            found.append(f"is an account SAS for services {self.services!r}, without q "
                         f"(queue): mint it with services='q'")
        return found

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
    fields = _sas_query(sas)
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
    for name, value in _sas_query(sas).items():
        shown = "***" if name == "sig" else value
        rows.append(f"{name:<4} {shown:<22} {SAS_FIELDS.get(name, '')}".rstrip())
    return "\n".join(rows)


# ------------------------------------------------------------------------------ tokens


def token_claims(token: str) -> dict:
    """The claims of a JWT access token, decoded WITHOUT verifying it (for diagnosis only)."""
    try:
        body = token.split(".")[1]
        return json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except (IndexError, ValueError):
        raise AuthError("This is not a JWT access token (three base64url parts separated by "
                        "dots).") from None


def audience_problem(audience: str | None, account_name: str | None = None) -> str | None:
    """Why Azure Storage would refuse a token with this ``aud`` claim, or None if it is fine."""
    match = _QUEUE_AUDIENCE.match(audience or "")
    if match and (not match.group(2) or not account_name or match.group(2) == account_name):
        return None
    expected = f"{STORAGE_AUDIENCE} (or https://<account>.queue.core.windows.net)"
    if match:
        return (f"the token is for account {match.group(2)!r}, not {account_name!r}: request "
                f"it for {STORAGE_AUDIENCE}")
    return (f"the token's audience is {audience!r}, but Azure Storage only accepts tokens for "
            f"{expected}. Build the client without `audience=` (the SDK asks for "
            f"{STORAGE_AUDIENCE}/.default) or with audience={STORAGE_AUDIENCE!r}")


# ------------------------------------------------------------------------------ probing


def probe_queue_access(client: QueueClient, owner: QueueClient) -> dict[str, str | None]:
    """Try each message operation with ``client``; map it to None (allowed) or the error code.

    ``owner`` (a client with full rights on the same queue) prepares the messages each
    operation needs. The queue is emptied afterwards: use a queue made for the probe.
    """
    results: dict[str, str | None] = {}

    def attempt(name, call):
        try:
            call()
            results[name] = None
        except HttpResponseError as error:
            results[name] = error_code(error)

    attempt("send", lambda: client.send_message("probe: send"))
    attempt("peek", lambda: client.peek_messages(max_messages=1))
    owner.send_message("probe: receive")

    def receive():
        if not list(client.receive_messages(max_messages=1, visibility_timeout=30)):
            raise AssertionError("the queue offered no message to receive")

    attempt("receive", receive)
    owner.send_message("probe: update")
    leased = next(owner.receive_messages(max_messages=1, visibility_timeout=30))
    attempt("update", lambda: client.update_message(leased, visibility_timeout=0))
    owner.send_message("probe: delete")
    leased = next(owner.receive_messages(max_messages=1, visibility_timeout=30))
    attempt("delete", lambda: client.delete_message(leased))
    owner.clear_messages()
    return results


def access_table(results: dict[str, str | None]) -> str:
    """``probe_queue_access`` results as one line: ``send ✓ · peek ✗ (Code) · …``."""
    return " · ".join(f"{op} {'✓' if code is None else '✗'}" for op, code in results.items())


# ----------------------------------------------------------------------------- explaining


def _detail(error: HttpResponseError) -> str:
    try:
        body = error.response.text()
    except Exception:  # noqa: BLE001 - a body we cannot read has no detail
        return ""
    match = re.search(r"<AuthenticationErrorDetail>(.*?)</AuthenticationErrorDetail>", body, re.S)
    return match.group(1).strip() if match else ""


def _operation(method: str, path: str, query: dict[str, str]) -> str:
    """Name the queue operation of a request (``send``, ``receive``, …)."""
    parts = [p for p in path.split("/") if p]
    if parts and parts[-1] == "messages":
        if method == "POST":
            return "send"
        if method == "DELETE":
            return "clear"
        return "peek" if query.get("peekonly") == "true" else "receive"
    if len(parts) >= 2 and parts[-2] == "messages":
        return "update" if method == "PUT" else "delete"
    return "properties" if method in ("GET", "HEAD") else f"{method} {parts[-1] if parts else ''}"


def _request(error: HttpResponseError):
    response = getattr(error, "response", None)
    return getattr(response, "request", None)


def _target_queue(url) -> str | None:
    """The queue a request URL addresses: ``/<queue>/…`` on Azure, ``/<account>/<queue>/…``
    on a path-style endpoint such as Azurite's."""
    parts = [p for p in url.path.split("/") if p]
    if ".queue." not in (url.hostname or ""):
        parts = parts[1:]
    return parts[0] if parts else None


def explain(error: BaseException, *, queue: str | None = None, now: datetime | None = None) -> str:
    """A sentence saying why a request was refused and what to change.

    ``queue`` is the queue a SAS was minted for, when you know it (to name a wrong queue).
    Works for HTTP errors from the storage SDK (reading the failed request's SAS or token,
    never showing them) and for the SDK's connection-string errors.
    """
    return redact(_explain(error, queue=queue, now=now or datetime.now(UTC)))


def _is_connection_string_error(error: BaseException) -> bool:
    return any(text in str(error) for text in _SDK_CONNECTION_STRING_ERRORS)


def _explain(error: BaseException, *, queue: str | None, now: datetime) -> str:
    if isinstance(error, ValueError) and _is_connection_string_error(error):
        return (f"The connection string was refused by the SDK ({error}) Check it with "
                f"labsupport.auth.check_connection_string(...) to see which part is wrong.")
    if type(error).__name__ == "AzureSigningError":
        return ("The account key could not sign the request: it is not valid base64. Copy the "
                "whole key (88 characters ending in '==') from list_keys or the portal.")
    if not isinstance(error, HttpResponseError):
        return f"{type(error).__name__}: {error}"
    code, status = error_code(error), error.status_code
    request = _request(error)
    if request is None:
        return f"{status} {code}: {first_line(error)}"
    url = urlsplit(request.url)
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    operation = _operation(request.method, url.path, query)
    auth = request.headers.get("Authorization", "")
    sas = sas_info(url.query) if "sig" in query else None
    target = _target_queue(url)

    if code == "AuthorizationPermissionMismatch":
        if sas:
            needed = OPERATIONS.get(operation, (None, None, None))
            letter = needed[1] if sas.kind == "account" else needed[0]
            if letter is None:
                return (f"{status} {code}: a queue SAS cannot {operation} at all; use an "
                        f"account SAS or Entra ID for that.")
            return (f"{status} {code}: the SAS allows {sas.permissions!r} but {operation} needs "
                    f"{letter!r}. Mint the SAS with that permission if this client should "
                    f"{operation} — or keep it refused (least privilege).")
        if auth.startswith("Bearer"):
            return (f"{status} {code}: the identity is signed in, but no role lets it "
                    f"{operation} here. Assign a data role such as 'Storage Queue Data "
                    f"Contributor' (or Message Sender / Message Processor) on the queue or "
                    f"account; a new assignment can take up to 30 minutes to apply.")
        return f"{status} {code}: this credential may not {operation}."
    if code == "AuthorizationResourceTypeMismatch" and sas:
        return (f"{status} {code}: the account SAS's resource types {sas.resource_types!r} do "
                f"not cover {operation}. Azure needs 'o' (object) for message operations and "
                f"'c' (container) for queue properties; Azurite also wants 'c' for delete, "
                f"update and clear — mint it with resource_types='co'.")
    if code == "AuthorizationServiceMismatch" and sas:
        return (f"{status} {code}: the account SAS covers services {sas.services!r}, not the "
                f"queue service: mint it with services='q'.")
    if code in ("AuthenticationFailed", "InvalidAuthenticationInfo"):
        detail = _detail(error)
        if auth.startswith("Bearer "):
            return _explain_token(status, code, auth.split(" ", 1)[1], detail, target, now)
        if sas:
            return _explain_sas(status, code, sas, detail, target, queue, now)
        if auth.startswith("SharedKey"):
            return (f"{status} {code}: the account key does not match: it was regenerated "
                    f"(rotated) or belongs to another account. Get the current key with "
                    f"list_keys.")
    message = first_line(getattr(error, "message", None) or error)
    return f"{status} {code}: {message}"


def _explain_token(status, code, token, detail, target, now) -> str:
    try:
        claims = token_claims(token)
    except AuthError:
        return f"{status} {code}: the bearer token is not a JWT. {detail}".strip()
    problem = audience_problem(claims.get("aud"))
    if problem:
        return f"{status} {code}: {problem}."
    expires = claims.get("exp")
    if expires is not None and expires <= now.timestamp():
        return (f"{status} {code}: the token has expired. Let the credential fetch tokens "
                f"(pass DefaultAzureCredential() to the client) instead of a fixed token.")
    if claims.get("nbf", 0) > now.timestamp() + 300:
        return (f"{status} {code}: the token is not valid yet — this machine's clock and the "
                f"token issuer's disagree (clock skew); fix the clock.")
    return f"{status} {code}: the token was refused. {detail}".strip()


def _explain_sas(status, code, sas: SasInfo, detail, target, queue, now) -> str:
    found = sas.problems(now)
    timing = [p for p in found if "expired" in p or "not valid yet" in p]
    if timing:
        return f"{status} {code}: the SAS {timing[0]}."
    if found:
        return f"{status} {code}: the SAS {found[0]}."
    if sas.policy_id:
        doubled = [name for name, value in (("permissions", sas.permissions),
                                            ("expiry", sas.expiry)) if value]
        if doubled:
            return (f"{status} {code}: the SAS names stored access policy {sas.policy_id!r} and "
                    f"also sets its own {' and '.join(doubled)}. If the policy sets them too, "
                    f"the service refuses the SAS: set each field in one place only.")
        return (f"{status} {code}: the SAS refers to stored access policy {sas.policy_id!r}, "
                f"which queue {target!r} no longer has (or changed): deleting or changing a "
                f"policy revokes every SAS that uses it. Check get_queue_access_policy().")
    if queue and target and queue != target:
        return (f"{status} {code}: this SAS was minted for queue {queue!r} but used on queue "
                f"{target!r}. A queue SAS is signed for one queue only: mint one for "
                f"{target!r} with generate_queue_sas.")
    scope = "the queue it was signed for" if sas.kind == "queue" else "the account it names"
    return (f"{status} {code}: the SAS signature does not match this request to queue "
            f"{target!r}. A SAS works only for {scope}, only while the key that signed it is "
            f"unchanged (regenerating the key revokes it), and only unaltered. "
            f"{detail.split('String to sign')[0]}").strip()


@contextlib.contextmanager
def explained(*, queue: str | None = None) -> Iterator[None]:
    """Re-raise storage authentication errors as :class:`AuthError` with :func:`explain`'s text."""
    try:
        yield
    except (HttpResponseError, ValueError) as error:
        if isinstance(error, ValueError) and not _is_connection_string_error(error):
            raise
        raise AuthError(explain(error, queue=queue)) from error
