"""Shared fixtures: one local cloud per test session, on free ports.

``make test`` sets LAB_STATE_DIR so unit tests and notebooks share one fresh cloud;
run alone, the session gets a temporary state folder.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

import localcloud
from labsupport import local
from labsupport.config import load_config


@pytest.fixture(scope="session")
def lab_config():
    """A local-backend configuration with its own state folder (never the learner's)."""
    state = os.environ.get("LAB_STATE_DIR")
    owned = None
    if not state:
        owned = tempfile.TemporaryDirectory(prefix="queuelab-test-")
        state = owned.name
    config = load_config({"LAB_STATE_DIR": state}, env_file=False)
    yield config
    if owned:
        localcloud.stop(Path(state))
        owned.cleanup()


@pytest.fixture(scope="session")
def cloud(lab_config):
    """The running local cloud's record (started once for the session)."""
    return local.up(lab_config)


@pytest.fixture(scope="session")
def lab(lab_config, cloud):
    """``labsupport.connect()`` against the session's local cloud."""
    from labsupport import connect

    return connect("unit-tests", quiet=True, config=lab_config)


@pytest.fixture
def private_connect(monkeypatch):
    """For a test that calls ``connect()`` on a cloud of its own: the variables connect()
    sets (identity endpoint, CA bundle) are restored afterwards, so later tests do not
    reach for that cloud, or its deleted CA bundle."""
    from labsupport.trust import TRUST_VARIABLES

    for name in ("IDENTITY_ENDPOINT", "IDENTITY_HEADER", *TRUST_VARIABLES):
        if name in os.environ:
            monkeypatch.setenv(name, os.environ[name])
        else:
            monkeypatch.delenv(name, raising=False)


def _topic(request) -> str:
    """A queue-name topic from the test module: tests/checks/test_auth.py -> 'checks-auth'."""
    module = request.module.__name__.removeprefix("tests.")
    return module.replace("test_", "").replace(".", "-").replace("_", "-")[:40].strip("-")


@pytest.fixture
def queue(lab, request):
    """A fresh queue for one test, deleted afterwards."""
    from azure.storage.queue import QueueClient

    client = QueueClient(lab.account_url, lab.new_queue_name(_topic(request)),
                         credential=lab.credential)
    client.create_queue()
    yield client
    client.delete_queue()


@pytest.fixture
def container(lab, request):
    """A fresh blob container for one test, deleted afterwards."""
    from azure.storage.blob import BlobServiceClient

    blobs = BlobServiceClient(lab.blob_url, credential=lab.credential)
    client = blobs.create_container(lab.new_queue_name(_topic(request)))
    yield client
    client.delete_container()


@pytest.fixture(scope="session")
def service(lab):
    """The lab account's QueueServiceClient (Entra ID)."""
    from azure.storage.queue import QueueServiceClient

    return QueueServiceClient(lab.account_url, credential=lab.credential)


@pytest.fixture(scope="session")
def key(lab):
    """The lab account's key, wrapped so it never shows in reprs or pytest output."""
    from labsupport.redact import Secret

    return Secret(lab.account_key())


@pytest.fixture(scope="session")
def key_service(lab):
    """The account's QueueServiceClient signed with its key: Get/Set Queue ACL (stored access
    policies) accept Shared Key only, on Azure as on Azurite."""
    from azure.core.credentials import AzureNamedKeyCredential
    from azure.storage.queue import QueueServiceClient

    return QueueServiceClient(lab.account_url,
                              credential=AzureNamedKeyCredential(lab.account_name,
                                                                 lab.account_key()))


@pytest.fixture
def key_queue(key_service, queue):
    """The test's queue, through a client signed with the account key."""
    return key_service.get_queue_client(queue.queue_name)
