"""The local cloud's access tokens: minted and checked with PyJWT, refused with ARM's 401.

Forged tokens are signed with the session cloud's own key, so each one is refused for the
one claim or header that is wrong, not for its signature.
"""

from __future__ import annotations

import base64
import json
import time

import jwt
import pytest
import requests
from azure.identity import DefaultAzureCredential

from localcloud.constants import TENANT_ID
from localcloud.tokens import ISSUER, TokenError, TokenService

from .arm_support import LocalCloud

ARM = ("https://management.azure.com/",)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def good_claims(**changes) -> dict:
    now = int(time.time())
    claims = {"aud": "https://management.azure.com/", "iss": ISSUER, "iat": now - 5,
              "nbf": now - 5, "exp": now + 600, "oid": TokenService.object_id,
              "tid": TENANT_ID}
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def signing_key(cloud: LocalCloud) -> str:
    return (cloud.folder.secrets / "token-signing-key").read_text().strip()


def signed(cloud: LocalCloud, payload: bytes, header: dict | None = None) -> str:
    """A token over any payload bytes, HMAC-SHA256-signed with the cloud's key."""
    import hashlib
    import hmac
    head = b64(json.dumps(header or {"alg": "HS256", "typ": "JWT"}).encode())
    body = b64(payload)
    mac = hmac.new(signing_key(cloud).encode(), f"{head}.{body}".encode(), hashlib.sha256)
    return f"{head}.{body}.{b64(mac.digest())}"


def ask(cloud: LocalCloud, token: str):
    return cloud.raw("GET", f"/subscriptions/{cloud.subscription}/resourcegroups",
                     token=f"Bearer {token}", params={"api-version": "2025-04-01"})


def test_a_well_formed_token_is_accepted(local_cloud):
    """The control for every refusal below: same key, same shape, nothing wrong."""
    token = signed(local_cloud, json.dumps(good_claims()).encode())
    assert ask(local_cloud, token).status_code == 200


@pytest.mark.parametrize(("case", "payload", "header"), [
    ("exp is not a number", json.dumps(good_claims(exp="never")).encode(), None),
    ("claims are a list", b"[1, 2, 3]", None),
    ("claims are not JSON", b"\xff\xfe", None),
    ("alg is none", json.dumps(good_claims()).encode(), {"alg": "none", "typ": "JWT"}),
    ("alg is HS512", json.dumps(good_claims()).encode(), {"alg": "HS512", "typ": "JWT"}),
    ("another issuer", json.dumps(good_claims(
        iss="https://sts.windows.net/11111111-1111-4111-8111-111111111111/")).encode(), None),
    ("another tenant", json.dumps(good_claims(
        tid="11111111-1111-4111-8111-111111111111")).encode(), None),
    ("no tenant", json.dumps(good_claims(tid=None)).encode(), None),
    ("no exp", json.dumps(good_claims(exp=None)).encode(), None),
    ("expired", json.dumps(good_claims(exp=int(time.time()) - 60)).encode(), None),
    ("storage audience", json.dumps(good_claims(aud="https://storage.azure.com")).encode(), None),
])
def test_every_malformed_token_is_401_with_a_challenge(local_cloud, case, payload, header):
    response = ask(local_cloud, signed(local_cloud, payload, header))
    assert response.status_code == 401, case
    assert response.json()["error"]["code"] == "InvalidAuthenticationToken", case
    assert response.json()["error"]["message"].startswith("The access token is invalid: ")
    assert response.headers["WWW-Authenticate"].startswith("Bearer "), case


def test_an_unsigned_alg_none_token_is_401(local_cloud):
    token = jwt.encode(good_claims(), key=None, algorithm="none")
    response = ask(local_cloud, token)
    assert response.status_code == 401
    assert "WWW-Authenticate" in response.headers


def test_minted_tokens_are_verified_and_carry_what_azurite_checks():
    service = TokenService("a-signing-key-of-at-least-32-bytes!!")
    token, expires_on = service.mint("https://storage.azure.com/.default")
    header = jwt.get_unverified_header(token)
    assert header == {"alg": "HS256", "typ": "JWT"}
    claims = jwt.decode(token, options={"verify_signature": False})
    # Azurite's --oauth basic needs numeric iat/nbf/exp, an sts.windows.net issuer and the
    # storage audience (QueueTokenAuthenticator.authenticateBasic).
    assert all(isinstance(claims[k], int) for k in ("iat", "nbf", "exp"))
    assert claims["exp"] == expires_on
    assert claims["iss"].startswith("https://sts.windows.net/")
    assert (claims["aud"], claims["tid"]) == ("https://storage.azure.com", TENANT_ID)
    assert service.verify(token, ("https://storage.azure.com",))["oid"] == service.object_id
    with pytest.raises(TokenError, match="audience"):
        service.verify(token, ARM)
    other = TokenService("another-signing-key-of-32-bytes-or-more")
    with pytest.raises(TokenError, match="signature"):
        other.verify(token, ("https://storage.azure.com",))


def test_principal_id_is_the_oid_claim_and_stable(arm_env):
    """The way a notebook finds "my principal id" on Azure works here too: decode the token's
    oid claim. It is the same for every token, resource and restart; the client id differs."""
    credential = DefaultAzureCredential()
    tokens = [credential.get_token(scope).token for scope in
              ("https://management.azure.com/.default", "https://storage.azure.com/.default")]
    oids = {jwt.decode(t, options={"verify_signature": False})["oid"] for t in tokens}
    assert oids == {TokenService.object_id}
    env = arm_env.environment()
    answer = requests.get(env["IDENTITY_ENDPOINT"], params={
        "api-version": "2019-08-01", "resource": "https://management.azure.com"},
        headers={"X-IDENTITY-HEADER": env["IDENTITY_HEADER"]}, verify=arm_env.record.ca_bundle,
        timeout=10).json()
    claims = jwt.decode(answer["access_token"], options={"verify_signature": False})
    assert answer["client_id"] == claims["appid"] != claims["oid"], \
        "as on Azure, the client (application) id is not the principal (object) id"
