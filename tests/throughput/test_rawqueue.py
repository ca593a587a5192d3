"""The floor's raw client: a bearer token (what the floor uses) or SharedKey signed by hand,
accepted by Azurite; a bad key refused; every request seen by the meter."""

from __future__ import annotations

import asyncio
import base64

import pytest
from azure.core.pipeline import PipelineContext, PipelineRequest
from azure.core.rest import HttpRequest
from azure.storage.queue._shared.authentication import SharedKeyCredentialPolicy

from labsupport.throughput.measure import Meter
from labsupport.throughput.rawqueue import (
    BearerAuthorization,
    RawQueue,
    RawRequestError,
    SharedKeySigner,
)

KEY = base64.b64encode(bytes(range(64))).decode()
DATE = "Fri, 27 Nov 2026 14:58:44 GMT"


def sdk_authorization(method: str, url: str, headers: dict[str, str]) -> str:
    """What the SDK's own SharedKey policy signs for the same request."""
    request = PipelineRequest(HttpRequest(method, url, headers=dict(headers)),
                              PipelineContext(None))
    SharedKeyCredentialPolicy("acct", KEY).on_request(request)
    return request.http_request.headers["Authorization"]


@pytest.mark.parametrize("method, url, headers", [
    ("POST", "https://127.0.0.1:1/acct/q/messages",
     {"Content-Type": "application/xml", "Content-Length": "120"}),
    ("GET", "https://127.0.0.1:1/acct/q/messages?numofmessages=32&visibilitytimeout=60", {}),
    ("DELETE", "https://acct.queue.core.windows.net/q/messages/abc?popreceipt=AgA%2Bb%2F%3D%3D",
     {}),
    ("PUT", "https://127.0.0.1:1/acct/q", {"Content-Length": "0"}),
])
def test_signature_matches_the_sdk_policy(method, url, headers):
    headers = {"x-ms-date": DATE, "x-ms-version": "2021-12-02", **headers}
    assert SharedKeySigner("acct", KEY).authorization(method, url, headers) == \
        sdk_authorization(method, url, headers)


def test_string_to_sign_has_the_spec_layout():
    text = SharedKeySigner("acct", KEY).string_to_sign(
        "delete", "https://h/acct/q/messages/1?popreceipt=a%2Bb&B=2",
        {"x-ms-version": "v", "X-MS-Date": "d", "Content-Length": "0"})
    assert text == ("DELETE\n" + "\n" * 11 + "x-ms-date:d\nx-ms-version:v\n"
                    "/acct/acct/q/messages/1\nb:2\npopreceipt:a+b")


def test_a_key_that_is_not_base64_is_a_clear_error():
    with pytest.raises(ValueError, match="must be base64"):
        SharedKeySigner("acct", "not a key!")


@pytest.mark.parametrize("how", ["bearer", "shared key"])
def test_authorized_requests_are_accepted_by_azurite(lab, how):
    authorization = (BearerAuthorization(lab.credential) if how == "bearer"
                     else SharedKeySigner(lab.account_name, lab.account_key()))

    meter = Meter()

    async def scenario():
        async with RawQueue(lab.account_url, lab.new_queue_name("raw-client"),
                            authorization, meter=meter) as queue:
            await queue.create()
            try:
                await queue.put("hello <&> 'queue'")
                peeked = await queue.peek(32)
                leased = await queue.get(32, visibility_timeout=30)
                await queue.delete(leased[0])
                return [m.content for m in peeked], len(leased), await queue.peek(32)
            finally:
                await queue.delete_queue()

    peeked, leased, left = asyncio.run(scenario())
    assert (peeked, leased, left) == (["hello <&> 'queue'"], 1, [])
    # create, put, peek, get, delete, peek, delete the queue: one after the other
    assert (meter.requests, meter.max_in_flight) == (7, 1)


def test_a_wrong_key_is_refused(lab):
    wrong = base64.b64encode(b"not the account key").decode()

    async def scenario():
        async with RawQueue(lab.account_url, lab.new_queue_name("raw-client"),
                            SharedKeySigner(lab.account_name, wrong)) as queue:
            await queue.create()

    with pytest.raises(RawRequestError) as refused:
        asyncio.run(scenario())
    # Azurite answers 400 InvalidAuthenticationInfo; Azure answers 403 AuthenticationFailed.
    assert (refused.value.status, refused.value.code) == (400, "InvalidAuthenticationInfo")
