"""Explain a refusal in one sentence: what is wrong with the credential and what to change.

Azure Storage answers most authentication problems with one code, ``AuthenticationFailed``
(Azurite adds no detail at all for SAS). :func:`explain` decides from structured data only:

* the status and the error code (:func:`labsupport.patterns.error_codes.error_code`);
* the request the SDK sent: its method, path and query (which operation, which queue),
  its ``Authorization`` scheme (``Bearer``, ``SharedKey``) or its SAS fields
  (:mod:`.sas`), and the claims of its bearer token (:mod:`.tokens`);
* the ``AuthenticationErrorDetail`` element of the answer, shown in the service's words;
* for errors raised before any request: the exception's class, and whether the SDK raised
  it while reading a connection string (its ``from_connection_string`` is on the traceback).

It never matches the words of a message — the service's, the SDK's or its own — so a
message that is reworded or translated gets the same sentence. Nothing it returns shows a
key, a SAS signature or a token: every sentence passes through :func:`labsupport.redact`.
"""

from __future__ import annotations

import contextlib
import traceback
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

from azure.core.exceptions import HttpResponseError

from ..errors import first_line
from ..patterns.error_codes import error_code
from ..redact import redact
from .errors import AuthError
from .sas import OPERATIONS, TIMING, SasInfo, sas_info
from .tokens import audience_problem, token_claims


def explain(error: BaseException, *, queue: str | None = None, now: datetime | None = None) -> str:
    """A sentence saying why a request was refused and what to change.

    ``queue`` is the queue a SAS was minted for, when you know it (to name a wrong queue).
    Works for HTTP errors from the storage SDK (reading the failed request's SAS or token,
    never showing them) and for the SDK's connection-string errors.
    """
    return redact(_explain(error, queue=queue, now=now or datetime.now(UTC)))


@contextlib.contextmanager
def explained(*, queue: str | None = None) -> Iterator[None]:
    """Re-raise storage authentication errors as :class:`AuthError` with :func:`explain`'s text."""
    try:
        yield
    except (HttpResponseError, ValueError) as error:
        if isinstance(error, ValueError) and not from_connection_string(error):
            raise
        raise AuthError(explain(error, queue=queue)) from error


def from_connection_string(error: BaseException) -> bool:
    """Did the SDK raise ``error`` (a ``ValueError``) while reading a connection string?

    Its clients' ``from_connection_string`` is on the error's traceback then.
    """
    return isinstance(error, ValueError) and any(
        frame.f_code.co_name == "from_connection_string"
        for frame, _ in traceback.walk_tb(error.__traceback__))


# --- what the failed request carried --------------------------------------------------------

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


def _target_queue(url) -> str | None:
    """The queue a request URL addresses: ``/<queue>/…`` on Azure, ``/<account>/<queue>/…``
    on a path-style endpoint such as Azurite's."""
    parts = [p for p in url.path.split("/") if p]
    if ".queue." not in (url.hostname or ""):
        parts = parts[1:]
    return parts[0] if parts else None


def _authentication_detail(error: HttpResponseError) -> str:
    """The ``AuthenticationErrorDetail`` of the answer's XML body ("" if it has none)."""
    try:
        root = ElementTree.fromstring(error.response.text())
    except Exception:  # noqa: BLE001 - no body, or not XML: no detail
        return ""
    detail = root.find("AuthenticationErrorDetail")
    return (detail.text or "").strip() if detail is not None else ""


def _without_string_to_sign(detail: str) -> str:
    """A SAS refusal's detail without the string the service signed.

    Azure appends that string to the detail's first line, one field per line, so a detail
    of several lines keeps only the complete sentences of its first line.
    """
    if "\n" not in detail:
        return detail
    sentences, stop, _ = detail.split("\n", 1)[0].rpartition(". ")
    return f"{sentences}." if stop else ""


# --- the sentence -----------------------------------------------------------------------------

def _explain(error: BaseException, *, queue: str | None, now: datetime) -> str:
    if from_connection_string(error):
        return (f"The connection string was refused by the SDK ({error}) Check it with "
                f"labsupport.auth.check_connection_string(...) to see which part is wrong.")
    if type(error).__name__ == "AzureSigningError":
        return ("The account key could not sign the request: it is not valid base64. Copy the "
                "whole key (88 characters ending in '==') from list_keys or the portal.")
    if not isinstance(error, HttpResponseError):
        return f"{type(error).__name__}: {error}"
    code, status = error_code(error), error.status_code
    request = getattr(getattr(error, "response", None), "request", None)
    if request is None:
        return f"{status} {code}: {first_line(error)}"
    url = urlsplit(request.url)
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    operation = _operation(request.method, url.path, query)
    scheme, _, credential = request.headers.get("Authorization", "").partition(" ")
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
        if scheme == "Bearer":
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
        detail = _authentication_detail(error)
        if scheme == "Bearer" and credential:
            return _explain_token(f"{status} {code}", credential, detail, now)
        if sas:
            return _explain_sas(f"{status} {code}", sas, detail, target, queue, now)
        if scheme in ("SharedKey", "SharedKeyLite"):
            return (f"{status} {code}: the account key does not match: it was regenerated "
                    f"(rotated) or belongs to another account. Get the current key with "
                    f"list_keys.")
    message = first_line(getattr(error, "message", None) or error)
    return f"{status} {code}: {message}"


def _explain_token(refusal: str, token: str, detail: str, now: datetime) -> str:
    try:
        claims = token_claims(token)
    except AuthError:
        return f"{refusal}: the bearer token is not a JWT. {detail}".strip()
    problem = audience_problem(claims.get("aud"))
    if problem:
        return f"{refusal}: {problem}."
    expires = claims.get("exp")
    if expires is not None and expires <= now.timestamp():
        return (f"{refusal}: the token has expired. Let the credential fetch tokens (pass "
                f"DefaultAzureCredential() to the client) instead of a fixed token.")
    if claims.get("nbf", 0) > now.timestamp() + 300:
        return (f"{refusal}: the token is not valid yet — this machine's clock and the token "
                f"issuer's disagree (clock skew); fix the clock.")
    return f"{refusal}: the token was refused. {detail}".strip()


def _explain_sas(refusal: str, sas: SasInfo, detail: str, target: str | None,
                 queue: str | None, now: datetime) -> str:
    found = sas.findings(now)
    timing = [problem for problem in found if problem.kind in TIMING]
    if timing or found:
        return f"{refusal}: the SAS {(timing or found)[0].text}."
    if sas.policy_id:
        doubled = [name for name, value in (("permissions", sas.permissions),
                                            ("expiry", sas.expiry), ("start", sas.start))
                   if value]
        if doubled:
            return (f"{refusal}: the SAS names stored access policy {sas.policy_id!r} and also "
                    f"sets its own {' and '.join(doubled)}. If the policy sets them too, the "
                    f"service refuses the SAS: set each field in one place only.")
        return (f"{refusal}: the SAS refers to stored access policy {sas.policy_id!r}, which "
                f"queue {target!r} no longer has (or changed): deleting or changing a policy "
                f"revokes every SAS that uses it. Check get_queue_access_policy().")
    if queue and target and queue != target:
        return (f"{refusal}: this SAS was minted for queue {queue!r} but used on queue "
                f"{target!r}. A queue SAS is signed for one queue only: mint one for "
                f"{target!r} with generate_queue_sas.")
    scope = "the queue it was signed for" if sas.kind == "queue" else "the account it names"
    return (f"{refusal}: the SAS signature does not match this request to queue {target!r}. "
            f"A SAS works only for {scope}, only while the key that signed it is unchanged "
            f"(regenerating the key revokes it), and only unaltered. "
            f"{_without_string_to_sign(detail)}").strip()
