"""Checks for 08 · encoding and large messages."""

from __future__ import annotations

import base64
import binascii
import hashlib

from azure.core.exceptions import ResourceNotFoundError
from azure.storage.queue import QueueClient

from ..patterns.claim_check import NotAClaimCheck, Reference
from . import Result, report

BASE64_FIX = ("create the producer's client with message_encode_policy=TextBase64EncodePolicy()"
              ", so the trigger's base64 decoding works")


def _strict_base64(text: str) -> str | None:
    """The UTF-8 text ``text`` encodes in base64, or None if it is not strict base64."""
    try:
        return base64.b64decode(text, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return None


def check_functions_claim_check(queue: QueueClient, container, expected: bytes) -> Result:
    """08: ``expected`` (too big for a message) reached ``queue`` through a claim check that
    an Azure Functions queue trigger (base64 by default) can read.

    Looks without taking: the check peeks with a client that does not decode, so it sees
    the text as the trigger would, and it downloads the blob the reference names.
    """
    raw = QueueClient.from_queue_url(queue.url, credential=queue.credential)
    messages = raw.peek_messages(max_messages=32)
    if not messages:
        return report(["nothing in the queue yet: upload `big_report` to a blob in "
                       "`container`, then send a message that refers to it"], "")
    problems = []
    if len(messages) > 1:
        problems.append(f"{len(messages)} messages in the queue; the trigger should get one "
                        f"(clear the queue with queue.clear_messages() and send again)")
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
            "the message is not a claim-check reference: send the JSON that check_in sends, "
            '{"claim_check": {"container": …, "blob": …, "size": …, "sha256": …}} (or call '
            "check_in(queue, container, big_report))"], "")
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
    if stored != expected:
        problems.append(f"the blob holds {len(stored):,} bytes that are not `big_report` "
                        f"({len(expected):,} bytes): upload big_report itself")
    elif reference.size != len(expected):
        problems.append(f"the reference says {reference.size:,} bytes; the payload has "
                        f"{len(expected):,}")
    elif reference.sha256 != (digest := hashlib.sha256(expected).hexdigest()):
        problems.append(f"the reference says SHA-256 {reference.sha256[:12]}…; the payload's is "
                        f"{digest[:12]}…: send the reference check_in makes, or compute it "
                        f"from big_report")
    return report(problems, f"{len(expected):,} bytes went through Blob storage; the queue "
                            f"holds one base64 reference a Functions trigger can read.")
