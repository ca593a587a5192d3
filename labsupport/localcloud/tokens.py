"""Entra-ID-style access tokens for the local cloud (HS256 JWTs, one signing key per lab).

The management plane verifies them; Azurite's ``--oauth basic`` checks issuer, audience
and times but not signatures. Nothing here is a security boundary beyond this machine.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
import uuid
from dataclasses import dataclass, field

from ..config import LOCAL_TENANT_ID

ISSUER = f"https://sts.windows.net/{LOCAL_TENANT_ID}/"
LIFETIME = 3600
# Well-known resources, normalised the way Entra ID names them in the ``aud`` claim.
AUDIENCES = {
    "https://management.azure.com": "https://management.azure.com/",
    "https://management.core.windows.net": "https://management.core.windows.net/",
    "https://storage.azure.com": "https://storage.azure.com",
}


class TokenError(ValueError):
    """The token is missing, malformed, expired or for another audience."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def new_signing_key() -> str:
    return secrets.token_urlsafe(32)


@dataclass(frozen=True)
class TokenService:
    """Mints and verifies the lab identity's tokens."""

    signing_key: str = field(repr=False)
    object_id: str = "00000000-0000-4000-8000-0000000000a1"

    def audience_for(self, resource: str) -> str:
        resource = resource.removesuffix("/.default").rstrip("/")
        return AUDIENCES.get(resource, resource)

    def mint(self, resource: str, now: float | None = None) -> tuple[str, int]:
        """Return ``(token, expires_on)`` for a resource such as https://storage.azure.com."""
        issued = int(now if now is not None else time.time())
        claims = {
            "aud": self.audience_for(resource),
            "iss": ISSUER,
            "iat": issued - 5,
            "nbf": issued - 5,
            "exp": issued + LIFETIME,
            "oid": self.object_id,
            "sub": self.object_id,
            "tid": LOCAL_TENANT_ID,
            "appid": self.object_id,
            "idtyp": "app",
            "uti": uuid.uuid4().hex,
            "ver": "1.0",
        }
        header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        body = _b64(json.dumps(claims, separators=(",", ":")).encode())
        return f"{header}.{body}.{self._sign(header, body)}", claims["exp"]

    def verify(self, token: str, audiences: tuple[str, ...], now: float | None = None) -> dict:
        """Check signature, times and audience; return the claims or raise TokenError."""
        parts = token.split(".")
        if len(parts) != 3:
            raise TokenError("the token is not a JWT (expected three dot-separated parts)")
        header, body, signature = parts
        # Bytes, not str: compare_digest raises TypeError on non-ASCII text.
        if not hmac.compare_digest(signature.encode(), self._sign(header, body).encode()):
            raise TokenError("the token's signature is not valid for this local cloud")
        try:
            claims = json.loads(_unb64(body))
        except ValueError:
            raise TokenError("the token's claims are not JSON") from None
        moment = now if now is not None else time.time()
        if claims.get("exp", 0) <= moment:
            raise TokenError("the token has expired")
        if claims.get("nbf", 0) > moment + 300:
            raise TokenError("the token is not valid yet")
        if claims.get("aud") not in audiences:
            raise TokenError(f"the token's audience {claims.get('aud')!r} is not {audiences[0]!r}")
        return claims

    def _sign(self, header: str, body: str) -> str:
        digest = hmac.new(self.signing_key.encode(), f"{header}.{body}".encode(), hashlib.sha256)
        return _b64(digest.digest())
