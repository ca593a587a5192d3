"""lesson 11 writes ``as_trigger_message`` in a cell; labsupport keeps a tested copy.

The notebook's version and ``labsupport.functions.trigger_message`` must agree.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest
from azure.functions.queue import QueueMessage

from labsupport.functions import UndecodableMessage, trigger_message

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "11_functions_queue_trigger.ipynb"


@pytest.fixture(scope="module")
def as_trigger_message():
    cell = next(c for c in nbformat.read(NOTEBOOK, as_version=4).cells
                if c.cell_type == "code" and "def as_trigger_message" in c.source)
    source = cell.source.split("\nclass Captured", 1)[0]
    namespace = {"base64": base64, "QueueMessage": QueueMessage}
    exec(compile(source, "lesson-11", "exec"), namespace)
    return namespace["as_trigger_message"]


def message(content: str):
    now = datetime(2026, 1, 1, tzinfo=UTC)
    return SimpleNamespace(id="m", content=content, dequeue_count=2, inserted_on=now,
                           expires_on=now, next_visible_on=now, pop_receipt="r")


def fields(msg):
    return (msg.id, msg.get_body(), msg.dequeue_count, msg.insertion_time, msg.expiration_time,
            msg.time_next_visible, msg.pop_receipt)


def test_both_build_the_same_message(as_trigger_message):
    stored = message(base64.b64encode(b'{"order_id": "order-1"}').decode())
    assert fields(as_trigger_message(stored)) == fields(trigger_message(stored))


def test_both_refuse_plain_text(as_trigger_message):
    stored = message("order-42 shipped")
    with pytest.raises(ValueError):
        as_trigger_message(stored)
    with pytest.raises(UndecodableMessage):
        trigger_message(stored)
    assert issubclass(UndecodableMessage, ValueError)
