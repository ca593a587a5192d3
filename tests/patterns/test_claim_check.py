"""Claim check through Azurite's blob service: round trip, failures between deletes, sweep."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.mgmt.storage import StorageManagementClient
from azure.mgmt.storage.models import BlobContainer
from azure.storage.queue import QueueClient, TextBase64DecodePolicy, TextBase64EncodePolicy

from labsupport.patterns.claim_check import (
    EXPIRES_METADATA,
    NotAClaimCheck,
    PayloadMismatch,
    Reference,
    check_in,
    claim,
    complete,
    keep,
    sweep_orphans,
)
from labsupport.payloads import MAX_MESSAGE_BYTES
from labsupport.waits import wait_until_visible

FIVE_MIB = 5 * 1024 * 1024


def blob_names(container) -> list[str]:
    return [blob.name for blob in container.list_blobs()]


def message_count(queue) -> int:
    return queue.get_queue_properties().approximate_message_count


def test_a_5_mib_payload_round_trips_byte_identical_and_leaves_nothing_behind(queue, container):
    payload = hashlib.sha256(b"seed").digest() * (FIVE_MIB // 32)
    assert len(payload) == FIVE_MIB
    reference = check_in(queue, container, payload)

    message = queue.receive_message(visibility_timeout=60)
    assert len(message.content.encode()) < 300  # the message is only the reference
    claimed, received = claim(container, message)
    assert claimed == reference
    assert received == payload
    complete(queue, container, message, claimed)

    assert message_count(queue) == 0
    assert queue.peek_messages() == []
    assert blob_names(container) == []


def test_the_reference_is_small_json_naming_container_blob_size_and_hash(queue, container):
    reference = check_in(queue, container, b"x" * 100_000)
    body = json.loads(queue.peek_messages()[0].content)
    assert body == {"claim_check": {"container": container.container_name,
                                    "blob": reference.blob, "size": 100_000,
                                    "sha256": hashlib.sha256(b"x" * 100_000).hexdigest()}}


def test_the_blob_records_when_its_message_expires(queue, container):
    before = datetime.now(UTC)
    check_in(queue, container, b"payload", time_to_live=3600)
    [blob] = container.list_blobs(include=["metadata"])
    expires = datetime.fromisoformat(blob.metadata[EXPIRES_METADATA])
    assert timedelta(hours=2) <= expires - before < timedelta(hours=2, minutes=5)


def test_a_base64_queue_carries_the_reference_for_a_functions_consumer(lab, queue, container):
    encoded = QueueClient(lab.account_url, queue.queue_name, credential=lab.credential,
                          message_encode_policy=TextBase64EncodePolicy(),
                          message_decode_policy=TextBase64DecodePolicy())
    check_in(encoded, container, b"payload")
    assert not queue.peek_messages()[0].content.startswith("{")  # base64 on the wire
    message = encoded.receive_message()
    assert claim(container, message)[1] == b"payload"


def test_a_crash_before_deleting_the_message_loses_nothing(queue, container):
    check_in(queue, container, b"payload")
    queue.receive_message(visibility_timeout=1)  # ... processed, then the consumer crashed
    again = wait_until_visible(queue, lambda m: True)
    assert again.dequeue_count == 1  # peeked: the next receive will be the second
    message = queue.receive_message(visibility_timeout=30)
    reference, payload = claim(container, message)
    assert payload == b"payload"
    complete(queue, container, message, reference)
    assert blob_names(container) == []


def test_a_crash_between_the_deletes_leaves_an_orphan_that_the_sweep_removes(queue, container):
    check_in(queue, container, b"payload", time_to_live=3600)
    message = queue.receive_message(visibility_timeout=30)
    reference, _ = claim(container, message)
    queue.delete_message(message)  # ... and the consumer crashed before deleting the blob

    assert message_count(queue) == 0
    assert blob_names(container) == [reference.blob]  # nothing lost: the work was done
    assert sweep_orphans(container) == []  # the message might still exist: keep the blob
    later = datetime.now(UTC) + timedelta(hours=2)
    assert sweep_orphans(container, now=later) == [reference.blob]
    assert blob_names(container) == []


def test_a_kept_payload_survives_the_sweep_after_its_message_expired(queue, container):
    # Its message went to a poison queue, whose copy outlives the original: the payload
    # must stay.
    reference = check_in(queue, container, b"payload", time_to_live=3600)
    keep(container, reference)
    assert sweep_orphans(container, now=datetime.now(UTC) + timedelta(days=30)) == []
    assert blob_names(container) == [reference.blob]


def test_the_sweep_leaves_blobs_it_did_not_write(container):
    container.upload_blob("someone-elses.bin", b"data")
    assert sweep_orphans(container, now=datetime.now(UTC) + timedelta(days=365)) == []
    assert blob_names(container) == ["someone-elses.bin"]


def test_a_lost_lease_keeps_the_blob_for_whoever_holds_the_message(queue, container):
    check_in(queue, container, b"payload")
    first = queue.receive_message(visibility_timeout=1)
    reference, _ = claim(container, first)
    wait_until_visible(queue, lambda m: True)
    queue.receive_message(visibility_timeout=30)  # another consumer has it now
    with pytest.raises(HttpResponseError):
        complete(queue, container, first, reference)
    assert blob_names(container) == [reference.blob]


def test_complete_tolerates_a_blob_already_deleted(queue, container):
    check_in(queue, container, b"payload")
    message = queue.receive_message()
    reference, _ = claim(container, message)
    container.delete_blob(reference.blob)
    complete(queue, container, message, reference)
    assert message_count(queue) == 0


def test_a_changed_blob_is_refused_with_payload_mismatch(queue, container):
    reference = check_in(queue, container, b"payload")
    container.upload_blob(reference.blob, b"tampered", overwrite=True)
    with pytest.raises(PayloadMismatch, match="changed after the message was sent"):
        claim(container, queue.receive_message())


def test_a_missing_blob_raises_resource_not_found(queue, container):
    reference = check_in(queue, container, b"payload")
    container.delete_blob(reference.blob)
    with pytest.raises(ResourceNotFoundError):
        claim(container, queue.receive_message())


def test_a_reference_to_another_container_is_refused(queue, container):
    queue.send_message(Reference("elsewhere", "b.bin", 1, "0" * 64).to_json())
    with pytest.raises(NotAClaimCheck, match="container 'elsewhere'"):
        claim(container, queue.receive_message())


@pytest.mark.parametrize("text", ["plain", "[]", '{"claim_check": {"blob": "b"}}',
                                  '{"claim_check": {"container": "c", "blob": "b", '
                                  '"size": "big", "sha256": "0"}}'])
def test_a_message_that_is_not_a_reference_says_what_was_expected(text):
    with pytest.raises(NotAClaimCheck, match='expected JSON like {"claim_check"'):
        Reference.from_json(text)


def test_check_in_refuses_text_and_endless_messages(queue, container):
    with pytest.raises(TypeError, match="encode text first"):
        check_in(queue, container, "text")
    with pytest.raises(ValueError, match="finite time to live"):
        check_in(queue, container, b"x", time_to_live=-1)
    assert blob_names(container) == []


def test_a_reference_fits_a_message_easily(queue, container):
    reference = Reference(container.container_name, "0" * 40 + ".bin", 10**12, "f" * 64)
    assert len(reference.to_json()) < MAX_MESSAGE_BYTES // 100


def test_the_local_management_plane_has_no_blob_containers_so_08_uses_the_data_plane(lab):
    # Notebook 08 says so in a callout; if the local plane learns blobContainers, update it.
    management = StorageManagementClient(lab.management_credential, lab.subscription_id,
                                         base_url=lab.management_url)
    with pytest.raises(ResourceNotFoundError) as caught:
        management.blob_containers.create(lab.resource_group, lab.account_name,
                                          lab.new_queue_name("mgmt"), BlobContainer())
    assert caught.value.error.code == "NoRegisteredProviderFound"


def test_the_local_management_plane_has_no_lifecycle_policies_so_08_sweeps_by_hand(lab):
    # Notebook 08's callout (docs/AZURE_DIFFERENCES.md#lifecycle-management): on Azure a
    # lifecycle management policy can sweep orphans; the local cloud serves none.
    management = StorageManagementClient(lab.management_credential, lab.subscription_id,
                                         base_url=lab.management_url)
    rule = {"name": "sweep", "enabled": True, "type": "Lifecycle", "definition": {
        "filters": {"blobTypes": ["blockBlob"], "prefixMatch": ["payloads/"]},
        "actions": {"baseBlob": {"delete": {"daysAfterModificationGreaterThan": 8}}}}}
    with pytest.raises(ResourceNotFoundError) as caught:
        management.management_policies.create_or_update(
            lab.resource_group, lab.account_name, "default", {"policy": {"rules": [rule]}})
    assert caught.value.error.code == "NoRegisteredProviderFound"
