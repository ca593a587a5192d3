"""Consume Blob storage's ``BlobCreated`` events that Event Grid writes into a storage queue.

An Event Grid subscription with a storage-queue handler writes each event as one message:
the event's JSON, base64-encoded (the Event Grid SDK's sample reads such a queue with
``BinaryBase64DecodePolicy``). Event Grid delivers at least once and in no guaranteed
order (https://learn.microsoft.com/azure/event-grid/delivery-and-retry), and the queue
adds its own at-least-once, so a consumer must expect

* **duplicates**: the same event (same ``id``) twice. Process each event id once, in the
  same transaction as the work (lesson 07's idempotent consumer, :class:`DedupStore`);
* **stale events**: an event for a version of the blob that has since been replaced.
  Download with the event's ``data.eTag`` as a condition (``If-Match``); a changed or
  deleted blob answers 412 or 404, and the newer version has its own event;
* **events it did not ask for**: check ``eventType`` and ``subject`` even though the
  subscription filters them (``includedEventTypes``, ``subjectBeginsWith``).

Every message is deleted once handled, whatever the outcome; an error that is not one of
these leaves it in the queue to come back after its visibility timeout.

    reader = QueueClient(account_url, "blob-events", credential=credential,
                         message_decode_policy=BinaryBase64DecodePolicy())
    prefix = "/blobServices/default/containers/reports/blobs/"
    for event_id, outcome in handle_blob_created(reader, DedupStore("seen.db"), credential,
                                                 prefix, process=print):
        ...

Lesson 08 writes ``work_on`` and ``handle_blob_created`` in a cell (tagged
``blob-event-consumer``); this module is their tested copy, and
``tests/patterns/test_blob_events_notebook.py`` runs both on the same deliveries and
compares their outcomes and requests.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from azure.core import MatchConditions
from azure.core.exceptions import ResourceModifiedError, ResourceNotFoundError
from azure.storage.blob import BlobClient

from .idempotent import DedupStore

BLOB_CREATED = "Microsoft.Storage.BlobCreated"
PROCESSED = "processed"
DUPLICATE = "duplicate: already processed"
STALE = "stale: the blob has changed or gone since this event"
NOT_OURS = "not for us"


def work_on(event: dict, store: DedupStore, credential,
            process: Callable[[bytes], object]) -> str:
    """Run ``process(the blob as this event saw it)`` once per event id; say what happened."""
    blob = BlobClient.from_blob_url(event["data"]["url"], credential=credential)

    def effect(db):  # inside lesson 07's transaction: the id is recorded with the work
        data = blob.download_blob(etag=event["data"]["eTag"],
                                  match_condition=MatchConditions.IfNotModified).readall()
        process(data)

    try:
        return PROCESSED if store.process_once(event["id"], effect) else DUPLICATE
    except (ResourceModifiedError, ResourceNotFoundError):  # 412 or 404: the blob moved on
        return STALE


def handle_blob_created(queue, store: DedupStore, credential, subject_prefix: str,
                        process: Callable[[bytes], object]) -> list[tuple[str, str]]:
    """Receive a page of events, run ``process(blob bytes)`` once per new event, delete each.

    ``queue`` must decode base64 (``BinaryBase64DecodePolicy``); returns ``(event id,
    outcome)`` for each message, in the order received.
    """
    if not subject_prefix.startswith("/blobServices/default/containers/"):
        raise ValueError("subject_prefix is a blob event's subject prefix, e.g. "
                         "'/blobServices/default/containers/<container>/blobs/'; got "
                         f"{subject_prefix!r}.")
    outcomes = []
    for message in queue.receive_messages(max_messages=16, messages_per_page=16,
                                          visibility_timeout=60):
        event = json.loads(message.content)
        if event["eventType"] == BLOB_CREATED and event["subject"].startswith(subject_prefix):
            outcome = work_on(event, store, credential, process)
        else:
            outcome = NOT_OURS
        queue.delete_message(message)
        outcomes.append((event["id"], outcome))
    return outcomes
