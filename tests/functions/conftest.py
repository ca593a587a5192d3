"""Fixtures for lesson 11: the example function app and fresh queues for the model."""

from __future__ import annotations

import contextlib
import importlib
import sys
from pathlib import Path

import pytest
from azure.core.exceptions import ResourceNotFoundError
from azure.storage.queue import QueueClient, TextBase64EncodePolicy

from labsupport.patterns.poison import poison_queue_name

APP_DIR = Path(__file__).resolve().parents[2] / "examples" / "functions"


@pytest.fixture(scope="session")
def function_app():
    """examples/functions/function_app.py, imported as Microsoft's test guide does."""
    sys.path.insert(0, str(APP_DIR))
    try:
        yield importlib.import_module("function_app")
    finally:
        sys.path.remove(str(APP_DIR))


@pytest.fixture
def trigger_queues(lab, service, request):
    """(orders, shipments, orders-poison) clients; the poison queue is not created."""
    topic = "fn-" + request.node.name.removeprefix("test_").replace("_", "-")[:30].strip("-")
    orders = service.create_queue(lab.new_queue_name(topic))
    shipments = service.create_queue(lab.new_queue_name(topic + "-out"))
    poison = service.get_queue_client(poison_queue_name(orders.queue_name))
    yield orders, shipments, poison
    for client in (orders, shipments, poison):
        with contextlib.suppress(ResourceNotFoundError):
            client.delete_queue()


@pytest.fixture
def base64_producer(trigger_queues, lab):
    """A producer for the orders queue that speaks base64, as a Functions trigger expects."""
    orders = trigger_queues[0]
    return QueueClient(lab.account_url, orders.queue_name, credential=lab.credential,
                       message_encode_policy=TextBase64EncodePolicy())
