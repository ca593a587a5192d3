"""Checks for 08 · encoding and large messages.

``check_functions_claim_check`` runs the learner's producer, ``send_report(queue,
container, payload)``, with copies of the learner's queue client and of ``container`` that
carry the check's recorders in the SDK's ``raw_request_hook`` / ``raw_response_hook`` (same
class, URL, credential and encode policy). So it sees what crossed the wire, in order: the
reference must leave only after the blob's upload was answered — a producer that sends
first and uploads second ends in the same state, but a consumer (a Functions trigger polls
all the time) may receive the reference before its blob exists. Then it looks at what
arrived, as the trigger would: one base64 message, a claim-check reference, the blob it
names holding exactly the payload.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import itertools
import threading
from urllib.parse import unquote, urlsplit

from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.storage.queue import QueueClient

from ..patterns.claim_check import NotAClaimCheck, Reference
from ..trace import describe_error, traced_client
from ..wire import WireLog
from . import Result, report

BASE64_FIX = ("create the producer's client with message_encode_policy=TextBase64EncodePolicy()"
              ", so the trigger's base64 decoding works")


def _strict_base64(text: str) -> str | None:
    """The UTF-8 text ``text`` encodes in base64, or None if it is not strict base64."""
    try:
        return base64.b64decode(text, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return None


class _BlobLog:
    """The blob requests of a container client, stamped with the shared ``tick``."""

    def __init__(self, tick, container_name: str) -> None:
        self.tick = tick
        self.container_name = container_name
        self.uploads: list[tuple[str, int]] = []   # (blob name, tick when answered)
        self._lock = threading.Lock()

    def on_response(self, response) -> None:
        request = response.http_request
        if request.method.upper() == "PUT" and 200 <= response.http_response.status_code < 300:
            path = [unquote(s) for s in urlsplit(request.url).path.split("/") if s]
            if self.container_name in path:   # a blob's name may hold slashes
                name = "/".join(path[path.index(self.container_name) + 1:])
                with self._lock:
                    self.uploads.append((name, self.tick()))


def _failure(error: Exception) -> str:
    detail = describe_error(error) if isinstance(error, HttpResponseError) else str(error)
    return f"your code raised {type(error).__name__}: {detail}"


def _run(send_report, sender, container, payload) -> tuple[list[str], WireLog, _BlobLog]:
    """Run the learner's producer with recorded copies of its clients."""
    counter = itertools.count()
    tick = counter.__next__
    queue_log = WireLog("producer", queue=sender.queue_name, clock=tick)
    blob_log = _BlobLog(tick, container.container_name)
    traced_container = type(container).from_container_url(
        container.url, credential=container.credential, raw_response_hook=blob_log.on_response)
    try:
        send_report(traced_client(sender, queue_log), traced_container, payload)
    except Exception as error:  # the learner's code: report, do not crash the check
        return [_failure(error)], queue_log, blob_log
    return [], queue_log, blob_log


def check_functions_claim_check(send_report, sender: QueueClient, container,
                                 expected: bytes) -> Result:
    """08: ``send_report(queue, container, payload)`` sends ``expected`` (too big for a
    message) through a claim check, upload first, that an Azure Functions queue trigger
    (base64 by default) can read from ``sender``'s queue.

    The check empties that queue, runs ``send_report(<sender>, <container>, expected)`` with
    recorded copies of both clients, then looks without taking: it peeks with a client
    that does not decode, so it sees the text as the trigger would, and it downloads the
    blob the reference names.
    """
    raw = QueueClient.from_queue_url(sender.url, credential=sender.credential)
    raw.clear_messages()
    problems, queue_log, blob_log = _run(send_report, sender, container, expected)
    messages = raw.peek_messages(max_messages=32)
    if not messages:
        return report(problems + ["nothing in the queue: upload the payload to a blob in "
                                  "`container`, then send a message that refers to it "
                                  "through `queue`"], "")
    sends = [e for e in queue_log.of("send") if e.ok]
    if not sends:
        problems.append("the message did not go through send_report's `queue` argument: send "
                        "with the client you are given, so that its encoding is the one "
                        "the trigger expects")
    if len(messages) > 1:
        problems.append(f"send_report left {len(messages)} messages in the queue; the "
                        f"trigger should get one reference")
    text = messages[0].content
    decoded = _strict_base64(text)
    if decoded is None:
        problems.append(f"the message is not base64: a Functions trigger would fail to decode "
                        f"it and move it to the poison queue — {BASE64_FIX}")
        decoded = text
    try:
        reference = Reference.from_json(decoded)
    except NotAClaimCheck:
        return report(problems + [
            "the message is not a claim-check reference: send JSON like "
            '{"claim_check": {"container": …, "blob": …, "size": …, "sha256": …}}'], "")
    if reference.container != container.container_name:
        problems.append(f"the reference names container {reference.container!r}; use "
                        f"`container` ({container.container_name!r})")
        return report(problems, "")
    try:
        stored = container.download_blob(reference.blob).readall()
    except ResourceNotFoundError:
        problems.append(f"the reference names blob {reference.blob!r}, which does not exist: "
                        f"upload the payload before sending the message")
        return report(problems, "")
    uploaded = [t for name, t in blob_log.uploads if name == reference.blob]
    if not uploaded:
        problems.append(f"blob {reference.blob!r} was not uploaded by send_report through "
                        f"its `container` argument: upload the payload there, then send")
    elif sends and sends[0].sent < max(uploaded):
        problems.append("the reference was sent before the blob's upload had finished: a "
                        "consumer (a Functions trigger polls all the time) could receive it "
                        "and find no blob — upload first, then send the reference")
    if stored != expected:
        problems.append(f"the blob holds {len(stored):,} bytes that are not the payload "
                        f"({len(expected):,} bytes): upload the payload itself")
    elif reference.size != len(expected):
        problems.append(f"the reference says {reference.size:,} bytes; the payload has "
                        f"{len(expected):,}")
    elif reference.sha256 != (digest := hashlib.sha256(expected).hexdigest()):
        problems.append(f"the reference says SHA-256 {reference.sha256[:12]}…; the payload's is "
                        f"{digest[:12]}…: compute it from the payload you uploaded")
    return report(problems, f"{len(expected):,} bytes went through Blob storage, uploaded "
                            f"before their reference left; the queue holds one base64 "
                            f"reference a Functions trigger can read.")
