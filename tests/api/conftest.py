"""Fixtures for the queue API: an app on a fresh queue of the session's local cloud."""

from __future__ import annotations

import contextlib
import warnings

import pytest
from azure.core.exceptions import ResourceNotFoundError
from azure.storage.queue import QueueServiceClient

with warnings.catch_warnings():
    # Starlette 1.10 deprecates its httpx-based TestClient in favour of httpx2, which the
    # lab does not pin; the client still works with httpx 0.28.
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from labsupport.api import QueueClientSettings, create_app


@pytest.fixture
def queue_name(lab):
    """A fresh queue name; the queue (if the app created it) is deleted afterwards."""
    name = lab.new_queue_name("api-tests")
    yield name
    with contextlib.suppress(ResourceNotFoundError):
        QueueServiceClient(lab.account_url, credential=lab.credential).delete_queue(name)


@pytest.fixture
def settings(lab, queue_name):
    return QueueClientSettings.from_lab(lab, queue_name)


@pytest.fixture
def client(settings):
    """The app in-process (lifespan run: one QueueClient, queue created)."""
    with TestClient(create_app(settings), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def sync_queue(lab, queue_name, client):
    """A plain SDK client on the same queue, to set up and verify state behind the API."""
    return QueueServiceClient(lab.account_url, credential=lab.credential) \
        .get_queue_client(queue_name)
