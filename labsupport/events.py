"""A local stand-in for Event Grid: a blob's ``Microsoft.Storage.BlobCreated`` event, in a queue.

On Azure, Blob storage publishes a ``Microsoft.Storage.BlobCreated`` event when a blob is
created or replaced (Put Blob, Put Block List, Copy Blob), and an Event Grid subscription
whose handler is a storage queue writes each event into that queue as one message: the
event's JSON, base64-encoded. The local cloud has no Event Grid (Azurite publishes no
events, and the local management plane serves no ``Microsoft.EventGrid`` resources), so
lesson 08 calls this module where Azure would act. It is not a lesson: it writes what Event
Grid would write, from the real blob's properties and the real upload's answer.

* :func:`blob_created_event` builds the event in its documented shape, Event Grid schema or
  CloudEvents 1.0 (https://learn.microsoft.com/azure/event-grid/event-schema-blob-storage);
* :func:`deliver` puts one event on a queue as Event Grid's storage-queue handler does: one
  event per message, JSON, base64 (the Event Grid SDK's own sample reads such a queue with
  ``BinaryBase64DecodePolicy``: https://github.com/Azure/azure-sdk-for-python/blob/main/
  sdk/eventgrid/azure-eventgrid/samples/basic/consume_samples/
  consume_cloud_events_from_storage_queue.py), with the subscription's optional message
  time to live (``queueMessageTimeToLiveInSeconds``).

What only Azure knows is made up here and said so: the event ``id`` and
``storageDiagnostics.batchId`` are new GUIDs, ``eventTime`` is the moment the event is
built, and ``sequencer`` (opaque on Azure; string order is the order of a blob's events)
is 32 hex digits of a clock that only moves forward.

    answers = []
    blob = container.upload_blob(name, data, raw_response_hook=answers.append)
    event = blob_created_event(blob, answers[-1], topic=storage_account_id(sub, group, name))
    deliver(queue, event)
"""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from azure.storage.queue import QueueClient, TextBase64EncodePolicy

BLOB_CREATED = "Microsoft.Storage.BlobCreated"
EVENT_GRID_SCHEMA = "EventGridSchema"
CLOUD_EVENT_SCHEMA = "CloudEventSchemaV1_0"
SCHEMAS = (EVENT_GRID_SCHEMA, CLOUD_EVENT_SCHEMA)

# Fields of the Event Grid schema envelope, and of BlobCreated's data, as Learn shows them.
ENVELOPE_FIELDS = ("topic", "subject", "eventType", "eventTime", "id", "data", "dataVersion",
                   "metadataVersion")
CLOUD_EVENT_FIELDS = ("source", "subject", "type", "time", "id", "data", "specversion")
DATA_FIELDS = ("api", "clientRequestId", "requestId", "eTag", "contentType", "contentLength",
               "blobType", "url", "sequencer", "storageDiagnostics")

_sequence_floor = [0]


def storage_account_id(subscription_id: str, resource_group: str, account_name: str) -> str:
    """The storage account's resource id: a BlobCreated event's ``topic`` (``source``)."""
    for name, value in (("subscription_id", subscription_id),
                        ("resource_group", resource_group), ("account_name", account_name)):
        if not value or "/" in value:
            raise ValueError(f"{name} must be a non-empty name without '/', got {value!r}.")
    return (f"/subscriptions/{subscription_id}/resourceGroups/{resource_group}"
            f"/providers/Microsoft.Storage/storageAccounts/{account_name}")


def blob_subject(container_name: str, blob_name: str) -> str:
    """A blob event's ``subject``: ``/blobServices/default/containers/<c>/blobs/<name>``."""
    return f"/blobServices/default/containers/{container_name}/blobs/{blob_name}"


def _api(response) -> str:
    """The Blob operation that created the blob (``data.api``), read from its request."""
    request = response.http_request
    query = parse_qs(urlsplit(request.url).query)
    comp = query.get("comp", [""])[0]
    if request.method != "PUT" or response.http_response.status_code not in (201, 202):
        raise ValueError(
            f"That answer is {request.method} {response.http_response.status_code}, not a "
            "blob being created: pass the upload's answer (raw_response_hook=answers.append "
            "on upload_blob, then answers[-1]).")
    if comp == "blocklist":
        return "PutBlockList"
    if comp:
        raise ValueError(
            f"That answer is a Put request with comp={comp}, which creates no blob: pass the "
            "answer of the request that committed it (the last one, Put Block List).")
    headers = {name.lower() for name in request.headers}
    return "CopyBlob" if "x-ms-copy-source" in headers else "PutBlob"


def _sequencer() -> str:
    """An opaque string whose order is the order of the events built here (32 hex digits)."""
    now = time.time_ns()
    _sequence_floor[0] = max(now, _sequence_floor[0] + 1)
    return f"{_sequence_floor[0]:032x}"


def blob_created_event(blob, upload, *, topic: str,
                       schema: str = EVENT_GRID_SCHEMA) -> dict[str, Any]:
    """The ``Microsoft.Storage.BlobCreated`` event Azure would publish for this upload.

    ``blob`` is the blob's ``BlobClient`` (what ``upload_blob`` returns); ``upload`` is the
    ``PipelineResponse`` of the request that created it (a ``raw_response_hook`` gets it).
    The request ids and the ETag come from that answer, the content type, size and blob
    type from the blob's properties, which must still carry the upload's ETag.
    """
    if schema not in SCHEMAS:
        raise ValueError(f"schema must be one of {', '.join(SCHEMAS)}, got {schema!r}.")
    api = _api(upload)
    if urlsplit(upload.http_request.url).path != urlsplit(blob.url).path:
        raise ValueError(f"That answer is for {urlsplit(upload.http_request.url).path}, not "
                         f"for this blob ({urlsplit(blob.url).path}).")
    headers = upload.http_response.headers
    properties = blob.get_blob_properties()
    if properties.etag != headers["ETag"]:
        raise ValueError(
            "The blob has changed since that upload (its ETag differs): build the event from "
            "the answer of the upload that wrote the blob as it is now.")
    data = {
        "api": api,
        "clientRequestId": headers["x-ms-client-request-id"],
        "requestId": headers["x-ms-request-id"],
        "eTag": headers["ETag"],
        "contentType": properties.content_settings.content_type,
        "contentLength": properties.size,
        "blobType": str(properties.blob_type.value),
        "url": blob.url.split("?", 1)[0],
        "sequencer": _sequencer(),
        "storageDiagnostics": {"batchId": str(uuid.uuid4())},
    }
    event_id = str(uuid.uuid4())
    event_time = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    subject = blob_subject(blob.container_name, blob.blob_name)
    if schema == CLOUD_EVENT_SCHEMA:
        return {"source": topic, "subject": subject, "type": BLOB_CREATED, "time": event_time,
                "id": event_id, "data": data, "specversion": "1.0"}
    return {"topic": topic, "subject": subject, "eventType": BLOB_CREATED,
            "eventTime": event_time, "id": event_id, "data": data, "dataVersion": "",
            "metadataVersion": "1"}


def deliver(queue: QueueClient, event: dict[str, Any], *,
            time_to_live: int | None = None) -> None:
    """Put ``event`` on ``queue`` as Event Grid's storage-queue handler does.

    One event per message, its JSON base64-encoded, whatever encode policy ``queue`` has:
    the message is sent through a copy of the client with ``TextBase64EncodePolicy``.
    ``time_to_live`` stands for the subscription's ``queueMessageTimeToLiveInSeconds``
    (``-1``: never expires; ``None``: not set).
    """
    if not isinstance(event, dict) or not ({"eventType", "type"} & set(event)):
        raise ValueError("event must be one event (a dict with eventType or type), as "
                         "blob_created_event returns; Event Grid writes one per message.")
    if time_to_live is not None and (time_to_live == 0 or time_to_live < -1):
        raise ValueError("time_to_live cannot be zero or negative, except -1 (never expires), "
                         f"as for queueMessageTimeToLiveInSeconds; got {time_to_live}.")
    grid = QueueClient.from_queue_url(queue.url, credential=queue.credential,
                                      message_encode_policy=TextBase64EncodePolicy())
    with grid:
        grid.send_message(json.dumps(event), time_to_live=time_to_live)
