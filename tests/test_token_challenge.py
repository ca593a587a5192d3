"""What notebook 02 says about a token for the wrong audience on Azure, pinned offline.

Azure answers 401 InvalidAuthenticationInfo with a ``WWW-Authenticate: Bearer
authorization_uri=… resource_id=https://storage.azure.com`` challenge (a reported response:
Azure/AzureStor#119). azure-storage-queue follows the challenge: it fetches a token for the
``resource_id`` and sends the request again. If an SDK upgrade changes that, this fails.
"""

from __future__ import annotations

import time

from azure.core.credentials import AccessToken
from azure.storage.queue import QueueClient
from offline_http import scripted_transport

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


def azure_like(request):
    """Refuses a token that is not for storage, with Azure's challenge; accepts the rest."""
    if "storage.azure.com" in request.headers.get("Authorization", ""):
        return 200, EMPTY, {"Content-Type": "application/xml"}
    return 401, REFUSAL, {"Content-Type": "application/xml", "WWW-Authenticate": CHALLENGE,
                          "x-ms-error-code": "InvalidAuthenticationInfo"}


def test_the_sdk_follows_azures_audience_challenge_and_retries():
    transport, _ = scripted_transport(azure_like)
    credential, wire = Scopes(), WireLog()
    queue = QueueClient("https://acct.queue.core.windows.net", "orders", credential=credential,
                        audience="https://management.azure.com",
                        transport=transport,
                        **wire.hooks)
    assert queue.peek_messages() == []
    assert [(e.status, e.error_code) for e in wire.exchanges] == [
        (401, "InvalidAuthenticationInfo"), (200, "")]
    assert credential.asked == [("https://management.azure.com/.default",),
                                ("https://storage.azure.com/.default",)]
