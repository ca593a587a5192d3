"""Check for 08: runs the learner's producer, send_report(queue, container, payload), with
recorded clients. Passes the notebook's solution and a differently written one; rejects
"send the reference, then upload the blob" (same end state, wrong order on the wire) and
names what each other near miss gets wrong."""

from __future__ import annotations

import base64
import hashlib
import json
import uuid

import pytest
from azure.storage.queue import QueueClient, TextBase64EncodePolicy

from labsupport.checks.payloads import check_functions_claim_check
from labsupport.patterns.claim_check import check_in

REPORT = b"quarterly numbers\n" * 6_000  # 108,000 bytes: too big for one message


@pytest.fixture
def sender(lab, queue):
    """The solution's client: base64, as a Functions trigger expects."""
    return QueueClient(lab.account_url, queue.queue_name, credential=lab.credential,
                       message_encode_policy=TextBase64EncodePolicy())


def reference_to(container, name: str, payload: bytes) -> str:
    return json.dumps({"claim_check": {"container": container.container_name, "blob": name,
                                       "size": len(payload),
                                       "sha256": hashlib.sha256(payload).hexdigest()}})


def notebook_solution(queue, container, payload):
    name = f"{uuid.uuid4()}.bin"
    container.upload_blob(name, payload)                     # 1. the payload
    queue.send_message(reference_to(container, name, payload))   # 2. then the reference


def send_then_upload(queue, container, payload):
    name = f"{uuid.uuid4()}.bin"
    queue.send_message(reference_to(container, name, payload))   # the reference first …
    container.upload_blob(name, payload)                     # … its blob second


def test_the_solution_passes_and_leaves_the_message_in_place(sender, queue, container, capsys):
    assert check_functions_claim_check(notebook_solution, sender, container, REPORT)
    assert capsys.readouterr().out.startswith("✅ 108,000 bytes went through Blob storage")
    assert queue.get_queue_properties().approximate_message_count == 1
    assert check_functions_claim_check(notebook_solution, sender, container, REPORT), \
        "a second run starts from an empty queue"


def test_a_blob_client_and_hand_made_base64_pass_too(queue, container):
    """No encode policy: the producer base64-encodes the reference itself and uploads
    through a BlobClient of the container — a different, equally right producer."""
    def send_report(queue, container, payload):
        blob = container.get_blob_client(f"reports/{uuid.uuid4()}.bin")
        blob.upload_blob(payload, overwrite=True)
        text = reference_to(container, blob.blob_name, payload)
        queue.send_message(base64.b64encode(text.encode()).decode())

    assert check_functions_claim_check(send_report, queue, container, REPORT)


def test_the_lab_s_check_in_passes(sender, container):
    assert check_functions_claim_check(check_in, sender, container, REPORT)


def test_sending_the_reference_before_the_upload_is_rejected(sender, container):
    result = check_functions_claim_check(send_then_upload, sender, container, REPORT)
    assert result.problems == [
        "the reference was sent before the blob's upload had finished: a consumer (a "
        "Functions trigger polls all the time) could receive it and find no blob — upload "
        "first, then send the reference"]


def test_a_producer_that_raises_is_told_so(sender, container, capsys):
    def send_report(queue, container, payload):
        raise NotImplementedError("write the producer of the claim check here")

    result = check_functions_claim_check(send_report, sender, container, REPORT)
    assert result.problems == [
        "your code raised NotImplementedError: write the producer of the claim check here",
        "nothing in the queue: upload the payload to a blob in `container`, then send a "
        "message that refers to it through `queue`"]
    assert capsys.readouterr().out.startswith("Not yet — still to fix:")


def test_a_plain_reference_is_not_readable_by_a_functions_trigger(queue, container):
    result = check_functions_claim_check(notebook_solution, queue, container, REPORT)
    assert [p.split(":")[0] for p in result.problems] == ["the message is not base64"]
    assert "TextBase64EncodePolicy()" in result.problems[0]


def test_a_message_sent_around_the_queue_argument_is_named(sender, container):
    def send_report(queue, container, payload):
        notebook_solution(sender, container, payload)        # the global client, not `queue`

    problems = check_functions_claim_check(send_report, sender, container, REPORT).problems
    assert [p.split(":")[0] for p in problems] == [
        "the message did not go through send_report's `queue` argument"]


def test_a_blob_uploaded_around_the_container_argument_is_named(sender, container):
    def send_report(queue, _container, payload):
        notebook_solution(queue, container, payload)         # the global container

    problems = check_functions_claim_check(send_report, sender, container, REPORT).problems
    assert [p.split(":")[0] for p in problems] == [
        f"blob {problems[0].split(chr(39))[1]!r} was not uploaded by send_report through its "
        "`container` argument"]


def test_a_base64_message_that_is_not_a_reference_is_named(sender, container):
    result = check_functions_claim_check(
        lambda queue, container, payload: queue.send_message("quarterly numbers"),
        sender, container, REPORT)
    assert result.problems[0].startswith("the message is not a claim-check reference")


def test_two_messages_are_one_too_many(sender, container):
    def twice(queue, container, payload):
        notebook_solution(queue, container, payload)
        notebook_solution(queue, container, payload)

    assert check_functions_claim_check(twice, sender, container, REPORT).problems == [
        "send_report left 2 messages in the queue; the trigger should get one reference"]


def test_a_reference_to_a_missing_blob_is_named(sender, container):
    result = check_functions_claim_check(
        lambda queue, container, payload: queue.send_message(
            reference_to(container, "nowhere.bin", payload)),
        sender, container, REPORT)
    assert result.problems == ["the reference names blob 'nowhere.bin', which does not exist: "
                               "upload the payload before sending the message"]


def test_a_blob_with_other_content_is_named(sender, container):
    result = check_functions_claim_check(
        lambda queue, container, payload: notebook_solution(queue, container, b"something"),
        sender, container, REPORT)
    assert result.problems == ["the blob holds 9 bytes that are not the payload (108,000 "
                               "bytes): upload the payload itself"]


def test_a_reference_to_another_container_is_named(sender, container):
    def elsewhere(queue, container, payload):
        queue.send_message(json.dumps({"claim_check": {"container": "elsewhere", "blob": "b",
                                                       "size": 1, "sha256": "0" * 64}}))

    result = check_functions_claim_check(elsewhere, sender, container, REPORT)
    assert result.problems[0].startswith("the reference names container 'elsewhere'")


def test_a_reference_with_a_wrong_sha256_is_named(sender, container):
    # A consumer's claim() refuses this payload: the check must too.
    def wrong_digest(queue, container, payload):
        name = f"{uuid.uuid4()}.bin"
        container.upload_blob(name, payload)
        queue.send_message(json.dumps({"claim_check": {
            "container": container.container_name, "blob": name, "size": len(payload),
            "sha256": "0" * 64}}))

    result = check_functions_claim_check(wrong_digest, sender, container, REPORT)
    assert result.problems == ["the reference says SHA-256 000000000000…; the payload's is "
                               f"{hashlib.sha256(REPORT).hexdigest()[:12]}…: compute it from "
                               "the payload you uploaded"]
