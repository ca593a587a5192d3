"""labsupport.auth.tokens: claims are read with PyJWT, unverified, whatever signed them."""

from __future__ import annotations

import time
from pathlib import Path

import jwt
import pytest

from labsupport.auth import AuthError, token_claims

LABSUPPORT = Path(__file__).resolve().parents[2] / "labsupport"


@pytest.mark.parametrize("key, algorithm", [("a-test-key-that-is-not-a-secret!", "HS256"),
                                            (None, "none")])
def test_claims_are_read_whatever_signed_the_token(key, algorithm):
    expired = {"aud": "https://storage.azure.com", "oid": "o-1",
               "exp": int(time.time()) - 3600, "nbf": int(time.time()) + 3600}
    token = jwt.encode(expired, key, algorithm=algorithm)
    assert token_claims(token) == expired  # expired and not yet valid: still readable


@pytest.mark.parametrize("token", ["opaque", "a.b", "a.b.c", None,
                                   "eyJhbGciOiJub25lIn0.WzFd."])  # claims that are a list
def test_what_is_not_a_jwt_is_refused_in_a_sentence(token):
    with pytest.raises(AuthError, match="This is not a JWT access token"):
        token_claims(token)


def test_no_jwt_is_decoded_by_hand_on_the_lessons_side():
    by_hand = [p.relative_to(LABSUPPORT).as_posix() for p in sorted(LABSUPPORT.rglob("*.py"))
               if "localcloud" not in p.parts
               and "urlsafe_b64decode" in p.read_text(encoding="utf-8")]
    assert by_hand == []
