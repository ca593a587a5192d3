"""labsupport.events writes the BlobCreated event Event Grid would write, in its documented shape.

The documented example is Learn's ``Microsoft.Storage.BlobCreated`` event
(https://learn.microsoft.com/azure/event-grid/event-schema-blob-storage): the producer's
event, built from a real upload to the local cloud, must have exactly its fields, with the
same JSON types, a subject of the documented form and values taken from the upload's answer
and the blob's properties. ``deliver`` must store one event per message, base64 JSON, as
the Event Grid SDK's storage-queue sample reads it.
"""

from __future__ import annotations

import base64
import json
import re
import uuid
from datetime import datetime

import pytest
from azure.core.exceptions import ResourceNotFoundError
from azure.core.messaging import CloudEvent
from azure.mgmt.resource.resources import ResourceManagementClient
from azure.storage.blob import ContainerClient, ContentSettings
from azure.storage.queue import BinaryBase64DecodePolicy, QueueClient, TextBase64EncodePolicy

from labsupport import events

# Learn's example, Event Grid schema tab (one event of the documented array).
DOCUMENTED = {
    "topic": "/subscriptions/{subscription-id}/resourceGroups/Storage/providers/"
             "Microsoft.Storage/storageAccounts/my-storage-account",
    "subject": "/blobServices/default/containers/test-container/blobs/new-file.txt",
    "eventType": "Microsoft.Storage.BlobCreated",
    "eventTime": "2017-06-26T18:41:00.9584103Z",
    "id": "831e1650-001e-001b-66ab-eeb76e069631",
    "data": {
        "api": "PutBlockList",
        "clientRequestId": "6d79dbfb-0e37-4fc4-981f-442c9ca65760",
        "requestId": "831e1650-001e-001b-66ab-eeb76e000000",
        "eTag": "\"0x8D4BCC2E4835CD0\"",
        "contentType": "text/plain",
        "contentLength": 524288,
        "blobType": "BlockBlob",
        "url": "https://my-storage-account.blob.core.windows.net/testcontainer/new-file.txt",
        "sequencer": "00000000000004420000000000028963",
        "storageDiagnostics": {"batchId": "b68529f3-68cd-4744-baa4-3c0498ec19f0"},
    },
    "dataVersion": "",
    "metadataVersion": "1",
}
DOCUMENTED_CLOUD_EVENT_FIELDS = {"source", "subject", "type", "time", "id", "data",
                                 "specversion"}
SUBJECT = re.compile(r"^/blobServices/default/containers/(?P<container>[^/]+)/blobs/(?P<blob>.+)$")
TOPIC = re.compile(r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/"
                   r"Microsoft\.Storage/storageAccounts/[^/]+$")
CSV = b"region,total\nnorth,120\n"


def json_types(value):
    """The JSON type of every field, nested: what a consumer parsing the event relies on."""
    if isinstance(value, dict):
        return {key: json_types(item) for key, item in value.items()}
    return type(value).__name__


@pytest.fixture
def topic(lab):
    return events.storage_account_id(lab.subscription_id, lab.resource_group, lab.account_name)


def upload(container, name="reports/q4.csv", data=CSV, **kwargs):
    answers = []
    blob = container.upload_blob(name, data, overwrite=True, raw_response_hook=answers.append,
                                 content_settings=ContentSettings(content_type="text/csv"),
                                 **kwargs)
    return blob, answers


def test_the_event_has_the_documented_fields_and_types(container, topic):
    blob, answers = upload(container)
    event = events.blob_created_event(blob, answers[-1], topic=topic)
    assert json_types(event) == json_types(DOCUMENTED)
    assert list(event) == list(DOCUMENTED) == list(events.ENVELOPE_FIELDS)
    assert list(event["data"]) == list(DOCUMENTED["data"]) == list(events.DATA_FIELDS)
    json.loads(json.dumps(event))                                  # plain JSON all through
    assert TOPIC.match(event["topic"]) and TOPIC.match(DOCUMENTED["topic"])
    assert SUBJECT.match(DOCUMENTED["subject"])
    match = SUBJECT.match(event["subject"])
    assert match and match["container"] == container.container_name
    assert match["blob"] == "reports/q4.csv"
    assert event["eventType"] == "Microsoft.Storage.BlobCreated"
    assert (event["dataVersion"], event["metadataVersion"]) == ("", "1")
    uuid.UUID(event["id"])
    assert datetime.fromisoformat(event["eventTime"]).tzinfo is not None
    assert event["eventTime"].endswith("Z")


def test_the_data_comes_from_the_upload_s_answer_and_the_blob_s_properties(container, topic):
    blob, answers = upload(container)
    answer = answers[-1]
    data = events.blob_created_event(blob, answer, topic=topic)["data"]
    properties = blob.get_blob_properties()
    assert data["api"] == "PutBlob"
    assert data["requestId"] == answer.http_response.headers["x-ms-request-id"]
    assert data["clientRequestId"] == answer.http_request.headers["x-ms-client-request-id"]
    assert data["eTag"] == properties.etag == answer.http_response.headers["ETag"]
    assert data["eTag"].startswith('"') and data["eTag"].endswith('"')  # quoted, as documented
    assert (data["contentType"], data["contentLength"], data["blobType"]) == (
        "text/csv", len(CSV), "BlockBlob")
    assert data["url"] == blob.url and "?" not in data["url"]


def test_a_staged_upload_is_put_block_list_and_a_block_answer_is_refused(container, topic):
    big = bytes(range(256)) * 64                                   # 16 KiB
    blob, answers = upload(container, "staged.bin", big)
    assert len(answers) == 1                                       # one Put Blob
    assert events.blob_created_event(blob, answers[-1], topic=topic)["data"]["api"] == "PutBlob"
    in_blocks = ContainerClient.from_container_url(                # 4 KiB blocks, then the list
        container.url, credential=container.credential, max_single_put_size=4096,
        max_block_size=4096)
    blob, answers = upload(in_blocks, "staged.bin", big, max_concurrency=1)
    assert len(answers) == 5
    event = events.blob_created_event(blob, answers[-1], topic=topic)
    assert event["data"]["api"] == "PutBlockList" and event["data"]["contentLength"] == len(big)
    with pytest.raises(ValueError, match="comp=block, which creates no blob"):
        events.blob_created_event(blob, answers[0], topic=topic)


def test_an_answer_that_is_not_this_blob_s_current_upload_is_refused(container, topic):
    blob, first = upload(container)
    _, second = upload(container, data=CSV + b"south,95\n")
    with pytest.raises(ValueError, match="has changed since that upload"):
        events.blob_created_event(blob, first[-1], topic=topic)
    other, _ = upload(container, "other.csv")
    with pytest.raises(ValueError, match="not for this blob"):
        events.blob_created_event(other, second[-1], topic=topic)
    reads = []
    blob.get_blob_properties(raw_response_hook=reads.append)
    with pytest.raises(ValueError, match="HEAD 200, not a blob being created"):
        events.blob_created_event(blob, reads[-1], topic=topic)
    with pytest.raises(ValueError, match="schema must be one of"):
        events.blob_created_event(blob, second[-1], topic=topic, schema="CloudEvents")


def test_each_later_event_of_a_blob_has_a_later_sequencer(container, topic):
    sequencers = []
    for version in range(3):
        blob, answers = upload(container, data=CSV * (version + 1))
        sequencers.append(events.blob_created_event(blob, answers[-1], topic=topic)
                          ["data"]["sequencer"])
    assert sequencers == sorted(sequencers) and len(set(sequencers)) == 3
    assert all(re.fullmatch(r"[0-9a-f]{32}", s) for s in sequencers)


def test_the_cloud_events_schema_has_its_documented_fields_and_parses(container, topic):
    blob, answers = upload(container)
    event = events.blob_created_event(blob, answers[-1], topic=topic,
                                      schema=events.CLOUD_EVENT_SCHEMA)
    assert set(event) == DOCUMENTED_CLOUD_EVENT_FIELDS
    parsed = CloudEvent.from_dict(event)
    assert (parsed.type, parsed.source, parsed.specversion) == (
        "Microsoft.Storage.BlobCreated", topic, "1.0")
    assert parsed.subject.endswith("/blobs/reports/q4.csv")
    assert parsed.data["contentLength"] == len(CSV)


def test_deliver_stores_one_event_per_message_as_base64_json(lab, queue, container, topic):
    blob, answers = upload(container)
    event = events.blob_created_event(blob, answers[-1], topic=topic)
    events.deliver(queue, event)
    already_encoding = QueueClient.from_queue_url(queue.url, credential=queue.credential,
                                                  message_encode_policy=TextBase64EncodePolicy())
    events.deliver(already_encoding, event)                       # still encoded once
    stored = [m.content for m in queue.peek_messages(max_messages=32)]
    assert len(stored) == 2 and stored[0] == stored[1]
    assert json.loads(base64.b64decode(stored[0], validate=True)) == event
    reader = QueueClient.from_queue_url(queue.url, credential=queue.credential,
                                        message_decode_policy=BinaryBase64DecodePolicy())
    assert json.loads(reader.peek_messages()[0].content) == event
    assert "specversion" not in json.loads(reader.peek_messages()[0].content)


def test_deliver_applies_the_subscription_s_message_time_to_live(queue, container, topic):
    blob, answers = upload(container)
    event = events.blob_created_event(blob, answers[-1], topic=topic)
    events.deliver(queue, event, time_to_live=120)
    events.deliver(queue, event, time_to_live=-1)
    short, forever = queue.peek_messages(max_messages=32)
    assert (short.expires_on - short.inserted_on).total_seconds() == 120
    assert forever.expires_on.year == 9999                         # "never expires"
    for wrong in (0, -2):
        with pytest.raises(ValueError, match="except -1"):
            events.deliver(queue, event, time_to_live=wrong)
    with pytest.raises(ValueError, match="one per message"):
        events.deliver(queue, [event])
    assert len(queue.peek_messages(max_messages=32)) == 2


def test_names_in_a_resource_id_are_checked():
    assert events.storage_account_id("sub", "rg", "acct") == (
        "/subscriptions/sub/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acct")
    with pytest.raises(ValueError, match="resource_group must be a non-empty name"):
        events.storage_account_id("sub", "", "acct")
    assert events.blob_subject("c", "a/b.txt") == "/blobServices/default/containers/c/blobs/a/b.txt"


def test_the_local_management_plane_has_no_event_grid_so_08_writes_the_event_itself(lab):
    # Notebook 08's callout (docs/AZURE_DIFFERENCES.md#event-grid): on Azure an event
    # subscription on the storage account delivers BlobCreated events to a queue; the
    # local cloud has no Microsoft.EventGrid provider, so the lesson's local producer
    # writes the event.
    arm = ResourceManagementClient(lab.management_credential, lab.subscription_id,
                                   base_url=lab.management_url)
    account = events.storage_account_id(lab.subscription_id, lab.resource_group,
                                        lab.account_name)
    subscription = {"properties": {
        "destination": {"endpointType": "StorageQueue",
                        "properties": {"resourceId": account, "queueName": "blob-events"}},
        "filter": {"includedEventTypes": [events.BLOB_CREATED]},
        "eventDeliverySchema": events.EVENT_GRID_SCHEMA}}
    with pytest.raises(ResourceNotFoundError) as caught:
        arm.resources.begin_create_or_update_by_id(
            f"{account}/providers/Microsoft.EventGrid/eventSubscriptions/blob-created",
            subscription, api_version="2022-06-15").result()
    assert caught.value.error.code == "NoRegisteredProviderFound"
