"""A minimal Queue Storage client: raw HTTP (aiohttp, keep-alive), authorized by hand.

Lesson 10 and the throughput benchmark use it as *the floor*: the same Put/Get/Delete
Message requests the SDK sends, with nothing else around them (no pipeline, retries, logging
or models), so the gap between it and the SDK is the SDK's own cost. Not a pattern to copy:
learners use the SDK. :func:`send_raw` and :func:`consume_raw` are the recommended modes'
algorithms (:mod:`.modes`) over this client.

Requests carry a Microsoft Entra ID bearer token (:class:`BearerAuthorization`, what the
lab's SDK clients use too) or a Shared Key signature (:class:`SharedKeySigner`). Shared Key
signing follows "Authorize with Shared Key" (Azure Storage REST reference), version
2015-02-21 and later: an HMAC-SHA256, keyed with the base64-decoded account key, over

    VERB \\n Content-Encoding \\n Content-Language \\n Content-Length (empty if 0) \\n
    Content-MD5 \\n Content-Type \\n Date \\n If-Modified-Since \\n If-Match \\n
    If-None-Match \\n If-Unmodified-Since \\n Range \\n
    CanonicalizedHeaders (x-ms-* lowercased, sorted, ``name:value\\n``)
    CanonicalizedResource (``/account/path`` then ``\\nname:value`` per query parameter)
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import os
import ssl
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from email.utils import formatdate
from urllib.parse import quote, unquote, urlsplit
from xml.sax.saxutils import escape

API_VERSION = "2021-12-02"
_STANDARD_HEADERS = (
    "content-encoding", "content-language", "content-length", "content-md5", "content-type",
    "date", "if-modified-since", "if-match", "if-none-match", "if-unmodified-since", "range",
)


class SharedKeySigner:
    """Computes the ``Authorization: SharedKey account:signature`` header for a request."""

    def __init__(self, account_name: str, account_key: str):
        self.account_name = account_name
        try:
            self._key = base64.b64decode(account_key, validate=True)
        except ValueError:
            raise ValueError("the account key must be base64 (as Azure and Azurite give it); "
                             "copy it again from the storage account's keys") from None

    def string_to_sign(self, method: str, url: str, headers: dict[str, str]) -> str:
        lower = {name.lower(): value for name, value in headers.items()}
        if lower.get("content-length") == "0":
            lower["content-length"] = ""
        standard = "".join(lower.get(name, "") + "\n" for name in _STANDARD_HEADERS)
        canonical_headers = "".join(
            f"{name}:{lower[name].strip()}\n" for name in sorted(lower) if name.startswith("x-ms-")
        )
        parts = urlsplit(url)
        resource = f"/{self.account_name}{parts.path or '/'}"
        query: dict[str, list[str]] = {}
        for pair in filter(None, parts.query.split("&")):
            name, _, value = pair.partition("=")
            query.setdefault(unquote(name).lower(), []).append(unquote(value))
        for name in sorted(query):
            resource += f"\n{name}:{','.join(sorted(query[name]))}"
        return f"{method.upper()}\n{standard}{canonical_headers}{resource}"

    def authorization(self, method: str, url: str, headers: dict[str, str]) -> str:
        digest = hmac.new(self._key, self.string_to_sign(method, url, headers).encode("utf-8"),
                          hashlib.sha256).digest()
        return f"SharedKey {self.account_name}:{base64.b64encode(digest).decode('ascii')}"


class BearerAuthorization:
    """``Authorization: Bearer <token>`` from a token credential, renewed before it expires."""

    SCOPE = "https://storage.azure.com/.default"

    def __init__(self, credential):
        self._credential = credential
        self._token = None

    def authorization(self, method: str, url: str, headers: dict[str, str]) -> str:
        import time

        if self._token is None or self._token.expires_on - time.time() < 300:
            self._token = self._credential.get_token(self.SCOPE)
        return f"Bearer {self._token.token}"


@dataclass(frozen=True)
class RawMessage:
    id: str
    pop_receipt: str
    content: str


def _messages(xml: bytes) -> list[RawMessage]:
    return [RawMessage(m.findtext("MessageId"), m.findtext("PopReceipt") or "",
                       m.findtext("MessageText") or "")
            for m in ET.fromstring(xml).iter("QueueMessage")]


class RawRequestError(Exception):
    """The service refused a raw request: its status and error code."""

    def __init__(self, method: str, status: int, code: str):
        self.status, self.code = status, code
        super().__init__(f"{method} answered {status} {code}".strip())


def ssl_context() -> ssl.SSLContext:
    """Trust what the SDKs trust: the bundle in SSL_CERT_FILE (the lab CA in local mode)."""
    return ssl.create_default_context(cafile=os.environ.get("SSL_CERT_FILE") or None)


class RawQueue:
    """Put, get and delete messages of one queue with hand-made requests over one session.

    ``account_url`` is the queue endpoint (``https://host[:port]/[account]``). Use it inside
    ``async with`` so its keep-alive connections are closed.
    """

    def __init__(self, account_url: str, queue_name: str, authorization, *,
                 connections: int = 100, meter=None):
        """``authorization``: a :class:`BearerAuthorization` or a :class:`SharedKeySigner`.
        ``meter``: an object with ``started()`` and ``finished()``, called around every
        request (:class:`~labsupport.throughput.measure.Meter`)."""
        self.base = f"{account_url.rstrip('/')}/{queue_name}"
        self.signer = authorization
        self.meter = meter
        self._connections = connections
        self._session = None

    async def __aenter__(self) -> RawQueue:
        import aiohttp

        connector = aiohttp.TCPConnector(limit=self._connections, ssl=ssl_context())
        # aiohttp would add an unsigned Content-Type to body-less PUTs: sign what is sent.
        self._session = aiohttp.ClientSession(connector=connector,
                                              skip_auto_headers=("Content-Type",))
        return self

    async def __aexit__(self, *exc) -> None:
        await self._session.close()

    async def _request(self, method: str, path: str, query: dict[str, str] | None = None,
                       body: bytes = b"", expect: int = 200) -> bytes:
        from yarl import URL

        url = self.base + path
        if query:
            url += "?" + "&".join(f"{k}={quote(str(v), safe='')}" for k, v in query.items())
        headers = {"x-ms-date": formatdate(usegmt=True), "x-ms-version": API_VERSION}
        if body:
            headers["Content-Type"] = "application/xml"
            headers["Content-Length"] = str(len(body))
        headers["Authorization"] = self.signer.authorization(method, url, headers)
        if self.meter is not None:
            self.meter.started()
        try:
            async with self._session.request(method, URL(url, encoded=True),
                                             data=body or None, headers=headers) as response:
                data = await response.read()
        finally:
            if self.meter is not None:
                self.meter.finished()
        if response.status != expect:
            raise RawRequestError(method, response.status,
                                  response.headers.get("x-ms-error-code", ""))
        return data

    async def create(self) -> None:
        await self._request("PUT", "", expect=201)

    async def delete_queue(self) -> None:
        await self._request("DELETE", "", expect=204)

    async def put(self, text: str) -> None:
        """Put Message (POST …/messages)."""
        body = (f"<?xml version='1.0' encoding='utf-8'?><QueueMessage><MessageText>"
                f"{escape(text)}</MessageText></QueueMessage>").encode()
        await self._request("POST", "/messages", body=body, expect=201)

    async def get(self, count: int = 32,
                  visibility_timeout: int | None = None) -> list[RawMessage]:
        """Get Messages (GET …/messages?numofmessages=N): lease up to 32 at once (for the
        service's default 30 s unless ``visibility_timeout`` says otherwise)."""
        query: dict[str, int] = {"numofmessages": count}
        if visibility_timeout is not None:
            query["visibilitytimeout"] = visibility_timeout
        return _messages(await self._request("GET", "/messages", query))

    async def peek(self, count: int = 32) -> list[RawMessage]:
        """Peek Messages (GET …/messages?peekonly=true): look without leasing."""
        data = await self._request("GET", "/messages", {"peekonly": "true",
                                                        "numofmessages": count})
        return _messages(data)

    async def delete(self, message: RawMessage) -> None:
        """Delete Message (DELETE …/messages/<id>?popreceipt=…)."""
        await self._request("DELETE", f"/messages/{message.id}",
                            {"popreceipt": message.pop_receipt}, expect=204)


async def send_raw(queue: RawQueue, messages, concurrency: int = 64) -> None:
    """The floor for sending: the requests of :func:`.modes.send_all`, without the SDK."""
    in_flight = asyncio.Semaphore(concurrency)

    async def send(message: str) -> None:
        async with in_flight:
            await queue.put(message)

    await asyncio.gather(*(send(message) for message in messages))


async def consume_raw(queue: RawQueue, receivers: int = 4,
                      deletes_in_flight: int = 16) -> list[str]:
    """The floor for consuming: the requests of :func:`.modes.consume_concurrently`, without
    the SDK."""
    done: list[str] = []
    in_flight = asyncio.Semaphore(deletes_in_flight)

    async def delete(message: RawMessage) -> None:
        async with in_flight:
            await queue.delete(message)
        done.append(message.content)

    async def receiver() -> None:
        while page := await queue.get(32):
            await asyncio.gather(*(delete(message) for message in page))

    await asyncio.gather(*(receiver() for _ in range(receivers)))
    return done
