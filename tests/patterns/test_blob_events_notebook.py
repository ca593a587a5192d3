"""Lesson 08's Event Grid consumer and labsupport.patterns.blob_events (its tested copy) agree.

The notebook's cell tagged ``blob-event-consumer`` is read with nbformat; its functions and
UPPER_CASE constants run here, untouched, against the local cloud, next to the copy. Both
get the same deliveries from lesson 08's local producer (``labsupport.events``): a report
written twice, its newer event delivered, then the older one, then the newer again, and an
event for a blob outside the subject prefix. Both must reach the same outcomes, process the
same bytes once, and send the queue the same requests in the same order; a mutated consumer
(the download without the event's ETag as a condition) must be told apart.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest
from azure.core import MatchConditions
from azure.core.exceptions import ResourceModifiedError, ResourceNotFoundError
from azure.storage.blob import BlobClient, ContentSettings
from azure.storage.queue import BinaryBase64DecodePolicy, QueueClient

from labsupport import events
from labsupport.patterns import blob_events as copy
from labsupport.patterns.idempotent import DedupStore

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / \
    "08_encoding_and_large_messages.ipynb"
TAG = "blob-event-consumer"
VERSIONS = (b"region,total\nnorth,120\n", b"region,total\nnorth,120\nsouth,95\n")


def definitions(without_etag: bool = False) -> list[ast.stmt]:
    """The tagged cell's functions and UPPER_CASE constants."""
    [cell] = [c for c in nbformat.read(NOTEBOOK, as_version=4).cells
              if TAG in c.metadata.get("tags", [])]
    nodes = [node for node in ast.parse(cell.source).body
             if isinstance(node, ast.FunctionDef) or (
                 isinstance(node, ast.Assign)
                 and all(isinstance(t, ast.Name) and t.id.isupper() for t in node.targets))]
    if without_etag:
        for node in ast.walk(ast.Module(body=nodes, type_ignores=[])):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "download_blob":
                node.keywords = []                  # download whatever the blob is now
    return nodes


def load(without_etag: bool = False) -> SimpleNamespace:
    namespace = {"json": json, "BlobClient": BlobClient, "MatchConditions": MatchConditions,
                 "ResourceModifiedError": ResourceModifiedError,
                 "ResourceNotFoundError": ResourceNotFoundError}
    module = ast.Module(body=definitions(without_etag), type_ignores=[])
    exec(compile(module, "08-blob-event-consumer", "exec"), namespace)
    return SimpleNamespace(handle_blob_created=namespace["handle_blob_created"],
                           work_on=namespace["work_on"], BLOB_CREATED=namespace["BLOB_CREATED"])


@pytest.fixture(scope="module")
def cell():
    return load()


def deliveries(lab, queue, container) -> dict[str, str]:
    """Two versions of a report and a blob elsewhere, delivered as the lesson does."""
    topic = events.storage_account_id(lab.subscription_id, lab.resource_group,
                                      lab.account_name)
    published = []
    for name, data in (("reports/q4.csv", VERSIONS[0]), ("reports/q4.csv", VERSIONS[1]),
                       ("drafts/q4.csv", VERSIONS[0])):
        answers = []
        blob = container.upload_blob(name, data, overwrite=True,
                                     content_settings=ContentSettings(content_type="text/csv"),
                                     raw_response_hook=answers.append)
        published.append(events.blob_created_event(blob, answers[-1], topic=topic))
    first, second, elsewhere = published
    for event in (second, first, second, elsewhere):
        events.deliver(queue, event)
    return {first["id"]: "v1", second["id"]: "v2", elsewhere["id"]: "drafts"}


def consume(handle, lab, queue, container) -> dict:
    labels = deliveries(lab, queue, container)
    requests = []
    reader = QueueClient.from_queue_url(
        queue.url, credential=queue.credential, message_decode_policy=BinaryBase64DecodePolicy(),
        raw_response_hook=lambda r: requests.append(
            (r.http_request.method, r.http_response.status_code)))
    processed = []
    prefix = f"/blobServices/default/containers/{container.container_name}/blobs/reports/"
    outcomes = handle(reader, DedupStore(), lab.credential, prefix, processed.append)
    return {"outcomes": [(labels[i], outcome) for i, outcome in outcomes],
            "processed": processed, "requests": requests,
            "left": queue.get_queue_properties().approximate_message_count}


def test_both_consumers_reach_the_same_outcomes_with_the_same_requests(cell, lab, queue,
                                                                        container):
    notebook = consume(cell.handle_blob_created, lab, queue, container)
    tested = consume(copy.handle_blob_created, lab, queue, container)
    assert notebook["outcomes"] == [
        ("v2", "processed"), ("v1", "stale: the blob has changed or gone since this event"),
        ("v2", "duplicate: already processed"), ("drafts", "not for us")]
    assert notebook["processed"] == [VERSIONS[1]] and notebook["left"] == 0
    # one page of four, each deleted, then the pager asks for more and finds none
    assert notebook["requests"] == [("GET", 200)] + [("DELETE", 204)] * 4 + [("GET", 200)]
    for key in ("outcomes", "processed", "requests", "left"):
        assert notebook[key] == tested[key], key
    assert cell.BLOB_CREATED == copy.BLOB_CREATED == events.BLOB_CREATED


def test_a_deleted_blob_makes_its_event_stale_for_both(cell, lab, queue, container):
    for handle in (cell.handle_blob_created, copy.handle_blob_created):
        labels = deliveries(lab, queue, container)
        container.delete_blob("reports/q4.csv")
        reader = QueueClient.from_queue_url(queue.url, credential=queue.credential,
                                            message_decode_policy=BinaryBase64DecodePolicy())
        prefix = f"/blobServices/default/containers/{container.container_name}/blobs/"
        outcomes = handle(reader, DedupStore(), lab.credential, prefix, print)
        assert [(labels[i], o) for i, o in outcomes][:3] == [
            (label, copy.STALE) for label in ("v2", "v1", "v2")]


def test_a_consumer_that_ignores_the_event_s_etag_is_told_apart(lab, queue, container):
    mutated = consume(load(without_etag=True).handle_blob_created, lab, queue, container)
    tested = consume(copy.handle_blob_created, lab, queue, container)
    assert mutated["outcomes"][1] == ("v1", "processed")          # the old event, new bytes
    assert mutated["processed"] == [VERSIONS[1], VERSIONS[1]]
    assert mutated["outcomes"] != tested["outcomes"]
