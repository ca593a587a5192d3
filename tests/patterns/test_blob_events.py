"""labsupport.patterns.blob_events: a failed piece of work is retried, a wrong prefix refused."""

from __future__ import annotations

import pytest
from azure.storage.blob import ContentSettings
from azure.storage.queue import BinaryBase64DecodePolicy, QueueClient

from labsupport import events
from labsupport.patterns import blob_events
from labsupport.patterns.idempotent import DedupStore


def reader_for(queue):
    return QueueClient.from_queue_url(queue.url, credential=queue.credential,
                                      message_decode_policy=BinaryBase64DecodePolicy())


def publish(lab, queue, container) -> dict:
    answers = []
    blob = container.upload_blob("reports/q4.csv", b"region,total\nnorth,120\n",
                                 overwrite=True, raw_response_hook=answers.append,
                                 content_settings=ContentSettings(content_type="text/csv"))
    topic = events.storage_account_id(lab.subscription_id, lab.resource_group,
                                      lab.account_name)
    event = events.blob_created_event(blob, answers[-1], topic=topic)
    events.deliver(queue, event)
    return event


def test_work_that_fails_is_not_recorded_and_its_message_stays(lab, queue, container):
    event = publish(lab, queue, container)
    store = DedupStore()
    prefix = f"/blobServices/default/containers/{container.container_name}/blobs/"

    def fail(data):
        raise RuntimeError("the report service is down")

    with pytest.raises(RuntimeError, match="is down"):
        blob_events.handle_blob_created(reader_for(queue), store, lab.credential, prefix, fail)
    assert not store.seen(event["id"])                             # rolled back
    assert queue.get_queue_properties().approximate_message_count == 1   # comes back later
    done = []
    assert blob_events.work_on(event, store, lab.credential, done.append) == blob_events.PROCESSED
    assert done and store.seen(event["id"])


def test_a_prefix_that_is_not_a_blob_subject_is_refused(lab, queue):
    with pytest.raises(ValueError, match="subject prefix"):
        blob_events.handle_blob_created(reader_for(queue), DedupStore(), lab.credential,
                                        "reports/", print)
