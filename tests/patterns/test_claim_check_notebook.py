"""Lesson 08's claim check and labsupport.patterns.claim_check (its tested copy) agree.

The notebook's cells tagged ``claim-check-producer``, ``claim-check-consumer`` and
``claim-check-sweep`` are read with nbformat; their constants and functions (not the demo
lines around them) run here, untouched, against the local cloud, next to the copy's
``check_in``, ``claim`` and ``sweep_orphans``. Both must send the same requests in the same
order (the upload answered before the reference leaves), write the same reference and
expiry metadata, read each other's messages, refuse a changed blob and sweep the same
blobs; a mutated producer (the reference sent before the upload) must be told apart.
"""

from __future__ import annotations

import ast
import hashlib
import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest
from azure.storage.blob import ContainerClient
from azure.storage.queue import QueueClient

from labsupport.patterns import claim_check as copy

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / \
    "08_encoding_and_large_messages.ipynb"
TAGS = ("claim-check-producer", "claim-check-consumer", "claim-check-sweep")
PAYLOAD = bytes(range(256)) * 64


def definitions(reorder_producer: bool = False) -> list[ast.stmt]:
    """The tagged cells' functions and UPPER_CASE constants, in notebook order."""
    nodes = []
    for cell in nbformat.read(NOTEBOOK, as_version=4).cells:
        if set(TAGS) & set(cell.metadata.get("tags", [])):
            for node in ast.parse(cell.source).body:
                if isinstance(node, ast.FunctionDef) or (
                        isinstance(node, ast.Assign)
                        and all(isinstance(t, ast.Name) and t.id.isupper()
                                for t in node.targets)):
                    nodes.append(node)
    if reorder_producer:
        producer = next(n for n in nodes if getattr(n, "name", "") == "check_in")
        body = producer.body
        upload = next(i for i, s in enumerate(body) if "upload_blob" in ast.unparse(s))
        send = next(i for i, s in enumerate(body) if "send_message" in ast.unparse(s))
        body.insert(send, body.pop(upload))      # the reference first, then the blob
    return nodes


def load(reorder_producer: bool = False) -> SimpleNamespace:
    namespace = {"hashlib": hashlib, "json": json, "uuid": uuid, "datetime": datetime,
                 "UTC": UTC, "timedelta": timedelta}
    module = ast.Module(body=definitions(reorder_producer), type_ignores=[])
    exec(compile(module, "08-claim-check", "exec"), namespace)
    return SimpleNamespace(**{k: namespace[k] for k in
                              ("check_in", "claim", "sweep_orphans", "TIME_TO_LIVE")})


class Recorded:
    """Copies of a queue and a container client that note each request, in one order."""

    def __init__(self, queue, container) -> None:
        self.calls: list[tuple[str, str, int]] = []
        self.ttl: list[str | None] = []
        self.queue = QueueClient.from_queue_url(queue.url, credential=queue.credential,
                                                raw_response_hook=self._queue)
        self.container = ContainerClient.from_container_url(
            container.url, credential=container.credential, raw_response_hook=self._blob)

    def _queue(self, response) -> None:
        request = response.http_request
        self.calls.append(("queue", request.method, response.http_response.status_code))
        if request.method == "POST":
            self.ttl.append(dict(p.split("=", 1) for p in
                                 request.url.split("?", 1)[1].split("&")).get("messagettl"))

    def _blob(self, response) -> None:
        self.calls.append(("blob", response.http_request.method,
                           response.http_response.status_code))


def produce(check_in, queue, container) -> dict:
    recorded = Recorded(queue, container)
    check_in(recorded.queue, recorded.container, PAYLOAD, time_to_live=3600)
    [message] = queue.receive_messages(max_messages=32, messages_per_page=32)
    reference = json.loads(message.content)["claim_check"]
    properties = container.get_blob_client(reference["blob"]).get_blob_properties()
    expires = datetime.fromisoformat(properties.metadata["message_expires_on"])
    return {"calls": recorded.calls, "ttl": recorded.ttl, "message": message,
            "fields": sorted(reference), "size": reference["size"],
            "sha256": reference["sha256"], "metadata": sorted(properties.metadata),
            "expires_in": expires - datetime.now(UTC)}


@pytest.fixture(scope="module")
def cell():
    return load()


def test_both_producers_send_the_same_requests_in_the_same_order(cell, queue, container):
    notebook = produce(cell.check_in, queue, container)
    tested = produce(copy.check_in, queue, container)
    assert notebook["calls"] == [("blob", "PUT", 201), ("queue", "POST", 201)]
    assert notebook["ttl"] == ["3600"]
    for key in ("calls", "ttl", "fields", "size", "sha256", "metadata"):
        assert notebook[key] == tested[key], key
    margin = timedelta(hours=1, seconds=3600)
    for each in (notebook, tested):
        assert margin - timedelta(minutes=1) < each["expires_in"] <= margin
    assert cell.TIME_TO_LIVE == copy.DEFAULT_TIME_TO_LIVE == 7 * 24 * 3600


def test_each_consumer_reads_the_other_producer_s_message(cell, queue, container):
    for check_in, claim in ((cell.check_in, copy.claim), (copy.check_in, cell.claim)):
        check_in(queue, container, PAYLOAD)
        message = queue.receive_message()
        reference, data = claim(container, message)
        assert data == PAYLOAD
        queue.delete_message(message)


def test_both_consumers_refuse_a_changed_blob_and_a_message_that_is_no_reference(
        cell, queue, container):
    copy.check_in(queue, container, PAYLOAD)
    message = queue.receive_message()
    name = json.loads(message.content)["claim_check"]["blob"]
    container.upload_blob(name, b"changed after the message was sent", overwrite=True)
    for claim in (cell.claim, copy.claim):
        with pytest.raises(ValueError, match="not what the reference says|do not match"):
            claim(container, message)
    not_a_reference = SimpleNamespace(content='{"order": 1}')
    with pytest.raises(KeyError):
        cell.claim(container, not_a_reference)
    with pytest.raises(copy.NotAClaimCheck):
        copy.claim(container, not_a_reference)


def test_both_sweeps_delete_the_same_blobs(cell, queue, container):
    for sweep in (cell.sweep_orphans, copy.sweep_orphans):
        cell.check_in(queue, container, PAYLOAD, time_to_live=60)       # expires soon
        copy.check_in(queue, container, PAYLOAD, time_to_live=60)
        kept = cell.check_in(queue, container, PAYLOAD, time_to_live=86_400)["blob"]
        container.upload_blob(f"{uuid.uuid4()}.txt", b"not a claim check")
        two_hours_later = datetime.now(UTC) + timedelta(hours=2)
        assert sweep(container, now=datetime.now(UTC)) == []
        swept = sweep(container, now=two_hours_later)
        assert len(swept) == 2 and kept not in swept
        left = [b.name for b in container.list_blobs()]
        assert kept in left and len(left) == 2
        for name in left:
            container.delete_blob(name)
        queue.clear_messages()


def test_a_producer_that_sends_before_it_uploads_is_told_apart(queue, container):
    mutated = load(reorder_producer=True)
    notebook = produce(mutated.check_in, queue, container)
    assert notebook["calls"] == [("queue", "POST", 201), ("blob", "PUT", 201)]
    assert notebook["calls"] != produce(copy.check_in, queue, container)["calls"]
