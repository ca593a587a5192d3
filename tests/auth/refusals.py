"""Refusals made offline: a real storage SDK client whose transport answers from a script.

Each helper returns the ``HttpResponseError`` the SDK raised, with the request it really
sent (URL with the SAS, ``Authorization`` header) and the answer we scripted (status,
``x-ms-error-code``, an XML body whose ``Message`` may be in any language).
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from xml.sax.saxutils import escape

import jwt
import pytest
from azure.core.credentials import AccessToken
from azure.core.exceptions import HttpResponseError
from azure.storage.queue import QueueClient
from offline_http import scripted_transport

NOW = datetime(2030, 1, 15, 12, 0, tzinfo=UTC)
AZURE = "https://acct.queue.core.windows.net"
AZURITE = "https://127.0.0.1:10001/acct"  # a path-style endpoint: /<account>/<queue>
SHARED_KEY = {"account_name": "acct", "account_key": base64.b64encode(bytes(range(64))).decode()}
MESSAGES = {
    "en": "This request is not authorized to perform this operation.",
    "de": "Diese Anforderung ist nicht berechtigt, diesen Vorgang auszuführen.",
    "changed": "Access denied (wording changed in a new service version).",
}


def body(code: str, message: str, detail: str | None = None) -> bytes:
    extra = (f"<AuthenticationErrorDetail>{escape(detail)}</AuthenticationErrorDetail>"
             if detail is not None else "")
    return (f'<?xml version="1.0" encoding="utf-8"?><Error><Code>{code}</Code>'
            f"<Message>{escape(message)}\nRequestId:00000000-0000-0000-0000-000000000000\n"
            f"Time:2030-01-15T12:00:00.0000000Z</Message>{extra}</Error>").encode()


def sas(*, sp: str | None = "p", st: datetime | None = None, se: datetime | None = None,
        si: str | None = None, ss: str | None = None, srt: str | None = None) -> str:
    """A SAS token with these fields (its signature is made up: the script never checks it)."""
    fields = {"sv": "2026-02-06", "ss": ss, "srt": srt, "st": st, "se": se, "sp": sp, "si": si}
    parts = [f"{name}={value:%Y-%m-%dT%H:%M:%SZ}" if isinstance(value, datetime)
             else f"{name}={value}" for name, value in fields.items() if value is not None]
    return "&".join([*parts, "sig=" + "bm90LWEtcmVhbC1zaWduYXR1cmU%3D"])


def token(**claims) -> str:
    """A JWT with these claims (signed with a test key: Azure Storage would check it)."""
    base = {"aud": "https://storage.azure.com", "iss": "https://sts.windows.net/t/",
            "nbf": int((NOW - timedelta(minutes=5)).timestamp()),
            "exp": int((NOW + timedelta(hours=1)).timestamp())}
    return jwt.encode({**base, **claims}, "a-test-key-that-is-not-a-secret!", algorithm="HS256")


class FixedToken:
    """A token credential that always hands out the same access token."""

    def __init__(self, value: str):
        self.value = value

    def get_token(self, *scopes, **kwargs) -> AccessToken:
        return AccessToken(self.value, int((NOW + timedelta(hours=1)).timestamp()))


def refusal(status: int, code: str, *, credential, operation: str = "receive",
            queue: str = "orders", endpoint: str = AZURE, language: str = "en",
            detail: str | None = None) -> HttpResponseError:
    """Run ``operation`` with ``credential`` against a service that refuses it."""
    answer = (status, body(code, MESSAGES[language], detail),
              {"Content-Type": "application/xml", "x-ms-error-code": code})
    transport, _ = scripted_transport(lambda request: answer)
    client = QueueClient(endpoint, queue, credential=credential, transport=transport)
    calls = {
        "send": lambda: client.send_message("m"),
        "peek": lambda: client.peek_messages(),
        "receive": lambda: client.receive_message(),
        "update": lambda: client.update_message("id-1", "receipt", visibility_timeout=0),
        "delete": lambda: client.delete_message("id-1", "receipt"),
        "clear": lambda: client.clear_messages(),
        "properties": lambda: client.get_queue_properties(),
        "create queue": lambda: client.create_queue(),
    }
    with pytest.raises(HttpResponseError) as caught:
        calls[operation]()
    return caught.value
