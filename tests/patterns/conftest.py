"""Fixtures for the pattern tests."""

from __future__ import annotations

import pytest

from labsupport.patterns.poison import poison_queue_name


@pytest.fixture
def queues(lab, service, request):
    """A fresh work queue and its poison queue (``<name>-poison``), deleted afterwards."""
    topic = request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_").replace("_", "-")
    name = lab.new_queue_name(topic)
    queue = service.create_queue(name)
    poison = service.create_queue(poison_queue_name(name))
    yield queue, poison
    service.delete_queue(name)
    service.delete_queue(poison_queue_name(name))
