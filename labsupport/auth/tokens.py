"""Inspect a Microsoft Entra ID access token: its claims and whether Azure Storage takes it.

An access token is a JWT: a header, claims and a signature, each base64url-encoded.
:func:`token_claims` reads the claims with PyJWT WITHOUT verifying the signature — for
diagnosis only: the service verifies every token it is sent.
"""

from __future__ import annotations

import re

import jwt

from ..config import ACCOUNT_NAME_PATTERN
from .errors import AuthError

STORAGE_AUDIENCE = "https://storage.azure.com"
# Audiences Azure Storage accepts for the queue service (``aud`` claim of a bearer token).
_QUEUE_AUDIENCE = re.compile(
    rf"^(https://storage\.azure\.com|https://({ACCOUNT_NAME_PATTERN})\.queue\.core\.windows\.net)/?$"
)


def token_claims(token: str) -> dict:
    """The claims of a JWT access token, decoded WITHOUT verifying it (for diagnosis only)."""
    try:
        return jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
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
