"""What notebook 02 says about a token for the wrong audience on Azure, pinned offline.

Azure answers 401 InvalidAuthenticationInfo with a ``WWW-Authenticate: Bearer
authorization_uri=… resource_id=https://storage.azure.com`` challenge (a reported response:
Azure/AzureStor#119). azure-storage-queue follows the challenge: it fetches a token for the
``resource_id`` and sends the request again. If an SDK upgrade changes that, this fails.
"""

from __future__ import annotations

import io
import time

import requests
import urllib3
from azure.core.credentials import AccessToken
from azure.core.pipeline.transport import RequestsTransport
from azure.storage.queue import QueueClient

from labsupport.wire import WireLog

CHALLENGE = ("Bearer authorization_uri=https://login.microsoftonline.com/"
             "72f988bf-86f1-41af-91ab-2d7cd011db47/oauth2/authorize "
             "resource_id=https://storage.azure.com")
REFUSAL = (b"<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>InvalidAuthenticationInfo"
           b"</Code><Message>Server failed to authenticate the request. Please refer to the "
           b"information in the www-authenticate header.</Message><AuthenticationErrorDetail>"
           b"Audience validation failed. Audience did not match.</AuthenticationErrorDetail>"
           b"</Error>")
EMPTY = b"<?xml version=\"1.0\" encoding=\"utf-8\"?><QueueMessagesList></QueueMessagesList>"


class Scopes:
    """A credential that remembers which scopes it was asked for."""

    def __init__(self):
        self.asked: list[tuple[str, ...]] = []

    def get_token(self, *scopes, **kwargs) -> AccessToken:
        self.asked.append(scopes)
        return AccessToken(f"token-for-{scopes[0]}", int(time.time()) + 3600)


class AzureLike(requests.adapters.HTTPAdapter):
    """Refuses a token that is not for storage, with Azure's challenge; accepts the rest."""

    def send(self, request, **kwargs):
        good = "storage.azure.com" in request.headers.get("Authorization", "")
        status, body, headers = ((200, EMPTY, {}) if good else
                                 (401, REFUSAL, {"WWW-Authenticate": CHALLENGE,
                                                 "x-ms-error-code": "InvalidAuthenticationInfo"}))
        raw = urllib3.HTTPResponse(body=io.BytesIO(body), status=status, preload_content=False,
                                   headers={"Content-Type": "application/xml",
                                            "Content-Length": str(len(body)), **headers})
        return self.build_response(request, raw)


def test_the_sdk_follows_azures_audience_challenge_and_retries():
    session = requests.Session()
    session.mount("https://", AzureLike())
    credential, wire = Scopes(), WireLog()
    queue = QueueClient("https://acct.queue.core.windows.net", "orders", credential=credential,
                        audience="https://management.azure.com",
                        transport=RequestsTransport(session=session, session_owner=False),
                        **wire.hooks)
    assert queue.peek_messages() == []
    assert [(e.status, e.error_code) for e in wire.exchanges] == [
        (401, "InvalidAuthenticationInfo"), (200, "")]
    assert credential.asked == [("https://management.azure.com/.default",),
                                ("https://storage.azure.com/.default",)]
