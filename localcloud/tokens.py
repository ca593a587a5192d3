"""Entra-ID-style access tokens for the local cloud (HS256 JWTs, one signing key per lab).

Tokens are minted and verified with PyJWT. The management plane accepts only HS256
tokens signed with this lab's key, issued by :data:`ISSUER` for the lab's tenant, for
its audience and within their lifetime; anything else raises :class:`TokenError`.
Azurite's ``--oauth basic`` checks issuer (an ``https://sts.windows.net/`` prefix),
audience and numeric ``iat``/``nbf``/``exp``, but not signatures; the local cloud's entry
point (``azurite_entry.js``) adds the signature check with the same key, so Azurite too
accepts only tokens this lab's identity endpoint signed. The key is the state folder's
0600 secret :data:`SIGNING_KEY_SECRET`: learners sharing a machine cannot use each
other's tokens. Nothing here is a security boundary beyond this machine.

**Who am I?** Every token names the lab's identity the way Entra ID names a signed-in
principal: the ``oid`` claim is its object (principal) id, the one a role assignment
needs; ``appid`` is its client id, which is a different value, as on Azure. A notebook
finds "my principal id" the same way on both backends, by decoding the token::

    import jwt
    from azure.identity import DefaultAzureCredential

    token = DefaultAzureCredential().get_token("https://management.azure.com/.default")
    principal_id = jwt.decode(token.token, options={"verify_signature": False})["oid"]

(Decoding without verification is fine here: the token came from your own credential,
and only the service it is sent to verifies it.) The local ``oid`` is
:attr:`TokenService.object_id`, the same for every lab, token and restart.
"""

from __future__ import annotations

import secrets
import time
import uuid
from dataclasses import dataclass, field

import jwt

from .constants import CLIENT_ID, PRINCIPAL_ID, TENANT_ID

ISSUER = f"https://sts.windows.net/{TENANT_ID}/"
ALGORITHM = "HS256"
LIFETIME = 3600
#: The state folder's secret (``secrets/<name>``, 0600) that holds the signing key.
SIGNING_KEY_SECRET = "token-signing-key"
REQUIRED_CLAIMS = ("aud", "iss", "iat", "nbf", "exp", "oid", "tid")
# Well-known resources, normalised the way Entra ID names them in the ``aud`` claim.
AUDIENCES = {
    "https://management.azure.com": "https://management.azure.com/",
    "https://management.core.windows.net": "https://management.core.windows.net/",
    "https://storage.azure.com": "https://storage.azure.com",
}


class TokenError(ValueError):
    """The token is missing, malformed, expired, or not for this cloud or audience."""


def new_signing_key() -> str:
    return secrets.token_urlsafe(32)


@dataclass(frozen=True)
class TokenService:
    """Mints and verifies the lab identity's tokens."""

    signing_key: str = field(repr=False)
    # The lab identity's principal (object) id and its client (application) id. Fixed,
    # so a role assignment made for the principal survives any restart.
    object_id: str = PRINCIPAL_ID
    client_id: str = CLIENT_ID

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
            "tid": TENANT_ID,
            "appid": self.client_id,
            "idtyp": "app",
            "uti": uuid.uuid4().hex,
            "ver": "1.0",
        }
        return jwt.encode(claims, self.signing_key, algorithm=ALGORITHM), claims["exp"]

    def verify(self, token: str, audiences: tuple[str, ...]) -> dict:
        """The token's claims, or TokenError saying (in a clause) what is wrong with it."""
        try:
            claims = jwt.decode(
                token, self.signing_key, algorithms=[ALGORITHM], audience=list(audiences),
                issuer=ISSUER, options={"require": list(REQUIRED_CLAIMS)})
        except jwt.InvalidSignatureError:
            raise TokenError("the token's signature is not valid for this local cloud") from None
        except jwt.InvalidAlgorithmError:
            raise TokenError(f"the token must be signed with {ALGORITHM}") from None
        except jwt.ExpiredSignatureError:
            raise TokenError("the token has expired") from None
        except jwt.ImmatureSignatureError:
            raise TokenError("the token is not valid yet") from None
        except jwt.InvalidAudienceError:
            raise TokenError(f"the token's audience is not {audiences[0]!r}") from None
        except jwt.InvalidIssuerError:
            raise TokenError(f"the token's issuer is not {ISSUER!r}") from None
        except jwt.MissingRequiredClaimError as exc:
            raise TokenError(f"the token has no {exc.claim!r} claim") from None
        except jwt.InvalidTokenError as exc:  # malformed: not a JWT, bad JSON, bad types
            raise TokenError(f"the token is malformed ({exc})") from None
        if claims["tid"] != TENANT_ID:
            raise TokenError(f"the token's tenant is not {TENANT_ID}")
        return claims
