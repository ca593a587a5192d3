"""Check for 08: passes the solution and a different, hand-made claim check; names what each
near miss gets wrong."""

from __future__ import annotations

import base64
import hashlib
import json

from azure.storage.queue import QueueClient, TextBase64EncodePolicy

from labsupport.checks.payloads import check_functions_claim_check
from labsupport.patterns.claim_check import Reference, check_in

REPORT = b"quarterly numbers\n" * 6_000  # 108,000 bytes: too big for one message


def base64_client(lab, queue):
    return QueueClient(lab.account_url, queue.queue_name, credential=lab.credential,
                       message_encode_policy=TextBase64EncodePolicy())


def test_the_solution_passes_and_leaves_the_message_in_place(lab, queue, container, capsys):
    check_in(base64_client(lab, queue), container, REPORT)
    assert check_functions_claim_check(queue, container, REPORT)
    assert capsys.readouterr().out.startswith("✅ 108,000 bytes went through Blob storage")
    assert queue.get_queue_properties().approximate_message_count == 1


def test_a_hand_made_claim_check_with_hand_made_base64_passes_too(queue, container):
    # No check_in and no encode policy: upload, build the reference, base64 it yourself,
    # send it through a plain client. A Functions trigger reads that just as well.
    container.upload_blob("report.bin", REPORT)
    reference = {"claim_check": {"container": container.container_name, "blob": "report.bin",
                                 "size": len(REPORT),
                                 "sha256": hashlib.sha256(REPORT).hexdigest()}}
    queue.send_message(base64.b64encode(json.dumps(reference).encode()).decode())
    assert check_functions_claim_check(queue, container, REPORT)


def test_an_empty_queue_says_what_to_do(queue, container, capsys):
    result = check_functions_claim_check(queue, container, REPORT)
    assert not result
    assert result.problems == ["nothing in the queue yet: upload `big_report` to a blob in "
                               "`container`, then send a message that refers to it"]
    assert capsys.readouterr().out.startswith("Not yet — still to fix:")


def test_a_plain_reference_is_not_readable_by_a_functions_trigger(queue, container):
    check_in(queue, container, REPORT)
    result = check_functions_claim_check(queue, container, REPORT)
    assert [p.split(":")[0] for p in result.problems] == ["the message is not base64"]
    assert "TextBase64EncodePolicy()" in result.problems[0]


def test_a_base64_message_that_is_not_a_reference_is_named(lab, queue, container):
    base64_client(lab, queue).send_message("quarterly numbers")
    result = check_functions_claim_check(queue, container, REPORT)
    assert result.problems[0].startswith("the message is not a claim-check reference")


def test_two_messages_are_one_too_many(lab, queue, container):
    check_in(base64_client(lab, queue), container, REPORT)
    check_in(base64_client(lab, queue), container, REPORT)
    result = check_functions_claim_check(queue, container, REPORT)
    assert result.problems == ["2 messages in the queue; the trigger should get one (clear the "
                               "queue with queue.clear_messages() and send again)"]


def test_a_reference_to_a_missing_blob_is_named(lab, queue, container):
    missing = Reference(container.container_name, "nowhere.bin", len(REPORT), "0" * 64)
    base64_client(lab, queue).send_message(missing.to_json())
    result = check_functions_claim_check(queue, container, REPORT)
    assert result.problems == ["the reference names blob 'nowhere.bin', which does not exist: "
                               "upload the payload before sending the message"]


def test_a_blob_with_other_content_is_named(lab, queue, container):
    check_in(base64_client(lab, queue), container, b"something else")
    result = check_functions_claim_check(queue, container, REPORT)
    assert result.problems == ["the blob holds 14 bytes that are not `big_report` (108,000 "
                               "bytes): upload big_report itself"]


def test_a_reference_to_another_container_is_named(lab, queue, container):
    base64_client(lab, queue).send_message(
        Reference("elsewhere", "b.bin", len(REPORT), "0" * 64).to_json())
    result = check_functions_claim_check(queue, container, REPORT)
    assert result.problems[0].startswith("the reference names container 'elsewhere'")


def test_a_reference_with_a_wrong_sha256_is_named(lab, queue, container):
    # A consumer's claim() refuses this payload (PayloadMismatch): the check must too.
    reference = check_in(base64_client(lab, queue), container, REPORT)
    queue.clear_messages()
    wrong = Reference(reference.container, reference.blob, reference.size, "0" * 64)
    base64_client(lab, queue).send_message(wrong.to_json())
    result = check_functions_claim_check(queue, container, REPORT)
    assert result.problems == ["the reference says SHA-256 000000000000…; the payload's is "
                               f"{hashlib.sha256(REPORT).hexdigest()[:12]}…: send the "
                               "reference check_in makes, or compute it from big_report"]
